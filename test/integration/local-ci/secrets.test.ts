import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/run-cli.js';
import type { RunRecord } from '../../../src/local-ci/run-store.js';
import { cli, gitInit, lastEvent, releasePipeline, tempDir, write } from './helpers.js';

// Fake secrets, made up for these tests.
const DB_PW = 'fake-db-pw-3f9a1c';
const API_KEY = 'fake-api-key-77e0b4';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

function project(files: Record<string, string>): string {
  const t = tempDir('conveyor-secrets-');
  cleanups.push(t.cleanup);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(t.dir, name, '..'), { recursive: true });
    write(t.dir, name, text);
  }
  return t.dir;
}

function secretsFile(dir: string): void {
  mkdirSync(join(dir, '.conveyor'), { recursive: true });
  write(
    join(dir, '.conveyor'),
    'secrets.json',
    JSON.stringify({
      'parameter-store': { '/test/db/pw': DB_PW },
      'secrets-manager': { 'test/api': { key: API_KEY } },
    }),
  );
}

/** Every file under `dir`, with its content. */
function filesUnder(dir: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push({ path, text: readFileSync(path, 'latin1') });
  }
  return out;
}

/** Names (never values) of the places where a secret shows in clear. */
function leaks(where: Record<string, string>): string[] {
  return Object.entries(where)
    .filter(([, text]) => text.includes(DB_PW) || text.includes(API_KEY))
    .map(([name]) => name);
}

function runFolderLeaks(dir: string): string[] {
  return leaks(Object.fromEntries(filesUnder(join(dir, '.conveyor', 'runs')).map((f) => [f.path, f.text])));
}

const buildspec = `version: 0.2
env:
  parameter-store:
    DB_PW: /test/db/pw
  secrets-manager:
    API_KEY: test/api:key
  exported-variables: [PLAIN, DERIVED]
phases:
  build:
    commands:
      - echo "the password is $DB_PW"
      - printf '%.6s' "$DB_PW"; sleep 0.3; printf '%s\\n' "\${DB_PW#??????}"
      - echo "key $API_KEY" >&2
      - export PLAIN="$DB_PW" DERIVED="x-$API_KEY-y"
      - printf '%s %s' "$DB_PW" "$API_KEY" > used.txt
`;

describe('conveyor build: secrets are masked everywhere', () => {
  it('masks parameter-store and secrets-manager values in the terminal, events, build.log, run.json and runs show', async () => {
    const dir = project({ 'buildspec.yml': buildspec });
    secretsFile(dir);
    const json = await cli(['build', '--json'], dir);
    expect(json.code).toBe(0);
    // The commands saw the real values.
    expect(readFileSync(join(dir, 'used.txt'), 'utf8')).toBe(`${DB_PW} ${API_KEY}`);
    const record = (lastEvent(json.stdout) as { record: RunRecord }).record;
    expect(record.exportedVariables).toEqual({ PLAIN: '***', DERIVED: 'x-***-y' });
    const log = readFileSync(record.logPath!, 'utf8');
    expect(log).toContain('the password is ***');
    // Split across two output chunks, still masked.
    expect(log).toMatch(/^\*\*\*$/m);
    expect(log).toContain('key ***');
    const plain = await cli(['build'], dir);
    expect(plain.stdout).toContain('the password is ***');
    expect(plain.stdout).toContain('Exported variables: PLAIN=*** DERIVED=x-***-y');
    let tty = '';
    await runCli(['build'], {
      cwd: dir,
      stdout: { write: (s: string) => (tty += s), isTTY: true },
      stderr: { write: (s: string) => (tty += s) },
    });
    const shown = await cli(['runs', 'show', record.id], dir);
    const shownJson = await cli(['runs', 'show', record.id, '--json'], dir);
    const list = await cli(['runs'], dir);
    expect(shownJson.stdout).toContain('x-***-y');
    expect(
      leaks({
        'build --json': json.stdout,
        build: plain.stdout + plain.stderr,
        'build on a terminal': tty,
        'runs show': shown.stdout,
        'runs show --json': shownJson.stdout,
        runs: list.stdout,
      }),
    ).toEqual([]);
    expect(runFolderLeaks(dir)).toEqual([]);
  });

  it('masks a secret given in the environment, and a failing command quoting it', async () => {
    const dir = project({
      'buildspec.yml': `version: 0.2
env:
  parameter-store:
    DB_PW: /not/in/the/file
phases:
  build:
    commands:
      - echo "$DB_PW" | grep -q nothing-like-it || { echo "no match for $DB_PW"; exit 3; }
`,
    });
    const r = await cli(['build', '--json'], dir, { ...process.env, DB_PW });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('no match for ***');
    expect(leaks({ 'build --json': r.stdout })).toEqual([]);
    expect(runFolderLeaks(dir)).toEqual([]);
  });
});

