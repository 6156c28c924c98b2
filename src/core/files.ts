import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { UsageError } from './errors.js';

/**
 * A small file's text, or undefined when it cannot be read (missing, a folder, no permission, not a regular file).
 * Synchronous: for a few small files on a path where a thread-pool round trip costs more than the read.
 */
export function readFileIfPresent(path: string): string | undefined {
  try {
    return readTextFile(path);
  } catch {
    return undefined;
  }
}

/** A path the user named is not a regular file (a FIFO, socket, device or folder): refused before reading. */
export class NotAFileError extends UsageError {
  /** Like the errno codes callers already print. */
  readonly code = 'ENOTFILE';
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

/**
 * Opened without blocking: opening a FIFO for reading otherwise waits for a writer forever, with the main thread
 * (or a thread-pool thread) stuck where no Ctrl-C reaches it. The type is checked on the opened descriptor, so
 * nothing can be swapped in between the check and the read.
 */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/**
 * The text of a file a user named (a definition, a config): refuses anything that is not a regular file before
 * reading it. Throws NotAFileError (a UsageError) or the errno error.
 */
export function readTextFile(path: string): string {
  const fd = openSync(path, OPEN_FLAGS);
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw notAFile(path, info);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** readTextFile, on the thread pool. */
export async function readTextFileAsync(path: string): Promise<string> {
  const handle = await open(path, OPEN_FLAGS);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw notAFile(path, info);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
