#!/bin/sh
# ApplicationStart: run the server in the background on $PORT and remember its pid.
set -e
cd "$INSTANCE_ROOT/srv/hello-web"
nohup node server.js > "$INSTANCE_ROOT/server.log" 2>&1 &
echo $! > "$INSTANCE_ROOT/server.pid"
