import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
} from 'yaml';
import type { Diagnostic } from './diagnostics.js';
import { indexJson, type JsonNode, type JsonWalked, lineStarts, walkJson } from './json-positions.js';
import { findDuplicateJsonKeys, findJsonSyntaxError } from './json-syntax.js';
import { explainShellTests } from './shell-test-lines.js';
import {
  binary,
  empty,
  lineColOf,
  MAX_NESTING,
  MAX_SOURCE_BYTES,
  onlyCommentsOrBlank,
  scanText,
  type TextScan,
  tooDeep,
  tooLarge,
} from './source-text.js';

export { checkSourceText, MAX_NESTING, MAX_SOURCE_BYTES, scanText, type TextScan } from './source-text.js';

export type PathSegment = string | number;

export interface SourcePosition {
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

/** How a scalar was written in the file: lints look at this to tell `0.0` from `"0.0"`, `0644` from `"0644"`. */
export interface ScalarStyle {
  /** `PLAIN`, `QUOTE_DOUBLE`, `QUOTE_SINGLE`, `BLOCK_LITERAL`, `BLOCK_FOLDED` */
  type: string;
  /** The characters of the scalar as written. */
  text: string;
}

export interface ParsedSource {
  file: string;
  /** The plain JS value; `undefined` when the text could not be read as a document at all. */
  value: unknown;
  /** Problems found while reading the text (syntax, duplicate keys, aliases, size). */
  diagnostics: Diagnostic[];
  /** Where the value at `path` is written. A path that does not exist points at its deepest existing parent. */
  locate(path: readonly PathSegment[], part?: 'key' | 'value'): SourcePosition;
  /** How the scalar at `path` was written, when it is a scalar. */
  scalarStyle(path: readonly PathSegment[]): ScalarStyle | undefined;
  /** The key as written in the file at `path` (keys can match case-insensitively after normalisation). */
  keyAt(path: readonly PathSegment[]): string | undefined;
}

/** Alias expansions allowed while building the value (caps YAML "billion laughs"). */
export const MAX_ALIAS_COUNT = 100;

const START: SourcePosition = { line: 1, col: 1, endLine: 1, endCol: 1 };

function diagnostic(
  file: string,
  ruleId: string,
  message: string,
  pos: Pick<SourcePosition, 'line' | 'col'> & Partial<SourcePosition>,
  severity: Diagnostic['severity'] = 'error',
  hint?: string,
): Diagnostic {
  const d: Diagnostic = { ruleId, severity, file, line: pos.line, col: pos.col, message };
  if (pos.endLine !== undefined) d.endLine = pos.endLine;
  if (pos.endCol !== undefined) d.endCol = pos.endCol;
  if (hint) d.hint = hint;
  return d;
}

/** Object keys and nesting depth of a parsed JSON value (iterative, stops once too deep). */
function measureValue(value: unknown, limit: number): { keys: number; tooDeep: boolean } {
  let keys = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > limit) return { keys, tooDeep: true };
    if (Array.isArray(v)) for (const x of v) stack.push([x, depth + 1]);
    else
      for (const k in v) {
        keys++;
        stack.push([(v as Record<string, unknown>)[k], depth + 1]);
      }
  }
  return { keys, tooDeep: false };
}

function jsonSyntaxDiagnostic(file: string, text: string, err: unknown): Diagnostic {
  const found = findJsonSyntaxError(text);
  if (found) {
    return diagnostic(
      file,
      'source/json-syntax',
      `invalid JSON: ${found.message}`,
      lineColOf(text, found.offset),
      'error',
      found.hint,
    );
  }
  const raw = err instanceof Error ? err.message.split('\n')[0]! : String(err);
  return diagnostic(file, 'source/json-syntax', `invalid JSON: ${raw}`, { line: 1, col: 1 });
}

const YAML_RULES: Record<string, { ruleId: string; message?: string; hint?: string }> = {
  TAB_AS_INDENT: {
    ruleId: 'source/tab-indent',
    message: 'a tab character is used for indentation; YAML allows only spaces',
    hint: 'replace the tabs with spaces; CodeBuild fails such files with YAML_FILE_ERROR',
  },
  DUPLICATE_KEY: {
    ruleId: 'source/duplicate-key',
    message: 'this key is repeated in the same mapping; YAML forbids it and AWS keeps only one of the values',
    hint: 'merge the two entries',
  },
  MULTIPLE_DOCS: {
    ruleId: 'source/multiple-documents',
    message:
      'the file holds more than one YAML document (a `---` line in the middle); AWS reads a single document',
  },
};

