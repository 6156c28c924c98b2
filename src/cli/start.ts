import { ExitCode } from '../core/exit-codes.js';
import { processOutputs } from './process-io.js';
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

// A closed stdout ends the command quietly (process-io.ts): work in progress stopped as on Ctrl-C, exit 141.
let outputClosed = false;
const closeOutput = () => {
  // Also when the error arrives after the command returned (the last writes fail asynchronously).
  process.exitCode = ExitCode.OutputClosed;
  if (outputClosed) return;
  outputClosed = true;
  controller.abort(new Error('output closed'));
};
const { stdout, stderr } = processOutputs(closeOutput);

const code = await runCli(process.argv.slice(2), { signal: controller.signal, stdout, stderr });
process.exitCode = outputClosed ? ExitCode.OutputClosed : code;
if (outputClosed) process.exit(ExitCode.OutputClosed);
// After Ctrl-C, do not wait for work the command abandoned (a user's definition source still
// awaiting a timer, a child that ignores the signal) to let the event loop drain.
if (controller.signal.aborted) process.exit(code);
