/**
 * GitHub Actions workflow commands, one per diagnostic, which GitHub shows as annotations on the pull
 * request: `::error file=F,line=L,col=C,endLine=…,endColumn=…,title=rule-id::message`. Escaping follows
 * the runner's toolkit (`@actions/core` `toCommandValue`/`escapeProperty`): `%`, CR and LF everywhere, and
 * also `:` and `,` inside properties, where they would end a value.
 */
import type { ReportedDiagnostic } from './findings.js';

const COMMAND: Record<ReportedDiagnostic['severity'], string> = {
  error: 'error',
  warning: 'warning',
  info: 'notice',
};

export function escapeData(s: string): string {
  return s.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

export function escapeProperty(s: string): string {
  return escapeData(s).replaceAll(':', '%3A').replaceAll(',', '%2C');
}

export function githubCommand(d: ReportedDiagnostic): string {
  const props: [string, string | number][] = [['file', d.file]];
  if (d.line > 0) {
    props.push(['line', d.line]);
    if (d.col > 0) props.push(['col', d.col]);
    if (d.endLine !== undefined && d.endLine > 0) props.push(['endLine', d.endLine]);
    if (d.endCol !== undefined && d.endCol > 0) props.push(['endColumn', d.endCol]);
  }
  props.push(['title', d.ruleId]);
  const where = d.where ? `${d.where}: ` : '';
  const hint = d.hint ? ` (${d.hint})` : '';
  const properties = props.map(([k, v]) => `${k}=${escapeProperty(String(v))}`).join(',');
  return `::${COMMAND[d.severity]} ${properties}::${escapeData(`${where}${d.message}${hint}`)}`;
}

export function renderGithub(diagnostics: readonly ReportedDiagnostic[]): string {
  return diagnostics.map((d) => `${githubCommand(d)}\n`).join('');
}
