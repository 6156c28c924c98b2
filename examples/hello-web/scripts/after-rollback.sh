#!/bin/sh
# afterRollback: runs after traffic is back on the last good revision.
echo "$(date -u +%H:%M:%S) rolled back $DEPLOYMENT_ID" >> "${ROLLBACK_LOG:-/dev/null}"
