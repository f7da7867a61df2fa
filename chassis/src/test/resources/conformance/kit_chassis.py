"""A chassis on the Python library with every method the conformance kit can probe, and some stdout noise."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "python"))
import katamari_chassis as katamari  # noqa: E402

chassis = katamari.kind("kit")
print("noise from print before run: the library must keep it off the protocol stream")


@chassis.handle("echo", "text")
def echo(args):
    print("noise from print in a handler")
    os.system("echo noise from a child process")
    return args["text"]


@chassis.handle("boom")
def boom(args):
    raise ValueError("kaboom")


@chassis.handle("relay", "text")
def relay(args):
    return "relayed: %s" % katamari.call("echo", "echo", {"text": args["text"]})


@chassis.handle("test_arguments", "cowcat", katamari.MORE)
def test_arguments(args):
    return args


@chassis.handle("bye")
def bye(args):
    return katamari.return_and_exit("bye")


chassis.run()
