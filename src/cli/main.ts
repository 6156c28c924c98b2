#!/usr/bin/env node
import { runCli } from './run-cli.js';

const controller = new AbortController();
let interrupted = 0;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    interrupted += 1;
    // A second Ctrl-C means "now": leave without waiting for cleanup.
    if (interrupted > 1) process.exit(130);
    controller.abort(new Error(`interrupted by ${sig}`));
  });
}

const code = await runCli(process.argv.slice(2), { signal: controller.signal });
process.exitCode = code;
// After Ctrl-C, do not wait for work the command abandoned (a user's definition source still
// awaiting a timer, a child that ignores the signal) to let the event loop drain.
if (controller.signal.aborted) process.exit(code);
