import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { approveLocalAction, pendingApprovals } from '../../../src/local-ci/approvals.js';
import { tryLock } from '../../../src/local-ci/lock.js';
import type { PipelineDeclaration } from '../../../src/local-ci/pipeline/model.js';
import { preflight } from '../../../src/local-ci/pipeline/plan.js';
import { runPipeline } from '../../../src/local-ci/pipeline/runner.js';
import type { RunRecord } from '../../../src/local-ci/run-store.js';
import { cli, gitInit, lastEvent, sourceStage, tempDir, write } from './helpers.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

const source = sourceStage;
const codebuild = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' },
  configuration: { ProjectName: 'app-build' },
  inputArtifacts: [{ name: 'Src' }],
  outputArtifacts: [{ name: 'Built' }],
  namespace: 'BuildVariables',
  ...extra,
});
const mapped = (
  name: string,
  provider = 'S3',
  extra: { configuration?: Record<string, string>; inputArtifacts?: { name: string }[] } = {},
) => ({
  name,
  actionTypeId: { category: 'Deploy', owner: 'AWS', provider, version: '1' },
  configuration: {
    ...(provider === 'ECS'
      ? { ClusterName: 'c', ServiceName: 's' }
      : { BucketName: 'site', Extract: 'true' }),
    ...extra.configuration,
  },
  inputArtifacts: extra.inputArtifacts ?? [{ name: 'Built' }],
});
const manual = (name: string) => ({
  name,
  actionTypeId: { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' },
});

const buildspec = `version: 0.2
env:
  exported-variables: [APP_VERSION]
phases:
  build:
    commands:
      - export APP_VERSION="v-$(cut -c1-7 <<< "$CODEBUILD_RESOLVED_SOURCE_VERSION")"
      - mkdir -p dist && cp app.txt dist/ && echo "$APP_VERSION" > dist/version.txt
artifacts:
  files: ['**/*']
  base-directory: dist
`;

function repo(
  pipeline: Record<string, unknown>,
  localActions = '',
  files: Record<string, string> = {},
): { dir: string; commit: string } {
  const t = tempDir('conveyor-pipeline-');
  cleanups.push(t.cleanup);
  mkdirSync(join(t.dir, 'pipelines'));
  write(t.dir, 'buildspec.yml', buildspec);
  write(t.dir, 'app.txt', 'app one\n');
  for (const [k, v] of Object.entries(files)) {
    mkdirSync(join(t.dir, k, '..'), { recursive: true });
    write(t.dir, k, v);
  }
  write(
    join(t.dir, 'pipelines'),
    'release.json',
    JSON.stringify(
      { pipeline: { name: 'release', roleArn: 'arn:aws:iam::123456789012:role/r', ...pipeline } },
      null,
      2,
    ),
  );
  const commit = gitInit(t.dir);
  if (localActions) {
    mkdirSync(join(t.dir, '.conveyor'), { recursive: true });
    write(join(t.dir, '.conveyor'), 'local-actions.yml', localActions);
  }
  return { dir: t.dir, commit };
}

function commitChange(dir: string, file: string, text: string): string {
  write(dir, file, text);
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 't',
    GIT_AUTHOR_EMAIL: 't@t',
    GIT_COMMITTER_NAME: 't',
    GIT_COMMITTER_EMAIL: 't@t',
  };
  execFileSync('git', ['commit', '-qam', `change ${file}`], { cwd: dir, env });
  return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir }).toString().trim();
}

async function run(
  dir: string,
  ...args: string[]
): Promise<{ code: number; record: RunRecord; stdout: string; stderr: string }> {
  const r = await cli(['run', 'release', '--json', ...args], dir);
  const event = lastEvent(r.stdout) as { type: string; record: RunRecord };
  return { ...r, record: event.record };
}

const stage = (r: RunRecord, name: string) => r.stages!.find((s) => s.name === name)!;

