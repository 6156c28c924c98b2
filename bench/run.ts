/**
 * `npm run bench`: runs every bench/*.bench.ts in turn (or those named on the command line),
 * each printing its own figures. Benchmarks compare side by side in one run; nothing here is a test.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();

let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file} ===`);
  try {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as { default?: () => Promise<void> };
    if (typeof mod.default === 'function') await mod.default();
  } catch (err) {
    failed += 1;
    console.error(`bench ${file} failed:`, err);
  }
}
if (files.length === 0) console.log('no benchmarks found');
process.exitCode = failed ? 1 : 0;
