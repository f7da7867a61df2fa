#!/usr/bin/env python3
"""Pool "spec": the methods of the JSON-RPC 2.0 specification's examples (https://www.jsonrpc.org/specification),
with named params, since Katamari methods take named arguments. The gateway's JSON-RPC conformance test runs every
example of the specification against it.

    curl -s localhost:8080/rpc -d '{"jsonrpc":"2.0","method":"spec.subtract","params":{"minuend":42,"subtrahend":23},"id":1}'
    # {"jsonrpc":"2.0","result":19,"id":1}

The instance remembers the last values sent to "update" (or "notify_sum"), so a test can see that a notification,
which gets no response, did run: "last_update" returns them.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "chassis", "python"))
import katamari_chassis as katamari  # noqa: E402

chassis = katamari.kind("spec")
_last = {"values": None}


@chassis.handle("subtract", "minuend", "subtrahend")
def subtract(args):
    return args["minuend"] - args["subtrahend"]


@chassis.handle("sum", "values")
def sum_(args):
    return sum(args["values"])


@chassis.handle("update", "values")
def update(args):
    _last["values"] = args["values"]
    return None


@chassis.handle("notify_sum", "values")
def notify_sum(args):
    _last["values"] = args["values"]
    return sum(args["values"])


@chassis.handle("notify_hello", "value")
def notify_hello(args):
    return "hello %s" % args["value"]


@chassis.handle("get_data")
def get_data(args):
    return ["hello", 5]


@chassis.handle("last_update")
def last_update(args):
    return _last["values"]


if __name__ == "__main__":
    chassis.run()
