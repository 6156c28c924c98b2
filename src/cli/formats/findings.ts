/** What the CI formats render: the command's diagnostics and the verdict `judge()` gave them. */
import type { Diagnostic } from '../../documents/diagnostics.js';

/** A diagnostic as commands report it; `where` locates one inside a TS source's emitted document. */
export interface ReportedDiagnostic extends Diagnostic {
  where?: string;
}

export interface FindingsRun {
  diagnostics: readonly ReportedDiagnostic[];
  /** The exit code the command returns (from `judge()`), recorded in SARIF's invocation. */
  exitCode: number;
  /** The command line's arguments after `conveyor`, for SARIF's invocation. */
  args: readonly string[];
}
