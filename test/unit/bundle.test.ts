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

interface BundleMeta {
  outputs: Record<
    string,
    { entryPoint?: string; imports: { path: string; kind: string }[]; inputs: Record<string, unknown> }
  >;
}

/** Every source module loaded when the chunk for `entry` is, following static imports only. */
function staticallyLoaded(meta: BundleMeta, entry: string): Set<string> {
  const start = Object.keys(meta.outputs).find((o) => meta.outputs[o]?.entryPoint === entry);
  if (!start) throw new Error(`no chunk for ${entry}`);
  const seen = new Set<string>();
  const inputs = new Set<string>();
  const visit = (out: string) => {
    if (seen.has(out)) return;
    seen.add(out);
    const o = meta.outputs[out];
    if (!o) return;
    for (const input of Object.keys(o.inputs)) inputs.add(input);
    for (const i of o.imports) if (i.kind === 'import-statement' && meta.outputs[i.path]) visit(i.path);
  };
  visit(start);
  return inputs;
}

const metaFile = join(packageRoot, 'dist/bundle-meta.json');
describe.skipIf(!existsSync(metaFile))('what each command loads at start-up', () => {
  it('`conveyor build` (build overhead is measured against a shell script) loads neither YAML nor the validator', () => {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as BundleMeta;
    const loaded = [...staticallyLoaded(meta, 'src/cli/commands/build.ts')];
    expect(loaded.some((i) => i.startsWith('src/local-ci/build-runner'))).toBe(true);
    expect(
      loaded.filter((i) => i.includes('node_modules/yaml/') || i.includes('documents/generated/')),
    ).toEqual([]);
  });

  it('no local command loads the AWS SDK or esbuild statically (they stay external and lazy)', () => {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as BundleMeta;
    for (const [out, o] of Object.entries(meta.outputs)) {
      const eager = o.imports.filter(
        (i) => i.kind === 'import-statement' && /@aws-sdk|^esbuild$/.test(i.path),
      );
      expect(eager, out).toEqual([]);
    }
  });

  it('only `conveyor dashboard` loads the dashboard, and no Node chunk holds its page (Preact, htm, uPlot)', () => {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as BundleMeta;
    for (const name of Object.keys(commands).filter((n) => n !== 'dashboard')) {
      const loaded = [...staticallyLoaded(meta, `src/cli/commands/${name}.ts`)];
      expect(
        loaded.filter((i) => i.startsWith('src/dashboard/')),
        name,
      ).toEqual([]);
    }
    for (const [out, o] of Object.entries(meta.outputs)) {
      const page = Object.keys(o.inputs).filter((i) =>
        /node_modules\/(preact|htm|uplot)\/|src\/dashboard\/web\//.test(i),
      );
      expect(page, out).toEqual([]);
    }
  });
});
