import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (the folder holding package.json), found from this module's location in src/ or dist/. */
export const packageRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
})();

/**
 * Path of a compiled entry point to spawn as its own process (router, detached runner).
 * Always the built JS in dist/, so child processes start fast and need no TS loader:
 * `npm test`, `npm run demo` and `npm run bench` build first.
 */
export function distEntry(relative: string): string {
  const file = join(packageRoot, 'dist', relative.replace(/\.ts$/, '.js'));
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: run 'npm run build' first`);
  }
  return file;
}