/** Polls a condition on the file system (bounded), for tests that wait on what runs are doing. */
async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('conveyor run', () => {
  it('runs source, parallel build actions and a mapped deploy, passing artifacts and variables', async () => {
    const { dir, commit } = repo(
      {
        pipelineType: 'V2',
        variables: [{ name: 'Env', defaultValue: 'dev' }],
        stages: [
          source,
          {
            name: 'Build',
            actions: [
              codebuild('Compile'),
              {
                name: 'Check',
                actionTypeId: { category: 'Compute', owner: 'AWS', provider: 'Commands', version: '1' },
                commands: ['test "$(cat app.txt)" = "app one"'],
                inputArtifacts: [{ name: 'Src' }],
              },
            ],
          },
          {
            name: 'Deploy',
            actions: [
              mapped('Publish', 'S3', {
                configuration: {
                  BucketName: 'site-#{variables.Env}',
                  ObjectKey: '#{BuildVariables.APP_VERSION}/#{SourceVariables.BranchName}',
                },
              }),
            ],
          },
        ],
      },
      `actions:\n  Deploy/Publish: 'cat version.txt; echo "$CONVEYOR_ACTION_CONFIGURATION"'\n`,
    );
    const { code, record, stdout } = await run(dir, '--variable', 'Env=prod');
    expect(stdout).toContain('no buildspec mapping');
    expect(code).toBe(0);
    expect(record.status).toBe('Succeeded');
    expect(record.commit).toBe(commit);
    const compile = stage(record, 'Build').actions.find((a) => a.name === 'Compile')!;
    expect(compile.outputVariables).toEqual({ APP_VERSION: `v-${commit.slice(0, 7)}` });
    const check = stage(record, 'Build').actions.find((a) => a.name === 'Check')!;
    // Same runOrder: the two build actions overlapped in time.
    expect(Date.parse(check.startedAt!)).toBeLessThan(Date.parse(compile.startedAt!) + compile.durationMs!);
    const publish = stage(record, 'Deploy').actions[0]!;
    expect(publish.status).toBe('Succeeded');
    const buildRun = JSON.parse(
      readFileSync(join(dir, '.conveyor', 'runs', publish.buildRunId!, 'run.json'), 'utf8'),
    ) as RunRecord;
    expect(buildRun.trigger).toMatchObject({ type: 'pipeline', parentRunId: record.id });
    const log = readFileSync(buildRun.logPath!, 'utf8');
    expect(log).toContain(`"ObjectKey":"v-${commit.slice(0, 7)}/main"`);
    expect(log).toContain('"BucketName":"site-prod"');
  });

  it('lists actions that cannot run locally before starting anything (exit 2)', async () => {
    const { dir } = repo({
      stages: [
        source,
        { name: 'Deploy', actions: [mapped('ToEcs', 'ECS', { inputArtifacts: [{ name: 'Src' }] })] },
      ],
    });
    const r = await cli(['run', 'release'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Deploy/ToEcs (AWS/Deploy/ECS) cannot run locally');
    expect(r.stderr).toContain('local-actions.yml');
    expect(existsSync(join(dir, '.conveyor', 'runs'))).toBe(false);
  });

  it('refuses undeclared variables and invalid definitions', async () => {
    const { dir } = repo({ stages: [source, { name: 'Build', actions: [codebuild('Compile')] }] });
    const r = await cli(['run', 'release', '--variable', 'Nope=1'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("declares no variable 'Nope'");
    write(join(dir, 'pipelines'), 'broken.yml', 'pipeline:\n  name: broken\n  stages: oops\n');
    const bad = await cli(['run', 'pipelines/broken.yml'], dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('pipeline.stages is required');
  });

  it('fails an action whose variable reference nothing provides, and skips later stages', async () => {
    const { dir } = repo(
      {
        stages: [
          source,
          { name: 'Build', actions: [codebuild('Compile')] },
          {
            name: 'Deploy',
            actions: [
              mapped('Publish', 'S3', { configuration: { ObjectKey: '#{BuildVariables.NOT_EXPORTED}' } }),
            ],
          },
          { name: 'After', actions: [mapped('Later', 'S3')] },
        ],
      },
      'actions:\n  Publish: "true"\n  Later: "true"\n',
    );
    const { code, record } = await run(dir);
    expect(code).toBe(1);
    expect(stage(record, 'Deploy').actions[0]!.message).toContain(
      'unresolved variable reference #{BuildVariables.NOT_EXPORTED}',
    );
    expect(stage(record, 'After').status).toBe('Skipped');
  });

  it('waits for a manual approval answered through approveLocalAction; a rejection fails the run', async () => {
    const { dir } = repo(
      {
        stages: [
          source,
          { name: 'Gate', actions: [manual('Approve')] },
          { name: 'Deploy', actions: [mapped('Ship', 'S3', { inputArtifacts: [{ name: 'Src' }] })] },
        ],
      },
      'actions:\n  Ship: "touch ../../../../shipped"\n',
    );
    for (const decision of ['Approved', 'Rejected'] as const) {
      const running = run(dir);
      let pending: Awaited<ReturnType<typeof pendingApprovals>> = [];
      for (let i = 0; i < 100 && pending.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        pending = await pendingApprovals(dir);
      }
      expect(pending).toMatchObject([{ pipeline: 'release', stage: 'Gate', action: 'Approve' }]);
      expect(
        await approveLocalAction({
          cwd: dir,
          pipeline: 'release',
          stage: 'Gate',
          action: 'Approve',
          decision,
          summary: 'looks good',
        }),
      ).toBe(true);
      const { code, record } = await running;
      const gate = stage(record, 'Gate').actions[0]!;
      if (decision === 'Approved') {
        expect(code).toBe(0);
        expect(gate.message).toBe('Approved: looks good');
      } else {
        expect(code).toBe(1);
        expect(gate.message).toBe('Rejected: looks good');
        expect(stage(record, 'Deploy').status).toBe('Skipped');
      }
    }
    expect(
      await approveLocalAction({
        cwd: dir,
        pipeline: 'release',
        stage: 'Gate',
        action: 'Approve',
        decision: 'Approved',
      }),
    ).toBe(false);
    const cliAnswer = await cli(['run', 'approve', 'release', 'Gate', 'Approve'], dir);
    expect(cliAnswer.code).toBe(1);
    expect(cliAnswer.stderr).toContain('no local run of release is waiting');
  });

  it('rolls a failed stage back to the last successful execution (onFailure ROLLBACK)', async () => {
    const { dir } = repo(
      {
        pipelineType: 'V2',
        stages: [
          source,
          { name: 'Build', actions: [codebuild('Compile')] },
          { name: 'Deploy', onFailure: { result: 'ROLLBACK' }, actions: [mapped('Ship')] },
        ],
      },
      // The deploy refuses a "bad" app and records what it shipped.
      `actions:\n  Ship: 'if grep -q bad app.txt; then exit 1; fi; echo "SHIPPED=$(cat app.txt)" > "$CONVEYOR_VARIABLES_FILE"'\n`,
    );
    const good = await run(dir);
    expect(good.code).toBe(0);
    commitChange(dir, 'app.txt', 'app bad\n');
    const bad = await run(dir);
    expect(bad.code).toBe(1);
    const deploy = stage(bad.record, 'Deploy');
    expect(deploy.status).toBe('RolledBack');
    expect(deploy.message).toContain(`rolled back to run ${good.record.id}`);
    const rollbackAction = deploy.actions.find((a) => a.name === 'Ship (rollback)')!;
    expect(rollbackAction.status).toBe('Succeeded');
    expect(rollbackAction.outputVariables).toEqual({ SHIPPED: 'app one' });
  });
});

describe('conveyor run: CodeBuild inputs and outputs', () => {
  it('maps the project to a buildspec, mounts secondary inputs, and routes secondary artifacts by output name', async () => {
    const second = {
      ...source.actions[0]!,
      name: 'Config',
      outputArtifacts: [{ name: 'Cfg' }],
      namespace: 'ConfigVariables',
    };
    const { dir } = repo(
      {
        stages: [
          { name: 'Source', actions: [source.actions[0]!, second] },
          {
            name: 'Build',
            actions: [
              codebuild('Multi', {
                configuration: {
                  ProjectName: 'multi',
                  PrimarySource: 'Src',
                  EnvironmentVariables: JSON.stringify([
                    { name: 'FLAVOR', value: 'blue', type: 'PLAINTEXT' },
                  ]),
                },
                inputArtifacts: [{ name: 'Src' }, { name: 'Cfg' }],
                outputArtifacts: [{ name: 'Web' }, { name: 'Docs' }],
              }),
            ],
          },
          { name: 'Check', actions: [mapped('Verify', 'S3', { inputArtifacts: [{ name: 'Docs' }] })] },
        ],
      },
      'localBuildspec:\n  multi: ci/multi.yml\nactions:\n  Verify: grep -q "docs blue" index.md\n',
      {
        'ci/multi.yml': `version: 0.2
phases:
  build:
    commands:
      - test -f "$CODEBUILD_SRC_DIR_Cfg/app.txt"
      - mkdir -p web docs && cp app.txt web/ && echo "docs $FLAVOR" > docs/index.md
artifacts:
  files: ['**/*']
  secondary-artifacts:
    Web:
      files: ['**/*']
      base-directory: web
    Docs:
      files: ['**/*']
      base-directory: docs
`,
      },
    );
    const { code, record } = await run(dir);
    const failure = record.stages!.flatMap((s) => s.actions).find((a) => a.status === 'Failed');
    expect(code, failure?.message).toBe(0);
    expect(stage(record, 'Check').actions[0]!.status).toBe('Succeeded');
    expect(
      readFileSync(join(dir, '.conveyor', 'runs', record.id, 'artifacts', 'Web', 'app.txt'), 'utf8'),
    ).toBe('app one\n');
  });
});

describe('local pipeline runs: execution modes and the deploy lock', { timeout: 60_000 }, () => {
  const slowPipeline = (mode: string): Record<string, unknown> => ({
    pipelineType: 'V2',
    executionMode: mode,
    stages: [
      source,
      { name: 'Build', actions: [mapped('Slow', 'S3', { inputArtifacts: [{ name: 'Src' }] })] },
    ],
  });
  const slow = 'actions:\n  Slow: "sleep 0.8"\n';

  it('QUEUED: a second execution starts after the first one finished', async () => {
    const { dir } = repo(slowPipeline('QUEUED'), slow);
    const first = run(dir);
    await new Promise((r) => setTimeout(r, 150));
    const second = run(dir);
    const [a, b] = await Promise.all([first, second]);
    expect([a.code, b.code], `${a.record.message} / ${b.record.message}`).toEqual([0, 0]);
    // One at a time, in the order they reached the queue (not necessarily the order the calls were made).
    const sourceStart = (r: RunRecord) => Date.parse(stage(r, 'Source').startedAt!);
    const [one, two] = [a.record, b.record].sort((x, y) => sourceStart(x) - sourceStart(y)) as [
      RunRecord,
      RunRecord,
    ];
    const lastOfOne = stage(one, 'Build');
    expect(sourceStart(two)).toBeGreaterThanOrEqual(Date.parse(lastOfOne.startedAt!) + lastOfOne.durationMs!);
  });

  it('SUPERSEDED: an execution waiting for a stage is replaced by a newer one', async () => {
    // Driven by what each run is observably doing, not by sleeps (a loaded machine starts runs late):
    // the Slow action records that it entered the Build stage and holds it until the test releases it.
    const gate = tempDir('conveyor-superseded-');
    cleanups.push(gate.cleanup);
    const hold = `echo in >> ${gate.dir}/entered; i=0; while [ ! -f ${gate.dir}/release ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done`;
    const { dir } = repo(slowPipeline('SUPERSEDED'), `actions:\n  Slow: '${hold}'\n`);
    const entered = () => {
      try {
        return readFileSync(join(gate.dir, 'entered'), 'utf8').split('\n').filter(Boolean).length;
      } catch {
        return 0;
      }
    };
    const waitingForBuild = () => {
      try {
        return readdirSync(join(dir, '.conveyor/locks/pipelines/release/stage-Build/waiting')).length;
      } catch {
        return 0;
      }
    };
    const a = run(dir);
    await until(() => entered() === 1, 'run A to hold the Build stage');
    const b = run(dir);
    await until(() => waitingForBuild() === 1, 'run B to wait for the Build stage');
    const c = run(dir);
    const rb = await b;
    writeFileSync(join(gate.dir, 'release'), '');
    const [ra, rc] = await Promise.all([a, c]);
    const why = [ra, rb, rc]
      .map(({ record: r }) =>
        [
          r.status,
          r.message,
          ...(r.stages ?? []).flatMap((s) =>
            s.actions.map((x) => `${s.name}/${x.name} ${x.status} ${x.message ?? ''}`),
          ),
        ].join(' '),
      )
      .join(' | ');
    expect(rb.record.status, why).toBe('Superseded');
    expect(rb.record.message).toContain(`superseded by run ${rc.record.id} before stage Build`);
    expect(ra.record.status, why).toBe('Succeeded');
    expect(rc.record.status, why).toBe('Succeeded');
    // B never ran the Build stage; A and C did.
    expect(entered()).toBe(2);
  });

  it('a deploy waits for the deploy lock another run holds, and fails clearly when it is not released in time', async () => {
    const { dir } = repo({
      stages: [
        source,
        {
          name: 'Deploy',
          actions: [
            {
              name: 'ToFleet',
              actionTypeId: { category: 'Deploy', owner: 'AWS', provider: 'CodeDeploy', version: '1' },
              configuration: { ApplicationName: 'hello', DeploymentGroupName: 'dev' },
              inputArtifacts: [{ name: 'Src' }],
            },
          ],
        },
      ],
    });
    write(
      join(dir, 'pipelines'),
      'dev-group.yml',
      'application: hello\ndeploymentGroup: dev\nprovider: local\n',
    );
    const pipeline = JSON.parse(readFileSync(join(dir, 'pipelines', 'release.json'), 'utf8'))
      .pipeline as PipelineDeclaration;
    const config = { codebuild: {}, codedeploy: {}, actions: {} };
    const report = preflight(pipeline, config, dir);
    expect(report.problems).toEqual([]);
    const deployed: string[] = [];
    const deployer = {
      deploy: async (o: { configFile: string; revisionDir: string }) => {
        deployed.push(readFileSync(join(o.revisionDir, 'app.txt'), 'utf8'));
        return { ok: true, message: `deployed with ${o.configFile.split('/').pop()}` };
      },
    };
    const base = {
      pipeline,
      root: dir,
      repoDir: dir,
      config,
      executors: report.executors,
      baseEnv: process.env,
      secrets: { parameterStore: {}, secretsManager: {} },
      clock: systemClock,
      deployer,
    };
    const holder = await tryLock(join(dir, '.conveyor', 'locks', 'deploy', 'hello--dev'), {
      runId: 'p-holder',
    });
    const timedOut = await runPipeline({ ...base, deployLockTimeoutMs: 500 });
    expect(timedOut.status).toBe('Failed');
    expect(stage(timedOut, 'Deploy').actions[0]!.message).toMatch(
      /deploy lock of hello\/dev still held by p-holder .*nothing was deployed/,
    );
    expect(deployed).toEqual([]);
    // The holder lets go once the run says it is waiting for the lock (and not before: no race with load).
    const waited = await runPipeline({
      ...base,
      deployLockTimeoutMs: 10_000,
      onEvent: (e) => {
        if (e.type === 'waiting' && e.what.startsWith('deploy lock'))
          setTimeout(() => void holder!.release(), 200);
      },
    });
    expect(waited.status).toBe('Succeeded');
    expect(stage(waited, 'Deploy').actions[0]!.message).toMatch(
      /deployed with dev-group.yml \(waited \d+ s for the deploy lock held by p-holder\)/,
    );
    expect(deployed).toEqual(['app one\n']);
  });
});

describe('local pipeline runs: stage conditions', () => {
  it('evaluates beforeEntry VariableCheck rules and retries a failed stage once (onFailure RETRY)', async () => {
    const { dir } = repo({ stages: [source] });
    const check = (value: string, result: string) => ({
      conditions: [
        {
          result,
          rules: [
            {
              name: 'OnMain',
              ruleTypeId: { category: 'Rule', owner: 'AWS', provider: 'VariableCheck', version: '1' },
              configuration: { Variable: '#{SourceVariables.BranchName}', Value: value, Operator: 'EQ' },
            },
          ],
        },
      ],
    });
    const pipeline = {
      name: 'release',
      stages: [
        source,
        {
          name: 'OnlyDev',
          beforeEntry: check('dev', 'SKIP'),
          actions: [mapped('Skipped', 'S3', { inputArtifacts: [{ name: 'Src' }] })],
        },
        {
          name: 'Flaky',
          beforeEntry: check('main', 'FAIL'),
          onFailure: { result: 'RETRY', retryConfiguration: { retryMode: 'FAILED_ACTIONS' } },
          actions: [mapped('Twice', 'S3', { inputArtifacts: [{ name: 'Src' }] })],
        },
      ],
    } as unknown as PipelineDeclaration;
    const marker = join(dir, 'attempts');
    const config = {
      codebuild: {},
      codedeploy: {},
      actions: { Skipped: 'exit 1', Twice: `echo x >> ${marker}; test $(wc -l < ${marker}) -ge 2` },
    };
    const report = preflight(pipeline, config, dir);
    const record = await runPipeline({
      pipeline,
      root: dir,
      repoDir: dir,
      config,
      executors: report.executors,
      baseEnv: process.env,
      secrets: { parameterStore: {}, secretsManager: {} },
      clock: systemClock,
    });
    expect(record.status).toBe('Succeeded');
    expect(stage(record, 'OnlyDev')).toMatchObject({
      status: 'Skipped',
      message: expect.stringContaining("is 'main', expected EQ 'dev'"),
    });
    expect(stage(record, 'Flaky').status).toBe('Succeeded');
    expect(readFileSync(marker, 'utf8').trim().split('\n')).toHaveLength(2);
  });
});
