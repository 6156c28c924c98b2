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

/** Absolute path → whether it existed when the rules asked. */
type Probes = [string, boolean][];

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
  /**
   * The run's options, paths, and every document's name, path, size, mtime and inode, hashed: when it equals
   * the recorded one, no document changed and the recorded key holds. undefined when a document could not
   * be hashed (unreadable), so such a run always takes the long way.
   */
  stamp?: string;
  hit?: CachedRun;
  hashes: Hashes;
}

/**
 * The cache file, three JSON lines so a hit parses only what it needs: the header (key and stamp), the
 * result (files, diagnostics, existence checks), and the documents' hashes (read only when the stamp
 * differs). A file that is not this shape (damaged, or written by an older version) is ignored, never
 * trusted.
 */
const FORMAT = 2;

interface CacheFile {
  key: string;
  stamp: string | null;
  /** The result line, parsed and checked; undefined when damaged. */
  result(): (CachedRun & { probes: Probes }) | undefined;
  /** The hashes line, parsed and checked; undefined when damaged. */
  hashes(): Hashes | undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function parseLine(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Synchronous: one read before anything else happens. */
function readCacheFile(file: string): CacheFile | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const end1 = text.indexOf('\n');
  const end2 = end1 < 0 ? -1 : text.indexOf('\n', end1 + 1);
  if (end2 < 0) return undefined;
  const header = parseLine(text.slice(0, end1));
  if (
    !isObject(header) ||
    header.format !== FORMAT ||
    typeof header.key !== 'string' ||
    !(typeof header.stamp === 'string' || header.stamp === null)
  )
    return undefined;
  return {
    key: header.key,
    stamp: header.stamp,
    result() {
      const r = parseLine(text.slice(end1 + 1, end2));
      if (
        !isObject(r) ||
        !Array.isArray(r.files) ||
        !r.files.every((f) => typeof f === 'string') ||
        !Array.isArray(r.diagnostics) ||
        !r.diagnostics.every(isObject) ||
        !Array.isArray(r.probes) ||
        !r.probes.every((p) => Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'boolean')
      )
        return undefined;
      return r as unknown as CachedRun & { probes: Probes };
    },
    hashes() {
      const h = parseLine(text.slice(end2 + 1));
      return isObject(h) ? (h as Hashes) : undefined;
    },
  };
}

/**
 * The run's key and, when the cache holds a result for it whose existence checks still hold, that result.
 * When every document's size, mtime and inode are those recorded (the stamp), the recorded key is the
 * run's; otherwise a document whose three are unchanged keeps its recorded content hash, and any other is
 * read and hashed.
 */
export async function lookup(
  file: string,
  paths: readonly string[],
  cwd: string,
  options: Record<string, unknown>,
): Promise<Lookup> {
  if (options.revision !== null) return { hashes: {} };
  const hashes: Hashes = {};
  const head = JSON.stringify({ version: VERSION, options, paths });
  let layout = '';
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
    layout += `\0${p}:${st.isDirectory() ? 'dir' : 'file'}`;
  }
  if (ts.length > 0) return { hashes };
  const stats = found.map((f) => statSync(f.abs, { throwIfNoEntry: false }));
  // One string hashed once: a warm run does little more than this per document.
  let stamped = `${head}${layout}`;
  for (let i = 0; i < found.length; i++) {
    const st = stats[i];
    stamped += st ? `\0${found[i]!.shown}\0${found[i]!.abs}\0${st.size}:${st.mtimeMs}:${st.ino}` : '\0-';
  }
  const stamp = createHash('sha256').update(stamped).digest('hex');
  const previous = readCacheFile(file);
  if (previous && previous.stamp === stamp) {
    const hit = hitOf(previous);
    if (hit) return { key: previous.key, stamp, hashes, hit };
  }

  const known = previous?.hashes();
  const sound = previous && known && previous.result() ? previous : undefined;
  const hash = createHash('sha256');
  let hashed = `${head}${layout}`;
  let unreadable = false;
  for (let i = 0; i < found.length; i++) {
    const f = found[i]!;
    const st = stats[i];
    const recorded = sound ? known![f.abs] : undefined;
    const old = Array.isArray(recorded) && recorded.length === 4 ? recorded : undefined;
    let digest = 'unreadable';
    if (st && old && old[0] === st.size && old[1] === st.mtimeMs && old[2] === st.ino) digest = old[3];
    else if (st) {
      try {
        digest = createHash('sha256').update(readFileSync(f.abs)).digest('hex');
        hashes[f.abs] = [st.size, st.mtimeMs, st.ino, digest];
      } catch {}
    }
    if (old && digest === old[3]) hashes[f.abs] = old;
    if (!hashes[f.abs]) unreadable = true;
    hashed += `\0${f.shown}\0${digest}`;
  }
  const key = hash.update(hashed).digest('hex');
  const out: Lookup = { key, hashes, ...(unreadable ? {} : { stamp }) };
  if (!sound || sound.key !== key) return out;
  const hit = hitOf(sound);
  return hit ? { ...out, hit } : out;
}

/** The recorded result, when it is sound and every existence check the rules made still answers the same. */
function hitOf(entry: CacheFile): CachedRun | undefined {
  const r = entry.result();
  if (!r) return undefined;
  for (const [path, existed] of r.probes) if (existsSync(path) !== existed) return undefined;
  return { files: r.files, diagnostics: r.diagnostics };
}

/** Writes the entry atomically (a rename), so a concurrent run never reads half a file. A cache that
 * cannot be written is not an error: the next run validates again. */
export async function writeCache(
  file: string,
  found: Lookup & { key: string },
  run: CachedRun,
  probes: Map<string, boolean>,
): Promise<void> {
  const lines = [
    JSON.stringify({ format: FORMAT, key: found.key, stamp: found.stamp ?? null }),
    JSON.stringify({ files: run.files, diagnostics: run.diagnostics, probes: [...probes] }),
    JSON.stringify(found.hashes),
  ];
  try {
    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, `${lines.join('\n')}\n`);
    await rename(tmp, file);
  } catch {
    // best effort
  }
}
