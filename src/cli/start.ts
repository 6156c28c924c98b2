import { ExitCode } from '../core/exit-codes.js';
import { fdOutput } from './fd-output.js';
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

// A closed stdout (`conveyor status | head -1`, `history | true`) ends the command quietly, as SIGPIPE ends a Unix
// tool: no "write EPIPE" stack, work in progress stopped as on Ctrl-C, exit 141. Node ignores SIGPIPE itself and
// reports EPIPE as an 'error' event on the stream (or a throw from a plain write), which would otherwise crash
// the process with a stack trace.
let outputClosed = false;
const closeOutput = () => {
  // Also when the error arrives after the command returned (the last writes fail asynchronously).
  process.exitCode = ExitCode.OutputClosed;
  if (outputClosed) return;
  outputClosed = true;
  controller.abort(new Error('output closed'));
};
const realStream = (get: () => NodeJS.WriteStream) => () => {
  const stream = get();
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
    closeOutput();
  });
  return stream;
};
// Files, pipes and /dev/null are written directly (fd-output.ts): Node's streams cost more to load than a
// short command takes to run.
const stdout = fdOutput(
  1,
  realStream(() => process.stdout),
  closeOutput,
);
const stderr = fdOutput(
  2,
  realStream(() => process.stderr),
  closeOutput,
);

const code = await runCli(process.argv.slice(2), { signal: controller.signal, stdout, stderr });
process.exitCode = outputClosed ? ExitCode.OutputClosed : code;
if (outputClosed) process.exit(ExitCode.OutputClosed);
// After Ctrl-C, do not wait for work the command abandoned (a user's definition source still
// awaiting a timer, a child that ignores the signal) to let the event loop drain.
if (controller.signal.aborted) process.exit(code);
