import {
  type ActionExecutionDetail,
  type ActionExecutionStatus,
  CodePipelineClient,
  GetPipelineExecutionCommand,
  GetPipelineStateCommand,
  ListActionExecutionsCommand,
  PutApprovalResultCommand,
  type StageExecutionStatus,
  type StageState,
  StartPipelineExecutionCommand,
} from '@aws-sdk/client-codepipeline';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/run-cli.js';
import type { FakeClock } from '../../../src/core/clock.js';
import { awsContext, settleInFakeTime } from './helpers.js';

const cp = mockClient(CodePipelineClient);
const EXEC = '0f4b7c2e-5d1a-4c3e-9a8b-7e6d5c4b3a21';
const t = (s: number) => new Date(Date.UTC(2026, 10, 21, 12, 0, s));

let env: ReturnType<typeof awsContext>;
beforeEach(() => {
  cp.reset();
  env = awsContext();
});
afterEach(() => env.cleanup());

const stageState = (
  stageName: string,
  status: StageExecutionStatus,
  actions: { actionName: string; status?: ActionExecutionStatus; token?: string }[] = [],
): StageState => ({
  stageName,
  latestExecution: { pipelineExecutionId: EXEC, status },
  actionStates: actions.map((a) => ({
    actionName: a.actionName,
    ...(a.status ? { latestExecution: { status: a.status, ...(a.token ? { token: a.token } : {}) } } : {}),
  })),
});

const actionDetail = (
  stageName: string,
  actionName: string,
  status: ActionExecutionStatus,
  start: number,
  summary?: string,
): ActionExecutionDetail => ({
  pipelineExecutionId: EXEC,
  actionExecutionId: `${stageName}-${actionName}`,
  stageName,
  actionName,
  status,
  startTime: t(start),
  ...(summary
    ? {
        output: {
          executionResult: {
            externalExecutionId: 'hello-build:7d9c1b2a',
            externalExecutionSummary: summary,
            externalExecutionUrl:
              'https://console.aws.amazon.com/codebuild/home?region=eu-west-1#/builds/hello-build:7d9c1b2a/view/new',
          },
        },
      }
    : {}),
});

