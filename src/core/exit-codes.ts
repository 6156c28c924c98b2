/** Exit codes of the CLI contract (see README). */
export const ExitCode = {
  /** Success. */
  Ok: 0,
  /** The work failed: invalid document, failed deployment, drift found, failed build. */
  Failed: 1,
  /** Usage or configuration error. */
  Usage: 2,
  /** The reader of stdout went away (`conveyor status | head -1`): 128 + SIGPIPE, as a Unix tool it kills ends. */
  OutputClosed: 141,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
