import type { KindContext, KindModule } from '../kind.js';
import { isRecord } from '../report.js';
import { reportSchemaErrors } from '../schema-report.js';
import type { PathSegment } from '../source.js';
import { getValidator } from '../validators.js';
import { checkBuildspecRules } from './rules.js';

const PHASE_NAMES = new Set(['install', 'pre_build', 'build', 'post_build']);
const BATCH_KEYS = new Set(['build-list', 'build-matrix', 'build-graph', 'build-fanout', 'fast-fail']);

function explainUnknownKey(path: readonly PathSegment[], key: string) {
  if (path.length === 1) {
    if (PHASE_NAMES.has(key))
      return {
        message: `\`${key}\` is a phase written at the top level, where CodeBuild ignores it`,
        hint: 'indent it under `phases:`',
      };
    if (BATCH_KEYS.has(key))
      return {
        message: `\`${key}\` belongs under \`batch:\`; at the top level CodeBuild ignores it`,
        hint: 'indent it under `batch:`',
      };
    if (key === 'hooks' || key === 'os' || key === 'files')
      return { message: `\`${key}\` is an AppSpec key, not a buildspec key; CodeBuild ignores it` };
  }
  if (path.length === 3 && path[0] === 'phases') {
    if (PHASE_NAMES.has(key))
      return {
        message: `phase \`${key}\` is indented inside \`${String(path[1])}\`, where CodeBuild ignores it (its commands never run)`,
        hint: 'outdent it to sit directly under `phases:`',
      };
    if (['artifacts', 'reports', 'cache', 'env'].includes(key))
      return {
        message: `\`${key}\` is indented inside phase \`${String(path[1])}\`, where CodeBuild ignores it; it is a top-level key`,
        hint: 'outdent it to the top level',
      };
  }
  return undefined;
}

/**
 * Schema errors the buildspec rules report better themselves (rules.ts):
 * - a number or boolean where CodeBuild takes a command: CodeBuild reads any scalar as its text
 *   (`buildspec/non-string-command`);
 * - an empty command item (`buildspec/empty-command`) or an empty `commands:` (`buildspec/phase-commands`);
 * - an unknown phase name (`buildspec/unknown-phase`, an error like an unknown AppSpec hook).
 */
function reportedByRules(
  path: readonly PathSegment[],
  e: { keyword: string; data?: unknown; params?: unknown },
): boolean {
  if (path.length === 1 && path[0] === 'phases' && e.keyword === 'additionalProperties') return true;
  if (path[0] !== 'phases' || (path[2] !== 'commands' && path[2] !== 'finally')) return false;
  if (e.keyword !== 'type' && e.keyword !== 'anyOf') return false;
  return typeof e.data === 'number' || typeof e.data === 'boolean' || e.data === null;
}

function detect(value: unknown): number {
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

function check(ctx: KindContext): void {
  const v = getValidator('buildspec');
  if (!v(ctx.value))
    reportSchemaErrors(v.errors ?? [], ctx.reporter, {
      prefix: 'buildspec',
      explainUnknownKey,
      skip: reportedByRules,
    });
  checkBuildspecRules(ctx);
}

export const buildspecKind: KindModule = { kind: 'buildspec', detect, check };
