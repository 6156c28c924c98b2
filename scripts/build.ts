/**
 * `npm run build`: a clean dist/ each time (no file from an older layout can linger and be loaded),
 * then the precompiled validators, the type declarations (tsc), and the runtime bundles (esbuild).
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function step(args: string[]): void {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

rmSync(join(root, 'dist'), { recursive: true, force: true });
step(['--import', 'tsx', 'scripts/gen-validators.ts']);
step([join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
step(['--import', 'tsx', 'scripts/bundle.ts']);
