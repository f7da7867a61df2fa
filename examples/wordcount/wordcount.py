#!/usr/bin/env python3
"""Pool "wordcount": a chassis written in Python with chassis/python/katamari_chassis.py.

    curl -s localhost:8080/pools/wordcount/count -d '{"text":"the cat and the hat"}'
    # {"id":"...","result":{"words":5,"lines":1,"chars":19}}
    curl -s localhost:8080/pools/wordcount/top -d '{"text":"the cat and the hat","n":1}'
    # {"id":"...","result":[["the",2]]}
    curl -s localhost:8080/pools/wordcount/echo_and_count -d '{"text":"hi there"}'
    # a nested call: asks pool "echo" to say the text back, then counts its words
    curl -s localhost:8080/pools/wordcount/sleep -d '{"ms":100}'
    # {"id":"...","result":"slept 100 ms"}: a handler whose time is known (bin/katamari bench --mode scale-out)

Check it with: bin/katamari chassis-check --method echo --args '{"text":"hi"}' --text-arg text \
  --error-method count --error-args '{"text":42}' -- python3 examples/wordcount/wordcount.py
"""
import collections
import os
import sys
import time

# the library is one file: copy it next to your script, or point PYTHONPATH at chassis/python
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "chassis", "python"))
import katamari_chassis as katamari  # noqa: E402

chassis = katamari.kind("wordcount")


def _text(args):
    text = args["text"]
    if not isinstance(text, str):
        raise TypeError("text must be a string, was %s" % type(text).__name__)
    return text


@chassis.handle("count", "text")
def count(args):
    text = _text(args)
    return {"words": len(text.split()), "lines": len(text.splitlines()), "chars": len(text)}


@chassis.handle("top", "text", "n")
def top(args):
    words = collections.Counter(w.lower() for w in _text(args).split())
    return words.most_common(int(args["n"]))


@chassis.handle("echo", "text")
def echo(args):
    """Says the text back: handy to check a deployment, or a chassis with bin/katamari chassis-check."""
    return _text(args)


@chassis.handle("echo_and_count", "text")
def echo_and_count(args):
    """Calls pool "echo" (a nested call, bounded by this call's deadline) and counts the words of its answer."""
    echoed = katamari.call("echo", "echo", {"text": _text(args)})
    return {"echoed": echoed, "words": len(echoed.split())}


@chassis.handle("sleep", "ms")
def sleep(args):
    """Sleeps ms milliseconds, as the echo chassis's sleep does: a call whose cost is known and costs no CPU, so
    that a measurement of many instances on a small box measures Katamari rather than the handler."""
    ms = args["ms"]
    if isinstance(ms, bool) or not isinstance(ms, (int, float)) or ms < 0:
        raise TypeError("ms must be a number of milliseconds >= 0, was %r" % (ms,))
    time.sleep(ms / 1000.0)
    return "slept %s ms" % ms


if __name__ == "__main__":
    chassis.run()