/**
 * Parses YAML (or JSON, which is read as YAML 1.2 flow after a strict JSON check) keeping positions.
 * Never throws: every problem with the text becomes a diagnostic.
 */
export function parseSource(text: string, file: string): ParsedSource {
  const diagnostics: Diagnostic[] = [];
  const failed = (d: Diagnostic): ParsedSource => ({
    file,
    value: undefined,
    diagnostics: [d],
    locate: () => ({
      ...START,
      line: d.line || 1,
      col: d.col || 1,
      endLine: d.line || 1,
      endCol: d.col || 1,
    }),
    scalarStyle: () => undefined,
    keyAt: () => undefined,
  });

  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_SOURCE_BYTES) return failed(tooLarge(file, bytes));
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const isJson = /\.json$/i.test(file);
  // JSON.parse rejects NUL bytes and is iterative, so JSON skips the pre-scan (depth is checked after).
  const scan: TextScan = isJson ? { jsonKeys: 0 } : scanText(text, false, MAX_NESTING);
  if (scan.nul !== undefined) return failed(binary(file, text, scan.nul));
  if (onlyCommentsOrBlank(text)) return failed(empty(file));
  if (scan.tooDeep !== undefined) return failed(tooDeep(file, lineColOf(text, scan.tooDeep)));

  const lineCounter = new LineCounter();
  const pos = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  const parseYaml = () =>
    parseDocument(text, {
      lineCounter,
      prettyErrors: false,
      uniqueKeys: true,
      keepSourceTokens: false,
      // No process warnings on stderr (e.g. collection keys): problems are reported as diagnostics.
      logLevel: 'error',
    });

  let doc: Document.Parsed | undefined;
  let value: unknown;
  if (isJson) {
    // Strict JSON first (YAML would forgive trailing commas); the YAML document, only needed for
    // positions, is built lazily the first time a diagnostic needs one.
    try {
      value = JSON.parse(text);
    } catch (err) {
      return failed(jsonSyntaxDiagnostic(file, text, err));
    }
    const shape = measureValue(value, MAX_NESTING);
    if (shape.tooDeep) return failed(tooDeep(file, { line: 1, col: 1 }));
    // Counting keys is cheap; the scan that names the duplicates runs only when the counts differ.
    const written = text.match(/(?<!\\)"\s*:/g)?.length ?? 0;
    const duplicates = written === shape.keys ? [] : findDuplicateJsonKeys(text);
    for (const offset of duplicates) {
      const keyText = /^"((?:[^"\\]|\\.)*)"/.exec(text.slice(offset, offset + 200))?.[1] ?? '';
      diagnostics.push(
        diagnostic(
          file,
          'source/duplicate-key',
          `key \`${keyText}\` is repeated in the same object; JSON readers keep only the last value`,
          lineColOf(text, offset),
          'warning',
          'merge the two entries',
        ),
      );
    }
  } else {
    try {
      doc = parseYaml();
    } catch (err) {
      return failed(unreadable(file, err));
    }
    let reportedSyntax = false;
    for (const e of doc.errors) {
      // After the first syntax error the rest usually cascade from it; duplicate keys are independent.
      if (e.code !== 'DUPLICATE_KEY') {
        if (reportedSyntax) continue;
        reportedSyntax = true;
      }
      const known = YAML_RULES[e.code];
      const start = pos(e.pos[0]);
      const end = pos(e.pos[1]);
      const first = e.message.split('\n')[0] ?? e.message;
      const keyText = (/^[^:\r\n]{1,80}/.exec(text.slice(e.pos[0], e.pos[0] + 200))?.[0] ?? '').trim();
      const message =
        e.code === 'DUPLICATE_KEY'
          ? `key \`${keyText}\` is repeated in the same mapping; YAML forbids it and AWS keeps only one of the values`
          : (known?.message ?? `YAML syntax error: ${first.charAt(0).toLowerCase()}${first.slice(1)}`);
      diagnostics.push(
        diagnostic(
          file,
          known?.ruleId ?? 'source/yaml-syntax',
          message,
          { ...start, endLine: end.line, endCol: end.col },
          'error',
          known?.hint,
        ),
      );
    }
    for (const w of doc.warnings) {
      if (w.code !== 'TAG_RESOLVE_FAILED') continue;
      const tag = /tag: (\S+)/.exec(w.message)?.[1] ?? 'tag';
      diagnostics.push(
        diagnostic(
          file,
          'source/unknown-tag',
          `unknown YAML tag ${tag}: AWS reads these files as plain YAML, where CloudFormation tags such as !Ref do not exist`,
          pos(w.pos[0]),
          'error',
          'write the literal value instead',
        ),
      );
    }
    explainShellTests(text, diagnostics);
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      if (err instanceof ReferenceError || /alias/i.test(String(err))) {
        const alias = firstAliasOffset(doc);
        diagnostics.push(
          diagnostic(
            file,
            'source/alias-limit',
            `YAML aliases expand to too many nodes (more than ${MAX_ALIAS_COUNT} alias uses): refusing to expand a possible "billion laughs" document`,
            alias === undefined ? { line: 1, col: 1 } : pos(alias),
          ),
        );
      } else {
        diagnostics.push(unreadable(file, err));
      }
      value = undefined;
    }
  }

  const getDoc = (): Document.Parsed => {
    doc ??= parseYaml();
    return doc;
  };
  // JSON is located over its own index (json-positions.ts): building the YAML tree of a large JSON file
  // only to place one diagnostic cost far more than validating it. Same ranges, same positions.
  let json: JsonNode | undefined;
  const jsonIndex = (): JsonNode => {
    if (!json) {
      json = indexJson(text);
      for (const offset of lineStarts(text)) lineCounter.addNewLine(offset);
    }
    return json;
  };
  const walk = (path: readonly PathSegment[]): Walked =>
    isJson ? fromJson(walkJson(jsonIndex(), path)) : fromYaml(walkPath(getDoc(), path));
  const rootRange = (): Range | undefined => {
    if (isJson) return jsonIndex().range;
    const contents = getDoc().contents;
    return isNodeLike(contents) ? contents.range : undefined;
  };
  const rangePos = (range: Range | null | undefined): SourcePosition | undefined => {
    if (!range) return undefined;
    const s = pos(range[0]);
    const e = pos(range[1]);
    return { line: s.line, col: s.col, endLine: e.line, endCol: e.col };
  };

  return {
    file,
    value,
    diagnostics,
    locate(path, part = 'value') {
      try {
        const w = walk(path);
        const keyPos = w.key ? rangePos(w.key.range) : undefined;
        if (w.complete) {
          if (part === 'key' && keyPos) return keyPos;
          if (w.node?.collection && keyPos) {
            const whole = rangePos(w.node.range);
            return whole
              ? { line: keyPos.line, col: keyPos.col, endLine: whole.endLine, endCol: whole.endCol }
              : keyPos;
          }
          const nodePos = w.node ? rangePos(w.node.range) : undefined;
          if (nodePos) return nodePos;
          if (keyPos) return keyPos;
        } else {
          if (keyPos) return keyPos;
          const nodePos = w.node ? rangePos(w.node.range) : undefined;
          if (nodePos) return nodePos;
        }
        const contentPos = rangePos(rootRange());
        return contentPos ? { ...contentPos, endLine: contentPos.line, endCol: contentPos.col } : START;
      } catch {
        return START;
      }
    },
    scalarStyle(path) {
      const w = walk(path);
      if (!w.complete || w.node?.scalarType === undefined || !w.node.range) return undefined;
      return { type: w.node.scalarType, text: text.slice(w.node.range[0], w.node.range[1]) };
    },
    keyAt(path) {
      const w = walk(path);
      if (!w.complete || !w.key) return undefined;
      return w.key.text;
    },
  };
}

