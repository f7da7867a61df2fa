# Pool "fake": the FakeHandler of the original Katamari, on the Ruby chassis library.
#
#   curl -s localhost:8080/pools/fake/echo -d '{"textsy":"hi","options":{"loud":true}}'
#   # {"id":"...","result":"You said: hi {\"loud\"=>true}"}
#
# Check it with: bin/katamari chassis-check --method echo --args '{"textsy":"hi","options":{}}' --text-arg textsy \
#   --error-method failboat --exit-method cry_havok -- ruby examples/fake/fake_handler.rb
require_relative "../../chassis/ruby/katamari/chassis"

class FakeHandler < Katamari::Chassis
  kind "fake"

  handle(:echo, :textsy, :options) do |args|
    "You said: #{args[:textsy]} #{args[:options].inspect}"
  end

  # ends the process mid-request: the agent sees a crash (and retries up to the pool's attempts)
  handle(:failure_to_launch) do |args|
    exit 1
  end

  # takes cowcat and anything else; answers with the arguments it got
  handle(:test_arguments, :cowcat, MORE) do |args|
    args
  end

  # raises: answered handler_error, and the instance keeps serving
  handle(:failboat) do |args|
    raise "this boat failed under an endless sky"
  end

  handle(:cry_havok) do |args|
    return_and_exit("Let slip the dogs of war")
  end
end

FakeHandler.run if $PROGRAM_NAME == __FILE__
