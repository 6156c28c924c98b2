import { readFileSync } from 'node:fs';

/**
 * A small file's text, or undefined when it cannot be read (missing, a folder, no permission).
 * Synchronous: for a few small files on a path where a thread-pool round trip costs more than the read.
 */
export function readFileIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