describe('conveyor pipeline start --watch', () => {
  it('follows an execution that fails in its build stage and exits 1', async () => {
    cp.on(StartPipelineExecutionCommand).resolves({ pipelineExecutionId: EXEC });
    cp.on(GetPipelineExecutionCommand)
      .resolvesOnce({
        pipelineExecution: { pipelineName: 'release', pipelineExecutionId: EXEC, status: 'InProgress' },
      })
      .resolvesOnce({
        pipelineExecution: { pipelineName: 'release', pipelineExecutionId: EXEC, status: 'InProgress' },
      })
      .resolves({
        pipelineExecution: { pipelineName: 'release', pipelineExecutionId: EXEC, status: 'Failed' },
      });
    cp.on(GetPipelineStateCommand)
      .resolvesOnce({ pipelineName: 'release', stageStates: [stageState('Source', 'InProgress')] })
      .resolvesOnce({
        pipelineName: 'release',
        stageStates: [stageState('Source', 'Succeeded'), stageState('Build', 'InProgress')],
      })
      .resolves({
        pipelineName: 'release',
        stageStates: [stageState('Source', 'Succeeded'), stageState('Build', 'Failed')],
      });
    cp.on(ListActionExecutionsCommand)
      .resolvesOnce({ actionExecutionDetails: [actionDetail('Source', 'Checkout', 'InProgress', 1)] })
      .resolvesOnce({
        actionExecutionDetails: [
          actionDetail('Build', 'Compile', 'InProgress', 20),
          actionDetail('Source', 'Checkout', 'Succeeded', 1),
        ],
      })
      // Newest first, and split over two pages as AWS may do.
      .resolvesOnce({
        actionExecutionDetails: [
          actionDetail('Build', 'Compile', 'Failed', 20, 'Build terminated with state: FAILED'),
        ],
        nextToken: 'page-2',
      })
      .resolves({ actionExecutionDetails: [actionDetail('Source', 'Checkout', 'Succeeded', 1)] });

    const run = runCli(
      ['pipeline', 'start', 'release', '--variable', 'DEPLOY_ENV=prod', '--variable', 'NOTE=a=b', '--watch'],
      env.ctx,
    );
    const code = await settleInFakeTime(run, env.ctx.clock as FakeClock);
    expect(env.err.text()).toBe('');
    expect(code).toBe(1);
    expect(cp.commandCalls(StartPipelineExecutionCommand)[0]!.args[0].input).toEqual({
      name: 'release',
      variables: [
        { name: 'DEPLOY_ENV', value: 'prod' },
        { name: 'NOTE', value: 'a=b' },
      ],
    });
    expect(cp.commandCalls(GetPipelineExecutionCommand)[0]!.args[0].input).toEqual({
      pipelineName: 'release',
      pipelineExecutionId: EXEC,
    });
    expect(cp.commandCalls(ListActionExecutionsCommand).map((c) => c.args[0].input)).toEqual([
      { pipelineName: 'release', filter: { pipelineExecutionId: EXEC } },
      { pipelineName: 'release', filter: { pipelineExecutionId: EXEC } },
      { pipelineName: 'release', filter: { pipelineExecutionId: EXEC } },
      { pipelineName: 'release', filter: { pipelineExecutionId: EXEC }, nextToken: 'page-2' },
    ]);
    expect(env.out.text()).toBe(
      [
        `Started release execution ${EXEC}`,
        '[Source] InProgress',
        '  Source/Checkout: InProgress',
        '[Source] Succeeded',
        '[Build] InProgress',
        '  Source/Checkout: Succeeded',
        '  Build/Compile: InProgress',
        '[Build] Failed',
        '  Build/Compile: Failed — Build terminated with state: FAILED (https://console.aws.amazon.com/codebuild/home?region=eu-west-1#/builds/hello-build:7d9c1b2a/view/new)',
        `Execution ${EXEC} Failed: Build/Compile failed: Build terminated with state: FAILED`,
        '',
      ].join('\n'),
    );
  });

  it('keeps following through throttling and reports success as NDJSON with exit 0', async () => {
    cp.on(StartPipelineExecutionCommand).resolves({ pipelineExecutionId: EXEC });
    cp.on(GetPipelineExecutionCommand)
      .rejectsOnce(
        Object.assign(new Error('Rate exceeded'), {
          name: 'ThrottlingException',
          $metadata: { attempts: 5 },
        }),
      )
      .resolves({ pipelineExecution: { pipelineExecutionId: EXEC, status: 'Succeeded' } });
    cp.on(GetPipelineStateCommand).resolves({ stageStates: [stageState('Source', 'Succeeded')] });
    cp.on(ListActionExecutionsCommand).resolves({
      actionExecutionDetails: [actionDetail('Source', 'Checkout', 'Succeeded', 1)],
    });
    const code = await settleInFakeTime(
      runCli(['pipeline', 'start', 'release', '--watch', '--json'], env.ctx),
      env.ctx.clock as FakeClock,
    );
    expect(env.err.text()).toBe('');
    expect(code).toBe(0);
    expect(
      env.out
        .text()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { type: 'started', pipeline: 'release', executionId: EXEC },
      { type: 'stage', stage: 'Source', status: 'Succeeded' },
      { type: 'action', stage: 'Source', action: 'Checkout', status: 'Succeeded' },
      { type: 'finished', executionId: EXEC, status: 'Succeeded' },
    ]);
    expect(cp.commandCalls(GetPipelineExecutionCommand)).toHaveLength(2);
  });

  it('without --watch prints the execution id and exits 0', async () => {
    cp.on(StartPipelineExecutionCommand).resolves({ pipelineExecutionId: EXEC });
    expect(await runCli(['pipeline', 'start', 'release', '--json'], env.ctx)).toBe(0);
    expect(JSON.parse(env.out.text())).toEqual({ pipeline: 'release', executionId: EXEC });
    expect(cp.commandCalls(StartPipelineExecutionCommand)[0]!.args[0].input).toEqual({ name: 'release' });
  });

  it('rejects a malformed --variable with exit 2 before calling AWS', async () => {
    expect(await runCli(['pipeline', 'start', 'release', '--variable', 'oops'], env.ctx)).toBe(2);
    expect(env.err.text()).toContain("--variable 'oops' must look like NAME=VALUE");
    expect(cp.calls()).toHaveLength(0);
  });

  it('a missing pipeline is exit 2 with the AWS message', async () => {
    const { PipelineNotFoundException } = await import('@aws-sdk/client-codepipeline');
    cp.on(StartPipelineExecutionCommand).rejects(
      new PipelineNotFoundException({
        message: "Account '111122223333' does not have a pipeline with name 'nope'",
        $metadata: {},
      }),
    );
    expect(await runCli(['pipeline', 'start', 'nope'], env.ctx)).toBe(2);
    expect(env.err.text()).toBe(
      "conveyor pipeline: pipeline not found (pipeline nope): Account '111122223333' does not have a pipeline with name 'nope'\n",
    );
  });
});

