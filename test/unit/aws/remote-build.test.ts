import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BatchGetBuildsCommand,
  type Build,
  type BuildPhase,
  CodeBuildClient,
  StartBuildCommand,
} from '@aws-sdk/client-codebuild';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import command from '../../../src/cli/commands/build-remote.js';
import type { FakeClock } from '../../../src/core/clock.js';
import { awsContext, FIXTURES, settleInFakeTime } from './helpers.js';

const cb = mockClient(CodeBuildClient);
const ID = 'hello-build:7d9c1b2a-3e4f-4a5b-8c6d-0e1f2a3b4c5d';
const DEEP_LINK =
  'https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logEvent:group=/aws/codebuild/hello-build;stream=7d9c1b2a-3e4f-4a5b-8c6d-0e1f2a3b4c5d';
const at = (s: number) => new Date(Date.UTC(2026, 10, 21, 12, 0, s));
const done = (
  phaseType: BuildPhase['phaseType'],
  start: number,
  secs: number,
  extra: Partial<BuildPhase> = {},
): BuildPhase => ({
  phaseType,
  phaseStatus: 'SUCCEEDED',
  startTime: at(start),
  endTime: at(start + secs),
  durationInSeconds: secs,
  contexts: [{ statusCode: '', message: '' }],
  ...extra,
});
const running = (phaseType: BuildPhase['phaseType'], start: number): BuildPhase => ({
  phaseType,
  startTime: at(start),
});
const build = (over: Partial<Build>): Build => ({
  id: ID,
  arn: `arn:aws:codebuild:eu-west-1:111122223333:build/${ID}`,
  buildNumber: 42,
  projectName: 'hello-build',
  startTime: at(0),
  buildComplete: false,
  buildStatus: 'IN_PROGRESS',
  ...over,
});

let env: ReturnType<typeof awsContext>;
beforeEach(() => {
  cb.reset();
  env = awsContext({ cwd: join(FIXTURES, 'build') });
});
afterEach(() => env.cleanup());

