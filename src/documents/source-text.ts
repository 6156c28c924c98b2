/**
 * Checks on a definition file's raw text that need no YAML parser (so callers that avoid loading one stay
 * fast): size, NUL bytes, nothing but comments. `parseSource` makes them too, with the same rule ids.
 */
import type { NotUtf8Error } from '../core/files.js';
import type { Diagnostic } from './diagnostics.js';

/** Flow nesting deeper than this is refused before parsing (the parser and our walkers recurse). */
export const MAX_NESTING = 128;
/** Files larger than this are refused with one diagnostic: no AWS definition comes near it. */
export const MAX_SOURCE_BYTES = 2 * 1024 * 1024;

/** True when every line is blank or a comment (a linear check: a regex here can backtrack exponentially). */
export function onlyCommentsOrBlank(text: string): boolean {
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t !== '' && !t.startsWith('#')) return false;
  }
  return true;
}

export function lineColOf(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: end - lineStart + 1 };
}

/**
 * The cheap checks `parseSource` makes before parsing (size, NUL bytes, nothing but comments), for readers
 * with their own parser: they fail at once on a huge or binary file, with the same rule ids as `validate`.
 * Linear in the text; returns the first problem, or undefined when the text is worth parsing.
 */
export function checkSourceText(text: string, file: string): Diagnostic | undefined {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_SOURCE_BYTES) return tooLarge(file, bytes);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // JSON.parse rejects NUL bytes itself, so parseSource reports those as JSON syntax; do the same here.
  const nul = /\.json$/i.test(file) ? -1 : text.indexOf('\0');
  if (nul >= 0) return binary(file, text, nul);
  if (onlyCommentsOrBlank(text)) return empty(file);
  // The parsers recurse: refuse deep nesting before one of them overflows the stack, at the same place
  // `validate` reports it (JSON: where validate's iterative measure of the parsed value reports it).
  const isJson = /\.json$/i.test(file);
  const scan = scanText(text, isJson, MAX_NESTING);
  if (scan.tooDeep !== undefined) {
    return tooDeep(file, isJson ? { line: 1, col: 1 } : lineColOf(text, scan.tooDeep));
  }
  return undefined;
}

/** A definition read by `readTextFile` whose bytes are not UTF-8, as a diagnostic at the first bad byte. */
export function notUtf8(file: string, err: NotUtf8Error): Diagnostic {
  return diagnostic(
    file,
    'source/not-utf8',
    `file is not UTF-8 text: the byte at line ${err.line}, column ${err.col} is not valid UTF-8`,
    { line: err.line, col: err.col },
    'error',
    'save it as UTF-8; CodeBuild, CodePipeline and CodeDeploy read definitions as UTF-8',
  );
}

export function tooDeep(file: string, pos: { line: number; col: number }): Diagnostic {
  return diagnostic(
    file,
    'source/too-deep',
    `nesting is deeper than ${MAX_NESTING} levels; no AWS definition nests this deep`,
    pos,
  );
}

export interface TextScan {
  /** Offset of the first NUL byte (binary content). */
  nul?: number;
  /** Offset where nesting first exceeds the limit. */
  tooDeep?: number;
  /** JSON only: how many object keys the text writes (compared with the parsed value to spot duplicates). */
  jsonKeys: number;
}

const isBlank = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

/**
 * One pass over the text before parsing: finds NUL bytes, flow nesting (`[`/`{` outside strings and
 * comments) and, for YAML, block nesting (indentation plus compact `- - -` markers) beyond `limit`,
 * so hostile input is refused before the parser (whose cost grows with depth) sees it.
 */
export function scanText(text: string, isJson: boolean, limit: number): TextScan {
  let depth = 0;
  let quote = 0;
  let comment = false;
  let jsonKeys = 0;
  let lineStart = true;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return { nul: i, jsonKeys };
    if (quote) {
      if (c === 92 && quote === 34) i++;
      else if (c === quote) {
        quote = 0;
        if (isJson) {
          let j = i + 1;
          while (j < n && isBlank(text.charCodeAt(j))) j++;
          if (text.charCodeAt(j) === 58) jsonKeys++;
        }
      }
      continue;
    }
    if (c === 10) {
      comment = false;
      lineStart = true;
      continue;
    }
    if (comment) continue;
    if (lineStart && !isJson) {
      lineStart = false;
      // Block depth of this line: two spaces of indentation a level, plus each compact `- ` marker.
      let j = i;
      while (j < n && text.charCodeAt(j) === 32) j++;
      let level = (j - i) / 2;
      while (j + 1 < n && text.charCodeAt(j) === 45 && text.charCodeAt(j + 1) === 32) {
        level++;
        j += 2;
        while (j < n && text.charCodeAt(j) === 32) j++;
      }
      if (level > limit) return { tooDeep: i, jsonKeys };
    }
    lineStart = false;
    if (c === 34 || (c === 39 && !isJson)) {
      // A quote opens a string only at the start of a token; `it's` inside a plain scalar does not.
      const prev = i > 0 ? text.charCodeAt(i - 1) : 32;
      if (isJson || isBlank(prev) || prev === 91 || prev === 123 || prev === 44 || prev === 58) quote = c;
    } else if (c === 35 && !isJson) {
      const prev = i > 0 ? text.charCodeAt(i - 1) : 32;
      if (isBlank(prev)) comment = true;
    } else if (c === 91 || c === 123) {
      depth++;
      if (depth > limit) return { tooDeep: i, jsonKeys };
    } else if ((c === 93 || c === 125) && depth > 0) depth--;
  }
  return { jsonKeys };
}

export function tooLarge(file: string, bytes: number): Diagnostic {
  const mb = (bytes / (1024 * 1024)).toFixed(1);
  return diagnostic(
    file,
    'source/too-large',
    `file is ${mb} MB; definition files are read up to ${MAX_SOURCE_BYTES / (1024 * 1024)} MB`,
    { line: 1, col: 1 },
    'error',
    'is this really a buildspec, appspec or pipeline file?',
  );
}

export function binary(file: string, text: string, offset: number): Diagnostic {
  return diagnostic(
    file,
    'source/binary',
    'file contains a NUL byte: it is binary, not YAML or JSON text',
    lineColOf(text, offset),
  );
}

export function empty(file: string): Diagnostic {
  return diagnostic(file, 'source/empty', 'file is empty (nothing but whitespace or comments)', {
    line: 1,
    col: 1,
  });
}

function diagnostic(
  file: string,
  ruleId: string,
  message: string,
  pos: { line: number; col: number },
  severity: Diagnostic['severity'] = 'error',
  hint?: string,
): Diagnostic {
  const d: Diagnostic = { ruleId, severity, file, line: pos.line, col: pos.col, message };
  if (hint) d.hint = hint;
  return d;
}
