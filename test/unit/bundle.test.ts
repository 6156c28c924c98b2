/**
 * Users run the bundled dist/ (scripts/bundle.ts), tests mostly run src/. Two things only the bundle can
 * get wrong: a dynamic import whose specifier the bundler cannot see (it is left as a path that no
 * longer exists next to the chunk), and a chunk that fails to load. Both are checked here.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/commands.js';
import { packageRoot } from '../../src/core/paths.js';

/** Modules that import what the user names (their definition sources), not our own code. */
const USER_MODULE_IMPORTS = new Set(['src/synth/ts-loader.ts']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('the bundled build', () => {
  it('every dynamic import in src/ names its module literally', () => {
    const offenders: string[] = [];
    for (const file of sources(join(packageRoot, 'src'))) {
      const rel = relative(packageRoot, file);
      if (USER_MODULE_IMPORTS.has(rel)) continue;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\bimport\(\s*([^)'"`\s][^)]*)\)/g))
        offenders.push(`${rel}: import(${m[1]})`);
    }
    expect(offenders).toEqual([]);
  });

  const cli = join(packageRoot, 'dist/cli/main.js');
  it.skipIf(!existsSync(cli)).each(Object.keys(commands))('`conveyor %s --help` loads from dist/', (name) => {
    const r = spawnSync(process.execPath, [cli, name, '--help'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage');
  });
});
