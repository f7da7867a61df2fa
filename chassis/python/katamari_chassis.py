"""Katamari chassis for Python: turn functions into a Katamari pool.

One file, standard library only (Python 3.7+). Copy it next to your script, or put its folder on PYTHONPATH.

    import katamari_chassis as katamari

    chassis = katamari.kind("wordcount")

    @chassis.handle("count", "text")
    def count(args):
        return {"words": len(args["text"].split())}

    @chassis.handle("test_arguments", "cowcat", katamari.MORE)   # also accepts arguments it does not name
    def test_arguments(args):
        return args

    @chassis.handle("cry_havok")
    def cry_havok(args):
        return katamari.return_and_exit("Let slip the dogs of war")   # reply, then this process ends

    if __name__ == "__main__":
        chassis.run()

A handler gets the call's arguments as a dict and returns anything json can encode. An exception becomes a
``handler_error`` reply (the traceback goes to stderr) and the process keeps serving. ``call(pool, method, args)``
calls another pool through the agent and blocks for its result (raising ``CallError`` on an error).

The protocol (docs/chassis-protocol.md) owns stdout, so importing this module moves it out of the way: ``print``
and anything a child process writes to stdout go to stderr, which the agent logs; stdin is likewise reserved for
the protocol and reads as empty.
"""

import json
import os
import sys
import traceback

__all__ = ["kind", "Chassis", "MORE", "return_and_exit", "call", "deadline", "log", "CallError"]

PROTOCOL = 1

#: Last argument name of a method that also accepts arguments it does not name.
MORE = "..."


class CallError(Exception):
    """A nested call answered with an error; ``code`` is the wire code (``timeout``, ``pool_not_found``, ...)."""

    def __init__(self, pool, method, code, message):
        super().__init__("call to %s.%s failed: %s: %s" % (pool, method, code, message))
        self.pool = pool
        self.method = method
        self.code = code
        self.message = message


class _ReturnAndExit:
    def __init__(self, result):
        self.result = result


def return_and_exit(result):
    """Return this from a handler to reply with ``result`` and then end the process; the agent starts a fresh one."""
    return _ReturnAndExit(result)


def kind(name):
    """A new chassis of this kind; declare its methods with ``@chassis.handle(...)``, then call ``run()``."""
    return Chassis(name)


def log(*parts):
    """Writes one line to stderr, which the agent logs tagged with pool, version and instance."""
    print(*parts, file=sys.stderr, flush=True)


_running = None  # the chassis whose handler is running, for the module-level call() and deadline()
_streams = None  # (protocol in, protocol out), taken once


def _protocol_streams():
    """Keeps private copies of fds 0 and 1 for the protocol and points the real ones elsewhere, so that neither
    print() nor a child process can write to the protocol stream or swallow its input. Done on import, so that
    even a print at the top of a handler's module cannot reach the agent."""
    global _streams
    if _streams is None:
        sys.stdout.flush()
        protocol_in, protocol_out = os.fdopen(os.dup(0), "rb"), os.fdopen(os.dup(1), "wb")
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        if not os.isatty(0):  # keep an interactive session's terminal
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.close(null)
            sys.stdin = open(os.devnull, "r")
        _streams = protocol_in, protocol_out
    return _streams


_protocol_streams()


def call(pool, method, args=None):
    """Calls ``method`` of ``pool`` from inside a handler and returns its result; see ``Chassis.call``."""
    if _running is None:
        raise RuntimeError("katamari_chassis.call works only inside a handler of a running chassis")
    return _running.call(pool, method, args)


def deadline():
    """When the caller of the call being handled stops waiting, in epoch milliseconds (None outside a handler)."""
    return None if _running is None else _running.deadline


