/**
 * Precompiles every document schema into one standalone ESM module (no ajv or TypeBox at run time), so
 * `conveyor validate` starts fast. Runs as the first step of `npm run build`; writes
 * src/documents/generated/validators.js (bundled into dist/ by scripts/bundle.ts; tests import it from src/).
 * `--check` exits 1 when the file in src/ is stale.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateValidatorsSource } from '../src/documents/generate-validators.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const code = generateValidatorsSource();
const targets = [join(root, 'src/documents/generated/validators.js')];
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(targets[0]!, 'utf8');
  } catch {}
  if (current !== code) {
    console.error('src/documents/generated/validators.js is stale: run `npm run build`');
    process.exitCode = 1;
  }
} else {
  for (const t of targets) {
    mkdirSync(dirname(t), { recursive: true });
    writeFileSync(t, code);
  }
}
