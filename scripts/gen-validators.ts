/**
 * Precompiles every document schema into a standalone module of its own (no ajv or TypeBox at run time),
 * so `conveyor validate` starts fast and loads only the validators of the kinds it meets. Runs as the
 * first step of `npm run build`; writes src/documents/generated/<schema>.cjs (copied into
 * dist/documents/generated/ by scripts/bundle.ts; tests load them from src/). `--check` exits 1 when a
 * file in src/ is stale.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateValidatorSources } from '../src/documents/generate-validators.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'src/documents/generated');
const sources = generateValidatorSources();
if (process.argv.includes('--check')) {
  for (const [file, code] of Object.entries(sources)) {
    let current = '';
    try {
      current = readFileSync(join(dir, file), 'utf8');
    } catch {}
    if (current !== code) {
      console.error(`src/documents/generated/${file} is stale: run \`npm run build\``);
      process.exitCode = 1;
    }
  }
} else {
  mkdirSync(dir, { recursive: true });
  // The single validators.js of earlier builds (and any schema since removed) must not linger.
  for (const f of readdirSync(dir)) if (/\.c?js$/.test(f) && !(f in sources)) rmSync(join(dir, f));
  for (const [file, code] of Object.entries(sources)) writeFileSync(join(dir, file), code);
}
