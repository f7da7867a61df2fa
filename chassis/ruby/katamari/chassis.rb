# frozen_string_literal: true

# Katamari chassis for Ruby: turn blocks into a Katamari pool.
#
# One file, standard library only (Ruby 2.7+). Put its folder on the load path (ruby -I chassis/ruby, or
# RUBYLIB) and require "katamari/chassis", or require_relative it.
#
#   class FakeHandler < Katamari::Chassis
#     kind "fake"
#     handle(:echo, :textsy, :options) { |args| "You said: #{args[:textsy]} #{args[:options].inspect}" }
#     handle(:test_arguments, :cowcat, MORE) { |args| args }        # MORE: also accepts arguments it does not name
#     handle(:cry_havok) { |args| return_and_exit("Let slip the dogs of war") }
#   end
#   FakeHandler.run
#
# A block gets the call's arguments as a Hash with Symbol keys (nested objects keep String keys, as JSON parsed
# them) and returns anything JSON can encode; use `next value` to return early (not `return`). An exception
# becomes a handler_error reply (the backtrace goes to stderr) and the process keeps serving; `exit` ends it.
# Inside a block, `call(pool, method, args)` calls another pool through the agent and blocks for its result
# (raising Katamari::Chassis::CallError on an error), `deadline` is the call's deadline (epoch ms) and `log`
# writes to stderr.
#
# The protocol (docs/chassis-protocol.md) owns stdout, so requiring this file moves it out of the way: `puts` and
# anything a child process writes to stdout go to stderr, which the agent logs; stdin is likewise reserved for the
# protocol and reads as empty.

require "json"