/**
 * A ParsedSource for JSON that Conveyor rendered itself (`JSON.stringify`), read back with JSON.parse.
 * It has no positions: its caller reports by path (synth maps a path back to the TS source that
 * defined the value). Skipping the YAML node tree parseSource builds saves most of the cost of
 * checking emitted pipelines. Scalar styles are what JSON text always has: strings double-quoted,
 * everything else plain.
 */
export function renderedJsonSource(text: string, file: string): ParsedSource {
  const value: unknown = JSON.parse(text);
  const at = (path: readonly PathSegment[]): { found: boolean; value: unknown } => {
    let v: unknown = value;
    for (const seg of path) {
      if (v === null || typeof v !== 'object' || !Object.hasOwn(v, seg))
        return { found: false, value: undefined };
      v = (v as Record<string | number, unknown>)[seg];
    }
    return { found: true, value: v };
  };
  return {
    file,
    value,
    diagnostics: [],
    locate: () => START,
    scalarStyle(path) {
      const { found, value: v } = at(path);
      if (!found || (v !== null && typeof v === 'object')) return undefined;
      return typeof v === 'string'
        ? { type: 'QUOTE_DOUBLE', text: JSON.stringify(v) }
        : { type: 'PLAIN', text: JSON.stringify(v) };
    },
    keyAt(path) {
      const last = path[path.length - 1];
      return typeof last === 'string' && at(path).found ? last : undefined;
    },
  };
}

