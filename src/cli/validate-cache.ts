/**
 * `conveyor validate --cache`: the result of a run, kept under `.conveyor/` (or `--cache-location`) and
 * reused when nothing it depends on changed — as ESLint's cache does. The key holds Conveyor's version,
 * the options, the paths asked for, and the name and content hash of every document; the entry also
 * records every existence check the rules made (hook scripts) and re-checks them. Runs that load TS
 * definition sources or check a revision folder are not cached (their imports, files and symlinks are
 * not tracked).
 *
 * A hit needs neither the YAML parser nor the validators, nor node:crypto: when no document's size, mtime
 * or inode changed (the stamp), the recorded key holds; this module loads only node built-ins. When no
 * folder changed either (the listing), the folders are not even read (cachedResult, which the binary asks
 * before it loads the CLI).
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
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

/**
 * What the walk of the last run read: the folders, each with its mtime and inode, and the documents found
 * in them. Adding, removing or renaming an entry updates its folder's mtime, so while every folder keeps
 * both, the walk would find the same documents and is skipped (git's untracked cache reasons the same way).
 */
export interface Listing {
  /** Absolute paths, in walk order. */
  folders: string[];
  /** base64 of each folder's mtime and inode (64-bit numbers); mtime -1 for one too new to trust. */
  folderStats: string;
  /** Per document, in stamp order: its folder's index and its name there, or -1 and its absolute path. */
  docs: (number | string)[];
}

export interface Lookup {
  /** undefined when the run cannot be cached (a TS source among the paths, a path that does not exist). */
  key?: string;
  /**
   * The run's options, paths and working folder, and every document's size, mtime and inode (as the bytes
   * of 64-bit numbers, base64; the documents are those of the listing, in its order): when it and the
   * listing's documents equal the recorded ones, no document changed and the recorded key holds. Kept whole
   * rather than hashed: comparing two strings is one native call, where hashing them in JavaScript took more
   * of a warm run than reading them. undefined when a document could not be hashed (unreadable) or was too
   * new to trust, so such a run takes the long way.
   */
  stamp?: string;
  listing?: Listing;
  hit?: CachedRun;
  /**
   * The hit needs recording again: it was found by content hashes (a document was touched, or was too new
   * to trust its mtime last time), or by the stamp after a walk (a folder changed, its documents did not).
   * Rewriting the entry lets the next run skip the hashing, or the walk.
   */
  refresh?: { probes: Probes };
  hashes: Hashes;
}

/**
 * A document (or folder) changed less than this long before it was hashed (or read) may change again within
 * the same tick of its file system's clock (a jiffy on ext4, 2 s on FAT) and keep its size and mtime: its
 * mtime is not trusted (it is hashed or read again next time), as git treats "racily clean" files.
 */
const RACY_MS = 2000;

/**
 * The cache file, three JSON lines so a hit parses only what it needs: the header (key, stamp and listing),
 * the result (files, diagnostics, existence checks), and the documents' hashes (read only when the stamp
 * differs). A file that is not this shape (damaged, or written by an older version) is ignored, never
 * trusted.
 */
const FORMAT = 4;

interface CacheFile {
  key: string;
  stamp: string | null;
  listing: Listing | null;
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

function isListing(v: unknown): v is Listing {
  return (
    isObject(v) &&
    Array.isArray(v.folders) &&
    v.folders.every((f) => typeof f === 'string') &&
    typeof v.folderStats === 'string' &&
    Array.isArray(v.docs) &&
    v.docs.length % 2 === 0 &&
    v.docs.every((d, i) =>
      i % 2 === 0
        ? Number.isInteger(d) && (d as number) >= -1 && (d as number) < (v.folders as string[]).length
        : typeof d === 'string',
    )
  );
}

/**
 * The file's first `lines` lines (with their newlines), read in pieces until they are in: a hit needs the
 * header and the result, not the hashes after them, which are most of the file. undefined when unreadable;
 * the whole file when it has fewer lines.
 */
function readLines(file: string, lines: number): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    let buf = Buffer.allocUnsafe(1 << 18);
    let length = 0;
    let found = 0;
    for (;;) {
      if (length === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, length);
        buf = bigger;
      }
      const read = readSync(fd, buf, length, buf.length - length, null);
      if (read === 0) return buf.toString('utf8', 0, length);
      let at = length;
      length += read;
      for (;;) {
        const nl = buf.indexOf(10, at);
        if (nl < 0 || nl >= length) break;
        if (++found === lines) return buf.toString('utf8', 0, nl + 1);
        at = nl + 1;
      }
    }
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Synchronous: one read before anything else happens. */
function readCacheFile(file: string): CacheFile | undefined {
  const text = readLines(file, 2);
  if (text === undefined) return undefined;
  const end1 = text.indexOf('\n');
  const end2 = end1 < 0 ? -1 : text.indexOf('\n', end1 + 1);
  if (end2 < 0) return undefined;
  const header = parseLine(text.slice(0, end1));
  if (
    !isObject(header) ||
    header.format !== FORMAT ||
    typeof header.key !== 'string' ||
    !(typeof header.stamp === 'string' || header.stamp === null) ||
    !(header.listing === null || isListing(header.listing))
  )
    return undefined;
  return {
    key: header.key,
    stamp: header.stamp,
    listing: header.listing,
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
      // Read again, this time whole. Had another run replaced the file since, its hashes are as good: each
      // is the digest of the content a file had at the size, mtime and inode recorded beside it.
      let whole: string;
      try {
        whole = readFileSync(file, 'utf8');
      } catch {
        return undefined;
      }
      const h = parseLine(whole.slice(whole.indexOf('\n', whole.indexOf('\n') + 1) + 1));
      return isObject(h) ? (h as Hashes) : undefined;
    },
  };
}

