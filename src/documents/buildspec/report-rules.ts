/** Report rules: how many report groups a project may have, and the file formats CodeBuild reads. */
import type { KindContext } from '../kind.js';
import { describeValue, formatPath, isRecord } from '../report.js';

const REPORT_FILE_FORMATS = [
  'CUCUMBERJSON',
  'JUNITXML',
  'NUNITXML',
  'NUNIT3XML',
  'TESTNGXML',
  'VISUALSTUDIOTRX',
  'CLOVERXML',
  'COBERTURAXML',
  'JACOCOXML',
  'SIMPLECOV',
] as const;
const MAX_REPORT_GROUPS = 5;

export function checkReports(ctx: KindContext, doc: Record<string, unknown>): void {
  if (!isRecord(doc.reports)) return;
  const groups = Object.keys(doc.reports);
  if (groups.length > MAX_REPORT_GROUPS) {
    ctx.reporter.report(
      'buildspec/report-group-limit',
      ['reports', groups[MAX_REPORT_GROUPS]!],
      `reports lists ${groups.length} report groups; a project may have at most ${MAX_REPORT_GROUPS}`,
      { part: 'key' },
    );
  }
  for (const [name, group] of Object.entries(doc.reports)) {
    if (!isRecord(group) || group['file-format'] === undefined) continue;
    const format = group['file-format'];
    if (
      typeof format === 'string' &&
      (REPORT_FILE_FORMATS as readonly string[]).includes(format.toUpperCase())
    )
      continue;
    ctx.reporter.report(
      'buildspec/report-file-format',
      ['reports', name, 'file-format'],
      `\`${formatPath(['reports', name, 'file-format'])}\` is ${describeValue(format)}; allowed (any case): ${REPORT_FILE_FORMATS.join(', ')}`,
    );
  }
}
