/**
 * The package as users get it: `npm pack`, installed into a fresh project in a temp folder (outside this
 * repository, so nothing resolves into its node_modules), runtime dependencies from the registry through the
 * npm cache, no dev dependency and no build step. Then what a user does first: validate, type-check and synth
 * a TypeScript pipeline importing 'conveyor' and 'conveyor/define', and a dry-run deployment of the example.
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/paths.js';

const ours = (name: string): string =>
  (
    JSON.parse(readFileSync(join(packageRoot, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;

/** The caller's environment less anything that points into this repository (npm scripts put its .bin on PATH). */
function userEnv(): NodeJS.ProcessEnv {
  const path = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => !dir.includes('node_modules') && !dir.startsWith(packageRoot))
    .join(delimiter);
  return {
    PATH: path,
    HOME: process.env.HOME ?? tmpdir(),
    TMPDIR: tmpdir(),
    LANG: 'C.UTF-8',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    npm_config_update_notifier: 'false',
    ...(process.env.npm_config_cache ? { npm_config_cache: process.env.npm_config_cache } : {}),
  };
}

function sh(cmd: string, args: string[], cwd: string, timeoutMs = 60_000): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env: userEnv(), encoding: 'utf8', timeout: timeoutMs });
}

function ok(r: SpawnSyncReturns<string>): string {
  if (r.status !== 0) throw new Error(`exit ${r.status} ${r.signal ?? ''}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const PIPELINE = `import type { Step } from 'conveyor';
import { Action, defineBuildspec, definePipeline, stage } from 'conveyor/define';

export const buildspec = defineBuildspec({
  name: 'shop',
  phases: { build: { commands: ['npm ci', 'npm test'] } },
  artifacts: { files: ['**/*'] },
});

export const pipeline = definePipeline({
  name: 'shop',
  roleArn: 'arn:aws:iam::123456789012:role/shop-pipeline',
  artifactStore: { bucket: 'shop-artifacts' },
  stages: [
    stage('Source', [
      Action.s3Source({ name: 'Source', bucket: 'shop-src', key: 'shop.zip', output: 'Src' }),
    ]),
    stage('Build', [Action.codeBuild({ name: 'Build', project: 'shop-build', inputs: ['Src'], outputs: ['Out'] })]),
  ],
});

// A type from the full entry point, checked by tsc (not exported: every export of a source is a definition).
const firstStep: Step['kind'] | undefined = undefined;
void firstStep;
`;

const BUILDSPEC = `version: 0.2
phases:
  build:
    commands:
      - echo building
artifacts:
  files: ['**/*']
`;

describe('the packed package installed into a fresh project', () => {
  let work: string;
  let app: string;
  let tarball: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'conveyor-pack-'));
    if (!existsSync(join(packageRoot, 'dist/cli/main.js'))) throw new Error('run `npm run build` first');
    // --ignore-scripts: dist/ is built already (`npm run test:package` builds it); `prepack` would build again.
    const packed = JSON.parse(
      ok(sh('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], packageRoot)),
    ) as { filename: string }[];
    tarball = join(work, packed[0]?.filename ?? '');

    app = join(work, 'app');
    mkdirSync(join(app, 'pipelines'), { recursive: true });
    mkdirSync(join(app, 'buildspec'));
    writeFileSync(
      join(app, 'package.json'),
      `${JSON.stringify({ name: 'shop', private: true, type: 'module' }, null, 2)}\n`,
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          types: ['node'],
          noEmit: true,
        },
        include: ['pipelines'],
      }),
    );
    writeFileSync(join(app, 'pipelines/shop.ts'), PIPELINE);
    writeFileSync(join(app, 'buildspec/buildspec.yml'), BUILDSPEC);
    cpSync(join(packageRoot, 'examples/hello-web'), join(app, 'hello-web'), { recursive: true });
    // The user's own dev tools, at the versions this repository uses.
    ok(
      sh(
        'npm',
        [
          'install',
          '--prefer-offline',
          '--no-audit',
          '--no-fund',
          tarball,
          `typescript@${ours('typescript')}`,
          `@types/node@${ours('@types/node')}`,
        ],
        app,
        240_000,
      ),
    );
  });
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the tarball holds only what runs: bundles, the validators, the dashboard stylesheet, type declarations, package.json and README', () => {
    const list = ok(sh('tar', ['tzf', tarball], work))
      .trim()
      .split('\n');
    const size = lstatSync(tarball).size;
    console.log(`conveyor tarball: ${(size / 1024).toFixed(0)} KiB packed, ${list.length} files`);
    expect(list).toContain('package/dist/cli/main.js');
    // `validate --cache` on an unchanged repository is answered by this file alone, before the CLI loads.
    expect(list).toContain('package/dist/cli/validate-cached.js');
    expect(list).toContain('package/dist/index.d.ts');
    expect(list).toContain('package/dist/synth/index.d.ts');
    // The dashboard's browser bundle, served from disk by `conveyor dashboard`.
    expect(list).toContain('package/dist/dashboard/app.js');
    expect(list).toContain('package/dist/dashboard/app.css');
    // The precompiled validators, one CommonJS module per schema, loaded by `validate` as it meets each kind.
    expect(list).toContain('package/dist/documents/generated/buildspec.cjs');
    const strays = list.filter(
      (f) =>
        !/^package\/(package\.json|README\.md|LICENSE)$/.test(f) &&
        !/^package\/dist\/.*\.(js|d\.ts|css)$/.test(f) &&
        !/^package\/dist\/documents\/generated\/[a-z0-9-]+\.cjs$/.test(f),
    );
    expect(strays).toEqual([]);
    expect(size).toBeLessThan(1024 * 1024);
  });

  it('installs a copy, not a link into this repository, with no dev dependency of ours', () => {
    expect(lstatSync(join(app, 'node_modules/conveyor')).isSymbolicLink()).toBe(false);
    for (const dev of ['vitest', 'tsx', '@biomejs/biome', 'aws-sdk-client-mock', 'playwright-core']) {
      expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
    }
    expect(existsSync(join(app, 'node_modules/@aws-sdk/client-codepipeline'))).toBe(true);
  });

  it('npx conveyor validate with no arguments finds buildspec/ and pipelines/', () => {
    const r = sh('npx', ['--no-install', 'conveyor', 'validate'], app);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toContain('2 files checked: 0 errors, 0 warnings');
  });

  it('a pipeline importing conveyor and conveyor/define type-checks with tsc and synthesizes', () => {
    ok(sh('npx', ['--no-install', 'tsc', '--noEmit', '-p', '.'], app));
    const r = sh('npx', ['--no-install', 'conveyor', 'synth'], app);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const emitted = JSON.parse(readFileSync(join(app, 'conveyor.out/pipelines/shop.json'), 'utf8')) as {
      pipeline: { name: string; stages: { name: string }[] };
    };
    expect(emitted.pipeline.name).toBe('shop');
    expect(emitted.pipeline.stages.map((s) => s.name)).toEqual(['Source', 'Build']);
  });

  it('a type error in the pipeline is caught by tsc against the shipped declarations', () => {
    const bad = join(app, 'pipelines/bad.ts');
    writeFileSync(
      bad,
      "import { definePipeline } from 'conveyor/define';\nexport const p = definePipeline({ name: 1 });\n",
    );
    try {
      const r = sh('npx', ['--no-install', 'tsc', '--noEmit', '-p', '.'], app);
      expect(r.status).not.toBe(0);
      expect(r.stdout).toContain('pipelines/bad.ts');
    } finally {
      rmSync(bad);
    }
  });

  it('npx conveyor deploy --dry-run prints the example canary plan', () => {
    const r = sh(
      'npx',
      [
        '--no-install',
        'conveyor',
        'deploy',
        '--config',
        'hello-web/deploy.yml',
        '--revision',
        'hello-web/v1',
        '--dry-run',
      ],
      app,
    );
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('dry run: v1 to hello/dev (now serving: nothing)');
    expect(r.stdout).toContain('strategy canary');
    expect(r.stderr).toBe('');
  });
});
