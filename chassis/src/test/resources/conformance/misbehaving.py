"""Raw protocol (no library) with one deliberate mistake, named by argv[1], to see the kit catch it."""
import json
import sys

mode = sys.argv[1]
out = sys.stdout.buffer
inp = sys.stdin.buffer


def send(message):
    out.write(json.dumps(message).encode("utf-8") + b"\n")
    out.flush()


if mode == "garbage-first":
    out.write(b"Starting up...\n")
    out.flush()
send({"type": "hello", "protocol": 1, "kind": "bad", "methods": {"echo": {"args": ["text"]}}})
for raw in inp:
    if mode == "latin1":
        message = json.loads(raw.decode("latin-1"))
    else:
        message = json.loads(raw.decode("utf-8"))
    if message["type"] == "ping":
        if mode == "print-noise":
            out.write(b"debug: got a ping\n")
        send({"type": "pong", "id": message["id"]})
    elif mode == "wrong-id":
        send({"type": "reply", "id": "something-else", "result": None})
    elif mode == "always-reply" or message["method"] == "echo":
        send({"type": "reply", "id": message["id"], "result": message["args"].get("text")})
    else:
        send({"type": "error", "id": message["id"], "error": {"code": "method_not_found", "message": "no"}})
