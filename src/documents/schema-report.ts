import type { ErrorObject } from 'ajv';
import type { RuleId } from './catalog.js';
import { describeValue, formatPath, type Reporter, suggest } from './report.js';
import type { PathSegment } from './source.js';

/** A compiled validator as ajv (or its standalone output) produces it. */
export interface CompiledValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

export interface SchemaReportOptions {
  /** Rule-id prefix: `buildspec`, `appspec`, `pipeline`, `deployment-group`. */
  prefix: 'buildspec' | 'appspec' | 'pipeline' | 'deployment-group';
  /** A kind may explain an unknown key better (a hook pasted at the top level, a buildspec key in an appspec). */
  explainUnknownKey?: (
    path: readonly PathSegment[],
    key: string,
  ) => { message: string; hint?: string } | undefined;
  /** Paths (joined by `/`) whose errors the kind reports itself with a better message. */
  skip?: (path: readonly PathSegment[], error: ErrorObject) => boolean;
}

function decodePointer(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

function where(path: readonly PathSegment[]): string {
  return path.length === 0 ? 'the top level' : `\`${formatPath(path)}\``;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'a boolean',
  object: 'a mapping',
  array: 'a list',
  null: 'empty',
};

function typeName(t: unknown): string {
  if (Array.isArray(t)) return t.map(typeName).join(' or ');
  return TYPE_NAMES[String(t)] ?? String(t);
}

/** Union branches described for "expected X or Y" messages. */
function branchDescription(schema: unknown): string {
  if (typeof schema !== 'object' || schema === null) return 'a valid value';
  const s = schema as Record<string, unknown>;
  if (s.description && typeof s.description === 'string' && s.type === undefined) return s.description;
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return s.enum.map((e) => JSON.stringify(e)).join(' or ');
  if (s.type === 'array' && typeof s.items === 'object' && s.items !== null) {
    const items = s.items as Record<string, unknown>;
    return `a list of ${typeName(items.type ?? 'value').replace(/^an? /, '')}s`;
  }
  if (s.type !== undefined) return typeName(s.type);
  if (Array.isArray(s.anyOf)) return s.anyOf.map(branchDescription).join(' or ');
  return 'a valid value';
}

/** "exactly 1 entry", "1 to 3 entries", "at least 2 keys": `unit` is [singular, plural], omitted for plain numbers. */
function rangeText(min: unknown, max: unknown, unit?: [string, string]): string {
  const count = (n: number) => (unit ? `${n} ${n === 1 ? unit[0] : unit[1]}` : `${n}`);
  if (typeof min === 'number' && typeof max === 'number')
    return min === max ? `exactly ${count(min)}` : `${min} to ${count(max)}`;
  if (typeof min === 'number') return `at least ${count(min)}`;
  if (typeof max === 'number') return `at most ${count(max)}`;
  return 'a different size';
}

/**
 * Turns ajv errors into diagnostics with positions. Union failures collapse into one message
 * ("must be a string or a list of strings, found a mapping") unless a branch matched the type and
 * failed deeper, in which case only the deeper errors are kept.
 */
export function reportSchemaErrors(
  errors: readonly ErrorObject[],
  reporter: Reporter,
  opts: SchemaReportOptions,
): void {
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const dropped = new Set<ErrorObject>();
  for (const u of unions) {
    const prefix = `${u.schemaPath}/`;
    const branches = errors.filter((e) => e !== u && e.schemaPath.startsWith(prefix));
    const byBranch = new Map<string, ErrorObject[]>();
    for (const b of branches) {
      const index = b.schemaPath.slice(prefix.length).split('/')[0]!;
      byBranch.set(index, [...(byBranch.get(index) ?? []), b]);
    }
    // A branch whose type matched the value (no type/const/enum error at the union's own path) says
    // more than the union: keep its errors (unknown keys, deeper problems) and drop the rest.
    const typeMiss = (e: ErrorObject) =>
      e.instancePath === u.instancePath &&
      (e.keyword === 'type' || e.keyword === 'const' || e.keyword === 'enum');
    const typeMatching = [...byBranch.values()].filter((errs) => !errs.some(typeMiss));
    // Among object branches, the one whose required keys are present is the one the author meant
    // (`s3:` given: report the S3 branch's problems, not the missing `github` of another branch).
    const requiredMiss = (e: ErrorObject) => e.instancePath === u.instancePath && e.keyword === 'required';
    const keyMatching = typeMatching.filter((errs) => !errs.some(requiredMiss));
    const matching = keyMatching.length > 0 ? keyMatching : typeMatching;
    if (matching.length > 0) {
      dropped.add(u);
      const keep = new Set(matching.flat());
      for (const b of branches) if (!keep.has(b)) dropped.add(b);
    } else {
      for (const b of branches) dropped.add(b);
    }
  }
  const seen = new Set<string>();
  for (const e of errors) {
    if (dropped.has(e)) continue;
    const path = decodePointer(e.instancePath);
    if (opts.skip?.(path, e)) continue;
    const key = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    reportOne(e, path, reporter, opts);
  }
}

/**
 * What happens to an unknown key, said in the message. AWS silently ignores unknown buildspec and
 * appspec keys; the AWS CLI rejects unknown pipeline parameters (the message needs no aside); only
 * Conveyor reads deployment-group files.
 */
const UNKNOWN_KEY_CONSEQUENCE: Record<string, string> = {
  pipeline: '',
  'deployment-group': ' (not a key Conveyor knows: probably a typo)',
};

function reportOne(e: ErrorObject, path: PathSegment[], reporter: Reporter, opts: SchemaReportOptions): void {
  const p = opts.prefix;
  const data = e.data;
  const parent = (e.parentSchema ?? {}) as Record<string, unknown>;
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      const at = path.length === 0 ? 'at the top level' : `in ${where(path)}`;
      reporter.report(`${p}/missing-key` as RuleId, path, `missing required key \`${missing}\` ${at}`);
      return;
    }
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const keyPath = [...path, key];
      const special = opts.explainUnknownKey?.(keyPath, key);
      const allowed = Object.keys((parent.properties as Record<string, unknown> | undefined) ?? {});
      const guess = suggest(key, allowed);
      const ignored = UNKNOWN_KEY_CONSEQUENCE[p] ?? ' (AWS ignores it)';
      const message =
        special?.message ??
        `unknown key \`${key}\` ${path.length === 0 ? 'at the top level' : `in ${where(path)}`}${ignored}; allowed keys: ${allowed.join(', ') || 'none'}`;
      const hint = special?.hint ?? (guess ? `did you mean \`${guess}\`?` : undefined);
      reporter.report(`${p}/unknown-key` as RuleId, keyPath, message, {
        part: 'key',
        ...(hint ? { hint } : {}),
      });
      return;
    }
    case 'type': {
      let hint: string | undefined;
      if (data !== null && typeof data === 'object' && !Array.isArray(data) && params.type === 'string') {
        hint = 'an unquoted `: ` makes YAML read text as a key and value: quote the whole string';
      }
      if ((typeof data === 'boolean' || typeof data === 'number') && params.type === 'string') {
        hint = `quote it: "${String(data)}"`;
      }
      if (data === null && params.type === 'string' && typeof path[path.length - 1] === 'number') {
        hint = 'a `- ` entry with nothing after it, or only a comment, is empty: remove it';
      }
      reporter.report(
        `${p}/invalid-type` as RuleId,
        path,
        `${where(path)} must be ${typeName(params.type)}, found ${describeValue(data)}`,
        hint ? { hint } : {},
      );
      return;
    }
    case 'anyOf':
    case 'oneOf': {
      const branches = (Array.isArray(e.schema) ? e.schema : []) as Record<string, unknown>[];
      if (branches.length > 0 && branches.every((b) => b && b.const !== undefined)) {
        if (typeof parent.description === 'string') {
          const message = `${where(path)} is ${describeValue(data)}; allowed: ${parent.description}`;
          reporter.report(`${p}/invalid-value` as RuleId, path, message);
          return;
        }
        const allowedValues = [...new Set(branches.map((b) => b.const))];
        reportOne({ ...e, keyword: 'enum', params: { allowedValues } }, path, reporter, opts);
        return;
      }
      const expected =
        typeof parent.description === 'string'
          ? parent.description
          : branches.map(branchDescription).join(' or ');
      reporter.report(
        `${p}/invalid-type` as RuleId,
        path,
        `${where(path)} must be ${expected}, found ${describeValue(data)}`,
      );
      return;
    }
    case 'enum':
    case 'const': {
      const allowed = e.keyword === 'enum' ? (params.allowedValues as unknown[]) : [params.allowedValue];
      const close =
        typeof data === 'string'
          ? allowed.find((a) => typeof a === 'string' && a.toLowerCase() === data.toLowerCase())
          : undefined;
      reporter.report(
        `${p}/invalid-value` as RuleId,
        path,
        `${where(path)} is ${describeValue(data)}; allowed: ${allowed.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(', ')}`,
        close !== undefined ? { hint: `values are case-sensitive: write \`${String(close)}\`` } : {},
      );
      return;
    }
    case 'pattern': {
      const allowed =
        typeof parent.description === 'string' ? parent.description : `the pattern ${String(params.pattern)}`;
      reporter.report(
        `${p}/invalid-value` as RuleId,
        path,
        `${where(path)} is ${describeValue(data)}, which is not allowed; expected ${allowed}`,
      );
      return;
    }
    case 'minLength':
    case 'maxLength': {
      const len = typeof data === 'string' ? data.length : 0;
      if (len === 0 && e.keyword === 'minLength') {
        reporter.report(`${p}/invalid-value` as RuleId, path, `${where(path)} is empty; it needs a value`);
        return;
      }
      reporter.report(
        `${p}/invalid-value` as RuleId,
        path,
        `${where(path)} is ${len} character${len === 1 ? '' : 's'} long; allowed: ${rangeText(parent.minLength, parent.maxLength, ['character', 'characters'])}`,
      );
      return;
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const min =
        parent.minimum ??
        (typeof parent.exclusiveMinimum === 'number' ? parent.exclusiveMinimum + 1 : undefined);
      const max = parent.maximum;
      reporter.report(
        `${p}/invalid-value` as RuleId,
        path,
        `${where(path)} is ${describeValue(data)}; allowed: ${rangeText(min, max)}`,
      );
      return;
    }
    case 'minItems':
    case 'maxItems': {
      const n = Array.isArray(data) ? data.length : 0;
      reporter.report(
        `${p}/invalid-value` as RuleId,
        path,
        `${where(path)} has ${n} ${n === 1 ? 'entry' : 'entries'}; allowed: ${rangeText(parent.minItems, parent.maxItems, ['entry', 'entries'])}`,
      );
      return;
    }
    case 'minProperties':
    case 'maxProperties': {
      const n = data && typeof data === 'object' ? Object.keys(data).length : 0;
      reporter.report(
        `${p}/invalid-value` as RuleId,
        path,
        `${where(path)} has ${n} ${n === 1 ? 'key' : 'keys'}; allowed: ${rangeText(parent.minProperties, parent.maxProperties, ['key', 'keys'])}`,
      );
      return;
    }
    case 'uniqueItems': {
      reporter.report(
        `${p}/invalid-value` as RuleId,
        path,
        `${where(path)} lists the same value twice; entries must be unique`,
      );
      return;
    }
    default:
      reporter.report(`${p}/invalid-value` as RuleId, path, `${where(path)} ${e.message ?? 'is not valid'}`);
  }
}
