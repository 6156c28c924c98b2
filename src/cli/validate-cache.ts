/**
 * `conveyor validate --cache`: the result of a run, kept under `.conveyor/` (or `--cache-location`) and
 * reused when nothing it depends on changed — as ESLint's cache does. The key holds Conveyor's version,
 * the options, the paths asked for, and the name and content hash of every document; the entry also
 * records every existence check the rules made (revision files, hook scripts) and re-checks them. Runs
 * that load TS definition sources are not cached (their imports are not tracked).
 *
 * A hit needs neither the YAML parser nor the validators: this module loads only node built-ins.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { walkDocuments } from '../documents/walk.js';
import type { ReportedDiagnostic } from './formats/findings.js';
import { VERSION } from './version.js';

export const DEFAULT_CACHE_LOCATION = '.conveyor/cache/validate.json';

export interface CachedRun {
  files: string[];
  diagnostics: ReportedDiagnostic[];
}

interface CacheEntry extends CachedRun {
  key: string;
  /** Absolute path → whether it existed when the rules asked. */
  probes: [string, boolean][];
}

/** The file `--cache-location` names: a folder (existing, or ending in `/`) holds `validate.json`. */
export function cacheFile(cwd: string, location: string | undefined): string {
  if (location === undefined) return resolve(cwd, DEFAULT_CACHE_LOCATION);
  const abs = resolve(cwd, location);
  if (/[\\/]$/.test(location) || (existsSync(abs) && !/\.json$/i.test(abs)))
    return join(abs, 'validate.json');
  return abs;
}

/**
 * The key of a run, or undefined when the run cannot be cached (a TS source among the paths). Paths that
 * do not exist make no key either: the validator reports them.
 */
export async function runKey(
  paths: readonly string[],
  cwd: string,
  options: Record<string, unknown>,
): Promise<string | undefined> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ version: VERSION, options, paths }));
  const found: { abs: string; shown: string }[] = [];
  const ts: string[] = [];
  for (const p of paths) {
    const abs = resolve(cwd, p);
    const st = await stat(abs).catch(() => undefined);
    if (!st) {
      if (options.optional) continue;
      return undefined;
    }
    if (st.isDirectory()) await walkDocuments(abs, p, found, ts);
    else if (/\.m?ts$/.test(p)) return undefined;
    else found.push({ abs, shown: p });
    hash.update(`\0${p}:${st.isDirectory() ? 'dir' : 'file'}`);
  }
  if (ts.length > 0) return undefined;
  const contents = await Promise.all(found.map((f) => readFile(f.abs).catch(() => undefined)));
  found.forEach((f, i) => {
    const bytes = contents[i];
    hash.update(`\0${f.shown}\0`);
    hash.update(bytes ? createHash('sha256').update(bytes).digest('hex') : 'unreadable');
  });
  return hash.digest('hex');
}

/** The cached result for `key`, if the entry is for it and every recorded existence check still holds. */
export async function readCache(file: string, key: string): Promise<CachedRun | undefined> {
  let entry: CacheEntry;
  try {
    entry = JSON.parse(await readFile(file, 'utf8')) as CacheEntry;
  } catch {
    return undefined;
  }
  if (entry.key !== key || !Array.isArray(entry.probes)) return undefined;
  for (const [path, existed] of entry.probes) if (existsSync(path) !== existed) return undefined;
  return { files: entry.files, diagnostics: entry.diagnostics };
}

/** Writes the entry atomically (a rename), so a concurrent run never reads half a file. A cache that
 * cannot be written is not an error: the next run validates again. */
export async function writeCache(
  file: string,
  key: string,
  run: CachedRun,
  probes: Map<string, boolean>,
): Promise<void> {
  const entry: CacheEntry = { key, files: run.files, diagnostics: run.diagnostics, probes: [...probes] };
  try {
    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(entry));
    await rename(tmp, file);
  } catch {
    // best effort
  }
}

/** An existsSync that remembers what it was asked, for the cache entry. */
export function recordingExists(probes: Map<string, boolean>): (path: string) => boolean {
  return (path) => {
    const found = existsSync(path);
    probes.set(path, found);
    return found;
  };
}
