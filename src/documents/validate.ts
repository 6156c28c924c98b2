/**
 * Checking one document's text (validateText) or Conveyor's own rendered JSON (validateRenderedJson),
 * synchronously, with every kind's checks loaded (kinds.ts). Runs over files live in validate-files.ts.
 */
import { existsSync } from 'node:fs';
import { type Diagnostic, sortDiagnostics } from './diagnostics.js';
import type { DocumentKind } from './kind.js';
import { KINDS } from './kinds.js';
import type { PathSegment } from './source.js';
import { renderedJsonSource } from './source.js';
import {
  type CheckedText,
  finish,
  prepare,
  runChecks,
  type ValidateTextOptions,
  type ValidateTextResult,
} from './validate-files.js';

export { detectKind } from './detect.js';
export type { DocumentKind } from './kind.js';
export {
  checkFiles,
  type FileJob,
  type FileOutcome,
  PARALLEL_THRESHOLD,
  type ParallelCheck,
  type PortableTextOptions,
  recordingExists,
  type ValidatePathsOptions,
  type ValidatePathsResult,
  type ValidateTextOptions,
  type ValidateTextResult,
  validatePaths,
} from './validate-files.js';

function check(
  text: string,
  file: string,
  opts: ValidateTextOptions,
  requireKind: boolean,
): CheckedText | undefined {
  const p = prepare(text, file, opts, requireKind);
  return p && finish(p, opts, KINDS);
}

/** Validates one document's text. Never throws for bad input. */
export function validateText(text: string, file: string, opts: ValidateTextOptions = {}): ValidateTextResult {
  const r = check(text, file, opts, true)!;
  const out: ValidateTextResult = { diagnostics: sortDiagnostics(r.diagnostics) };
  if (r.kind) out.kind = r.kind;
  if (r.value !== undefined) out.value = r.value;
  return out;
}

/** A diagnostic with the path (in the document) it was reported at. */
export interface PathDiagnostic {
  diagnostic: Diagnostic;
  path: readonly PathSegment[];
}

/**
 * Validates JSON that Conveyor rendered itself (synth's pipelines), by path instead of position: the
 * same schema and rules as validateText, without building a positioned YAML tree of the text.
 */
export function validateRenderedJson(text: string, file: string, kind: DocumentKind): PathDiagnostic[] {
  const reporter = runChecks(KINDS[kind], renderedJsonSource(text, file), { fileExists: existsSync });
  return reporter.diagnostics.map((diagnostic) => ({
    diagnostic,
    path: reporter.paths.get(diagnostic) ?? [],
  }));
}