describe('conveyor build --remote', () => {
  it('starts the local buildspec on CodeBuild, follows phases, prints the logs link, exits 1 on failure', async () => {
    cb.on(StartBuildCommand).resolves({
      build: build({ currentPhase: 'SUBMITTED', phases: [running('SUBMITTED', 0)] }),
    });
    cb.on(BatchGetBuildsCommand)
      .resolvesOnce({
        builds: [
          build({
            currentPhase: 'PROVISIONING',
            phases: [done('SUBMITTED', 0, 1), done('QUEUED', 1, 2), running('PROVISIONING', 3)],
          }),
        ],
      })
      .resolvesOnce({
        builds: [
          build({
            currentPhase: 'BUILD',
            logs: { groupName: '/aws/codebuild/hello-build', deepLink: DEEP_LINK },
            phases: [
              done('SUBMITTED', 0, 1),
              done('QUEUED', 1, 2),
              done('PROVISIONING', 3, 20),
              done('DOWNLOAD_SOURCE', 23, 4),
              done('INSTALL', 27, 11),
              done('PRE_BUILD', 38, 0),
              running('BUILD', 38),
            ],
          }),
        ],
      })
      .resolves({
        builds: [
          build({
            currentPhase: 'COMPLETED',
            buildComplete: true,
            buildStatus: 'FAILED',
            logs: { groupName: '/aws/codebuild/hello-build', deepLink: DEEP_LINK },
            phases: [
              done('SUBMITTED', 0, 1),
              done('QUEUED', 1, 2),
              done('PROVISIONING', 3, 20),
              done('DOWNLOAD_SOURCE', 23, 4),
              done('INSTALL', 27, 11),
              done('PRE_BUILD', 38, 0),
              done('BUILD', 38, 31, {
                phaseStatus: 'FAILED',
                contexts: [
                  {
                    statusCode: 'COMMAND_EXECUTION_ERROR',
                    message: 'Error while executing command: npm test. Reason: exit status 1',
                  },
                ],
              }),
              done('POST_BUILD', 69, 0),
              done('UPLOAD_ARTIFACTS', 69, 1),
              done('FINALIZING', 70, 2),
              { phaseType: 'COMPLETED', startTime: at(72) },
            ],
          }),
        ],
      });
    const run = command.run(
      ['--remote', 'hello-build', '--env', 'STAGE=ci', '--env', 'TOKEN=a=b', '--logs'],
      env.ctx,
    );
    const code = await settleInFakeTime(run, env.ctx.clock as FakeClock);
    expect(code).toBe(1);
    expect(cb.commandCalls(StartBuildCommand)[0]!.args[0].input).toEqual({
      projectName: 'hello-build',
      buildspecOverride: readFileSync(join(FIXTURES, 'build', 'buildspec.yml'), 'utf8'),
      environmentVariablesOverride: [
        { name: 'STAGE', value: 'ci', type: 'PLAINTEXT' },
        { name: 'TOKEN', value: 'a=b', type: 'PLAINTEXT' },
      ],
    });
    expect(cb.commandCalls(BatchGetBuildsCommand).map((c) => c.args[0].input)).toEqual([
      { ids: [ID] },
      { ids: [ID] },
      { ids: [ID] },
    ]);
    expect(env.out.text()).toBe(
      [
        `Started ${ID} (#42)`,
        '  SUBMITTED         SUCCEEDED 1s',
        '  QUEUED            SUCCEEDED 2s',
        `Logs: ${DEEP_LINK}`,
        '  PROVISIONING      SUCCEEDED 20s',
        '  DOWNLOAD_SOURCE   SUCCEEDED 4s',
        '  INSTALL           SUCCEEDED 11s',
        '  PRE_BUILD         SUCCEEDED 0s',
        '  BUILD             FAILED 31s — COMMAND_EXECUTION_ERROR: Error while executing command: npm test. Reason: exit status 1',
        '  POST_BUILD        SUCCEEDED 0s',
        '  UPLOAD_ARTIFACTS  SUCCEEDED 1s',
        '  FINALIZING        SUCCEEDED 2s',
        `Build ${ID} FAILED`,
        '',
      ].join('\n'),
    );
  });

  it('a succeeding build exits 0; without --logs no link; --json streams events', async () => {
    cb.on(StartBuildCommand).resolves({ build: build({}) });
    cb.on(BatchGetBuildsCommand).resolves({
      builds: [
        build({
          buildComplete: true,
          buildStatus: 'SUCCEEDED',
          logs: { deepLink: DEEP_LINK },
          phases: [done('SUBMITTED', 0, 1), done('BUILD', 1, 5)],
        }),
      ],
    });
    const code = await settleInFakeTime(
      command.run(['--remote', 'hello-build', '--buildspec', 'buildspec.yml', '--json'], env.ctx),
      env.ctx.clock as FakeClock,
    );
    expect(code).toBe(0);
    expect(cb.commandCalls(StartBuildCommand)[0]!.args[0].input).not.toHaveProperty(
      'environmentVariablesOverride',
    );
    expect(
      env.out
        .text()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { type: 'started', project: 'hello-build', buildId: ID, buildNumber: 42 },
      { type: 'phase', phase: 'SUBMITTED', status: 'SUCCEEDED', durationSeconds: 1 },
      { type: 'phase', phase: 'BUILD', status: 'SUCCEEDED', durationSeconds: 5 },
      { type: 'finished', buildId: ID, status: 'SUCCEEDED' },
    ]);
  });

  it('refuses bad input before calling AWS', async () => {
    await expect(command.run(['--remote', 'p', '--buildspec', 'nope.yml'], env.ctx)).rejects.toThrow(
      'buildspec not found: nope.yml',
    );
    await expect(command.run(['--remote', 'p', '--env', 'CODEBUILD_X=1'], env.ctx)).rejects.toThrow(
      'names starting with CODEBUILD_ are reserved',
    );
    await expect(command.run(['--remote', 'p', '--out', 'x'], env.ctx)).rejects.toThrow(
      '--out is for local builds',
    );
    await expect(command.run([], env.ctx)).rejects.toThrow('--remote PROJECT is required');
    expect(cb.calls()).toHaveLength(0);
  });

  it('a missing project is a clear usage error', async () => {
    cb.on(StartBuildCommand).rejects(
      Object.assign(
        new Error('Project cannot be found: arn:aws:codebuild:eu-west-1:111122223333:project/nope'),
        {
          name: 'ResourceNotFoundException',
        },
      ),
    );
    await expect(command.run(['--remote', 'nope'], env.ctx)).rejects.toThrow(
      'resource not found (project nope): Project cannot be found: arn:aws:codebuild:eu-west-1:111122223333:project/nope',
    );
  });
});

