/**
 * The binary's stdout and stderr. Files, pipes and /dev/null are written directly (fd-output.ts): Node's
 * streams cost more to load than a short command takes to run. A closed stdout (`conveyor status | head -1`)
 * is reported to `onClosed`, as SIGPIPE ends a Unix tool: Node ignores SIGPIPE itself and reports EPIPE as
 * an 'error' event on the stream (or a throw from a plain write), which would otherwise crash the process
 * with a stack trace.
 */
import type { TerminalStream } from './deploy-progress.js';
import { fdOutput } from './fd-output.js';

export function processOutputs(onClosed: () => void): { stdout: TerminalStream; stderr: TerminalStream } {
  const realStream = (get: () => NodeJS.WriteStream) => () => {
    const stream = get();
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
      onClosed();
    });
    return stream;
  };
  return {
    stdout: fdOutput(
      1,
      realStream(() => process.stdout),
      onClosed,
    ),
    stderr: fdOutput(
      2,
      realStream(() => process.stderr),
      onClosed,
    ),
  };
}
