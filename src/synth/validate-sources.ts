/**
 * `conveyor validate` over TS definition sources. YAML/JSON files go to the validator as before;
 * `.ts`/`.mts` sources are loaded, emitted and checked by synth's planner (the same diagnostics
 * `conveyor synth` reports, without writing anything). Synth, and esbuild with it, is imported only
 * when a TS source is present, so plain YAML validation starts as fast as before.
 */
import { type Dirent, readdirSync } from 'node:fs';
import { basename, extname, relative, resolve, sep } from 'node:path';
import { statIfPresent } from '../core/files.js';
import { compareDiagnostics, type Diagnostic } from '../documents/diagnostics.js';
import { type ValidatePathsOptions, type ValidatePathsResult, validatePaths } from '../documents/validate.js';

/** A diagnostic from a TS source may be located by a logical path instead of a line. */
export interface SourceDiagnostic extends Diagnostic {
  /** Export and path inside the emitted document, e.g. `default › stages[1].actions[0]`. */
  where?: string;
}

export interface ValidateSourcesResult extends ValidatePathsResult {
  diagnostics: SourceDiagnostic[];
}

/** The synth layout: in a walked folder, only TS files under one of these are definition sources. */
const SOURCE_FOLDER_NAMES = new Set(['pipelines', 'appspec', 'buildspec']);
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'coverage', '.conveyor', 'conveyor.out']);

export function isTsSource(name: string): boolean {
  const ext = extname(name);
  return (ext === '.ts' || ext === '.mts') && !/\.d\.m?ts$/.test(name);
}

/** As synth: `_`-prefixed files and folders are helpers, `*.test.ts`/`*.spec.ts` are tests. */
function isHelperOrTest(relPath: string): boolean {
  return relPath.split('/').some((s) => s.startsWith('_')) || /\.(test|spec)\.m?ts$/.test(relPath);
}

/**
 * Synchronous, paths by concatenation (as documents/walk.ts): one awaited readdir per folder made a large
 * run wait tens of milliseconds here before the first document was read.
 */
function walkTs(dir: string, shown: string, out: string[]): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return; // The validator reports unreadable paths.
  }
  const base = dir.endsWith(sep) ? dir : dir + sep;
  const prefix = shown === '.' ? '' : `${shown.replace(/\/+$/, '')}/`;
  for (const e of entries) {
    if (e.isDirectory()) {
      if (SKIP_DIRS.has(e.name) || e.name.startsWith('.')) continue;
      walkTs(base + e.name, prefix + e.name, out);
    } else if (e.isFile() && isTsSource(e.name)) {
      out.push(prefix + e.name);
    }
  }
}

function toPosix(p: string): string {
  return p.split(sep).join('/');
}

/**
 * Validates the given files and folders: YAML/JSON through `validatePaths`, TS sources through synth.
 * A path given explicitly that is a `.ts`/`.mts` file is always loaded; in folders, TS files count
 * when they lie under a `pipelines/`, `appspec/` or `buildspec/` folder (or the folder given is one)
 * and are not helpers or tests.
 */
export async function validateWithSources(
  paths: readonly string[],
  opts: ValidatePathsOptions & { signal?: AbortSignal },
): Promise<ValidateSourcesResult> {
  const documentPaths: string[] = [];
  /** Root-relative path (how synth loads it) → how the user named it. */
  const tsSources = new Map<string, string>();
  const addTs = (shown: string) => {
    const rel = toPosix(relative(opts.cwd, resolve(opts.cwd, shown)));
    if (!tsSources.has(rel)) tsSources.set(rel, shown);
  };
  for (const p of paths) {
    const abs = resolve(opts.cwd, p);
    const st = statIfPresent(abs);
    if (st?.isFile() && isTsSource(p)) {
      addTs(p);
      continue;
    }
    documentPaths.push(p); // Missing paths too: the validator reports them.
    if (st?.isDirectory()) {
      const found: string[] = [];
      walkTs(abs, p, found);
      for (const shown of found.sort()) {
        const rel = toPosix(relative(opts.cwd, resolve(opts.cwd, shown)));
        // Folders above the project root do not count: only the layout inside it does.
        const where = rel.startsWith('../') ? toPosix(resolve(opts.cwd, shown)) : rel;
        const underSourceFolder =
          SOURCE_FOLDER_NAMES.has(basename(abs)) ||
          where
            .split('/')
            .slice(0, -1)
            .some((s) => SOURCE_FOLDER_NAMES.has(s));
        if (underSourceFolder && !isHelperOrTest(rel)) addTs(shown);
      }
    }
  }

  const documents: ValidatePathsResult =
    documentPaths.length > 0
      ? await validatePaths(documentPaths, { ...opts, ...(tsSources.size > 0 ? { allowEmpty: true } : {}) })
      : { files: [], diagnostics: [] };
  if (tsSources.size === 0) return documents;

  const { planSynth } = await import('./synth.js');
  const plan = await planSynth({
    root: opts.cwd,
    files: [...tsSources.keys()],
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const fromSources: SourceDiagnostic[] = plan.diagnostics.map((d) => ({
    ruleId: d.ruleId,
    severity: d.severity,
    file: tsSources.get(d.file) ?? d.file,
    line: d.line,
    col: d.col,
    ...(d.where ? { where: d.where } : {}),
    message: d.message,
    ...(d.hint ? { hint: d.hint } : {}),
  }));
  return {
    files: [...documents.files, ...tsSources.values()],
    diagnostics: [...documents.diagnostics, ...fromSources].sort(compareSourceDiagnostics),
  };
}

function compareSourceDiagnostics(a: SourceDiagnostic, b: SourceDiagnostic): number {
  const byPosition = a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col;
  const aw = a.where ?? '';
  const bw = b.where ?? '';
  return byPosition || (aw < bw ? -1 : aw > bw ? 1 : 0) || compareDiagnostics(a, b);
}

export { formatSourceDiagnostic } from '../documents/diagnostics.js';
