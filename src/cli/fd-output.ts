/**
 * The binary's stdout and stderr when they are a file, a pipe or /dev/null: written with write(2) on the file
 * descriptor instead of through process.stdout.
 *
 * Why: the first touch of process.stdout builds a Node stream, which loads about twenty modules of Node's
 * stream machinery, some 4 ms of a 30 ms Node start, for a `conveyor validate` that writes one line. Node
 * writes files and pipes synchronously anyway (a pipe is blocking on Linux), so a synchronous write(2)
 * is what the stream would do, in the same order.
 *
 * A terminal (any character device other than Linux's memory devices, and anything not Linux) still gets
 * process.stdout: commands draw progress there, ask its width and listen for resizes. Once a command has
 * asked for the real stream (a resize listener), writes go through it, so nothing is reordered.
 */
import type { TerminalStream } from './deploy-progress.js';

const { fstatSync, writeSync } = process.getBuiltinModule('node:fs');

/** Linux's major device number of /dev/null, /dev/zero, /dev/full: never a terminal. */
const MEMORY_DEVICES = 1;

type Fd = 1 | 2;

/** Whether the descriptor is surely not a terminal (so write(2) on it is all a stream would do). */
function plainOutput(fd: Fd): boolean {
  try {
    const info = fstatSync(fd);
    if (info.isFile() || info.isFIFO() || info.isSocket()) return true;
    // Linux keeps the major device number in bits 8-19 of rdev.
    return (
      process.platform === 'linux' &&
      info.isCharacterDevice() &&
      ((info.rdev >> 8) & 0xfff) === MEMORY_DEVICES
    );
  } catch {
    return false;
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * stdout (fd 1) or stderr (fd 2) for the CLI's context. `real` makes (or returns) Node's stream for the
 * descriptor; `onClosed` is told once when the reader went away (EPIPE), after which writes are dropped.
 */
export function fdOutput(fd: Fd, real: () => NodeJS.WriteStream, onClosed: () => void): TerminalStream {
  if (!plainOutput(fd)) return real();
  let stream: NodeJS.WriteStream | undefined;
  let closed = false;
  const materialize = () => {
    stream ??= real();
    return stream;
  };
  return {
    isTTY: false,
    write(chunk: string): boolean {
      if (stream) return stream.write(chunk);
      if (closed) return false;
      let bytes = Buffer.from(chunk, 'utf8');
      while (bytes.length > 0) {
        try {
          const written = writeSync(fd, bytes);
          bytes = bytes.subarray(written);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          // A pipe another process left non-blocking: wait for the reader, as a blocking write would.
          if (code === 'EAGAIN') {
            Atomics.wait(pause, 0, 0, 1);
            continue;
          }
          if (code === 'EPIPE') {
            closed = true;
            onClosed();
            return false;
          }
          throw err;
        }
      }
      return true;
    },
    on(event, listener) {
      return materialize().on(event, listener);
    },
    off(event, listener) {
      return materialize().off(event, listener);
    },
  };
}
