import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/run-cli.js';
import { builders, repoRoot, useTempProjects } from './helpers.js';

const project = useTempProjects();

async function validate(cwd: string, args: string[] = []) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['validate', ...args], {
    cwd,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

const pipeline = (input: string) => `
import { Action, definePipeline, stage } from ${builders};
export default definePipeline({
  name: 'release',
  roleArn: 'arn:aws:iam::123456789012:role/p',
  artifactStore: { bucket: 'artifacts-bucket' },
  stages: [
    stage('Source', [Action.s3Source({ name: 'Source', bucket: 'src-bucket', key: 'app.zip', output: 'Src' })]),
    stage('Build', [Action.codeBuild({ name: 'Build', project: 'p', inputs: ['${input}'] })]),
  ],
});
`;

const buildspecYaml = 'version: 0.2\nphases:\n  build:\n    commands:\n      - make\n';

describe('conveyor validate over TS definition sources', () => {
  it('checks the TS sources in the default folders of this repository', async () => {
    const r = await validate(repoRoot, ['--json']);
    const out = JSON.parse(r.stdout);
    expect(out.files).toEqual(
      expect.arrayContaining([
        'pipelines/web-app.ts',
        'pipelines/ecs-service.ts',
        'pipelines/lambda-function.ts',
      ]),
    );
    expect(out.summary.valid).toBe(true);
    expect(r.code).toBe(0);
  });

  it('reports a broken definition at its logical path, as synth does, and exits 1', async () => {
    const root = project({ 'pipelines/release.ts': pipeline('Nope') });
    const r = await validate(root);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'pipelines/release.ts › default › stages[1].actions[0].inputArtifacts[0].name error pipeline/artifact-not-produced',
    );
    expect(r.stderr).toContain('1 file checked: 1 error');
    const json = JSON.parse((await validate(root, ['--json'])).stdout);
    expect(json.diagnostics[0]).toMatchObject({
      file: 'pipelines/release.ts',
      where: 'default › stages[1].actions[0].inputArtifacts[0].name',
      ruleId: 'pipeline/artifact-not-produced',
      severity: 'error',
    });
    expect(json.summary).toMatchObject({ files: 1, errors: 1, valid: false });
  });

  it('gives a compile error its line and column', async () => {
    const root = project({ 'pipelines/broken.ts': 'export const x = 1 +;\n' });
    const r = await validate(root);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^pipelines\/broken\.ts:1:\d+ error synth\/source cannot compile/m);
  });

  it('names the source that throws while loading, without a stack trace', async () => {
    const root = project({
      'pipelines/throws.ts':
        "const n = 1;\nif (n) throw new Error('AWS_REGION is not set');\nexport default 1;\n",
    });
    const r = await validate(root);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('pipelines/throws.ts:2:');
    expect(r.stdout).toContain('failed to load: AWS_REGION is not set');
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/^\s+at /m);
    // Loading leaves no scratch folder behind.
    expect(existsSync(join(root, '.conveyor'))).toBe(false);
  });

  it('names a package a source imports that is not installed, without the scratch bundle path', async () => {
    const root = project({
      'pipelines/needs-pkg.ts': "import { x } from 'conveyor-no-such-package';\nexport default x;\n",
    });
    const r = await validate(root);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      "pipelines/needs-pkg.ts:0:0 error synth/source failed to load: Cannot find package 'conveyor-no-such-package'",
    );
    expect(r.stdout).not.toContain('.conveyor');
    expect(r.stdout).not.toContain('.mjs');
  });

  it('validates YAML and TS together; explicit .ts paths are shown as given', async () => {
    const root = project({
      'pipelines/release.ts': pipeline('Src'),
      'pipelines/_shared.ts': 'export const helper = 1;\n',
      'buildspec/api.yml': buildspecYaml,
      'scripts/tool.ts': 'throw new Error("not a definition source");\n',
    });
    const all = JSON.parse((await validate(root, ['--json', '.'])).stdout);
    // Helpers (`_`) and TS outside pipelines/ appspec/ buildspec/ are not definition sources.
    expect(all.files.sort()).toEqual(['buildspec/api.yml', 'pipelines/release.ts']);
    expect(all.summary.valid).toBe(true);
    const explicit = await validate(root, ['./pipelines/release.ts', 'buildspec/api.yml']);
    expect(explicit.code).toBe(0);
    expect(explicit.stderr).toContain('2 files checked: 0 errors');
  });

  it('counts TS files when the folder given is itself a source folder', async () => {
    const root = project({ 'pipelines/release.ts': pipeline('Nope') });
    const r = await validate(join(root, 'pipelines'), ['.']);
    expect(r.stdout).toContain('release.ts › default › stages[1].actions[0]');
    expect(r.code).toBe(1);
  });

  it('still exits 2 for a folder with neither documents nor TS sources', async () => {
    const root = project({ 'pipelines/README.md': 'nothing here\n' });
    const r = await validate(root, ['pipelines']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no buildspec, appspec, pipeline or deployment-group documents found');
  });
});

/** The compiled CLI in its own process: exit paths that only a real process has (drained loop, Ctrl-C). */
function spawnValidate(cwd: string, interruptWhenLoading?: true) {
  const child = spawn(process.execPath, [join(repoRoot, 'dist/cli/main.js'), 'validate'], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  // Ctrl-C once loading is under way (the scratch folder exists): the CLI's handlers are in place.
  const timer =
    interruptWhenLoading === undefined
      ? undefined
      : setInterval(() => {
          if (existsSync(join(cwd, '.conveyor'))) {
            clearInterval(timer);
            child.kill('SIGINT');
          }
        }, 50);
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise<{ code: number | null; output: string; ms: number }>((done) => {
    const started = Date.now();
    child.on('exit', (code) => {
      clearInterval(timer);
      clearTimeout(killer);
      done({ code, output, ms: Date.now() - started });
    });
  });
}

describe('conveyor validate (compiled CLI) on sources that do not finish loading', () => {
  it('reports a top-level await that never settles instead of exiting 13 in silence', async () => {
    const root = project({ 'pipelines/stuck.ts': 'await new Promise(() => {});\nexport default 1;\n' });
    const r = await spawnValidate(root);
    expect(r.output).toContain(
      'pipelines/stuck.ts:0:0 error synth/source failed to load: never finished loading',
    );
    expect(r.code).toBe(1);
    expect(existsSync(join(root, '.conveyor'))).toBe(false);
  }, 30_000);

  it('stops at Ctrl-C while a source is still loading, and leaves no scratch folder', async () => {
    const root = project({
      'pipelines/slow.ts': 'await new Promise((r) => setTimeout(r, 15_000));\nexport default 1;\n',
    });
    const r = await spawnValidate(root, true);
    expect(r.output).toContain('conveyor validate: interrupted while loading definition sources');
    expect(r.output).not.toMatch(/^\s+at /m);
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(12_000);
    expect(existsSync(join(root, '.conveyor'))).toBe(false);
  }, 30_000);
});
