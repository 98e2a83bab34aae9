#!/bin/bash
# Stop the test Dovecot started by start.sh:   tests/dovecot/stop.sh [DIR]
set -uo pipefail
DIR=$(realpath -m "${1:-/tmp/dm-dovecot}")
PID=$(cat "$DIR/run/master.pid" 2>/dev/null || true)
# The pid must still be this DIR's master (guards against a stale pid file).
if [ -z "$PID" ] || ! grep -qaF -- "$DIR/dovecot.conf" "/proc/$PID/cmdline" 2>/dev/null; then
  echo "not running ($DIR)"; exit 0
fi
kill -TERM "$PID"
for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$PID" 2>/dev/null; then echo "master $PID still alive" >&2; exit 1; fi
echo "stopped (pid $PID)"
