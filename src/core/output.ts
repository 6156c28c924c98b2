/** Where progress and results are written: a terminal, a pipe, or a test's buffer. Commands and long-running work share it. */
export interface OutputStream {
  write(chunk: string): unknown;
  /** True when the stream is an interactive terminal (live progress is drawn only then). */
  isTTY?: boolean;
}