module Katamari
  class Chassis
    PROTOCOL = 1
    # Last argument name of a method that also accepts arguments it does not name.
    MORE = "..."

    # A nested call answered with an error; #code is the wire code ("timeout", "pool_not_found", ...).
    class CallError < StandardError
      attr_reader :pool, :method_name, :code, :error_message

      def initialize(pool, method_name, code, error_message)
        super("call to #{pool}.#{method_name} failed: #{code}: #{error_message}")
        @pool = pool
        @method_name = method_name
        @code = code
        @error_message = error_message
      end
    end

    ReturnAndExit = Struct.new(:result)
    private_constant :ReturnAndExit

    # Private copies of fds 0 and 1 for the protocol; the real ones point elsewhere, so that neither puts nor a
    # child process can write to the protocol stream or swallow its input. Taken on require, so that even a puts
    # at the top of a handler's file cannot reach the agent.
    PROTOCOL_STREAMS = begin
      # The agent starts instances without LANG, where Ruby would take text to be US-ASCII (and inspect would
      # escape every non-ASCII character): JSON is UTF-8, so make that the default.
      Encoding.default_external = Encoding::UTF_8
      $stdout.flush
      protocol_in = $stdin.dup.binmode
      protocol_out = $stdout.dup.binmode
      protocol_out.sync = true
      $stdout.reopen($stderr)
      $stdin.reopen(File::NULL) unless $stdin.tty? # keep an interactive session's terminal
      [protocol_in, protocol_out].freeze
    end
    private_constant :PROTOCOL_STREAMS

    class << self
      # Names this chassis's kind (its hello says it); without an argument, returns it.
      def kind(name = nil)
        @kind = name.to_s unless name.nil?
        @kind || self.name.to_s.sub(/Handler\z/, "").downcase
      end

      # Declares a method taking exactly arg_names (end them with MORE to also accept others); the block answers it.
      def handle(method, *arg_names, &block)
        raise ArgumentError, "handle #{method}: needs a block" unless block
        names = arg_names.map(&:to_s)
        raise ArgumentError, "handle #{method}: '#{MORE}' may only be the last argument name" if names[0...-1].include?(MORE)
        raise ArgumentError, "handle #{method}: an argument name is declared twice in #{names}" if names.uniq.size != names.size
        raise ArgumentError, "method #{method} is declared twice" if handlers.key?(method.to_s)
        handlers[method.to_s] = [names, block]
      end

      def handlers
        @handlers ||= {}
      end

      # Says hello, then answers calls one at a time until stdin closes or a block returns and exits.
      def run
        new.run
      end
    end

    # Reply with result, then end this process; the agent starts a fresh one (not counted as a crash).
    def return_and_exit(result)
      ReturnAndExit.new(result)
    end

    # Calls method of pool through the agent and blocks until it answers; the agent bounds the wait by this
    # call's deadline. Returns the result; raises CallError with the code on an error.
    def call(pool, method, args = {})
      raise "call works only inside a handler" if @call_id.nil?
      raise ArgumentError, "the arguments of a nested call must be a Hash of named arguments" unless args.is_a?(Hash)
      @nested += 1
      nested_id = "#{@call_id}.n#{@nested}"
      send_message(type: "call_pool", id: nested_id, pool: pool.to_s, method: method.to_s, args: args)
      loop do
        message = next_message
        if message.nil?
          log("chassis #{kind}: stdin closed while waiting for #{nested_id}; the agent is stopping this instance")
          exit 0
        end
        type = message["type"]
        return message["result"] if type == "call_result" && message["id"] == nested_id
        if type == "call_error" && message["id"] == nested_id
          error = message["error"].is_a?(Hash) ? message["error"] : {}
          raise CallError.new(pool, method, error.fetch("code", "handler_error"), error.fetch("message", ""))
        end
        if type == "ping"
          send_message(type: "pong", id: message["id"])
        elsif type == "call"
          later << message # the next call, written ahead by a pipelining agent: after this one
        else
          log("chassis #{kind}: ignoring an unexpected #{type.inspect} message while waiting for #{nested_id}")
        end
      end
    end

    # When the caller of the call being handled stops waiting, in epoch milliseconds (nil when the agent sent none).
    attr_reader :deadline

    # Writes one line to stderr, which the agent logs tagged with pool, version and instance.
    def log(*parts)
      $stderr.puts(parts.join(" "))
      $stderr.flush
    end

    def kind
      self.class.kind
    end

    def run
      @in, @out = PROTOCOL_STREAMS
      send_message(type: "hello", protocol: PROTOCOL, kind: kind,
                   methods: self.class.handlers.transform_values { |(names, _)| { args: names } })
      while (message = later.shift || next_message)
        case message["type"]
        when "ping" then send_message(type: "pong", id: message["id"])
        when "call" then exit(0) unless answer(message)
        else log("chassis #{kind}: ignoring an unexpected #{message["type"].inspect} message while idle")
        end
      end
    end

    private

    # Calls the agent wrote ahead (pipeline) while a nested call was awaited; they run next.
    def later
      @later ||= []
    end

    def next_message
      while (line = @in.gets)
        line.force_encoding(Encoding::UTF_8)
        next if line.strip.empty?
        begin
          message = JSON.parse(line, max_nesting: false)
        rescue JSON::ParserError, EncodingError => e
          log("chassis #{kind}: ignoring a line that is not protocol: #{e.message[0, 200]}")
          next
        end
        return message if message.is_a?(Hash)
        log("chassis #{kind}: ignoring a line that is not a JSON object")
      end
      nil
    end

    def send_message(message)
      @out.write(JSON.generate(message) + "\n")
    end

    # Answers one call; returns false when the process should end (return and exit).
    def answer(message)
      call_id = message["id"]
      names_and_block = self.class.handlers[message["method"].to_s]
      if names_and_block.nil?
        send_error(call_id, "method_not_found",
                   "kind #{kind} has no method '#{message["method"]}'; it has [#{self.class.handlers.keys.sort.join(", ")}]")
        return true
      end
      args = (message["args"].is_a?(Hash) ? message["args"] : {}).transform_keys(&:to_sym)
      @call_id = call_id
      @nested = 0
      @deadline = message["deadline"]
      begin
        value = instance_exec(args, &names_and_block[1])
      rescue CallError => e
        send_error(call_id, e.code == "timeout" ? "timeout" : "handler_error", e.message)
        return true
      rescue StandardError, ScriptError, SystemStackError => e
        log("#{e.class}: #{e.message}\n\t#{(e.backtrace || []).first(20).join("\n\t")}")
        send_error(call_id, "handler_error", "#{e.class}: #{e.message}")
        return true
      ensure
        @call_id = nil
        @deadline = nil
      end
      exit_after = value.is_a?(ReturnAndExit)
      result = exit_after ? value.result : value
      reply = { type: "reply", id: call_id, result: result }
      reply[:exit] = true if exit_after
      begin
        send_message(reply)
      rescue JSON::GeneratorError, EncodingError => e
        send_error(call_id, "handler_error", "result is not JSON: #{e.message[0, 200]}", exit_after)
      end
      !exit_after
    end

    def send_error(call_id, code, message, exit_after = false)
      text = message.to_s.dup.force_encoding(Encoding::UTF_8).scrub
      error = { type: "error", id: call_id, error: { code: code, message: text } }
      error[:exit] = true if exit_after
      send_message(error)
    end
  end
end
