/** Public library API of Conveyor. Each area adds its exports here. */

export { runCli } from './cli/run-cli.js';
export type { Diagnostic, Severity } from './spec/diagnostics.js';
export { formatDiagnostic, formatDiagnostics, sortDiagnostics } from './spec/diagnostics.js';
// Typed definitions (conveyor synth): builders, helpers, Duration.
export * from './synth/index.js';
