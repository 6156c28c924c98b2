/**
 * Loads TS definition sources without a compile step the user runs: esbuild bundles them (to a scratch
 * folder inside the project, so package imports such as 'conveyor' resolve as they would for the
 * source), and Node imports the bundles.
 *
 * Fast path: every source in ONE bundle, imported once (one esbuild output, one module for Node to
 * compile: 200 sources load in a fraction of 200 separate modules). A source that fails to compile or
 * throws while loading fails that bundle as a whole; then each source is bundled and imported on its
 * own, so every error is pinned to its source.
 *
 * What a bundle keeps external: packages (bare specifiers) and plain .js/.mjs/.cjs files, which are
 * imported natively by absolute URL, so a library is loaded once and shared by all sources.
 * TS files a source imports (shared helpers) are bundled in.
 */
import { type Dirent, existsSync, readdirSync } from 'node:fs';
import { mkdir, rm, rmdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BuildOptions, Message, Plugin } from 'esbuild';
import { WorkFailedError } from '../core/errors.js';
import { readFileIfPresent } from '../core/files.js';
import { packageRoot } from '../core/paths.js';

/** Conveyor's own code (a builder that threw): the user's frame is the interesting one. */
const OWN_CODE = [join(packageRoot, 'dist') + sep, join(packageRoot, 'src') + sep];

export type TsLoadResult =
  | { module: Record<string, unknown> }
  | { line: number; col: number; message: string };

const externalJs: Plugin = {
  name: 'conveyor-external-js',
  setup(build) {
    // Only paths that name a .js/.mjs/.cjs file: every other import stays with esbuild (no round trip to us).
    build.onResolve({ filter: /^(\.|\/|file:).*\.(c|m)?js$/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const abs = args.path.startsWith('file:')
        ? fileURLToPath(args.path)
        : resolve(args.resolveDir, args.path);
      if (/\.(c|m)?js$/.test(abs) && existsSync(abs))
        return { path: pathToFileURL(abs).href, external: true };
      return undefined;
    });
  },
};

/**
 * Fast path only: an import of 'conveyor' that resolves to this very installation is pointed at its
 * builders-only entry, dist/define.js (what 'conveyor/define' exports). The full package entry loads
 * the deploy engine, router and AWS code no definition uses: ~160 ms against ~15 ms. Only named
 * imports are redirected; a name the builders entry lacks fails to link, and the sources are then
 * loaded again one by one without the redirect. A namespace or dynamic import of 'conveyor' could use
 * any export, so a file with one keeps the full entry.
 */
function builderEntry(): Plugin {
  const resolved = new Map<string, string | undefined>();
  return {
    name: 'conveyor-builder-entry',
    setup(build) {
      build.onResolve({ filter: /^conveyor$/ }, (args) => {
        if (!resolved.has(args.resolveDir)) resolved.set(args.resolveDir, resolveConveyor(args.resolveDir));
        const light = builderEntryFor(resolved.get(args.resolveDir), readFileIfPresent(args.importer));
        return light ? { path: pathToFileURL(light).href, external: true } : undefined;
      });
    },
  };
}

/** Where `conveyor` resolves from a folder (its package entry file), if anywhere. */
function resolveConveyor(dir: string): string | undefined {
  try {
    return createRequire(join(dir, 'noop.js')).resolve('conveyor');
  } catch {
    return undefined;
  }
}

const WHOLE_MODULE =
  /import\s*\*\s*as\s+[\w$]+\s+from\s*['"]conveyor['"]|import\s*\(\s*['"]conveyor['"]|export\s*\*\s*(as\s+[\w$]+\s+)?from\s*['"]conveyor['"]/;

/**
 * The builders-only entry to load instead of `resolvedEntry`, or undefined to keep it: only when the
 * import resolves to this installation's package entry, the builders entry is built, and the importing
 * file's text (undefined: unknown) has no namespace, dynamic or star import of 'conveyor'.
 */
export function builderEntryFor(
  resolvedEntry: string | undefined,
  importerText: string | undefined,
): string | undefined {
  const light = join(packageRoot, 'dist', 'define.js');
  if (resolvedEntry !== join(packageRoot, 'dist', 'index.js') || !existsSync(light)) return undefined;
  if (importerText === undefined || WHOLE_MODULE.test(importerText)) return undefined;
  return light;
}

function firstError(
  errors: readonly Message[],
  root: string,
  file: string,
): { line: number; col: number; message: string } {
  const e = errors[0];
  const where = e?.location;
  const inFile = where && resolve(root, where.file) === resolve(root, file);
  const elsewhere =
    where && !inFile
      ? ` (in ${relative(root, resolve(root, where.file)).split(sep).join('/')}:${where.line}:${where.column + 1})`
      : '';
  return {
    line: inFile ? where.line : 0,
    col: inFile ? where.column + 1 : 0,
    message: `cannot compile: ${e?.text ?? 'unknown error'}${elsewhere}`,
  };
}

