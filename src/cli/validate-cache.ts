/**
 * `conveyor validate --cache`: the result of a run, kept under `.conveyor/` (or `--cache-location`) and
 * reused when nothing it depends on changed — as ESLint's cache does. The key holds Conveyor's version,
 * the options, the paths asked for, and the name and content hash of every document; the entry also
 * records every existence check the rules made (hook scripts) and re-checks them. Runs that load TS
 * definition sources or check a revision folder are not cached (their imports, files and symlinks are
 * not tracked).
 *
 * A hit needs neither the YAML parser nor the validators: this module loads only node built-ins.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { walkDocuments } from '../documents/walk.js';
import type { ReportedDiagnostic } from './formats/findings.js';
import { VERSION } from './version.js';

const REVISION_APPSPEC = ['appspec.yml', 'appspec.yaml'];

export const DEFAULT_CACHE_LOCATION = '.conveyor/cache/validate.json';

export interface CachedRun {
  files: string[];
  diagnostics: ReportedDiagnostic[];
}

interface CacheEntry extends CachedRun {
  key: string;
  hashes: Hashes;
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
 * Per document: size, mtime and inode when it was hashed, and its content hash (git's index and ESLint's
 * metadata strategy do the same): a file whose three are unchanged is not read again.
 */
type Hashes = Record<string, [size: number, mtimeMs: number, ino: number, hash: string]>;

export interface Lookup {
  /** undefined when the run cannot be cached (a TS source among the paths, a path that does not exist). */
  key?: string;
  hit?: CachedRun;
  hashes: Hashes;
}

/**
 * The cache file's entry, or undefined when there is none or it is damaged (not JSON, or not the shape this
 * version writes): a damaged cache is ignored, never trusted. Synchronous: one small read before anything
 * else happens.
 */
function readEntry(file: string): CacheEntry | undefined {
  let entry: Partial<CacheEntry>;
  try {
    entry = JSON.parse(readFileSync(file, 'utf8')) as Partial<CacheEntry>;
  } catch {
    return undefined;
  }
  const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (
    !isObject(entry) ||
    typeof entry.key !== 'string' ||
    !isObject(entry.hashes) ||
    !Array.isArray(entry.files) ||
    !entry.files.every((f) => typeof f === 'string') ||
    !Array.isArray(entry.diagnostics) ||
    !entry.diagnostics.every(isObject) ||
    !Array.isArray(entry.probes) ||
    !entry.probes.every((p) => Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'boolean')
  )
    return undefined;
  return entry as CacheEntry;
}

/**
 * The run's key and, when the cache holds a result for it whose existence checks still hold, that result.
 * A document whose size and mtime are those recorded keeps its recorded content hash; any other is read
 * and hashed.
 */
export async function lookup(
  file: string,
  paths: readonly string[],
  cwd: string,
  options: Record<string, unknown>,
): Promise<Lookup> {
  if (options.revision !== null) return { hashes: {} };
  const previous = readEntry(file);
  const known: Hashes = previous?.hashes ?? {};
  const hashes: Hashes = {};
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ version: VERSION, options, paths }));
  const found: { abs: string; shown: string }[] = [];
  const ts: string[] = [];
  for (const p of paths) {
    const abs = resolve(cwd, p);
    const st = statSync(abs, { throwIfNoEntry: false });
    if (!st) {
      if (options.optional) continue;
      return { hashes };
    }
    // A revision folder (appspec.yml at the root of a folder named) is checked against the files and
    // symlinks in it, which the key does not track.
    if (st.isDirectory() && REVISION_APPSPEC.some((n) => existsSync(join(abs, n)))) return { hashes };
    if (st.isDirectory()) walkDocuments(abs, p, found, ts);
    else if (/\.m?ts$/.test(p)) return { hashes };
    else found.push({ abs, shown: p });
    hash.update(`\0${p}:${st.isDirectory() ? 'dir' : 'file'}`);
  }
  if (ts.length > 0) return { hashes };
  for (const f of found) {
    const st = statSync(f.abs, { throwIfNoEntry: false });
    const old = Array.isArray(known[f.abs]) && known[f.abs]!.length === 4 ? known[f.abs] : undefined;
    let digest = 'unreadable';
    if (st && old && old[0] === st.size && old[1] === st.mtimeMs && old[2] === st.ino) digest = old[3];
    else if (st) {
      try {
        digest = createHash('sha256').update(readFileSync(f.abs)).digest('hex');
        hashes[f.abs] = [st.size, st.mtimeMs, st.ino, digest];
      } catch {}
    }
    if (old && digest === old[3]) hashes[f.abs] = old;
    hash.update(`\0${f.shown}\0${digest}`);
  }
  const key = hash.digest('hex');
  if (!previous || previous.key !== key) return { key, hashes };
  for (const [path, existed] of previous.probes) if (existsSync(path) !== existed) return { key, hashes };
  return { key, hashes, hit: { files: previous.files, diagnostics: previous.diagnostics } };
}

/** Writes the entry atomically (a rename), so a concurrent run never reads half a file. A cache that
 * cannot be written is not an error: the next run validates again. */
export async function writeCache(
  file: string,
  found: Lookup & { key: string },
  run: CachedRun,
  probes: Map<string, boolean>,
): Promise<void> {
  const entry: CacheEntry = {
    key: found.key,
    hashes: found.hashes,
    files: run.files,
    diagnostics: run.diagnostics,
    probes: [...probes],
  };
  try {
    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(entry));
    await rename(tmp, file);
  } catch {
    // best effort
  }
}