class Chassis:
    def __init__(self, kind):
        if not isinstance(kind, str) or not kind:
            raise ValueError("kind must be a non-empty string")
        self.kind = kind
        self._methods = {}  # name -> (arg names, function)
        self._in = self._out = None
        self._call_id = None
        self._nested = 0
        self._later = []  # calls the agent wrote ahead (pipeline) while a nested call was awaited
        self.deadline = None

    def handle(self, method, *arg_names):
        """Decorator: the function answers ``method``, which takes exactly ``arg_names`` (end them with MORE to
        also accept others). The function gets one dict of all the arguments given."""
        names = [str(a) for a in arg_names]
        if MORE in names[:-1]:
            raise ValueError("%s: %r may only be the last argument name" % (method, MORE))
        if len(set(names)) != len(names):
            raise ValueError("%s: an argument name is declared twice in %r" % (method, names))
        if method in self._methods:
            raise ValueError("method %s is declared twice" % method)

        def register(function):
            self._methods[method] = (names, function)
            return function

        return register

    def run(self):
        """Says hello, then answers calls one at a time until stdin closes or a handler returns and exits."""
        self._in, self._out = _protocol_streams()
        self._send({"type": "hello", "protocol": PROTOCOL, "kind": self.kind,
                    "methods": {name: {"args": names} for name, (names, _) in self._methods.items()}})
        while True:
            message = self._later.pop(0) if self._later else self._next()
            if message is None:
                return
            message_type = message.get("type")
            if message_type == "ping":
                self._send({"type": "pong", "id": message.get("id")})
            elif message_type == "call":
                if not self._answer(message):
                    sys.exit(0)  # return and exit
            else:
                log("chassis %s: ignoring an unexpected %r message while idle" % (self.kind, message_type))

    def call(self, pool, method, args=None):
        """Calls ``method`` of ``pool`` through the agent and blocks until it answers; the agent bounds the wait
        by this call's deadline. Returns the result; raises CallError with the code on an error."""
        if self._call_id is None:
            raise RuntimeError("call() works only inside a handler")
        args = {} if args is None else args
        if not isinstance(args, dict):
            raise TypeError("the arguments of a nested call must be a dict of named arguments")
        self._nested += 1
        nested_id = "%s.n%d" % (self._call_id, self._nested)
        self._send({"type": "call_pool", "id": nested_id, "pool": pool, "method": method, "args": args})
        while True:
            message = self._next()
            if message is None:
                log("chassis %s: stdin closed while waiting for %s; the agent is stopping this instance" % (self.kind, nested_id))
                raise SystemExit(0)
            message_type = message.get("type")
            if message_type == "call_result" and message.get("id") == nested_id:
                return message.get("result")
            if message_type == "call_error" and message.get("id") == nested_id:
                error = message.get("error") or {}
                raise CallError(pool, method, error.get("code", "handler_error"), error.get("message", ""))
            if message_type == "ping":
                self._send({"type": "pong", "id": message.get("id")})
            elif message_type == "call":
                self._later.append(message)  # the next call, written ahead by a pipelining agent: after this one
            else:
                log("chassis %s: ignoring an unexpected %r message while waiting for %s" % (self.kind, message_type, nested_id))

    # -- the protocol stream ------------------------------------------------------------------------------------

    def _next(self):
        """The next message from the agent as a dict, or None at end of input."""
        while True:
            line = self._in.readline()
            if not line:
                return None
            if not line.strip():
                continue
            try:
                message = json.loads(line.decode("utf-8"))
            except ValueError as e:
                log("chassis %s: ignoring a line that is not protocol: %s" % (self.kind, e))
                continue
            if isinstance(message, dict):
                return message
            log("chassis %s: ignoring a line that is not a JSON object" % self.kind)

    def _send(self, message):
        try:
            text = json.dumps(message, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate cannot be UTF-8; \u escapes can carry it
            data = json.dumps(message, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")
        self._out.write(data + b"\n")
        self._out.flush()

    # -- one call -----------------------------------------------------------------------------------------------

    def _answer(self, message):
        """Answers one call; returns False when the process should end (return and exit)."""
        global _running
        call_id = message.get("id")
        method = message.get("method")
        entry = self._methods.get(method)
        if entry is None:
            self._send_error(call_id, "method_not_found", "kind %s has no method '%s'; it has [%s]"
                             % (self.kind, method, ", ".join(sorted(self._methods))))
            return True
        args = message.get("args") if isinstance(message.get("args"), dict) else {}
        self._call_id, self._nested, self.deadline, _running = call_id, 0, message.get("deadline"), self
        try:
            value = entry[1](args)
        except CallError as e:
            self._send_error(call_id, "timeout" if e.code == "timeout" else "handler_error", str(e))
            return True
        except Exception as e:
            traceback.print_exc(file=sys.stderr)
            self._send_error(call_id, "handler_error", "%s: %s" % (type(e).__name__, e))
            return True
        finally:
            self._call_id, self.deadline, _running = None, None, None
        exit_after = isinstance(value, _ReturnAndExit)
        result = value.result if exit_after else value
        reply = {"type": "reply", "id": call_id, "result": result}
        if exit_after:
            reply["exit"] = True
        try:
            self._send(reply)
        except (TypeError, ValueError) as e:
            self._send_error(call_id, "handler_error", "result is not JSON: %s" % e, exit_after)
        return not exit_after

    def _send_error(self, call_id, code, message, exit_after=False):
        error = {"type": "error", "id": call_id, "error": {"code": code, "message": message}}
        if exit_after:
            error["exit"] = True
        self._send(error)
