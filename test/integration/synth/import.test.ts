/**
 * Round trip: an existing document -> `conveyor import` -> TS source -> `conveyor synth` -> the
 * same document (less get-pipeline's server metadata and version counter).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../../../src/cli/run-cli.js';
import { importDocument, normalizeAction } from '../../../src/synth/import.js';
import { listFiles, repoRoot, synth, tempProject } from './helpers.js';

/** Documents that import and round-trip (ok/) and documents import must refuse (err/). */
const fixtures = join(repoRoot, 'test/fixtures/synth/ok');
const badFixtures = join(repoRoot, 'test/fixtures/synth/err');
const builderModule = join(repoRoot, 'src/synth/index.ts');
const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});

type Json = Record<string, unknown>;

function normalizePipeline(doc: Json): Json {
  const { version: _serverVersion, ...pipeline } = doc;
  return {
    ...pipeline,
    stages: (pipeline.stages as Json[]).map((s) => ({
      ...s,
      actions: (s.actions as never[]).map(normalizeAction),
    })),
  };
}

/** `fill`: what the user writes in place of a masked value before synth (synth refuses `****`). */
async function roundTrip(fixture: string, folder: string, fill?: [string, string]) {
  const raw = readFileSync(join(fixtures, fixture), 'utf8');
  const imported = importDocument(raw, fixture, { module: builderModule });
  const text = fill ? raw.replaceAll(`"${fill[0]}"`, `"${fill[1]}"`) : raw;
  const edited = fill ? imported.source.replaceAll(`'${fill[0]}'`, `'${fill[1]}'`) : imported.source;
  const project = tempProject({ [`${folder}/${imported.name}.ts`]: edited });
  cleanups.push(project.cleanup);
  const r = await synth(project.root);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  // A pipeline also gets its derived IAM policy; the document itself is the other file.
  const files = listFiles(join(project.root, 'conveyor.out')).filter((f) => !f.endsWith('.iam-policy.json'));
  expect(files).toHaveLength(1);
  const emitted = readFileSync(join(project.root, 'conveyor.out', files[0] as string), 'utf8');
  return { imported, original: parse(text) as Json, emitted: parse(emitted) as Json, path: files[0] };
}

describe('import then synth gives back an equivalent document', () => {
  it('a get-pipeline JSON (with metadata, cross-region stores, triggers, variables, conditions)', async () => {
    const { imported, original, emitted, path } = await roundTrip('get-pipeline.json', 'pipelines', [
      '****',
      'token-filled-in-by-the-user',
    ]);
    expect(path).toBe('pipelines/storefront.json');
    expect(Object.keys(emitted)).toEqual(['pipeline']);
    expect(normalizePipeline(emitted.pipeline as Json)).toEqual(normalizePipeline(original.pipeline as Json));
    // Known providers become helpers; the deprecated GitHub v1 action stays a literal, with a note.
    expect(imported.source).toContain('Action.codeStarConnectionSource(');
    expect(imported.source).toContain('Action.codeBuild(');
    expect(imported.source).toContain('Action.manualApproval(');
    expect(imported.source).toContain('timeout: Duration.days(1)');
    expect(imported.source).toContain('Trigger.git(');
    expect(imported.notes).toContain(
      'Source/Legacy configuration OAuthToken was masked by get-pipeline; fill in the real value',
    );
    expect(imported.notes).toContain('Source/Legacy (GitHub) is kept as a plain ActionDeclaration');
  });

  it.each([
    ['ec2-appspec.yml', 'apps/ec2-appspec/appspec.yml'],
    ['ecs-appspec.yaml', 'apps/ecs-appspec/appspec.yaml'],
    ['lambda-appspec.yml', 'apps/lambda-appspec/appspec.yaml'],
  ])('an appspec: %s', async (fixture, expectedPath) => {
    const { imported, original, emitted, path } = await roundTrip(fixture, 'appspec');
    expect(path).toBe(expectedPath);
    expect(emitted).toEqual(original);
    expect(imported.source).toContain('defineAppspec(');
  });

  it('a buildspec (a string command list comes back as the one-item list CodeBuild reads it as)', async () => {
    const { original, emitted } = await roundTrip('buildspec.yml', 'buildspec');
    const phases = original.phases as Record<string, Json>;
    (phases.build as Json).commands = [(phases.build as Json).commands];
    expect(emitted).toEqual(original);
  });
});

describe('conveyor import CLI', () => {
  async function run(args: string[], cwd: string) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(['import', ...args], {
      cwd,
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
    });
    return { code, stdout, stderr };
  }

  it('prints the source, or writes it with --out and refuses to overwrite without --force', async () => {
    const p = tempProject({ 'appspec.yml': readFileSync(join(fixtures, 'ec2-appspec.yml'), 'utf8') });
    cleanups.push(p.cleanup);
    const printed = await run(['appspec.yml', '--name', 'shop'], p.root);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain("import { Duration, defineAppspec, hook } from 'conveyor';");
    expect(printed.stdout).toContain("name: 'shop'");
    const written = await run(['appspec.yml', '--out', 'appspec/shop.ts'], p.root);
    expect(written.code).toBe(0);
    expect(written.stdout).toContain("imported appspec 'appspec' into appspec/shop.ts");
    const again = await run(['appspec.yml', '--out', 'appspec/shop.ts'], p.root);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('appspec/shop.ts exists');
  });

  it('fails clearly on a file it cannot read or recognise', async () => {
    const p = tempProject({
      'notes.yml': readFileSync(join(badFixtures, 'notes.yml'), 'utf8'),
      'broken.json': readFileSync(join(badFixtures, 'broken.json'), 'utf8'),
    });
    cleanups.push(p.cleanup);
    expect((await run(['missing.json'], p.root)).code).toBe(2);
    const unknown = await run(['notes.yml'], p.root);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('notes.yml: not a pipeline');
    const broken = await run(['broken.json'], p.root);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/broken\.json:1:\d+: not valid YAML\/JSON/);
  });
});
