import { isUtf8 } from 'node:buffer';
import {
  closeSync,
  constants,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  type Stats,
  statfsSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './errors.js';

/**
 * Opened without blocking: opening a FIFO for reading otherwise waits for a writer forever, with the main thread
 * (or a thread-pool thread) stuck where no Ctrl-C reaches it. The type is checked on the opened descriptor, so
 * nothing can be swapped in between the check and the read.
 */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/**
 * A small file's text, or undefined when it cannot be read (missing, a folder, no permission, not a regular file).
 * Synchronous: for a few small files on a path where a thread-pool round trip costs more than the read.
 */
export function readFileIfPresent(path: string): string | undefined {
  try {
    const fd = openSync(path, OPEN_FLAGS);
    try {
      return fstatSync(fd).isFile() ? readFileSync(fd, 'utf8') : undefined;
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** The path's Stats, or undefined when it cannot be read (missing, a file in the way, no permission). */
export function statIfPresent(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

const STATE_GITIGNORE =
  "# Conveyor's local state (runs, ledgers, locks, caches, secrets): never committed.\n*\n";
const statesMarked = new Set<string>();

/**
 * Makes a state folder (`.conveyor/`) that carries its own `.gitignore` ignoring everything in it, so its runs,
 * ledgers and secrets are never committed, whatever the repository's own .gitignore says. A .gitignore a user
 * edited is left as it is.
 */
export function ensureStateDir(dir: string): void {
  if (statesMarked.has(dir)) return;
  mkdirSync(dir, { recursive: true });
  try {
    writeFileSync(join(dir, '.gitignore'), STATE_GITIGNORE, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  statesMarked.add(dir);
}

/**
 * Whether the disk holding `folder` has (next to) no room left: a child process that failed there without a word
 * (its log could not be written either) most likely failed for that. False when it cannot be told.
 */
export function isDiskFull(folder: string, minFreeBytes = 64 * 1024): boolean {
  try {
    const fs = statfsSync(folder);
    return fs.bavail * fs.bsize < minFreeBytes || fs.ffree === 0;
  } catch {
    return false;
  }
}

/** A path the user named is not a regular file (a FIFO, socket, device or folder): refused before reading. */
export class NotAFileError extends UsageError {
  /** Like the errno codes callers already print. */
  readonly code = 'ENOTFILE';
}

/** A definition file whose bytes are not UTF-8: said plainly, never read with replacement characters. */
export class NotUtf8Error extends UsageError {
  readonly code = 'ENOTUTF8';
  constructor(
    readonly file: string,
    /** 1-based position of the first byte that is not UTF-8 (column in characters, as editors count). */
    readonly line: number,
    readonly col: number,
  ) {
    super(
      `${file} is not UTF-8 text: the byte at line ${line}, column ${col} is not valid UTF-8; save the file as UTF-8`,
    );
  }
}

export function describeFileType(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isDirectory()) return 'a folder';
  return 'not a regular file';
}

function notAFile(path: string, info: Stats): NotAFileError {
  return new NotAFileError(`${path} is ${describeFileType(info)}, not a regular file`);
}

/** The first byte offset that is not UTF-8 (the buffer is known not to be valid UTF-8). */
function firstInvalidUtf8(buf: Buffer): number {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    const n =
      b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (n === 0 || i + n > buf.length || !isUtf8(buf.subarray(i, i + n))) return i;
    i += n;
  }
  return i;
}

/**
 * A file's bytes as text, refusing bytes that are not UTF-8 (read with 'utf8' they silently became U+FFFD). A
 * byte-order mark is kept, as `readFile(…, 'utf8')` keeps it. Bytes with a NUL are returned as they decode: they
 * are binary, which every definition reader reports by its own rule (`source/binary`).
 */
export function decodeUtf8(buf: Buffer, file: string): string {
  if (isUtf8(buf) || buf.includes(0)) return buf.toString('utf8');
  const offset = firstInvalidUtf8(buf);
  const before = buf.subarray(0, offset);
  const lineStart = before.lastIndexOf(10) + 1;
  let line = 1;
  for (let i = before.indexOf(10); i !== -1; i = before.indexOf(10, i + 1)) line++;
  throw new NotUtf8Error(file, line, buf.toString('utf8', lineStart, offset).length + 1);
}

/**
 * The text of a file a user named (a definition, a config): refuses anything that is not a regular file before
 * reading it, and bytes that are not UTF-8. Throws NotAFileError or NotUtf8Error (UsageErrors), or the errno
 * error.
 */
export function readTextFile(path: string): string {
  const fd = openSync(path, OPEN_FLAGS);
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw notAFile(path, info);
    return decodeUtf8(readFileSync(fd), path);
  } finally {
    closeSync(fd);
  }
}

/** readTextFile, on the thread pool. */
export async function readTextFileAsync(path: string): Promise<string> {
  // Looked up here, not imported: node:fs/promises (with readline and the file watchers it loads) costs a
  // couple of milliseconds at start-up, and the commands that read synchronously never need it.
  const { open } = process.getBuiltinModule('node:fs/promises');
  const handle = await open(path, OPEN_FLAGS);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw notAFile(path, info);
    return decodeUtf8(await handle.readFile(), path);
  } finally {
    await handle.close();
  }
}
