import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