/** The paths a run names, as the key sees them; undefined when such a run is not cached. */
interface Inputs {
  /** The stamp's first lines: options and paths, what each path is, the working folder. */
  prefix: string;
  head: string;
  layout: string;
  roots: { abs: string; shown: string; folder: boolean }[];
}

function inputsOf(
  paths: readonly string[],
  cwd: string,
  options: Record<string, unknown>,
): Inputs | undefined {
  if (options.revision !== null) return undefined;
  const head = JSON.stringify({ version: VERSION, options, paths });
  let layout = '';
  const roots: Inputs['roots'] = [];
  for (const p of paths) {
    const abs = resolve(cwd, p);
    const st = statSync(abs, { throwIfNoEntry: false });
    if (!st) {
      if (options.optional) continue;
      return undefined;
    }
    const folder = st.isDirectory();
    // A revision folder (appspec.yml at the root of a folder named) is checked against the files and
    // symlinks in it, which the key does not track.
    if (folder && REVISION_APPSPEC.some((n) => existsSync(join(abs, n)))) return undefined;
    if (!folder && /\.m?ts$/.test(p)) return undefined;
    roots.push({ abs, shown: p, folder });
    layout += `\0${p}:${folder ? 'dir' : 'file'}`;
  }
  return { prefix: `${head}\n${layout}\n${cwd}\n`, head, layout, roots };
}

const base64 = (numbers: Float64Array) => Buffer.from(numbers.buffer).toString('base64');

/** The 64-bit numbers `base64` wrote (an empty array for text that is not such). */
function numbersOf(text: string): Float64Array {
  const bytes = Buffer.from(text, 'base64');
  const numbers = new Float64Array(Math.floor(bytes.length / 8));
  new Uint8Array(numbers.buffer).set(bytes.subarray(0, numbers.length * 8));
  return numbers;
}

/** A folder's path with the separator its entries' paths add, as the walk builds them. */
const folderBase = (folder: string) => (folder.endsWith(sep) ? folder : folder + sep);

/** Whether two listings hold the same folders and documents (their stats aside). */
function sameDocuments(a: Listing | null, b: Listing): boolean {
  return (
    a !== null &&
    a.folders.length === b.folders.length &&
    a.docs.length === b.docs.length &&
    a.folders.every((f, i) => f === b.folders[i]) &&
    a.docs.every((d, i) => d === b.docs[i])
  );
}

const NO_THROW = { throwIfNoEntry: false } as const;

/**
 * The recorded result when the last walk's folders and every document are as recorded: no folder read,
 * no file hashed. undefined when anything differs (the caller then walks). Each stat is compared as it is
 * made, so a change stops the check where it is found.
 */
function listedHit(entry: CacheFile, inputs: Inputs): { run: CachedRun; probes: Probes } | undefined {
  const { stamp, listing } = entry;
  if (stamp === null || listing === null || !stamp.startsWith(inputs.prefix)) return undefined;
  const folders = listing.folders;
  const folderStats = numbersOf(listing.folderStats);
  if (folderStats.length !== folders.length * 2) return undefined;
  for (let i = 0; i < folders.length; i++) {
    // A folder too new to trust was recorded with mtime -1, which no stat matches.
    const st = statSync(folders[i]!, NO_THROW);
    if (!st?.isDirectory() || st.mtimeMs !== folderStats[i * 2] || st.ino !== folderStats[i * 2 + 1])
      return undefined;
  }
  // The folders are unchanged, so the documents are the recorded ones: only their stats can differ.
  const docs = listing.docs;
  const count = docs.length / 2;
  const stats = numbersOf(stamp.slice(inputs.prefix.length));
  if (stats.length !== count * 3) return undefined;
  const bases = folders.map(folderBase);
  for (let i = 0; i < count; i++) {
    const folder = docs[i * 2] as number;
    const name = docs[i * 2 + 1] as string;
    const st = statSync(folder < 0 ? name : bases[folder] + name, NO_THROW);
    if (!st || st.size !== stats[i * 3] || st.mtimeMs !== stats[i * 3 + 1] || st.ino !== stats[i * 3 + 2])
      return undefined;
  }
  return hitOf(entry);
}

