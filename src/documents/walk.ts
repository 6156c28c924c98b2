/**
 * The folder walk of `conveyor validate`, kept free of the parser and validators so `--cache` can find
 * and hash the files of a run without loading them.
 */
import { readdirSync } from 'node:fs';
import { sep } from 'node:path';

export const DOCUMENT_EXT = /\.(ya?ml|json)$/i;
export const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'coverage', '.conveyor']);

/**
 * Collects the .yml/.yaml/.json files under `dir`, sorted, skipping dependency, output and hidden folders;
 * TS files (possible definition sources) go to `ts` when given. `folders`, when given, gets every folder
 * read, in walk order, and each document found records the index of its folder there (`--cache` keeps the
 * list, so an unchanged tree need not be read again).
 */
export function walkDocuments(
  dir: string,
  shown: string,
  out: { abs: string; shown: string; folder?: number }[],
  ts?: string[],
  folders?: string[],
): void {
  // Synchronous: a walk of many small folders waits on each readdir anyway, and the CLI has nothing else to do.
  const entries = readdirSync(dir, { withFileTypes: true });
  const folder = folders ? folders.push(dir) - 1 : undefined;
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // Paths by concatenation, prefixes made once per folder: `dir` is already resolved, and path.join per
  // entry took two thirds of the walk in a warm `--cache` run (code that runs once is never optimised).
  const base = dir.endsWith(sep) ? dir : dir + sep;
  const prefix = shown === '.' ? '' : `${shown.replace(/\/+$/, '')}/`;
  for (const e of entries) {
    const abs = base + e.name;
    if (e.isDirectory()) {
      if (SKIP_DIRS.has(e.name) || (e.name.startsWith('.') && e.name !== '.codebuild')) continue;
      walkDocuments(abs, prefix + e.name, out, ts, folders);
    } else if (e.isFile() && DOCUMENT_EXT.test(e.name)) {
      out.push(
        folder === undefined ? { abs, shown: prefix + e.name } : { abs, shown: prefix + e.name, folder },
      );
    } else if (ts && e.isFile() && /\.m?ts$/.test(e.name) && !/\.d\.m?ts$/.test(e.name))
      ts.push(prefix + e.name);
  }
}