describe('conveyor pipeline approve', () => {
  it('reads the approval token from the pipeline state and sends PutApprovalResult', async () => {
    cp.on(GetPipelineStateCommand).resolves({
      pipelineName: 'release',
      stageStates: [
        stageState('Deploy', 'InProgress', [
          { actionName: 'Approve', status: 'InProgress', token: '3b7e2f0c-1111-4222-8333-944455556666' },
          { actionName: 'Ship' },
        ]),
      ],
    });
    cp.on(PutApprovalResultCommand).resolves({ approvedAt: t(30) });
    const code = await runCli(
      ['pipeline', 'approve', 'release', 'Deploy', 'Approve', '--reject', '--summary', 'not today'],
      env.ctx,
    );
    expect(env.err.text()).toBe('');
    expect(code).toBe(0);
    expect(cp.commandCalls(GetPipelineStateCommand)[0]!.args[0].input).toEqual({ name: 'release' });
    expect(cp.commandCalls(PutApprovalResultCommand)[0]!.args[0].input).toEqual({
      pipelineName: 'release',
      stageName: 'Deploy',
      actionName: 'Approve',
      result: { summary: 'not today', status: 'Rejected' },
      token: '3b7e2f0c-1111-4222-8333-944455556666',
    });
    expect(env.out.text()).toBe('rejected release/Deploy/Approve (AWS)\n');
  });

  it('says so when nothing waits for approval (exit 2, no PutApprovalResult)', async () => {
    cp.on(GetPipelineStateCommand).resolves({
      stageStates: [stageState('Deploy', 'Succeeded', [{ actionName: 'Approve', status: 'Succeeded' }])],
    });
    expect(await runCli(['pipeline', 'approve', 'release', 'Deploy', 'Approve'], env.ctx)).toBe(2);
    expect(env.err.text()).toContain(
      'no approval is waiting at release/Deploy/Approve (latest status: Succeeded)',
    );
    expect(cp.commandCalls(PutApprovalResultCommand)).toHaveLength(0);
  });

  it('names the stages when the stage does not exist', async () => {
    cp.on(GetPipelineStateCommand).resolves({
      stageStates: [stageState('Source', 'Succeeded'), stageState('Deploy', 'Succeeded')],
    });
    expect(await runCli(['pipeline', 'approve', 'release', 'Prod', 'Approve'], env.ctx)).toBe(2);
    expect(env.err.text()).toContain("pipeline release has no stage 'Prod' (stages: Source, Deploy)");
  });
});

describe('conveyor pipeline get', () => {
  it('prints the live pipeline without version and notes masked values', async () => {
    const { GetPipelineCommand } = await import('@aws-sdk/client-codepipeline');
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { FIXTURES } = await import('./helpers.js');
    const live = JSON.parse(readFileSync(join(FIXTURES, 'live', 'legacy.get-pipeline.json'), 'utf8'));
    cp.on(GetPipelineCommand).resolves(live);
    expect(await runCli(['pipeline', 'get', 'legacy'], env.ctx)).toBe(0);
    const doc = JSON.parse(env.out.text());
    expect(doc.pipeline.version).toBeUndefined();
    expect(doc.pipeline.stages[0].actions[0].configuration.OAuthToken).toBe('****');
    expect(env.err.text()).toBe(
      'note: AWS masks these values; supply them before applying: pipeline.stages[0].actions[0].configuration.OAuthToken\n',
    );
  });
});

describe('approve: local runs first', () => {
  it('answers a waiting local run without calling AWS', async () => {
    const { createPipelineCommand } = await import('../../../src/cli/commands/pipeline.js');
    const seen: unknown[] = [];
    const command = createPipelineCommand(async () => async (options) => {
      seen.push(options);
      return true;
    });
    expect(
      await command.run(['approve', 'release', 'Deploy', 'Approve', '--summary', 'ship it'], env.ctx),
    ).toBe(0);
    expect(seen).toEqual([
      {
        cwd: env.ctx.cwd,
        pipeline: 'release',
        stage: 'Deploy',
        action: 'Approve',
        decision: 'Approved',
        summary: 'ship it',
      },
    ]);
    expect(cp.calls()).toHaveLength(0);
    expect(env.out.text()).toBe('approved release/Deploy/Approve (local run)\n');
  });

  it('falls back to AWS when no local run waits, or the local runner is not installed', async () => {
    const { createPipelineCommand } = await import('../../../src/cli/commands/pipeline.js');
    cp.on(GetPipelineStateCommand).resolves({
      stageStates: [
        stageState('Deploy', 'InProgress', [{ actionName: 'Approve', status: 'InProgress', token: 'tok-1' }]),
      ],
    });
    cp.on(PutApprovalResultCommand).resolves({});
    const notWaiting = createPipelineCommand(async () => async () => false);
    expect(await notWaiting.run(['approve', 'release', 'Deploy', 'Approve'], env.ctx)).toBe(0);
    const absent = createPipelineCommand(async () => undefined);
    expect(await absent.run(['approve', 'release', 'Deploy', 'Approve', '--json'], env.ctx)).toBe(0);
    expect(cp.commandCalls(PutApprovalResultCommand).map((c) => c.args[0].input.result)).toEqual([
      { summary: 'Approved with conveyor', status: 'Approved' },
      { summary: 'Approved with conveyor', status: 'Approved' },
    ]);
  });
});

