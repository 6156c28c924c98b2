/**
 * Users run the bundled dist/ (scripts/bundle.ts), tests mostly run src/. Two things only the bundle can
 * get wrong: a dynamic import whose specifier the bundler cannot see (it is left as a path that no
 * longer exists next to the chunk), and a chunk that fails to load. Both are checked here.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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

  it.skipIf(!existsSync(cli))(
    'is ASCII only, chunks and validators (one non-ASCII character makes V8 hold a whole file as two-byte text)',
    () => {
      const files = [
        ...readdirSync(join(packageRoot, 'dist/chunks')).map((f) => join('dist/chunks', f)),
        ...readdirSync(join(packageRoot, 'dist/documents/generated')).map((f) =>
          join('dist/documents/generated', f),
        ),
      ].filter((f) => /\.c?js$/.test(f));
      expect(files.length).toBeGreaterThan(20);
      const nonAscii = files.filter((f) => /[^\x00-\x7f]/.test(readFileSync(join(packageRoot, f), 'utf8')));
      expect(nonAscii).toEqual([]);
    },
  );
});

describe('asciiSource', () => {
  it('escapes what is not ASCII without changing what the program means', async () => {
    const { asciiSource } = await import('../../src/documents/generate-validators.js');
    const code =
      'return ["bash, cmd.exe, \u2026 – § é", /[–—]+/.test("a—b"), /😀/u.test("x😀"), "😀".length]; // § comment';
    const escaped = asciiSource(code);
    expect(escaped).toMatch(/^[\x00-\x7f]*$/);
    expect(new Function(escaped)()).toEqual(new Function(code)());
    expect(new Function(escaped)()).toEqual(['bash, cmd.exe, … – § é', true, true, 2]);
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

const cliMain = join(packageRoot, 'dist/cli/main.js');
describe.skipIf(!existsSync(metaFile) || !existsSync(cliMain))('what `conveyor validate` loads', () => {
  /** The source modules (from the bundle's chunks) and generated validators the last of `runs` runs loads. */
  function loadedBy(
    args: string[],
    runs = 1,
  ): { sources: string[]; validators: string[]; status: number | null } {
    const dir = mkdtempSync(join(tmpdir(), 'conveyor-loads-'));
    try {
      const log = join(dir, 'loaded.txt');
      // ESM imports through a loader hook, require()d files (the validators) from require.cache at exit.
      writeFileSync(
        join(dir, 'hooks.mjs'),
        `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }\n`,
      );
      writeFileSync(
        join(dir, 'register.mjs'),
        `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`,
      );
      writeFileSync(
        join(dir, 'preload.cjs'),
        `process.on('exit', () => require('node:fs').appendFileSync(${JSON.stringify(log)}, Object.keys(require.cache).join('\\n') + '\\n'));\n`,
      );
      writeFileSync(
        join(dir, 'buildspec.yml'),
        'version: 0.2\nphases:\n  build:\n    commands:\n      - make\n',
      );
      // Long unchanged, as in a checkout: an mtime this old is trusted by --cache (not racily clean).
      utimesSync(join(dir, 'buildspec.yml'), 1_700_000_000, 1_700_000_000);
      for (let i = 1; i < runs; i++)
        spawnSync(process.execPath, [cliMain, ...args], { cwd: dir, timeout: 20_000 });
      const r = spawnSync(
        process.execPath,
        ['--require', join(dir, 'preload.cjs'), '--import', join(dir, 'register.mjs'), cliMain, ...args],
        { cwd: dir, encoding: 'utf8', timeout: 20_000 },
      );
      const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as BundleMeta;
      const lines = readFileSync(log, 'utf8').split('\n');
      const chunks = lines
        .filter((l) => l.startsWith('file://'))
        .map((l) => relative(packageRoot, fileURLToPath(l)));
      return {
        sources: chunks.flatMap((c) => Object.keys(meta.outputs[c]?.inputs ?? {})),
        validators: lines.filter((l) => l.includes('/generated/')).map((l) => relative(packageRoot, l)),
        status: r.status,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('one buildspec: its validator alone, and neither TypeBox, the deploy core, the worker pool nor the cache', () => {
    const { sources, validators, status } = loadedBy(['validate', 'buildspec.yml']);
    expect(status).toBe(0);
    expect(validators).toEqual(['dist/documents/generated/buildspec.cjs']);
    expect(sources.some((s) => s === 'src/documents/validate.ts')).toBe(true);
    expect(
      sources.filter((s) =>
        /node_modules\/@sinclair\/typebox\/|^src\/deploy\/|^src\/providers\/|validate-pool|validate-cache/.test(
          s,
        ),
      ),
    ).toEqual([]);
  });

  it('a --cache hit: answered before the CLI loads, without the YAML parser or any validator', () => {
    const { sources, validators, status } = loadedBy(['validate', '--cache', 'buildspec.yml'], 2);
    expect(status).toBe(0);
    expect(sources.some((s) => s === 'src/cli/validate-cached.ts')).toBe(true);
    // The command table and the validate command's own module graph stay unloaded.
    expect(sources.filter((s) => /^src\/cli\/(run-cli|commands|start)\.ts$/.test(s))).toEqual([]);
    expect(validators).toEqual([]);
    expect(sources.filter((s) => /node_modules\/yaml\/|^src\/documents\/validate\.ts$/.test(s))).toEqual([]);
  });
});
