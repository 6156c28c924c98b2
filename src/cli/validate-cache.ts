/**
 * `conveyor validate --cache`: the result of a run, kept under `.conveyor/` (or `--cache-location`) and
 * reused when nothing it depends on changed — as ESLint's cache does. The key holds Conveyor's version,
 * the options, the paths asked for, and the name and content hash of every document; the entry also
 * records every existence check the rules made (hook scripts) and re-checks them. Runs that load TS
 * definition sources or check a revision folder are not cached (their imports, files and symlinks are
 * not tracked).
 *
 * A hit needs neither the YAML parser nor the validators, nor node:crypto: when no document's size, mtime
 * or inode changed (the stamp), the recorded key holds; this module loads only node built-ins.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
   * The run's options, paths and working folder, every document's name, and their sizes, mtimes and inodes
   * (as the bytes of 64-bit numbers, base64): when it equals the recorded one, no document changed and the
   * recorded key holds. Kept whole rather than hashed: comparing two strings is one native call, where
   * hashing them in JavaScript took more of a warm run than reading them. undefined when a document could
   * not be hashed (unreadable) or was too new to trust, so such a run takes the long way.
   */
  stamp?: string;
  hit?: CachedRun;
  /**
   * The hit was found by content hashes (a document was touched, or was too new to trust its mtime last
   * time), not by the stamp: rewriting the entry with today's stamp lets the next run skip the hashing.
   */
  refresh?: { probes: Probes };
  hashes: Hashes;
}

/**
 * A document changed less than this long before it was hashed may change again within the same tick of
 * its file system's clock (a jiffy on ext4, 2 s on FAT) and keep its size and mtime: its mtime is not
 * trusted (it is hashed again next time) and the run records no stamp, as git treats "racily clean" files.
 */
const RACY_MS = 2000;

/**
 * The cache file, three JSON lines so a hit parses only what it needs: the header (key and stamp), the
 * result (files, diagnostics, existence checks), and the documents' hashes (read only when the stamp
 * differs). A file that is not this shape (damaged, or written by an older version) is ignored, never
 * trusted.
 */
const FORMAT = 3;

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
  // Each document's size, mtime and inode, kept as numbers (NaN: no such file) rather than Stats objects:
  // 2,000 of them, each with four Dates, kept alive made the young-generation collections copy them.
  const stats = new Float64Array(found.length * 3);
  const size = (i: number) => stats[i * 3]!;
  const mtime = (i: number) => stats[i * 3 + 1]!;
  const ino = (i: number) => stats[i * 3 + 2]!;
  // The working folder once: each document's absolute path is it joined with the name shown.
  const names: string[] = [head, layout, cwd];
  for (let i = 0; i < found.length; i++) {
    const f = found[i]!;
    const st = statSync(f.abs, { throwIfNoEntry: false });
    stats[i * 3] = st ? st.size : Number.NaN;
    stats[i * 3 + 1] = st ? st.mtimeMs : Number.NaN;
    stats[i * 3 + 2] = st ? st.ino : Number.NaN;
    names.push(f.shown);
  }
  const stamped = `${names.join('\n')}\n${Buffer.from(stats.buffer).toString('base64')}`;
  const previous = readCacheFile(file);
  if (previous && previous.stamp === stamped) {
    const hit = hitOf(previous);
    if (hit) return { key: previous.key, stamp: stamped, hashes, hit: hit.run };
  }

  // Content hashes: node:crypto (a few milliseconds to load) only when a document may have changed.
  const { createHash } = await import('node:crypto');
  const known = previous?.hashes();
  const sound = previous && known && previous.result() ? previous : undefined;
  const hash = createHash('sha256');
  let hashed = `${head}${layout}`;
  let unreadable = false;
  let racy = false;
  const hashedAt = Date.now();
  for (let i = 0; i < found.length; i++) {
    const f = found[i]!;
    const exists = !Number.isNaN(size(i));
    const recorded = sound ? known![f.abs] : undefined;
    const old = Array.isArray(recorded) && recorded.length === 4 ? recorded : undefined;
    let digest = 'unreadable';
    if (exists && old && old[0] === size(i) && old[1] === mtime(i) && old[2] === ino(i)) {
      digest = old[3];
      hashes[f.abs] = old;
    } else if (exists) {
      try {
        digest = createHash('sha256').update(readFileSync(f.abs)).digest('hex');
        // Too new to trust its mtime: recorded with none, so the next run reads it again.
        const settled = mtime(i) < hashedAt - RACY_MS;
        if (!settled) racy = true;
        hashes[f.abs] = [size(i), settled ? mtime(i) : -1, ino(i), digest];
      } catch {}
    }
    if (!hashes[f.abs]) unreadable = true;
    hashed += `\0${f.shown}\0${digest}`;
  }
  const key = hash.update(hashed).digest('hex');
  const out: Lookup = { key, hashes, ...(unreadable || racy ? {} : { stamp: stamped }) };
  if (!sound || sound.key !== key) return out;
  const hit = hitOf(sound);
  if (!hit) return out;
  return { ...out, hit: hit.run, ...(out.stamp !== undefined ? { refresh: { probes: hit.probes } } : {}) };
}

/** The recorded result, when it is sound and every existence check the rules made still answers the same. */
function hitOf(entry: CacheFile): { run: CachedRun; probes: Probes } | undefined {
  const r = entry.result();
  if (!r) return undefined;
  for (const [path, existed] of r.probes) if (existsSync(path) !== existed) return undefined;
  return { run: { files: r.files, diagnostics: r.diagnostics }, probes: r.probes };
}

/** Writes the entry atomically (a rename), so a concurrent run never reads half a file. A cache that
 * cannot be written is not an error: the next run validates again. */
export async function writeCache(
  file: string,
  found: Lookup & { key: string },
  run: CachedRun,
  probes: Map<string, boolean> | Probes,
): Promise<void> {
  const lines = [
    JSON.stringify({ format: FORMAT, key: found.key, stamp: found.stamp ?? null }),
    JSON.stringify({ files: run.files, diagnostics: run.diagnostics, probes: [...probes] }),
    JSON.stringify(found.hashes),
  ];
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(tmp, `${lines.join('\n')}\n`);
    renameSync(tmp, file);
  } catch {
    // Best effort; a half-written temporary file is not left behind (a full disk).
    rmSync(tmp, { force: true });
  }
}
