import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchGetDeploymentTargetsCommand,
  CodeDeployClient,
  ContinueDeploymentCommand,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  ListDeploymentTargetsCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { checkCodeDeployDeployment, runCodeDeployHeld } from '../../../src/deploy/codedeploy-run.js';
import {
  createUnderLock,
  prepareDeployment,
  requestAbort,
  requestPromote,
} from '../../../src/deploy/engine.js';
import { type GroupContext, openGroup, readGroupState } from '../../../src/deploy/group.js';
import { createDeployment } from '../../../src/deploy/runner.js';
import type { CodeDeployProvider } from '../../../src/providers/codedeploy/provider.js';
import { mockedCodeDeployProvider } from './helpers.js';

const cd = mockClient(CodeDeployClient);
let dir: string;
let clock: FakeClock;

const GROUP = `application: hello
deploymentGroup: prod
provider: codedeploy
codedeploy:
  computePlatform: Server
  revision:
    s3: { bucket: conveyor-revisions-111122223333, key: hello/v2.zip, bundleType: zip }
strategy:
  type: blue-green
  readyWait: {}
`;

beforeEach(() => {
  cd.reset();
  clock = new FakeClock(Date.UTC(2026, 10, 21, 12));
  dir = mkdtempSync(join(tmpdir(), 'conveyor-cd-engine-'));
  writeFileSync(join(dir, 'group.yml'), GROUP);
  mkdirSync(join(dir, 'v2'));
  writeFileSync(join(dir, 'v2', 'appspec.yml'), 'version: 0.0\nos: linux\n');
  cd.on(GetDeploymentGroupCommand).resolves({
    deploymentGroupInfo: {
      computePlatform: 'Server',
      deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
      blueGreenDeploymentConfiguration: {
        deploymentReadyOption: { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: 120 },
      },
    },
  });
  cd.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-ENGINE001' });
  cd.on(ListDeploymentTargetsCommand).resolves({ targetIds: [] });
  cd.on(BatchGetDeploymentTargetsCommand).resolves({ deploymentTargets: [] });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the engine's CodeDeploy runner in fake time until `until` holds, then lets the test act. */
async function runUntil(run: Promise<unknown>, until: () => boolean) {
  let settled = false;
  void run.finally(() => {
    settled = true;
  });
  for (let i = 0; i < 2000 && !until() && !settled; i++) {
    if (clock.pending > 0) await clock.advance(1000);
    else await new Promise((r) => setTimeout(r, 1));
  }
}

/** The CodeDeploy runner of a recorded deployment, over `provider`. */
function runHeld(ctx: GroupContext, id: string, provider: CodeDeployProvider, pollMs?: number) {
  return runCodeDeployHeld(ctx, id, {
    clock,
    signal: new AbortController().signal,
    codeDeploy: provider,
    ...(pollMs ? { pollMs } : {}),
  });
}

async function start() {
  const ctx = openGroup('group.yml', { cwd: dir });
  const provider = mockedCodeDeployProvider(clock, 15_000);
  const planned = prepareDeployment(ctx, { revisionDir: 'v2', cwd: dir });
  await checkCodeDeployDeployment(ctx, planned.revision, { clock, codeDeploy: provider });
  const id = createUnderLock(
    ctx,
    planned,
    { ignoreApplicationStopFailures: false, skipAnalysis: false },
    clock,
  );
  const run = runHeld(ctx, id, provider, 1000);
  return { ctx, id, run };
}

describe('deploy engine with provider codedeploy', () => {
  it('records the CodeDeploy run in the ledger; conveyor promote becomes ContinueDeployment', async () => {
    let continued = false;
    let readyPolls = 0;
    cd.on(ContinueDeploymentCommand).callsFake(() => {
      continued = true;
      return {};
    });
    cd.on(GetDeploymentCommand).callsFake(() => {
      if (!continued) readyPolls++;
      const status = continued ? 'Succeeded' : readyPolls === 1 ? 'InProgress' : 'Ready';
      return {
        deploymentInfo: {
          deploymentId: 'd-ENGINE001',
          status,
          deploymentConfigName: 'CodeDeployDefault.AllAtOnce',
        },
      };
    });
    const { ctx, id, run } = await start();
    await runUntil(run, () => readGroupState(ctx).state.deployments[0]?.status === 'Paused');
    expect(readGroupState(ctx).state.deployments[0]?.pausedReason).toContain('conveyor promote');
    requestPromote(ctx, id, false, clock);
    await runUntil(run, () => false);
    const final = await run;
    expect(final.status).toBe('Succeeded');
    expect(cd.commandCalls(ContinueDeploymentCommand)[0]!.args[0].input).toEqual({
      deploymentId: 'd-ENGINE001',
      deploymentWaitType: 'READY_WAIT',
    });
    const types = ctx.ledger.read().events.map((e) => (e.type === 'runner' ? `runner: ${e.note}` : e.type));
    expect(types).toEqual([
      'created',
      'started',
      'runner: codedeploy deployment d-ENGINE001 started',
      'step',
      'paused',
      'promote-requested',
      'promoted',
      'resumed',
      'step',
      'finished',
    ]);
    expect(cd.commandCalls(CreateDeploymentCommand)[0]!.args[0].input).toMatchObject({
      applicationName: 'hello',
      deploymentGroupName: 'prod',
      deploymentConfigName: 'CodeDeployDefault.AllAtOnce',
      description: 'Conveyor v2: blue/green: all traffic switches at once',
    });
  });

  it('conveyor abort becomes StopDeployment with rollback, and the group ends RolledBack', async () => {
    let stopped = false;
    cd.on(StopDeploymentCommand).callsFake(() => {
      stopped = true;
      return { status: 'Pending' };
    });
    cd.on(GetDeploymentCommand, { deploymentId: 'd-ENGINE001' }).callsFake(() => ({
      deploymentInfo: stopped
        ? {
            deploymentId: 'd-ENGINE001',
            status: 'Stopped',
            errorInformation: { code: 'MANUAL_STOP', message: 'The deployment was stopped by the user' },
            rollbackInfo: { rollbackDeploymentId: 'd-ROLLBK009' },
          }
        : { deploymentId: 'd-ENGINE001', status: 'InProgress' },
    }));
    cd.on(GetDeploymentCommand, { deploymentId: 'd-ROLLBK009' }).resolves({
      deploymentInfo: { deploymentId: 'd-ROLLBK009', status: 'Succeeded', creator: 'codeDeployRollback' },
    });
    const { ctx, id, run } = await start();
    await runUntil(run, () => cd.commandCalls(GetDeploymentCommand).length > 0);
    requestAbort(ctx, id, clock);
    await runUntil(run, () => false);
    const final = await run;
    expect(cd.commandCalls(StopDeploymentCommand).map((c) => c.args[0].input)).toEqual([
      { deploymentId: 'd-ENGINE001', autoRollbackEnabled: true },
    ]);
    expect(final.status).toBe('RolledBack');
    expect(final.rollback).toMatchObject({ trigger: 'abort', ok: true });
    expect(final.pendingAbort).toBeUndefined();
  });

  it('refuses before recording anything when CodeDeploy cannot run the strategy', async () => {
    writeFileSync(
      join(dir, 'group.yml'),
      GROUP.replace('strategy:\n  type: blue-green\n  readyWait: {}\n', 'strategy: canary\n'),
    );
    const ctx = openGroup('group.yml', { cwd: dir });
    const provider = mockedCodeDeployProvider(clock);
    const planned = prepareDeployment(ctx, { revisionDir: 'v2', cwd: dir });
    await expect(
      checkCodeDeployDeployment(ctx, planned.revision, { clock, codeDeploy: provider }),
    ).rejects.toThrow('CodeDeploy cannot');
    expect(ctx.ledger.read().events).toEqual([]);
  });
});

describe('when AWS fails a request', () => {
  it('notes the failure in the ledger and sends the stop again', async () => {
    let stopCalls = 0;
    cd.on(StopDeploymentCommand).callsFake(() => {
      stopCalls++;
      if (stopCalls === 1)
        throw Object.assign(new Error('We encountered an internal error'), { name: 'InternalFailure' });
      return { status: 'Pending' };
    });
    cd.on(GetDeploymentCommand, { deploymentId: 'd-ENGINE001' }).callsFake(() => ({
      deploymentInfo:
        stopCalls >= 2
          ? {
              deploymentId: 'd-ENGINE001',
              status: 'Stopped',
              errorInformation: { code: 'MANUAL_STOP', message: 'stopped' },
            }
          : { deploymentId: 'd-ENGINE001', status: 'InProgress' },
    }));
    const { ctx, id, run } = await start();
    await runUntil(run, () => cd.commandCalls(GetDeploymentCommand).length > 0);
    requestAbort(ctx, id, clock);
    await runUntil(run, () => false);
    const final = await run;
    expect(stopCalls).toBe(2);
    expect(final.status).toBe('Stopped');
    const notes = ctx.ledger.read().events.flatMap((e) => (e.type === 'runner' ? [e.note] : []));
    expect(notes).toContain(
      'request to CodeDeploy failed, retrying: codedeploy:StopDeployment (d-ENGINE001) failed: InternalFailure: We encountered an internal error',
    );
  });
});

describe('options recorded with the deployment', () => {
  it('--skip-analysis becomes overrideAlarmConfiguration {enabled: false}; --ignore-application-stop-failures is sent', async () => {
    writeFileSync(
      join(dir, 'group.yml'),
      GROUP.replace(
        'strategy:\n  type: blue-green\n  readyWait: {}\n',
        'strategy: one-at-a-time\nanalysis:\n  maxErrorRate: 0.05\n',
      ),
    );
    cd.on(GetDeploymentGroupCommand).resolves({
      deploymentGroupInfo: { computePlatform: 'Server', deploymentStyle: { deploymentType: 'IN_PLACE' } },
    });
    cd.on(GetDeploymentCommand).resolves({
      deploymentInfo: { deploymentId: 'd-ENGINE001', status: 'Succeeded' },
    });
    const ctx = openGroup('group.yml', { cwd: dir });
    const provider = mockedCodeDeployProvider(clock);
    const planned = prepareDeployment(ctx, { revisionDir: 'v2', cwd: dir });
    // Without the override the analysis gates are refused before anything is recorded.
    await expect(
      checkCodeDeployDeployment(ctx, planned.revision, { clock, codeDeploy: provider }),
    ).rejects.toThrow("CodeDeploy cannot evaluate the group's analysis gates");
    await checkCodeDeployDeployment(ctx, planned.revision, {
      clock,
      codeDeploy: provider,
      skipAnalysis: true,
    });
    const id = createUnderLock(
      ctx,
      planned,
      { ignoreApplicationStopFailures: true, skipAnalysis: true },
      clock,
    );
    const run = runHeld(ctx, id, provider);
    await runUntil(run, () => false);
    expect((await run).status).toBe('Succeeded');
    expect(cd.commandCalls(CreateDeploymentCommand)[0]!.args[0].input).toMatchObject({
      deploymentConfigName: 'CodeDeployDefault.OneAtATime',
      ignoreApplicationStopFailures: true,
      overrideAlarmConfiguration: { enabled: false },
    });
  });

  it("runs the strategy recorded with the deployment, not the group file's (a detached runner reads only the file)", async () => {
    const ctx = openGroup('group.yml', { cwd: dir });
    const provider = mockedCodeDeployProvider(clock);
    const planned = prepareDeployment(ctx, { revisionDir: 'v2', cwd: dir, strategy: 'all-at-once' });
    const id = createUnderLock(
      ctx,
      planned,
      { ignoreApplicationStopFailures: false, skipAnalysis: false },
      clock,
    );
    expect(readGroupState(ctx).state.deployments[0]!.options.strategy).toEqual(planned.strategy);
    const final = await runHeld(ctx, id, provider);
    // all-at-once, as planned, is what reached CodeDeploy's checks (this group is blue/green on AWS).
    expect(final.status).toBe('Failed');
    expect(final.reason).toMatch(/blue\/green/);
    expect(final.reason).not.toMatch(/planned with strategy/);
    expect(cd.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
  });

  it('a deployment recorded without its strategy refuses a group file whose strategy differs', async () => {
    const ctx = openGroup('group.yml', { cwd: dir });
    const provider = mockedCodeDeployProvider(clock);
    const planned = prepareDeployment(ctx, { revisionDir: 'v2', cwd: dir, strategy: 'all-at-once' });
    const id = createDeployment(ctx.ledger, clock, {
      revision: { label: 'v2', dir: join(dir, 'v2') },
      plan: planned.plan,
      options: { creator: 'user', ignoreApplicationStopFailures: false, skipAnalysis: false },
    });
    const final = await runHeld(ctx, id, provider);
    expect(final.status).toBe('Failed');
    expect(final.reason).toBe(
      "the deployment was planned with strategy 'all-at-once' but the group file now says 'blue-green'",
    );
    expect(cd.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
  });
});