/** Bundles and imports every file (paths relative to root); never throws for a source's mistake. */
export async function loadTsModules(
  root: string,
  files: readonly string[],
  signal?: AbortSignal,
): Promise<Map<string, TsLoadResult>> {
  if (files.length === 0) return new Map();
  // esbuild's API is CommonJS: require() skips the export scan an ESM import() runs over it (~30 ms).
  const esbuild = createRequire(import.meta.url)('esbuild') as Esbuild;
  const stateDir = join(root, '.conveyor');
  const createdStateDir = !existsSync(stateDir);
  const scratch = join(
    stateDir,
    `synth-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
  );
  const options = {
    bundle: true,
    format: 'esm' as const,
    platform: 'node' as const,
    target: 'node20',
    packages: 'external' as const,
    sourcemap: 'inline' as const,
    logLevel: 'silent' as const,
    absWorkingDir: root,
    plugins: [externalJs],
  };
  try {
    await mkdir(scratch, { recursive: true });
    const together =
      files.length > 1 ? await loadTogether(esbuild, options, root, scratch, files, signal) : undefined;
    return together ?? (await loadOneByOne(esbuild, options, root, scratch, files, signal));
  } finally {
    await rm(scratch, { recursive: true, force: true });
    // Leave no trace in a project that had no .conveyor/ folder before.
    if (createdStateDir) await rmdir(stateDir).catch(() => undefined);
  }
}

type Esbuild = typeof import('esbuild');
type BundleOptions = Omit<BuildOptions, 'entryPoints' | 'outdir' | 'outfile' | 'stdin'>;

/** All sources in one bundle; undefined when any of them fails to compile or to load. */
async function loadTogether(
  esbuild: Esbuild,
  options: BundleOptions,
  root: string,
  scratch: string,
  files: readonly string[],
  signal: AbortSignal | undefined,
): Promise<Map<string, TsLoadResult> | undefined> {
  const outfile = join(scratch, 'sources.mjs');
  const contents = files
    .map((file, i) => `export * as s${i} from ${JSON.stringify(join(root, file))};`)
    .join('\n');
  try {
    // No source map: this path only ever reports success (any error is reported by the path below).
    await esbuild.build({
      ...options,
      ...resolutionFor(root, files),
      sourcemap: false,
      stdin: { contents, resolveDir: root, sourcefile: 'conveyor-sources.js', loader: 'js' },
      outfile,
    });
  } catch {
    return undefined;
  }
  throwIfInterrupted(signal);
  let bundle: Record<string, unknown>;
  try {
    bundle = await importUnlessStuck(pathToFileURL(outfile).href, signal);
  } catch {
    throwIfInterrupted(signal);
    return undefined;
  }
  const results = new Map<string, TsLoadResult>();
  for (const [i, file] of files.entries()) {
    results.set(file, { module: bundle[`s${i}`] as Record<string, unknown> });
  }
  return results;
}

/**
 * How the one-bundle path resolves imports. Each plugin callback is a round trip between esbuild and
 * this process, once per import of every source, so plugins are used only when needed: when the
 * sources and their `_` helpers show no namespace, dynamic or star import of 'conveyor', named imports
 * of it become an alias of the builders entry (decided once, no callbacks), and the plugin for plain
 * .js files is kept only when some file imports a relative .js path.
 */
function resolutionFor(
  root: string,
  files: readonly string[],
): Pick<BuildOptions, 'alias' | 'external' | 'plugins'> {
  const texts = [...files, ...helperFiles(root, files)].map((f) => readFileIfPresent(join(root, f)) ?? '');
  const needsJsPlugin = texts.some((t) => RELATIVE_JS_IMPORT.test(t));
  const light = builderEntryFor(resolveConveyor(root), texts.join('\n'));
  const plugins = needsJsPlugin ? [externalJs] : [];
  if (!light) return { plugins: [builderEntry(), ...plugins] };
  return { alias: { conveyor: light }, external: [light], plugins };
}

const RELATIVE_JS_IMPORT = /['"]\.{1,2}\/[^'"]*\.(c|m)?js['"]/;

/** Helper modules (`_` files and folders) beside the sources, which sources commonly import. */
function helperFiles(root: string, files: readonly string[]): string[] {
  const folders = new Set(files.map((f) => f.split('/')[0] as string));
  const found: string[] = [];
  const walk = (rel: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const path = `${rel}/${e.name}`;
      if (e.isDirectory() && e.name !== 'node_modules') walk(path);
      else if (e.isFile() && /\.m?ts$/.test(e.name) && path.split('/').some((seg) => seg.startsWith('_')))
        found.push(path);
    }
  };
  for (const folder of folders) walk(folder);
  return found;
}

/** Each source bundled and imported on its own: every error belongs to exactly one source. */
async function loadOneByOne(
  esbuild: Esbuild,
  options: BundleOptions,
  root: string,
  scratch: string,
  files: readonly string[],
  signal: AbortSignal | undefined,
): Promise<Map<string, TsLoadResult>> {
  const results = new Map<string, TsLoadResult>();
  const perSource = { ...options, outdir: scratch, outExtension: { '.js': '.mjs' } };
  // Stack traces of a throwing source point at the source, not at the bundle.
  process.setSourceMapsEnabled?.(true);
  const entry = (file: string, i: number) => ({ in: join(root, file), out: `s${i}` });
  let built = false;
  try {
    await esbuild.build({ ...perSource, entryPoints: files.map(entry) });
    built = true;
  } catch {
    // One broken source fails the batch: build them one by one to pin each error to its source.
  }
  const ok: number[] = [];
  if (built) for (const i of files.keys()) ok.push(i);
  else {
    for (const [i, file] of files.entries()) {
      try {
        await esbuild.build({ ...perSource, entryPoints: [entry(file, i)] });
        ok.push(i);
      } catch (err) {
        results.set(file, firstError((err as { errors?: Message[] }).errors ?? [], root, file));
      }
    }
  }
  for (const i of ok) {
    const file = files[i] as string;
    throwIfInterrupted(signal);
    try {
      const mod = await importUnlessStuck(pathToFileURL(join(scratch, `s${i}.mjs`)).href, signal);
      results.set(file, { module: mod });
    } catch (err) {
      throwIfInterrupted(signal);
      results.set(file, describeError(err, root, file));
    }
  }
  return results;
}

/**
 * Imports a bundle. A source whose top-level await never settles would otherwise end the process
 * silently with exit 13 when nothing else is left to run (and leave the scratch folder behind):
 * when the event loop drains while the import is pending, it is reported as that source's error.
 */
async function importUnlessStuck(url: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
  let onDrained: (() => void) | undefined;
  let onAbort: (() => void) | undefined;
  const stuck = new Promise<never>((_, reject) => {
    onDrained = () =>
      reject(
        new Error('never finished loading: it awaits something that never settles (a top-level await?)'),
      );
    process.once('beforeExit', onDrained);
    // Ctrl-C while a source is still loading (a slow top-level await): stop waiting for it.
    onAbort = () => reject(new Error('interrupted'));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return (await Promise.race([import(url), stuck])) as Record<string, unknown>;
  } finally {
    if (onDrained) process.off('beforeExit', onDrained);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

/** Loading stops at Ctrl-C: the scratch folder is still removed, and the command exits 1. */
function throwIfInterrupted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new WorkFailedError('interrupted while loading definition sources');
}

/** The error's message, positioned at the first stack frame in project code (source-mapped). */
function describeError(
  err: unknown,
  root: string,
  file: string,
): { line: number; col: number; message: string } {
  if (!(err instanceof Error)) return { line: 0, col: 0, message: `failed to load: ${String(err)}` };
  // The scratch bundle is ours, not the user's: a missing package is named without it.
  const detail = err.message.replace(/ imported from \S*[\\/]\.conveyor[\\/]synth-[^\s]*\.mjs/, '');
  if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
    return { line: 0, col: 0, message: `failed to load: ${detail} (is it installed in this project?)` };
  }
  const frame = (err.stack ?? '')
    .split('\n')
    .slice(1)
    // Only absolute paths and file: URLs: `node:internal/...` frames are Node's own.
    .map((l) => /(?:^|[\s(])((?:file:\/\/)?\/[^():]+):(\d+):(\d+)\)?$/.exec(l.trim()))
    .find((m) => {
      const path = m?.[1]?.startsWith('file:') ? fileURLToPath(m[1]) : m?.[1];
      return (
        path &&
        !path.includes('node_modules') &&
        !path.includes(`${sep}.conveyor${sep}`) &&
        !OWN_CODE.some((d) => path.startsWith(d))
      );
    });
  if (!frame?.[1]) return { line: 0, col: 0, message: `failed to load: ${detail}` };
  const where = relative(root, frame[1].startsWith('file:') ? fileURLToPath(frame[1]) : frame[1])
    .split(sep)
    .join('/');
  if (where === file)
    return { line: Number(frame[2]), col: Number(frame[3]), message: `failed to load: ${detail}` };
  return { line: 0, col: 0, message: `failed to load: ${detail} (at ${where}:${frame[2]}:${frame[3]})` };
}