describe('progress on a terminal', () => {
  it('redraws one status line in place with the running phase and elapsed time; plain streams get none', async () => {
    const { awsContext: makeContext, capture } = await import('./helpers.js');
    const tty = capture(true);
    const local = makeContext({ cwd: join(FIXTURES, 'build'), stdout: tty.stream });
    try {
      cb.on(StartBuildCommand).resolves({ build: build({}) });
      cb.on(BatchGetBuildsCommand)
        .resolvesOnce({
          builds: [build({ currentPhase: 'BUILD', phases: [done('SUBMITTED', 0, 1), running('BUILD', 1)] })],
        })
        .resolves({
          builds: [
            build({
              buildComplete: true,
              buildStatus: 'SUCCEEDED',
              phases: [done('SUBMITTED', 0, 1), done('BUILD', 1, 9)],
            }),
          ],
        });
      const code = await settleInFakeTime(
        command.run(['--remote', 'hello-build'], local.ctx),
        local.ctx.clock as FakeClock,
        5000,
      );
      expect(code).toBe(0);
      const text = tty.text();
      expect(text).toContain('\r\x1b[2Khello-build BUILD · 0s');
      expect(text.match(/\x1b\[2K/g)!.length).toBeGreaterThanOrEqual(3);
      // Permanent lines stay whole, and the status line is cleared at the end.
      expect(text).toContain('  BUILD             SUCCEEDED 9s\n');
      expect(text.endsWith(`Build ${ID} SUCCEEDED\n`)).toBe(true);
    } finally {
      local.cleanup();
    }
  });
});

describe('over the wire', () => {
  it('StartBuild and BatchGetBuilds through the real client against a loopback CodeBuild', async () => {
    // The real send() for this last test of the file: the client talks HTTP to a loopback stand-in.
    cb.restore();
    const { startFakeAws } = await import('./fake-aws-server.js');
    let polls = 0;
    const fake = await startFakeAws((req) => {
      if (req.target.endsWith('.StartBuild')) {
        return {
          status: 200,
          body: {
            build: {
              id: ID,
              buildNumber: 43,
              projectName: 'hello-build',
              buildStatus: 'IN_PROGRESS',
              startTime: 1795262400.0,
            },
          },
        };
      }
      polls++;
      return {
        status: 200,
        body: {
          builds: [
            {
              id: ID,
              buildComplete: polls > 1,
              buildStatus: polls > 1 ? 'SUCCEEDED' : 'IN_PROGRESS',
              currentPhase: polls > 1 ? 'COMPLETED' : 'BUILD',
              logs: { deepLink: DEEP_LINK },
              phases: [
                {
                  phaseType: 'SUBMITTED',
                  phaseStatus: 'SUCCEEDED',
                  startTime: 1795262400.0,
                  endTime: 1795262401.0,
                  durationInSeconds: 1,
                },
                ...(polls > 1
                  ? [{ phaseType: 'BUILD', phaseStatus: 'SUCCEEDED', durationInSeconds: 12 }]
                  : [{ phaseType: 'BUILD' }]),
              ],
            },
          ],
        },
      };
    });
    const local = awsContext({
      cwd: join(FIXTURES, 'build'),
      env: {
        AWS_REGION: 'eu-west-1',
        AWS_ENDPOINT_URL_CODEBUILD: fake.url,
        AWS_ACCESS_KEY_ID: 'AKIDTEST',
        AWS_SECRET_ACCESS_KEY: 'secret',
      },
    });
    try {
      const code = await settleInFakeTime(
        command.run(['--remote', 'hello-build', '--env', 'STAGE=ci', '--logs'], local.ctx),
        local.ctx.clock as FakeClock,
        5000,
      );
      expect(code).toBe(0);
      expect(fake.requests.map((r) => r.target)).toEqual([
        'CodeBuild_20161006.StartBuild',
        'CodeBuild_20161006.BatchGetBuilds',
        'CodeBuild_20161006.BatchGetBuilds',
      ]);
      expect(fake.requests[0]!.body).toEqual({
        projectName: 'hello-build',
        buildspecOverride: readFileSync(join(FIXTURES, 'build', 'buildspec.yml'), 'utf8'),
        environmentVariablesOverride: [{ name: 'STAGE', value: 'ci', type: 'PLAINTEXT' }],
      });
      expect(fake.requests[1]!.body).toEqual({ ids: [ID] });
      expect(local.out.text()).toContain(`Logs: ${DEEP_LINK}`);
      expect(local.out.text()).toContain('  BUILD             SUCCEEDED 12s');
    } finally {
      local.cleanup();
      await fake.close();
    }
  });
});
