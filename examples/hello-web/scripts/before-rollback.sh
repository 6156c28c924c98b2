#!/bin/sh
# beforeRollback: runs on this machine before a rollback; the reason is in the environment.
echo "$(date -u +%H:%M:%S) rolling back $DEPLOYMENT_ID ($CONVEYOR_ROLLBACK_TRIGGER): $CONVEYOR_ROLLBACK_REASON" >> "${ROLLBACK_LOG:-/dev/null}"
