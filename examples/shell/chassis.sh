#!/usr/bin/env bash
# A whole chassis in bash + jq, written from docs/chassis-protocol.md alone: pool "shell".
#   echo(text)  says text back        fail()  answers a handler_error        bye()  replies, then exits
# Check it with: bin/katamari chassis-check --method echo --args '{"text":"hi"}' --text-arg text \
#   --error-method fail --exit-method bye -- examples/shell/chassis.sh
set -euo pipefail

exec 3>&1 1>&2          # fd 3 is the protocol stream; anything else this script prints goes to stderr (the log)
send() { jq -c "$1" <<<"$line" >&3; }   # answers built by jq from the message in $line, one line each

line='{}'
send '{type: "hello", protocol: 1, kind: "shell",
       methods: {echo: {args: ["text"]}, fail: {args: []}, bye: {args: []}}}'

while IFS= read -r line; do
  case "$(jq -r '.type + " " + (.method // "")' <<<"$line")" in
    "ping ")     send '{type: "pong", id}' ;;
    "call echo") send '{type: "reply", id, result: .args.text}' ;;
    "call fail") send '{type: "error", id, error: {code: "handler_error", message: "fail always fails"}}' ;;
    "call bye")  send '{type: "reply", id, result: "bye", exit: true}'; exit 0 ;;
    call\ *)     send '{type: "error", id, error: {code: "method_not_found", message: "no method \(.method)"}}' ;;
    *)           echo "ignoring: ${line:0:200}" ;;
  esac
done