describe('conveyor run: secrets are masked in the pipeline record and in later actions', () => {
  it('masks secrets and output variables derived from them, while later actions get the real value', async () => {
    const outside = tempDir('conveyor-secrets-seen-');
    cleanups.push(outside.cleanup);
    const pipeline = releasePipeline([
      {
        name: 'Build',
        actions: [
          {
            name: 'Compile',
            actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' },
            configuration: {
              ProjectName: 'app-build',
              EnvironmentVariables: JSON.stringify([
                { name: 'PW', type: 'PARAMETER_STORE', value: '/test/db/pw' },
              ]),
            },
            inputArtifacts: [{ name: 'Src' }],
            namespace: 'BuildVariables',
          },
        ],
      },
      {
        name: 'Deploy',
        actions: [
          {
            name: 'Publish',
            actionTypeId: { category: 'Deploy', owner: 'AWS', provider: 'S3', version: '1' },
            configuration: { BucketName: 'b-#{BuildVariables.TOKEN}', Extract: 'true' },
            inputArtifacts: [{ name: 'Src' }],
          },
        ],
      },
    ]);
    const dir = project({
      'buildspec.yml': `version: 0.2
env:
  exported-variables: [TOKEN]
phases:
  build:
    commands:
      - echo "building with $PW"
      - export TOKEN="$PW"
`,
      'pipelines/release.json': pipeline,
    });
    gitInit(dir);
    secretsFile(dir);
    write(
      join(dir, '.conveyor'),
      'local-actions.yml',
      `actions:\n  Deploy/Publish: 'echo "config: $CONVEYOR_ACTION_CONFIGURATION"; printf "%s" "$CONVEYOR_ACTION_CONFIGURATION" > ${outside.dir}/seen.json'\n`,
    );
    const r = await cli(['run', 'release', '--json'], dir);
    expect(r.code).toBe(0);
    // The later action was given the real value.
    expect(JSON.parse(readFileSync(join(outside.dir, 'seen.json'), 'utf8'))).toMatchObject({
      BucketName: `b-${DB_PW}`,
    });
    const record = (lastEvent(r.stdout) as { record: RunRecord }).record;
    const compile = record.stages![1]!.actions[0]!;
    expect(compile.outputVariables).toEqual({ TOKEN: '***' });
    const publish = record.stages![2]!.actions[0]!;
    expect(readFileSync(publish.logPath!, 'utf8')).toContain('"BucketName":"b-***"');
    const shown = await cli(['runs', 'show', record.id], dir);
    const shownJson = await cli(['runs', 'show', record.id, '--json'], dir);
    expect(shown.stdout).toContain('TOKEN=***');
    expect(
      leaks({
        'run --json': r.stdout + r.stderr,
        'runs show': shown.stdout,
        'runs show --json': shownJson.stdout,
      }),
    ).toEqual([]);
    expect(runFolderLeaks(dir)).toEqual([]);
  });
});
