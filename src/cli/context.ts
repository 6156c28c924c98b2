import type { Clock } from '../core/clock.js';

import type { OutputStream } from '../core/output.js';

export type { OutputStream };

/** Everything a command may touch from the outside, so commands run in-process in tests. */
export interface CliContext {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Record<string, string | undefined>;
  cwd: string;
  clock: Clock;
  /** Cancelled on SIGINT/SIGTERM in the real binary; commands stop work cleanly. */
  signal: AbortSignal;
  /** Set by --debug: internal errors print their stack. */
  debug: boolean;
}

export interface Command {
  /** One line for `conveyor --help`. */
  summary: string;
  /** Full usage text for `conveyor <command> --help`. */
  usage: string;
  /** Returns the process exit code (see ExitCode). Throws UsageError for bad arguments. */
  run(args: string[], ctx: CliContext): Promise<number>;
}
