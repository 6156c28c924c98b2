/**
 * One diagnostic record, rendered as text (`file:line:col severity rule-id message`) or JSON.
 * Validation returns these; it never throws for a user's mistake.
 */
export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  /** Stable rule id from the catalog, e.g. `appspec/hook-timeout-max`. */
  ruleId: string;
  severity: Severity;
  /** Path as the user gave it (relative paths stay relative). */
  file: string;
  /** 1-based; 0 when the problem has no position (e.g. file not found). */
  line: number;
  /** 1-based; 0 when the problem has no position. */
  col: number;
  endLine?: number;
  endCol?: number;
  /** What was found and what is allowed. */
  message: string;
  /** How to fix it, when there is a clear fix. */
  hint?: string;
}

const severityOrder: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return (
    (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
    a.line - b.line ||
    a.col - b.col ||
    (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0) ||
    severityOrder[a.severity] - severityOrder[b.severity] ||
    (a.message < b.message ? -1 : a.message > b.message ? 1 : 0)
  );
}

export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(compareDiagnostics);
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** `file:line:col severity rule-id message` — the format editors and CI annotators parse. */
export function formatDiagnostic(d: Diagnostic): string {
  const hint = d.hint ? ` (${d.hint})` : '';
  return `${d.file}:${d.line}:${d.col} ${d.severity} ${d.ruleId} ${d.message}${hint}`;
}

export function formatDiagnostics(diagnostics: readonly Diagnostic[]): string {
  return sortDiagnostics(diagnostics).map(formatDiagnostic).join('\n');
}

/** `file:line:col severity rule message`, or `file › where severity rule message` as synth prints it. */
export function formatSourceDiagnostic(d: Diagnostic & { where?: string }): string {
  if (!d.where) return formatDiagnostic(d);
  const hint = d.hint ? ` (${d.hint})` : '';
  return `${d.file} › ${d.where} ${d.severity} ${d.ruleId} ${d.message}${hint}`;
}
