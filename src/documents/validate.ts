import { existsSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { NotUtf8Error, readTextFile, statIfPresent } from '../core/files.js';
import { type CheckedDocument, checkCrossFile } from './cross-file.js';
import { detectKind, kindFromName } from './detect.js';
import { type Diagnostic, sortDiagnostics } from './diagnostics.js';
import type { DocumentKind, GroupChecks, KindContext } from './kind.js';
import { KINDS } from './kinds.js';
import { Reporter } from './report.js';
import { linksOutsideRevision } from './revision-links.js';
import { type ParsedSource, type PathSegment, parseSource, renderedJsonSource } from './source.js';
import { notUtf8 } from './source-text.js';
import { walkDocuments as walk } from './walk.js';

export { detectKind } from './detect.js';
export type { DocumentKind } from './kind.js';

export interface ValidateTextOptions {
  /** Force the kind instead of detecting it. */
  kind?: DocumentKind;
  /** Revision folder: AppSpec `files` sources and hook scripts must exist in it. */
  revisionDir?: string;
  /** The CodeBuild image buildspecs run on: their runtime-versions are checked against its list. */
  codebuildImage?: string;
  /** What deploy refuses for a deployment group's provider (see KindContext). */
  groupChecks?: GroupChecks;
  /** For tests; defaults to node:fs existsSync. */
  fileExists?: (absolutePath: string) => boolean;
}

export interface ValidateTextResult {
  kind?: DocumentKind;
  /** The document (in canonical form for ECS/Lambda AppSpecs); undefined when the text could not be read. */
  value?: unknown;
  diagnostics: Diagnostic[];
}

/** Source problems after which the value is still the document the author wrote (so checks still run). */
const RECOVERABLE = new Set(['source/duplicate-key', 'source/unknown-tag']);

interface CheckedText extends ValidateTextResult {
  source: ParsedSource;
}

/** A document read and its kind told, not yet checked (what decides which checks must be loaded). */
interface Prepared {
  source: ParsedSource;
  kind?: DocumentKind;
  diagnostics: Diagnostic[];
  /** The schema and rules run (the text was read as a document of a known kind). */
  checkable: boolean;
}

function prepare(
  text: string,
  file: string,
  opts: ValidateTextOptions,
  requireKind: boolean,
): Prepared | undefined {
  const source = parseSource(text, file);
  const diagnostics = [...source.diagnostics];
  const blocking = diagnostics.some((d) => d.severity === 'error' && !RECOVERABLE.has(d.ruleId));
  if (blocking || source.value === undefined) {
    const kind = opts.kind ?? kindFromName(file)?.kind;
    if (!kind && !requireKind) return undefined;
    return { ...(kind ? { kind } : {}), diagnostics, source, checkable: false };
  }
  const kind = opts.kind ?? detectKind(file, source.value);
  if (!kind) {
    if (!requireKind) return undefined;
    diagnostics.push({
      ruleId: 'source/unknown-kind',
      severity: 'error',
      file,
      line: 1,
      col: 1,
      message: 'cannot tell whether this is a buildspec, appspec, pipeline or deployment-group file',
      hint: 'name it buildspec.yml / appspec.yml / *pipeline*.json, or pass --kind',
    });
    return { diagnostics, source, checkable: false };
  }
  return { kind, diagnostics, source, checkable: true };
}

function finish(p: Prepared, opts: ValidateTextOptions): CheckedText {
  const { source, kind, diagnostics } = p;
  if (!p.checkable || !kind) return { ...(kind ? { kind } : {}), diagnostics, source };
  const mod = KINDS[kind];
  const reporter = runChecks(kind, source, {
    ...(opts.revisionDir !== undefined ? { revisionDir: opts.revisionDir } : {}),
    ...(opts.codebuildImage !== undefined ? { codebuildImage: opts.codebuildImage } : {}),
    ...(opts.groupChecks ? { groupChecks: opts.groupChecks } : {}),
    fileExists: opts.fileExists ?? existsSync,
    linksOutside: linksOutsideRevision,
  });
  diagnostics.push(...reporter.diagnostics);
  const value = mod.normalize ? mod.normalize(source.value) : source.value;
  return { kind, value, diagnostics: sortDiagnostics(diagnostics), source };
}

function check(
  text: string,
  file: string,
  opts: ValidateTextOptions,
  requireKind: boolean,
): CheckedText | undefined {
  const p = prepare(text, file, opts, requireKind);
  return p && finish(p, opts);
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
  const reporter = runChecks(kind, renderedJsonSource(text, file), { fileExists: existsSync });
  return reporter.diagnostics.map((diagnostic) => ({
    diagnostic,
    path: reporter.paths.get(diagnostic) ?? [],
  }));
}

/** The kind's schema and rules over a parsed source. A rule crashing on odd input is our bug: it is
 * reported as a diagnostic rather than losing the file. */
function runChecks(
  kind: DocumentKind,
  source: ParsedSource,
  opts: Pick<KindContext, 'revisionDir' | 'codebuildImage' | 'groupChecks' | 'fileExists' | 'linksOutside'>,
): Reporter {
  const reporter = new Reporter(source);
  try {
    KINDS[kind].check({ source, value: source.value, reporter, ...opts });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    reporter.diagnostics.push({
      ruleId: 'internal/rule-crash',
      severity: 'error',
      file: source.file,
      line: 1,
      col: 1,
      message: `internal error while checking this file (a bug in Conveyor): ${message}`,
    });
  }
  return reporter;
}

export interface ValidatePathsOptions {
  kind?: DocumentKind;
  cwd: string;
  revisionDir?: string;
  codebuildImage?: string;
  groupChecks?: GroupChecks;
  /** `groupChecks`, loaded only when a run meets a deployment-group file (and used by the workers too). */
  loadGroupChecks?: () => Promise<GroupChecks>;
  /** Paths that may be missing without an error (the default folders). */
  optional?: boolean;
  /** Finding no document is fine (the caller checks other sources, e.g. TS definitions). */
  allowEmpty?: boolean;
  /** Existence checks (revision files, hook scripts). Defaults to existsSync. Runs on this thread only. */
  fileExists?: (absolutePath: string) => boolean;
  /** Every existence check the rules made, with its answer (`--cache` re-checks them), from any thread. */
  probes?: Map<string, boolean>;
  /**
   * Checks a set of at least `threshold` files (default PARALLEL_THRESHOLD) elsewhere, e.g. on worker threads
   * (validate-pool.ts), with the same `groupChecks`; undefined from it means "check here". Not used with
   * `fileExists`, which cannot cross to another thread.
   */
  parallel?: { check: ParallelCheck; threshold?: number };
}

/**
 * Checks jobs elsewhere: one outcome per job, in order (existence checks recorded into `probes`), or
 * undefined. `loadGroupChecks` gives the run's deployment-group checks to files checked on this thread.
 */
export type ParallelCheck = (
  jobs: FileJob[],
  textOpts: PortableTextOptions,
  probes: Map<string, boolean> | undefined,
  loadGroupChecks?: () => Promise<GroupChecks>,
) => Promise<FileOutcome[] | undefined>;

export interface ValidatePathsResult {
  /** The files checked, as displayed in diagnostics. */
  files: string[];
  diagnostics: Diagnostic[];
}

/** One file of a run, in the order its result is reported. */
export interface FileJob {
  abs: string;
  shown: string;
  /** Named by the user (an unknown kind is an error) rather than found in a folder (skipped). */
  explicit: boolean;
  /** The revision folder its AppSpec is checked against, when it is a revision's appspec.yml. */
  revisionDir?: string;
}

/** What checking one file found: what validatePaths merges, on this thread or from a worker. */
export interface FileOutcome {
  /** false for a walked file that is none of our kinds (not reported, not counted). */
  counted: boolean;
  diagnostics: Diagnostic[];
  /** For cross-file rules: the document's kind and value, with its source (or its text, from a worker). */
  doc?: { kind: DocumentKind; value: unknown; source?: ParsedSource; text?: string };
}

/** The options of validateText that can be sent to a worker thread (no functions). */
export type PortableTextOptions = Pick<ValidateTextOptions, 'kind' | 'revisionDir' | 'codebuildImage'>;

/** A file of a run read and prepared, or already decided (unreadable, not a document of ours). */
type PreparedFile =
  | { done: FileOutcome }
  | { done?: undefined; prepared: Prepared; text: string; opts: ValidateTextOptions };

function readAndPrepare(job: FileJob, textOpts: ValidateTextOptions): PreparedFile {
  let text: string;
  try {
    text = readTextFile(job.abs);
  } catch (err) {
    if (err instanceof NotUtf8Error)
      return { done: { counted: true, diagnostics: [notUtf8(job.shown, err)] } };
    return {
      done: {
        counted: true,
        diagnostics: [
          {
            ruleId: 'source/unreadable',
            severity: 'error',
            file: job.shown,
            line: 0,
            col: 0,
            message: `cannot read the file: ${err instanceof Error ? err.message : String(err)}`,
          },
        ],
      },
    };
  }
  const opts = job.revisionDir !== undefined ? { ...textOpts, revisionDir: job.revisionDir } : textOpts;
  const prepared = prepare(text, job.shown, opts, job.explicit);
  if (!prepared) return { done: { counted: false, diagnostics: [] } };
  return { prepared, text, opts };
}

function finishFile(p: PreparedFile, groupChecks: GroupChecks | undefined): FileOutcome {
  if (p.done) return p.done;
  const r = finish(p.prepared, groupChecks ? { ...p.opts, groupChecks } : p.opts);
  const out: FileOutcome = { counted: true, diagnostics: r.diagnostics };
  // Only the kinds cross-file rules read, and their text rather than the parsed tree: a run keeps every
  // such document until the end, and 2,000 YAML trees kept alive made each young-generation collection
  // copy them (positions, rarely needed there, come from parsing the text again: lazySource).
  if ((r.kind === 'pipeline' || r.kind === 'buildspec') && r.value !== undefined)
    out.doc = { kind: r.kind, value: r.value, text: p.text };
  return out;
}

/** Reads and checks one file of a run. Never throws for bad input. */
export function checkFile(job: FileJob, textOpts: ValidateTextOptions): FileOutcome {
  return finishFile(readAndPrepare(job, textOpts), undefined);
}

/**
 * Reads and checks the files of a run (or of a worker's batch). The deploy core's checks of
 * deployment-group files (`loadGroupChecks`, which loads TypeBox and the CodeDeploy mapping) are loaded
 * only when one of the files is a deployment group whose schema and rules will run.
 */
export async function checkFiles(
  jobs: readonly FileJob[],
  textOpts: ValidateTextOptions,
  loadGroupChecks?: () => Promise<GroupChecks>,
): Promise<FileOutcome[]> {
  const prepared = jobs.map((job) => readAndPrepare(job, textOpts));
  const needsGroupChecks =
    !textOpts.groupChecks &&
    loadGroupChecks !== undefined &&
    prepared.some((p) => !p.done && p.prepared.checkable && p.prepared.kind === 'deployment-group');
  const groupChecks = needsGroupChecks ? await loadGroupChecks() : undefined;
  return prepared.map((p) => finishFile(p, groupChecks));
}

/**
 * Validates files and folders (walked recursively; in folders, files that are none of our kinds are
 * skipped). Throws UsageError for a path that does not exist or when no document is found.
 * Cross-file rules run over all documents of the call. With `workers`, a set above the threshold is
 * checked on worker threads; the result is the same, byte for byte.
 */
export async function validatePaths(
  paths: string[],
  opts: ValidatePathsOptions,
): Promise<ValidatePathsResult> {
  const explicit: { abs: string; shown: string }[] = [];
  const walked: { abs: string; shown: string }[] = [];
  const missing: string[] = [];
  const revisionRoots = new Set<string>();
  for (const p of paths) {
    const abs = resolve(opts.cwd, p);
    const st = statIfPresent(abs);
    if (!st) {
      missing.push(p);
      continue;
    }
    if (st.isDirectory()) {
      walk(abs, p, walked);
      // A folder given by name with appspec.yml at its root is a revision: check the AppSpec against it.
      if (!opts.optional) revisionRoots.add(abs);
    } else explicit.push({ abs, shown: p });
  }
  if (missing.length > 0 && !opts.optional) {
    throw new UsageError(
      `${missing.length === 1 ? 'path does not exist' : 'paths do not exist'}: ${missing.join(', ')}`,
    );
  }
  const portable: PortableTextOptions = {
    ...(opts.kind ? { kind: opts.kind } : {}),
    ...(opts.revisionDir ? { revisionDir: resolve(opts.cwd, opts.revisionDir) } : {}),
    ...(opts.codebuildImage ? { codebuildImage: opts.codebuildImage } : {}),
  };
  const jobs: FileJob[] = [];
  const seen = new Set<string>();
  for (const [entry, isExplicit] of [
    ...explicit.map((e) => [e, true] as const),
    ...walked.map((e) => [e, false] as const),
  ]) {
    if (seen.has(entry.abs)) continue;
    seen.add(entry.abs);
    const revisionRoot = dirname(entry.abs);
    const isRevisionAppSpec =
      !portable.revisionDir &&
      revisionRoots.has(revisionRoot) &&
      /^appspec\.ya?ml$/i.test(basename(entry.abs));
    jobs.push({
      ...entry,
      explicit: isExplicit,
      ...(isRevisionAppSpec ? { revisionDir: revisionRoot } : {}),
    });
  }
  let outcomes: FileOutcome[] | undefined;
  if (opts.parallel && !opts.fileExists && jobs.length >= (opts.parallel.threshold ?? PARALLEL_THRESHOLD))
    outcomes = await opts.parallel.check(jobs, portable, opts.probes, groupChecksOf(opts));
  if (!outcomes) {
    const probes = opts.probes;
    const textOpts: ValidateTextOptions = {
      ...portable,
      ...(opts.groupChecks ? { groupChecks: opts.groupChecks } : {}),
      ...(opts.fileExists
        ? { fileExists: opts.fileExists }
        : probes
          ? { fileExists: recordingExists(probes) }
          : {}),
    };
    outcomes = await checkFiles(jobs, textOpts, groupChecksOf(opts));
  }
  const docs: CheckedDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  const files: string[] = [];
  outcomes.forEach((r, i) => {
    if (!r.counted) return;
    const shown = jobs[i]!.shown;
    files.push(shown);
    diagnostics.push(...r.diagnostics);
    if (r.doc)
      docs.push({
        file: shown,
        kind: r.doc.kind,
        value: r.doc.value,
        source: r.doc.source ?? lazySource(r.doc.text ?? '', shown, r.doc.value),
      });
  });
  if (files.length === 0 && !opts.allowEmpty) {
    const where = paths.map((p) => relative(opts.cwd, resolve(opts.cwd, p)) || '.').join(', ');
    throw new UsageError(
      `no buildspec, appspec, pipeline or deployment-group documents found in ${where}`,
      'pass files or folders holding .yml/.yaml/.json definitions, or --kind to force one',
    );
  }
  diagnostics.push(...checkCrossFile(docs));
  return { files, diagnostics: sortDiagnostics(diagnostics) };
}

/** The run's deployment-group checks, given or loaded when first needed. */
function groupChecksOf(opts: ValidatePathsOptions): (() => Promise<GroupChecks>) | undefined {
  const given = opts.groupChecks;
  return given ? async () => given : opts.loadGroupChecks;
}

/**
 * Below this many files a run stays on one thread: starting a worker and compiling the validators in it
 * costs about as much CPU as checking 150-200 files (~1.5 ms each on the corpus), so a smaller set gains
 * nothing from a second core. An estimate from CPU profiles, not a tuned figure.
 */
export const PARALLEL_THRESHOLD = 400;

/** An existsSync that remembers what it was asked (for `--cache`). */
export function recordingExists(probes: Map<string, boolean>): (path: string) => boolean {
  return (path) => {
    const found = existsSync(path);
    probes.set(path, found);
    return found;
  };
}

/**
 * A document checked on a worker, for cross-file rules: its value came back; positions (needed only when
 * a cross-file rule reports on it, which is rare) come from parsing its text again on first use.
 */
function lazySource(text: string, file: string, value: unknown): ParsedSource {
  let parsed: ParsedSource | undefined;
  const get = () => {
    parsed ??= parseSource(text, file);
    return parsed;
  };
  return {
    file,
    value,
    diagnostics: [],
    locate: (path, part) => get().locate(path, part),
    scalarStyle: (path) => get().scalarStyle(path),
    keyAt: (path) => get().keyAt(path),
  };
}
