/**
 * Checks on a definition file's raw text that need no YAML parser (so callers that avoid loading one stay
 * fast): size, NUL bytes, nothing but comments. `parseSource` makes them too, with the same rule ids.
 */
import type { Diagnostic } from './diagnostics.js';

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
  return undefined;
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
