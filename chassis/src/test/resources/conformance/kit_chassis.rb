# A chassis on the Ruby library with every method the conformance kit can probe, and some stdout noise.
require_relative "../../../../ruby/katamari/chassis"

class KitHandler < Katamari::Chassis
  kind "kit"

  handle(:echo, :text) do |args|
    puts "noise from puts in a handler"
    system("echo noise from a child process")
    args[:text]
  end

  handle(:boom) { |args| raise ArgumentError, "kaboom" }

  handle(:relay, :text) { |args| "relayed: #{call(:echo, :echo, text: args[:text])}" }

  handle(:test_arguments, :cowcat, MORE) { |args| args }

  handle(:bye) { |args| return_and_exit("bye") }
end

puts "noise from puts before run: the library must keep it off the protocol stream"
KitHandler.run