/**
 * The recorded result of this run, when neither its folders nor its documents changed since it was recorded:
 * found without reading a folder, hashing a document or loading anything but node built-ins (the binary
 * asks this before it loads the CLI: validate-cached.ts). undefined whenever the full lookup is needed.
 */
export function cachedResult(
  file: string,
  paths: readonly string[],
  cwd: string,
  options: Record<string, unknown>,
): CachedRun | undefined {
  const inputs = inputsOf(paths, cwd, options);
  const previous = inputs && readCacheFile(file);
  return previous ? listedHit(previous, inputs!)?.run : undefined;
}

/**
 * The run's key and, when the cache holds a result for it whose existence checks still hold, that result.
 * When no folder changed (the listing) and every document's size, mtime and inode are those recorded (the
 * stamp), the recorded key is the run's, without a walk. Otherwise the folders are walked; with the same
 * stamp, the key still holds; if not, a document whose three are unchanged keeps its recorded content hash,
 * and any other is read and hashed.
 */
export async function lookup(
  file: string,
  paths: readonly string[],
  cwd: string,
  options: Record<string, unknown>,
): Promise<Lookup> {
  const hashes: Hashes = {};
  const inputs = inputsOf(paths, cwd, options);
  if (!inputs) return { hashes };
  const previous = readCacheFile(file);
  const listed = previous && listedHit(previous, inputs);
  if (listed)
    return { key: previous.key, stamp: previous.stamp!, listing: previous.listing!, hashes, hit: listed.run };

  const found: { abs: string; shown: string; folder?: number }[] = [];
  const ts: string[] = [];
  const folders: string[] = [];
  const listedAt = Date.now();
  for (const root of inputs.roots) {
    if (root.folder) walkDocuments(root.abs, root.shown, found, ts, folders);
    else found.push({ abs: root.abs, shown: root.shown });
  }
  if (ts.length > 0) return { hashes };
  // A folder changed within RACY_MS of its reading may have changed again since, unseen: not trusted.
  const folderStats = new Float64Array(folders.length * 2);
  let racyFolder = false;
  for (let i = 0; i < folders.length; i++) {
    const st = statSync(folders[i]!, { throwIfNoEntry: false });
    const settled = st !== undefined && st.mtimeMs < listedAt - RACY_MS;
    if (!settled) racyFolder = true;
    folderStats[i * 2] = settled ? st.mtimeMs : -1;
    folderStats[i * 2 + 1] = st ? st.ino : Number.NaN;
  }
  const listing: Listing = {
    folders,
    folderStats: base64(folderStats),
    docs: found.flatMap((f) =>
      f.folder === undefined ? [-1, f.abs] : [f.folder, f.abs.slice(folderBase(folders[f.folder]!).length)],
    ),
  };
  // Each document's size, mtime and inode, kept as numbers (NaN: no such file) rather than Stats objects:
  // 2,000 of them, each with four Dates, kept alive made the young-generation collections copy them.
  const stats = new Float64Array(found.length * 3);
  const size = (i: number) => stats[i * 3]!;
  const mtime = (i: number) => stats[i * 3 + 1]!;
  const ino = (i: number) => stats[i * 3 + 2]!;
  for (let i = 0; i < found.length; i++) {
    const st = statSync(found[i]!.abs, NO_THROW);
    stats[i * 3] = st ? st.size : Number.NaN;
    stats[i * 3 + 1] = st ? st.mtimeMs : Number.NaN;
    stats[i * 3 + 2] = st ? st.ino : Number.NaN;
  }
  // The documents' names are in the listing, which says which folder each is in.
  const stamped = `${inputs.prefix}${base64(stats)}`;
  if (previous && previous.stamp === stamped && sameDocuments(previous.listing, listing)) {
    const hit = hitOf(previous);
    if (hit) {
      // The documents are as recorded but a folder is not (a file of no kind added, a folder touched):
      // recorded again with this listing, so the next run skips the walk, unless a folder is too new to
      // be trusted anyway.
      const stale = !racyFolder && previous.listing!.folderStats !== listing.folderStats;
      const refresh = stale ? { refresh: { probes: hit.probes } } : {};
      const known = stale ? (previous.hashes() ?? {}) : hashes;
      return { key: previous.key, stamp: stamped, listing, hashes: known, hit: hit.run, ...refresh };
    }
  }

  // Content hashes: node:crypto (a few milliseconds to load) only when a document may have changed.
  const { createHash } = await import('node:crypto');
  const known = previous?.hashes();
  const sound = previous && known && previous.result() ? previous : undefined;
  const hash = createHash('sha256');
  let hashed = `${inputs.head}${inputs.layout}`;
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
  const out: Lookup = { key, hashes, listing, ...(unreadable || racy ? {} : { stamp: stamped }) };
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
    JSON.stringify({
      format: FORMAT,
      key: found.key,
      stamp: found.stamp ?? null,
      listing: found.listing ?? null,
    }),
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
