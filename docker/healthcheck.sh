#!/bin/sh
# The container's health is its role's own health route. The role is the subcommand PID 1 runs (bin/katamari execs
# java, so PID 1 is the role's JVM); ports come from the same variables and flags the role itself reads.
set -eu
args=$(tr '\0' ' ' < /proc/1/cmdline)
role=$(echo "$args" | sed -n 's/.*katamari\.jar \([a-z-]*\).*/\1/p')
flag() { echo "$args" | sed -n "s/.*$1 \([0-9]*\).*/\1/p"; }
case "$role" in
  gateway)    url="http://127.0.0.1:${KATAMARI_GATEWAY_PORT:-8080}/readyz" ;;
  dispatcher) url="http://127.0.0.1:${KATAMARI_CLUSTER_ADMIN_PORT:-8090}/healthz" ;;
  worker)     port=$(flag --metrics-port); [ -n "$port" ] || exit 0  # no metrics port: nothing to ask, alive is all
              url="http://127.0.0.1:$port/readyz" ;;
  *)          exit 0 ;;
esac
exec curl -fsS -o /dev/null --max-time 2 "$url"
