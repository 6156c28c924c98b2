import { type RuleId, rules } from './catalog.js';
import type { Diagnostic } from './diagnostics.js';
import type { ParsedSource, PathSegment, SourcePosition } from './source.js';

export interface ReportOptions {
  /** Point at the key rather than the value (unknown keys, duplicate names). */
  part?: 'key' | 'value';
  hint?: string;
  /** Point at this text inside the string at the path (its `occurrence`-th appearance), not the whole string. */
  within?: { text: string; occurrence?: number };
}

/** Collects diagnostics for one file; positions come from the parsed source, severity from the rule catalog. */
export class Reporter {
  readonly diagnostics: Diagnostic[] = [];
  /** The path each diagnostic was reported at, for callers that locate by path rather than position. */
  readonly paths = new Map<Diagnostic, readonly PathSegment[]>();
  constructor(readonly source: ParsedSource) {}

  report(ruleId: RuleId, path: readonly PathSegment[], message: string, opts: ReportOptions = {}): void {
    const pos = opts.within
      ? locateWithin(this.source, path, opts.within.text, opts.within.occurrence)
      : this.source.locate(path, opts.part);
    const d: Diagnostic = {
      ruleId,
      severity: rules[ruleId].severity,
      file: this.source.file,
      line: pos.line,
      col: pos.col,
      endLine: pos.endLine,
      endCol: pos.endCol,
      message,
    };
    if (opts.hint) d.hint = opts.hint;
    this.diagnostics.push(d);
    this.paths.set(d, path);
  }
}

/**
 * Where `needle` is written inside the scalar at `path`: the scalar's position moved to the needle, found
 * in the text as written (quotes and escapes included). Falls back to the whole scalar when the needle is
 * not written literally (e.g. escaped characters inside it, or a folded block scalar).
 */
export function locateWithin(
  source: ParsedSource,
  path: readonly PathSegment[],
  needle: string,
  occurrence = 0,
): SourcePosition {
  const whole = source.locate(path);
  const raw = source.scalarStyle(path)?.text;
  if (raw === undefined || needle === '' || needle.includes('\n')) return whole;
  let at = -1;
  for (let i = 0; i <= occurrence; i++) {
    at = raw.indexOf(needle, at + 1);
    if (at < 0) return whole;
  }
  const before = raw.slice(0, at).split('\n');
  const line = whole.line + before.length - 1;
  const col = before.length === 1 ? whole.col + at : before[before.length - 1]!.length + 1;
  return { line, col, endLine: line, endCol: col + needle.length };
}

/** `phases.build.commands[1]`, or `the top level` for the root. */
export function formatPath(path: readonly PathSegment[]): string {
  if (path.length === 0) return 'the top level';
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z0-9_@-]+$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Short description of a found value for messages: `a mapping`, `the string "x"`, `the number 1`. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing (an empty value)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean') return `the boolean ${value}`;
  return String(value);
}

export function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let v: unknown = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[n]!;
}

export function suggest(found: string, allowed: readonly string[]): string | undefined {
  const lower = found.toLowerCase().replace(/[-_]/g, '');
  const limit = Math.max(1, Math.floor(found.length / 4));
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const a of allowed) {
    const al = a.toLowerCase().replace(/[-_]/g, '');
    // Two words whose lengths differ by more than the limit are further apart than it: no need to measure.
    if (Math.abs(al.length - lower.length) > limit) continue;
    const d = al === lower ? 0 : editDistance(lower, al);
    if (d < bestScore) {
      bestScore = d;
      best = a;
    }
  }
  return best !== undefined && bestScore <= limit ? best : undefined;
}