function unreadable(file: string, err: unknown): Diagnostic {
  if (err instanceof RangeError) {
    return diagnostic(
      file,
      'source/too-deep',
      'nesting is too deep to read; no AWS definition nests this deep',
      { line: 1, col: 1 },
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return diagnostic(file, 'source/yaml-syntax', `cannot read the file as YAML: ${message}`, {
    line: 1,
    col: 1,
  });
}

function isNodeLike(x: unknown): x is Node {
  return typeof x === 'object' && x !== null && 'range' in x;
}

function firstAliasOffset(doc: Document.Parsed): number | undefined {
  let found: number | undefined;
  const stack: unknown[] = [doc.contents];
  let steps = 0;
  while (stack.length > 0 && found === undefined && steps++ < 100_000) {
    const n = stack.pop();
    if (isAlias(n)) found = n.range?.[0];
    else if (isMap(n)) for (const p of n.items) stack.push(p.value, p.key);
    else if (isSeq(n)) for (let i = n.items.length - 1; i >= 0; i--) stack.push(n.items[i]);
  }
  return found;
}

function keyText(pair: Pair): string | undefined {
  const k = pair.key;
  if (isScalar(k)) return String(k.value);
  if (k === null || k === undefined) return '';
  return typeof k === 'object' ? undefined : String(k);
}

type Range = readonly [number, number, ...number[]];

/** What a path leads to, read from either tree: the value reached and the key of the last pair passed. */
interface Walked {
  node: { range: Range | undefined; collection: boolean; scalarType: string | undefined } | undefined;
  key: { range: Range | undefined; text: string | undefined } | undefined;
  complete: boolean;
}

function fromYaml(w: YamlWalked): Walked {
  const n = w.node;
  const k = w.pair?.key;
  return {
    node: n && {
      range: n.range ?? undefined,
      collection: isMap(n) || isSeq(n),
      scalarType: isScalar(n) ? String(n.type ?? 'PLAIN') : undefined,
    },
    key: w.pair && {
      range: isNodeLike(k) ? (k.range ?? undefined) : undefined,
      text: isScalar(k) ? String(k.value) : undefined,
    },
    complete: w.complete,
  };
}

function fromJson(w: JsonWalked): Walked {
  const n = w.node;
  return {
    node: n && {
      range: n.range,
      collection: n.kind !== 'scalar',
      scalarType: n.kind === 'scalar' ? (n.quoted ? 'QUOTE_DOUBLE' : 'PLAIN') : undefined,
    },
    key: w.pair && { range: w.pair.keyRange, text: w.pair.key },
    complete: w.complete,
  };
}

interface YamlWalked {
  node: Node | undefined;
  pair: Pair | undefined;
  complete: boolean;
}

/** Follows `path` through maps and sequences. Keys match exactly first, then case-insensitively. */
function walkPath(doc: Document.Parsed, path: readonly PathSegment[]): YamlWalked {
  let node: unknown = doc.contents;
  let pair: Pair | undefined;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const key = String(seg);
      let found = node.items.find((p) => isPair(p) && keyText(p) === key);
      if (!found) {
        const lower = key.toLowerCase();
        found = node.items.find((p) => isPair(p) && keyText(p)?.toLowerCase() === lower);
      }
      if (!found) return { node: node as Node, pair, complete: false };
      pair = found as Pair;
      node = pair.value ?? undefined;
      if (node === undefined) return { node: undefined, pair, complete: i === path.length - 1 };
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined || item === null) return { node: node as Node, pair, complete: false };
      node = item;
      pair = undefined;
    } else {
      return { node: node as Node | undefined, pair, complete: false };
    }
  }
  return { node: node as Node | undefined, pair, complete: true };
}