describe('interrupting a watch', () => {
  it('Ctrl-C stops following with a hint to resume, exit 1', async () => {
    cp.on(StartPipelineExecutionCommand).resolves({ pipelineExecutionId: EXEC });
    cp.on(GetPipelineExecutionCommand).resolves({
      pipelineExecution: { pipelineExecutionId: EXEC, status: 'InProgress' },
    });
    cp.on(GetPipelineStateCommand).resolves({ stageStates: [] });
    cp.on(ListActionExecutionsCommand).resolves({ actionExecutionDetails: [] });
    const controller = new AbortController();
    const run = runCli(['pipeline', 'start', 'release', '--watch'], {
      ...env.ctx,
      signal: controller.signal,
    });
    const clock = env.ctx.clock as FakeClock;
    while (clock.pending === 0) await new Promise((r) => setTimeout(r, 1));
    controller.abort();
    expect(await run).toBe(1);
    expect(env.err.text()).toBe(
      `conveyor pipeline: stopped following; execution ${EXEC} goes on in AWS — conveyor pipeline watch release ${EXEC}\n`,
    );
  });
});

describe('manual approval while watching', () => {
  it('reports the wait (with the approve command) even when the token appears a poll after the action started', async () => {
    cp.on(StartPipelineExecutionCommand).resolves({ pipelineExecutionId: EXEC });
    cp.on(GetPipelineExecutionCommand)
      .resolvesOnce({ pipelineExecution: { pipelineExecutionId: EXEC, status: 'InProgress' } })
      .resolvesOnce({ pipelineExecution: { pipelineExecutionId: EXEC, status: 'InProgress' } })
      .resolves({ pipelineExecution: { pipelineExecutionId: EXEC, status: 'Succeeded' } });
    cp.on(GetPipelineStateCommand)
      .resolvesOnce({
        stageStates: [stageState('Deploy', 'InProgress', [{ actionName: 'Approve', status: 'InProgress' }])],
      })
      .resolvesOnce({
        stageStates: [
          stageState('Deploy', 'InProgress', [
            { actionName: 'Approve', status: 'InProgress', token: 'tok-9' },
          ]),
        ],
      })
      .resolves({
        stageStates: [stageState('Deploy', 'Succeeded', [{ actionName: 'Approve', status: 'Succeeded' }])],
      });
    cp.on(ListActionExecutionsCommand)
      .resolvesOnce({ actionExecutionDetails: [actionDetail('Deploy', 'Approve', 'InProgress', 1)] })
      .resolvesOnce({ actionExecutionDetails: [actionDetail('Deploy', 'Approve', 'InProgress', 1)] })
      .resolves({ actionExecutionDetails: [actionDetail('Deploy', 'Approve', 'Succeeded', 1)] });
    const code = await settleInFakeTime(
      runCli(['pipeline', 'start', 'release', '--watch'], env.ctx),
      env.ctx.clock as FakeClock,
    );
    expect(code).toBe(0);
    expect(env.out.text()).toBe(
      [
        `Started release execution ${EXEC}`,
        '[Deploy] InProgress',
        '  Deploy/Approve: InProgress',
        '  Deploy/Approve: waiting for approval — conveyor pipeline approve release Deploy Approve',
        '[Deploy] Succeeded',
        '  Deploy/Approve: Succeeded',
        `Execution ${EXEC} Succeeded`,
        '',
      ].join('\n'),
    );
  });
});

describe('the local runner approval hook', () => {
  it('is found in this build (src/local-ci/approvals.ts) and answers false when no local run waits', async () => {
    const { loadLocalApprover } = await import('../../../src/cli/commands/pipeline.js');
    const approve = await loadLocalApprover();
    expect(approve).toBeTypeOf('function');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const cwd = mkdtempSync(join(tmpdir(), 'conveyor-approve-'));
    try {
      expect(
        await approve!({
          cwd,
          pipeline: 'release',
          stage: 'Deploy',
          action: 'Approve',
          decision: 'Approved',
        }),
      ).toBe(false);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
