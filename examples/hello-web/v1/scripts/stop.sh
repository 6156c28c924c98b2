#!/bin/sh
# ApplicationStop: stop the server this instance runs, if any, and wait until it is gone.
PIDFILE="$INSTANCE_ROOT/server.pid"
[ -f "$PIDFILE" ] || exit 0
PID=$(cat "$PIDFILE")
kill "$PID" 2>/dev/null || true
i=0
while kill -0 "$PID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -9 "$PID" 2>/dev/null || true
rm -f "$PIDFILE"
