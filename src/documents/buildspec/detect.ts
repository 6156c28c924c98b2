/**
 * Telling a buildspec from the other kinds, apart from its checks: detection runs on every file of a run, the
 * checks load only for the kinds found (documents/load-kinds.ts).
 */
import { isRecord } from '../report.js';

/** How surely a parsed value is a buildspec (0 to 1), from its content alone. */
export function detectBuildspec(value: unknown): number {
  if (!isRecord(value)) return 0;
  let score = 0;
  if (isRecord(value.phases)) score += 0.7;
  if (value.version === 0.2 || value.version === 0.1 || value.version === '0.2' || value.version === '0.1')
    score += 0.4;
  if (isRecord(value.batch)) score += 0.5;
  if (isRecord(value.env) || isRecord(value.artifacts) || isRecord(value.cache) || isRecord(value.reports))
    score += 0.2;
  if ('os' in value || 'hooks' in value || 'pipeline' in value || 'Resources' in value) score -= 0.5;
  return Math.max(0, Math.min(1, score));
}
