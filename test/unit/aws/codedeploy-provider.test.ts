import {
  BatchGetDeploymentTargetsCommand,
  CodeDeployClient,
  ContinueDeploymentCommand,
  CreateDeploymentCommand,
  CreateDeploymentConfigCommand,
  type DeploymentInfo,
  type DeploymentTarget,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  type LifecycleEvent,
  ListDeploymentTargetsCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import type {
  CodeDeployDeploymentRequest,
  CodeDeployProvider,
} from '../../../src/providers/codedeploy/provider.js';
import type { CodeDeployEvent, Strategy, TrafficStep } from '../../../src/providers/codedeploy/types.js';
import { mockedCodeDeployProvider, settleInFakeTime } from './helpers.js';

const cd = mockClient(CodeDeployClient);
const S3_REVISION = {
  s3: {
    bucket: 'conveyor-revisions-111122223333',
    key: 'hello/v2.zip',
    bundleType: 'zip' as const,
    eTag: '9b2cf535f27731c974343645a3985328',
  },
};
const at = (s: number) => new Date(Date.UTC(2026, 10, 21, 12, 0, s));
const INSTANCES = [
  'i-0a1b2c3d4e5f60001',
  'i-0a1b2c3d4e5f60002',
  'i-0a1b2c3d4e5f60003',
  'i-0a1b2c3d4e5f60004',
  'i-0a1b2c3d4e5f60005',
];
const SERVER_EVENTS = [
  'ApplicationStop',
  'DownloadBundle',
  'BeforeInstall',
  'Install',
  'AfterInstall',
  'ApplicationStart',
  'ValidateService',
];

let clock: FakeClock;
let provider: CodeDeployProvider;
beforeEach(() => {
  cd.reset();
  clock = new FakeClock(at(0).getTime());
  provider = mockedCodeDeployProvider(clock, 15_000);
});

function serverTarget(deploymentId: string, id: string, done: number, failAt?: string): DeploymentTarget {
  const events: LifecycleEvent[] = SERVER_EVENTS.map((name, i) => {
    if (name === failAt) {
      return {
        lifecycleEventName: name,
        status: 'Failed',
        startTime: at(10 + i),
        endTime: at(12 + i),
        diagnostics: {
          errorCode: 'ScriptFailed',
          scriptName: 'scripts/start.sh',
          message: 'Script at specified location: scripts/start.sh run as user root failed with exit code 3',
          logTail: '[stderr]port 8080 already in use\n',
        },
      };
    }
    if (i < done)
      return { lifecycleEventName: name, status: 'Succeeded', startTime: at(10 + i), endTime: at(11 + i) };
    if (i === done && !failAt)
      return { lifecycleEventName: name, status: 'InProgress', startTime: at(10 + i) };
    return { lifecycleEventName: name, status: failAt ? 'Skipped' : 'Pending' };
  });
  const failed = failAt !== undefined;
  return {
    deploymentTargetType: 'InstanceTarget',
    instanceTarget: {
      deploymentId,
      targetId: id,
      targetArn: `arn:aws:ec2:eu-west-1:111122223333:instance/${id}`,
      status: failed ? 'Failed' : done >= SERVER_EVENTS.length ? 'Succeeded' : 'InProgress',
      lastUpdatedAt: at(20),
      lifecycleEvents: events,
    },
  };
}

function mockTargets(deploymentId: string, sequence: DeploymentTarget[][]) {
  const ids = sequence[0]!.map((t) => (t.instanceTarget ?? t.ecsTarget ?? t.lambdaTarget)!.targetId!);
  cd.on(ListDeploymentTargetsCommand, { deploymentId }).resolves({ targetIds: ids });
  // Each *Once call queues the next answer on the same behaviour; the last answer repeats.
  const chain = cd.on(BatchGetDeploymentTargetsCommand, { deploymentId });
  sequence.forEach((targets, i) => {
    if (i === sequence.length - 1) chain.resolves({ deploymentTargets: targets });
    else chain.resolvesOnce({ deploymentTargets: targets });
  });
}

/** GetDeployment answers in order; an Error in the sequence is thrown once at that point. */
function mockDeployment(deploymentId: string, sequence: (DeploymentInfo | Error)[]) {
  const chain = cd.on(GetDeploymentCommand, { deploymentId });
  sequence.forEach((info, i) => {
    if (info instanceof Error) {
      chain.rejectsOnce(info);
      return;
    }
    const out = {
      deploymentInfo: { deploymentId, applicationName: 'hello', deploymentGroupName: 'prod', ...info },
    };
    if (i === sequence.length - 1) chain.resolves(out);
    else chain.resolvesOnce(out);
  });
}

const serverGroup = {
  deploymentGroupInfo: {
    applicationName: 'hello',
    deploymentGroupName: 'prod',
    deploymentGroupId: 'a1b2c3d4-5678-90ab-cdef-111111111111',
    computePlatform: 'Server' as const,
    deploymentConfigName: 'CodeDeployDefault.OneAtATime',
    deploymentStyle: {
      deploymentType: 'IN_PLACE' as const,
      deploymentOption: 'WITH_TRAFFIC_CONTROL' as const,
    },
    serviceRoleArn: 'arn:aws:iam::111122223333:role/CodeDeployServiceRole',
  },
};

const request = (
  strategy: Strategy,
  extra: Partial<CodeDeployDeploymentRequest> = {},
): CodeDeployDeploymentRequest => ({
  application: 'hello',
  deploymentGroup: 'prod',
  strategy,
  rollback: { onFailure: true, onGateBreach: true },
  codedeploy: { revision: S3_REVISION },
  revisionLabel: 'v2',
  ...extra,
});

const oneAtATime: Strategy = {
  kind: 'in-place',
  name: 'one-at-a-time',
  minimumHealthyHosts: { percent: 99 },
  preset: 'one',
};

describe('CodeDeploy provider on EC2 (Server)', () => {
  it('sends the exact CreateDeployment for one-at-a-time and follows a failure on 1 of 5 targets into the rollback deployment', async () => {
    cd.on(GetDeploymentGroupCommand).resolves(serverGroup);
    cd.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-7XK2M4N9A' });
    const failed: DeploymentInfo = {
      status: 'Failed',
      deploymentConfigName: 'CodeDeployDefault.OneAtATime',
      creator: 'user',
      errorInformation: {
        code: 'HEALTH_CONSTRAINTS',
        message:
          'The overall deployment failed because too many individual instances failed deployment, too few healthy instances are available for deployment, or some instances in your deployment group are experiencing problems.',
      },
      deploymentOverview: { Pending: 2, InProgress: 0, Succeeded: 2, Failed: 1, Skipped: 0, Ready: 0 },
      autoRollbackConfiguration: {
        enabled: true,
        events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM', 'DEPLOYMENT_STOP_ON_REQUEST'],
      },
    };
    mockDeployment('d-7XK2M4N9A', [
      { status: 'InProgress', deploymentConfigName: 'CodeDeployDefault.OneAtATime' },
      { status: 'InProgress', deploymentConfigName: 'CodeDeployDefault.OneAtATime' },
      failed,
      // CodeDeploy names the rollback deployment a moment after the failure.
      {
        ...failed,
        rollbackInfo: {
          rollbackDeploymentId: 'd-ROLLBK001',
          rollbackMessage: 'Deployment d-7XK2M4N9A failed; rolling back to the last successful revision',
        },
      },
    ]);
    mockTargets('d-7XK2M4N9A', [
      [
        serverTarget('d-7XK2M4N9A', INSTANCES[0]!, 7),
        serverTarget('d-7XK2M4N9A', INSTANCES[1]!, 5),
        ...INSTANCES.slice(2).map((id) => serverTarget('d-7XK2M4N9A', id, 0)),
      ].map((t, i) =>
        i >= 2
          ? {
              ...t,
              instanceTarget: {
                ...t.instanceTarget!,
                status: 'Pending',
                lifecycleEvents: SERVER_EVENTS.map((n) => ({
                  lifecycleEventName: n,
                  status: 'Pending' as const,
                })),
              },
            }
          : t,
      ),
      [
        serverTarget('d-7XK2M4N9A', INSTANCES[0]!, 7),
        serverTarget('d-7XK2M4N9A', INSTANCES[1]!, 7),
        serverTarget('d-7XK2M4N9A', INSTANCES[2]!, 0, 'ApplicationStart'),
        ...INSTANCES.slice(3).map((id) => ({
          deploymentTargetType: 'InstanceTarget' as const,
          instanceTarget: {
            targetId: id,
            status: 'Skipped' as const,
            lifecycleEvents: SERVER_EVENTS.map((n) => ({
              lifecycleEventName: n,
              status: 'Skipped' as const,
            })),
          },
        })),
      ],
    ]);
    mockDeployment('d-ROLLBK001', [
      {
        status: 'InProgress',
        creator: 'codeDeployRollback',
        rollbackInfo: { rollbackTriggeringDeploymentId: 'd-7XK2M4N9A' },
      },
      {
        status: 'Succeeded',
        creator: 'codeDeployRollback',
        rollbackInfo: { rollbackTriggeringDeploymentId: 'd-7XK2M4N9A' },
      },
    ]);
    mockTargets('d-ROLLBK001', [INSTANCES.map((id) => serverTarget('d-ROLLBK001', id, 7))]);

    const prepared = await provider.prepare(
      request(oneAtATime, { fileExistsBehavior: 'OVERWRITE', ignoreApplicationStopFailures: false }),
    );
    const id = await provider.start(prepared);
    expect(id).toBe('d-7XK2M4N9A');
    expect(cd.commandCalls(GetDeploymentGroupCommand)[0]!.args[0].input).toEqual({
      applicationName: 'hello',
      deploymentGroupName: 'prod',
    });
    expect(cd.commandCalls(CreateDeploymentConfigCommand)).toHaveLength(0);
    expect(cd.commandCalls(CreateDeploymentCommand)[0]!.args[0].input).toEqual({
      applicationName: 'hello',
      deploymentGroupName: 'prod',
      revision: {
        revisionType: 'S3',
        s3Location: {
          bucket: 'conveyor-revisions-111122223333',
          key: 'hello/v2.zip',
          bundleType: 'zip',
          eTag: '9b2cf535f27731c974343645a3985328',
        },
      },
      deploymentConfigName: 'CodeDeployDefault.OneAtATime',
      description: 'Conveyor v2: one instance at a time',
      autoRollbackConfiguration: {
        enabled: true,
        events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM', 'DEPLOYMENT_STOP_ON_REQUEST'],
      },
      fileExistsBehavior: 'OVERWRITE',
      ignoreApplicationStopFailures: false,
    });

    const events: CodeDeployEvent[] = [];
    const result = await settleInFakeTime(
      provider.follow(id, (e) => events.push(e)),
      clock,
      15_000,
    );
    expect(result).toEqual({
      status: 'RolledBack',
      deploymentId: 'd-7XK2M4N9A',
      rollbackDeploymentId: 'd-ROLLBK001',
      reason: failed.errorInformation!.message,
    });
    const failure = events.find((e) => e.type === 'hook' && e.status === 'failed');
    expect(failure).toEqual({
      type: 'hook',
      instance: 'i-0a1b2c3d4e5f60003',
      event: 'ApplicationStart',
      status: 'failed',
      script: 'scripts/start.sh',
      durationMs: 2000,
      message:
        'ScriptFailed: Script at specified location: scripts/start.sh run as user root failed with exit code 3',
      output: '[stderr]port 8080 already in use\n',
    });
    const summary = events.filter((e) => e.type !== 'hook');
    expect(summary).toEqual([
      {
        type: 'step',
        index: 0,
        phase: 'started',
        description: 'CodeDeploy deployment d-7XK2M4N9A (CodeDeployDefault.OneAtATime)',
      },
      {
        type: 'rollback-started',
        reason: `${failed.errorInformation!.message} (CodeDeploy rollback deployment d-ROLLBK001)`,
        trigger: 'failure',
      },
      { type: 'rollback-finished', ok: true },
      { type: 'finished', status: 'RolledBack', reason: failed.errorInformation!.message },
    ]);
    // Hooks of all five instances are reported, the skipped ones as skipped; the rollback's hooks too.
    const hookKeys = new Set(
      events.filter((e) => e.type === 'hook').map((e) => (e as { instance: string }).instance),
    );
    expect(hookKeys).toEqual(new Set(INSTANCES));
    expect(
      events.filter((e) => e.type === 'hook' && e.status === 'skipped' && e.instance === INSTANCES[4]),
    ).toHaveLength(7);
    expect(cd.commandCalls(ListDeploymentTargetsCommand).map((c) => c.args[0].input.deploymentId)).toContain(
      'd-ROLLBK001',
    );
    expect(cd.commandCalls(BatchGetDeploymentTargetsCommand)[0]!.args[0].input).toEqual({
      deploymentId: 'd-7XK2M4N9A',
      targetIds: INSTANCES,
    });
  });

  it('creates a custom minimum-healthy-hosts config and tolerates one that already exists', async () => {
    cd.on(GetDeploymentGroupCommand).resolves(serverGroup);
    cd.on(CreateDeploymentConfigCommand)
      .resolvesOnce({ deploymentConfigId: 'c0ffee00-1111-2222-3333-444444444444' })
      .rejects(
        Object.assign(
          new Error(
            'A deployment configuration with the name conveyor-server-min-healthy-2-hosts already exists',
          ),
          {
            name: 'DeploymentConfigAlreadyExistsException',
          },
        ),
      );
    cd.on(CreateDeploymentCommand)
      .resolvesOnce({ deploymentId: 'd-FIRST0001' })
      .resolves({ deploymentId: 'd-SECOND002' });
    const strategy: Strategy = { kind: 'in-place', name: 'rolling', minimumHealthyHosts: { count: 2 } };
    expect(await provider.start(await provider.prepare(request(strategy)))).toBe('d-FIRST0001');
    expect(await provider.start(await provider.prepare(request(strategy)))).toBe('d-SECOND002');
    expect(cd.commandCalls(CreateDeploymentConfigCommand).map((c) => c.args[0].input)).toEqual([
      {
        deploymentConfigName: 'conveyor-server-min-healthy-2-hosts',
        computePlatform: 'Server',
        minimumHealthyHosts: { type: 'HOST_COUNT', value: 2 },
      },
      {
        deploymentConfigName: 'conveyor-server-min-healthy-2-hosts',
        computePlatform: 'Server',
        minimumHealthyHosts: { type: 'HOST_COUNT', value: 2 },
      },
    ]);
    expect(cd.commandCalls(CreateDeploymentCommand)[1]!.args[0].input.deploymentConfigName).toBe(
      'conveyor-server-min-healthy-2-hosts',
    );
  });

  it('refuses before starting: canary on EC2, a step list, analysis gates, a style mismatch, a missing bundle', async () => {
    cd.on(GetDeploymentGroupCommand).resolves(serverGroup);
    const canary: Strategy = {
      kind: 'traffic',
      name: 'canary',
      steps: [
        { kind: 'setWeight', percent: 10 },
        { kind: 'pause', seconds: 300 },
      ],
    };
    await expect(provider.prepare(request(canary))).rejects.toThrow(
      'CodeDeploy cannot run a canary strategy on the Server',
    );
    await expect(provider.prepare(request(oneAtATime, { analysis: { maxErrorRate: 0.05 } }))).rejects.toThrow(
      "CodeDeploy cannot evaluate the group's analysis gates",
    );
    await expect(
      provider.prepare(request({ kind: 'blue-green', terminateBlueAfterSeconds: 0 })),
    ).rejects.toThrow(
      'strategy blue-green needs a blue/green deployment group, but hello/prod deploys in place',
    );
    await expect(provider.prepare(request(oneAtATime, { codedeploy: {} }))).rejects.toThrow(
      'CodeDeploy on EC2/on-premises needs an uploaded bundle',
    );
    // A declared platform is checked without any AWS call.
    cd.resetHistory();
    await expect(
      provider.prepare(request(canary, { codedeploy: { computePlatform: 'Server', revision: S3_REVISION } })),
    ).rejects.toThrow('canary');
    expect(cd.calls()).toHaveLength(0);
    expect(cd.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
  });

  it('maps DeploymentGroupDoesNotExistException and AccessDenied to clear usage errors', async () => {
    cd.on(GetDeploymentGroupCommand)
      .rejectsOnce(
        Object.assign(new Error('No Deployment Group found for name: prod'), {
          name: 'DeploymentGroupDoesNotExistException',
          $metadata: { httpStatusCode: 400 },
        }),
      )
      .rejectsOnce(
        Object.assign(
          new Error(
            'User: arn:aws:sts::111122223333:assumed-role/ci/session is not authorized to perform: codedeploy:GetDeploymentGroup on resource: arn:aws:codedeploy:eu-west-1:111122223333:deploymentgroup:hello/prod',
          ),
          { name: 'AccessDeniedException' },
        ),
      );
    await expect(provider.prepare(request(oneAtATime))).rejects.toThrow(
      'deployment group not found (hello/prod): No Deployment Group found for name: prod',
    );
    await expect(provider.prepare(request(oneAtATime))).rejects.toThrow(
      "access denied: codedeploy:GetDeploymentGroup on arn:aws:codedeploy:eu-west-1:111122223333:deploymentgroup:hello/prod is not allowed for the caller's IAM identity",
    );
  });

  it('abort stops with rollback; the follow reports the stop-triggered rollback', async () => {
    cd.on(StopDeploymentCommand).resolves({
      status: 'Pending',
      statusMessage: 'Stopping Pending. Stopping to schedule commands in the deployment instances',
    });
    expect(await provider.abort('d-7XK2M4N9A')).toEqual({
      status: 'Pending',
      statusMessage: 'Stopping Pending. Stopping to schedule commands in the deployment instances',
    });
    expect(cd.commandCalls(StopDeploymentCommand)[0]!.args[0].input).toEqual({
      deploymentId: 'd-7XK2M4N9A',
      autoRollbackEnabled: true,
    });
    mockDeployment('d-7XK2M4N9A', [
      {
        status: 'Stopped',
        errorInformation: { code: 'MANUAL_STOP', message: 'The deployment was stopped by the user' },
        autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_STOP_ON_REQUEST'] },
        rollbackInfo: { rollbackDeploymentId: 'd-ROLLBK002' },
      },
    ]);
    mockTargets('d-7XK2M4N9A', [[serverTarget('d-7XK2M4N9A', INSTANCES[0]!, 3)]]);
    mockDeployment('d-ROLLBK002', [
      { status: 'Failed', errorInformation: { code: 'TIMEOUT', message: 'The deployment timed out' } },
    ]);
    mockTargets('d-ROLLBK002', [[serverTarget('d-ROLLBK002', INSTANCES[0]!, 2)]]);
    const events: CodeDeployEvent[] = [];
    const result = await settleInFakeTime(
      provider.follow('d-7XK2M4N9A', (e) => events.push(e)),
      clock,
      15_000,
    );
    expect(result.status).toBe('Failed');
    expect(events.filter((e) => e.type.startsWith('rollback') || e.type === 'finished')).toEqual([
      {
        type: 'rollback-started',
        reason: 'The deployment was stopped by the user (CodeDeploy rollback deployment d-ROLLBK002)',
        trigger: 'abort',
      },
      { type: 'rollback-finished', ok: false, message: 'The deployment timed out' },
      { type: 'finished', status: 'Failed', reason: 'The deployment was stopped by the user' },
    ]);
  });
});

const ecsGroup = (actionOnTimeout: 'STOP_DEPLOYMENT' | 'CONTINUE_DEPLOYMENT') => ({
  deploymentGroupInfo: {
    applicationName: 'web',
    deploymentGroupName: 'web-prod',
    computePlatform: 'ECS' as const,
    deploymentStyle: {
      deploymentType: 'BLUE_GREEN' as const,
      deploymentOption: 'WITH_TRAFFIC_CONTROL' as const,
    },
    blueGreenDeploymentConfiguration: {
      deploymentReadyOption: {
        actionOnTimeout,
        waitTimeInMinutes: actionOnTimeout === 'STOP_DEPLOYMENT' ? 60 : 0,
      },
      terminateBlueInstancesOnDeploymentSuccess: {
        action: 'TERMINATE' as const,
        terminationWaitTimeInMinutes: 5,
      },
    },
    ecsServices: [{ serviceName: 'web', clusterName: 'prod' }],
  },
});

function ecsTarget(
  deploymentId: string,
  greenWeight: number,
  events: [string, LifecycleEvent['status']][],
): DeploymentTarget {
  return {
    deploymentTargetType: 'ECSTarget',
    ecsTarget: {
      deploymentId,
      targetId: 'prod:web',
      targetArn: 'arn:aws:ecs:eu-west-1:111122223333:service/prod/web',
      status: 'InProgress',
      lifecycleEvents: events.map(([lifecycleEventName, status]) => ({ lifecycleEventName, status })),
      taskSetsInfo: [
        {
          identifer: 'ecs-svc/1111111111111111111',
          taskSetLabel: 'Blue',
          trafficWeight: 100 - greenWeight,
          desiredCount: 2,
          runningCount: 2,
        },
        {
          identifer: 'ecs-svc/2222222222222222222',
          taskSetLabel: 'Green',
          trafficWeight: greenWeight,
          desiredCount: 2,
          runningCount: 2,
        },
      ],
    },
  };
}

describe('CodeDeploy provider on ECS', () => {
  const appspec = 'version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n';

  it('blue/green waits for ContinueDeployment (promote) and reports the traffic switch', async () => {
    cd.on(GetDeploymentGroupCommand).resolves(ecsGroup('STOP_DEPLOYMENT'));
    cd.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-ECSBG0001' });
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'conveyor-ecs-rev-'));
    writeFileSync(join(dir, 'appspec.yaml'), appspec);
    try {
      const strategy: Strategy = {
        kind: 'blue-green',
        terminateBlueAfterSeconds: 300,
        readyWait: { actionOnTimeout: 'stop' },
      };
      const prepared = await provider.prepare({
        application: 'web',
        deploymentGroup: 'web-prod',
        strategy,
        revisionDir: dir,
        rollback: { onFailure: true, onGateBreach: false },
      });
      const { createHash } = await import('node:crypto');
      expect(prepared.input).toEqual({
        applicationName: 'web',
        deploymentGroupName: 'web-prod',
        revision: {
          revisionType: 'AppSpecContent',
          appSpecContent: { content: appspec, sha256: createHash('sha256').update(appspec).digest('hex') },
        },
        deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce',
        description: 'Conveyor: blue/green: all traffic switches at once',
        autoRollbackConfiguration: {
          enabled: true,
          events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST'],
        },
      });
      const id = await provider.start(prepared);
      // CodeDeploy's side: it waits in Ready until ContinueDeployment, then shifts traffic and finishes.
      const installed: [string, LifecycleEvent['status']][] = [
        ['BeforeInstall', 'Succeeded'],
        ['Install', 'Succeeded'],
        ['AfterInstall', 'Succeeded'],
        ['AllowTestTraffic', 'Succeeded'],
        ['AfterAllowTestTraffic', 'Succeeded'],
      ];
      const stages = [
        {
          status: 'InProgress' as const,
          target: ecsTarget(id, 0, [
            ['BeforeInstall', 'Succeeded'],
            ['Install', 'InProgress'],
          ]),
        },
        { status: 'Ready' as const, target: ecsTarget(id, 0, installed) },
        {
          status: 'InProgress' as const,
          target: ecsTarget(id, 100, [
            ...installed,
            ['BeforeAllowTraffic', 'Succeeded'],
            ['AllowTraffic', 'Succeeded'],
          ]),
        },
        {
          status: 'Succeeded' as const,
          target: ecsTarget(id, 100, [
            ...installed,
            ['BeforeAllowTraffic', 'Succeeded'],
            ['AllowTraffic', 'Succeeded'],
            ['AfterAllowTraffic', 'Succeeded'],
          ]),
        },
      ];
      let stage = 0;
      let served = 0;
      let continued = false;
      cd.on(ContinueDeploymentCommand).callsFake(() => {
        continued = true;
        return {};
      });
      cd.on(GetDeploymentCommand, { deploymentId: id }).callsFake(() => {
        served = stage;
        const current = stages[stage]!;
        if (current.status !== 'Ready' || continued) stage = Math.min(stage + 1, stages.length - 1);
        return {
          deploymentInfo: {
            deploymentId: id,
            status: current.status,
            deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce',
          },
        };
      });
      cd.on(ListDeploymentTargetsCommand, { deploymentId: id }).resolves({ targetIds: ['prod:web'] });
      cd.on(BatchGetDeploymentTargetsCommand, { deploymentId: id }).callsFake(() => ({
        deploymentTargets: [stages[served]!.target],
      }));
      const events: CodeDeployEvent[] = [];
      let pausedSeen = false;
      const following = provider.follow(id, (e) => {
        events.push(e);
        if (e.type === 'paused') pausedSeen = true;
      });
      // Promote is refused until CodeDeploy actually waits.
      const settled = settleInFakeTime(following, clock, 15_000);
      while (!pausedSeen) await new Promise((r) => setTimeout(r, 1));
      expect(await provider.promote(id)).toBe('READY_WAIT');
      expect(cd.commandCalls(ContinueDeploymentCommand)[0]!.args[0].input).toEqual({
        deploymentId: id,
        deploymentWaitType: 'READY_WAIT',
      });
      const result = await settled;
      expect(result).toEqual({ status: 'Succeeded', deploymentId: id });
      expect(events.filter((e) => e.type !== 'hook')).toEqual([
        {
          type: 'step',
          index: 0,
          phase: 'started',
          description: 'CodeDeploy deployment d-ECSBG0001 (CodeDeployDefault.ECSAllAtOnce)',
        },
        {
          type: 'traffic',
          table: {
            stable: ['ecs-svc/1111111111111111111'],
            canary: ['ecs-svc/2222222222222222222'],
            canaryWeight: 0,
          },
          revisions: {},
        },
        {
          type: 'paused',
          index: 0,
          reason:
            'CodeDeploy waits before rerouting traffic to the replacement: run `conveyor promote` (ContinueDeployment READY_WAIT)',
        },
        { type: 'resumed', index: 0, by: 'promote' },
        {
          type: 'traffic',
          table: {
            stable: ['ecs-svc/1111111111111111111'],
            canary: ['ecs-svc/2222222222222222222'],
            canaryWeight: 100,
          },
          revisions: {},
        },
        { type: 'step', index: 0, phase: 'completed', description: 'CodeDeploy deployment d-ECSBG0001' },
        { type: 'finished', status: 'Succeeded' },
      ]);
      expect(events.filter((e) => e.type === 'hook').map((e) => (e as { event: string }).event)).toEqual([
        'BeforeInstall',
        'Install',
        'Install',
        'AfterInstall',
        'AllowTestTraffic',
        'AfterAllowTestTraffic',
        'BeforeAllowTraffic',
        'AllowTraffic',
        'AfterAllowTraffic',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses promote when CodeDeploy is not waiting, and readyWait against a group that does not wait', async () => {
    mockDeployment('d-ECSBG0002', [{ status: 'InProgress' }]);
    await expect(provider.promote('d-ECSBG0002')).rejects.toThrow(
      'deployment d-ECSBG0002 is InProgress: CodeDeploy waits for promotion only in a blue/green ready wait',
    );
    cd.on(GetDeploymentGroupCommand).resolves(ecsGroup('CONTINUE_DEPLOYMENT'));
    const strategy: Strategy = {
      kind: 'blue-green',
      terminateBlueAfterSeconds: 0,
      readyWait: { actionOnTimeout: 'stop' },
    };
    await expect(
      provider.prepare({
        application: 'web',
        deploymentGroup: 'web-prod',
        strategy,
        codedeploy: { revision: { appSpecContent: appspec } },
      }),
    ).rejects.toThrow(
      'the strategy waits for `conveyor promote` before switching traffic, but web/web-prod reroutes traffic without waiting',
    );
    const steps: Strategy = {
      kind: 'traffic',
      name: 'steps',
      steps: [
        { kind: 'setWeight', percent: 5 },
        { kind: 'pause', seconds: 60 },
        { kind: 'setWeight', percent: 50 },
        { kind: 'pause', seconds: 60 },
      ],
    };
    await expect(
      provider.prepare({
        application: 'web',
        deploymentGroup: 'web-prod',
        strategy: steps,
        codedeploy: { revision: { appSpecContent: appspec } },
      }),
    ).rejects.toThrow('CodeDeploy cannot run this explicit step list');
    expect(cd.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
  });
});

describe('CodeDeploy provider on Lambda', () => {
  const lambdaGroup = {
    deploymentGroupInfo: {
      applicationName: 'api',
      deploymentGroupName: 'api-live',
      computePlatform: 'Lambda' as const,
      deploymentStyle: {
        deploymentType: 'BLUE_GREEN' as const,
        deploymentOption: 'WITH_TRAFFIC_CONTROL' as const,
      },
    },
  };
  const lambdaTarget = (
    id: string,
    weight: number,
    status: 'InProgress' | 'Succeeded',
  ): DeploymentTarget => ({
    deploymentTargetType: 'LambdaTarget',
    lambdaTarget: {
      deploymentId: id,
      targetId: 'api-handler:live',
      status,
      lifecycleEvents: [
        { lifecycleEventName: 'BeforeAllowTraffic', status: 'Succeeded' },
        { lifecycleEventName: 'AllowTraffic', status: weight >= 1 ? 'Succeeded' : 'InProgress' },
        { lifecycleEventName: 'AfterAllowTraffic', status: status === 'Succeeded' ? 'Succeeded' : 'Pending' },
      ],
      lambdaFunctionInfo: {
        functionName: 'api-handler',
        functionAlias: 'live',
        currentVersion: '41',
        targetVersion: '42',
        targetVersionWeight: weight,
      },
    },
  });

  it('creates a custom TimeBasedCanary config and the deployment with an inline appspec', async () => {
    cd.on(GetDeploymentGroupCommand).resolves(lambdaGroup);
    cd.on(CreateDeploymentConfigCommand).resolves({
      deploymentConfigId: 'c0ffee00-aaaa-bbbb-cccc-dddddddddddd',
    });
    cd.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-LAMBDA001' });
    const strategy: Strategy = {
      kind: 'traffic',
      name: 'canary',
      steps: [
        { kind: 'setWeight', percent: 20 },
        { kind: 'pause', seconds: 600 },
      ],
    };
    const appspec = 'version: 0.0\nResources:\n  - api:\n      Type: AWS::Lambda::Function\n';
    const prepared = await provider.prepare({
      application: 'api',
      deploymentGroup: 'api-live',
      strategy,
      codedeploy: { revision: { appSpecContent: appspec }, computePlatform: 'Lambda' },
    });
    await provider.start(prepared);
    expect(cd.commandCalls(CreateDeploymentConfigCommand)[0]!.args[0].input).toEqual({
      deploymentConfigName: 'conveyor-lambda-canary-20pct-10min',
      computePlatform: 'Lambda',
      trafficRoutingConfig: {
        type: 'TimeBasedCanary',
        timeBasedCanary: { canaryPercentage: 20, canaryInterval: 10 },
      },
    });
    expect(cd.commandCalls(CreateDeploymentCommand)[0]!.args[0].input.deploymentConfigName).toBe(
      'conveyor-lambda-canary-20pct-10min',
    );
    expect(cd.commandCalls(CreateDeploymentCommand)[0]!.args[0].input.revision?.revisionType).toBe(
      'AppSpecContent',
    );
  });

  it('follows a 100-minute linear shift past the SDK waiter cap, through throttling', async () => {
    // Linear10PercentEvery10Minutes: 9 shifts of 10 % ten minutes apart, then 100 %.
    const polls = 100 * 4 + 1; // one GetDeployment every 15 s
    const infos: (DeploymentInfo | Error)[] = Array.from({ length: polls }, (_, i) => ({
      status: i === polls - 1 ? 'Succeeded' : 'InProgress',
      deploymentConfigName: 'CodeDeployDefault.LambdaLinear10PercentEvery10Minutes',
    }));
    // One throttled read in the middle: the follow slows down and carries on.
    infos.splice(
      200,
      0,
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { attempts: 5 } }),
    );
    mockDeployment('d-LAMBDA002', infos);
    const targets = Array.from({ length: polls }, (_, i) => {
      const weight = Math.min(1, Math.floor(i / 40 + 1) / 10);
      return [
        lambdaTarget(
          'd-LAMBDA002',
          i === polls - 1 ? 1 : weight,
          i === polls - 1 ? 'Succeeded' : 'InProgress',
        ),
      ];
    });
    mockTargets('d-LAMBDA002', targets);
    const events: CodeDeployEvent[] = [];
    const start = clock.now();
    const result = await settleInFakeTime(
      provider.follow('d-LAMBDA002', (e) => events.push(e)),
      clock,
      15_000,
      1000,
    );
    expect(result.status).toBe('Succeeded');
    expect(clock.now() - start).toBeGreaterThan(30 * 60_000);
    expect(
      events
        .filter((e) => e.type === 'traffic')
        .map((e) => (e as { table: { canaryWeight: number } }).table.canaryWeight),
    ).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  });
});

describe('CodeDeploy deployment snapshot', () => {
  it('maps Ready to Paused and keeps the target counts and rollback links', async () => {
    mockDeployment('d-SNAP00001', [
      {
        status: 'Ready',
        deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce',
        deploymentOverview: { Pending: 0, InProgress: 0, Succeeded: 0, Failed: 0, Skipped: 0, Ready: 1 },
        creator: 'user',
      },
    ]);
    expect(await provider.describe('d-SNAP00001')).toEqual({
      deploymentId: 'd-SNAP00001',
      status: 'Paused',
      codedeployStatus: 'Ready',
      config: 'CodeDeployDefault.ECSAllAtOnce',
      overview: { Pending: 0, InProgress: 0, Succeeded: 0, Failed: 0, Skipped: 0, Ready: 1 },
      creator: 'user',
    });
    mockDeployment('d-ROLLBK003', [
      {
        status: 'Baking',
        creator: 'codeDeployRollback',
        rollbackInfo: { rollbackTriggeringDeploymentId: 'd-SNAP00001' },
      },
    ]);
    expect(await provider.describe('d-ROLLBK003')).toMatchObject({
      status: 'InProgress',
      rollbackOf: 'd-SNAP00001',
    });
  });
});

describe('exact CreateDeployment per strategy and compute platform', () => {
  const linear = (step: number, seconds: number): Strategy => {
    const steps: TrafficStep[] = [];
    for (let w = step; w < 100; w += step)
      steps.push({ kind: 'setWeight', percent: w }, { kind: 'pause', seconds });
    return { kind: 'traffic', name: 'linear', steps };
  };
  const canary = (percent: number, seconds: number): Strategy => ({
    kind: 'traffic',
    name: 'canary',
    steps: [
      { kind: 'setWeight', percent },
      { kind: 'pause', seconds },
    ],
  });
  const groups = {
    Server: serverGroup,
    ECS: {
      deploymentGroupInfo: {
        computePlatform: 'ECS' as const,
        deploymentStyle: {
          deploymentType: 'BLUE_GREEN' as const,
          deploymentOption: 'WITH_TRAFFIC_CONTROL' as const,
        },
        blueGreenDeploymentConfiguration: {
          deploymentReadyOption: { actionOnTimeout: 'CONTINUE_DEPLOYMENT' as const },
        },
      },
    },
    Lambda: {
      deploymentGroupInfo: {
        computePlatform: 'Lambda' as const,
        deploymentStyle: {
          deploymentType: 'BLUE_GREEN' as const,
          deploymentOption: 'WITH_TRAFFIC_CONTROL' as const,
        },
      },
    },
  };
  const cases: [keyof typeof groups, string, Strategy, string, object | undefined][] = [
    [
      'Server',
      'all-at-once',
      { kind: 'in-place', name: 'all-at-once', minimumHealthyHosts: { count: 0 } },
      'CodeDeployDefault.AllAtOnce',
      undefined,
    ],
    [
      'Server',
      'half-at-a-time',
      { kind: 'in-place', name: 'half-at-a-time', minimumHealthyHosts: { percent: 50 }, preset: 'half' },
      'CodeDeployDefault.HalfAtATime',
      undefined,
    ],
    ['Server', 'one-at-a-time', oneAtATime, 'CodeDeployDefault.OneAtATime', undefined],
    [
      'Server',
      'rolling 40%',
      { kind: 'in-place', name: 'rolling', minimumHealthyHosts: { percent: 40 } },
      'conveyor-server-min-healthy-40-percent',
      {
        deploymentConfigName: 'conveyor-server-min-healthy-40-percent',
        computePlatform: 'Server',
        minimumHealthyHosts: { type: 'FLEET_PERCENT', value: 40 },
      },
    ],
    [
      'ECS',
      'all-at-once',
      { kind: 'in-place', name: 'all-at-once', minimumHealthyHosts: { count: 0 } },
      'CodeDeployDefault.ECSAllAtOnce',
      undefined,
    ],
    [
      'ECS',
      'Canary10Percent15Minutes',
      canary(10, 900),
      'CodeDeployDefault.ECSCanary10Percent15Minutes',
      undefined,
    ],
    [
      'ECS',
      'Linear10PercentEvery3Minutes',
      linear(10, 180),
      'CodeDeployDefault.ECSLinear10PercentEvery3Minutes',
      undefined,
    ],
    [
      'ECS',
      'linear 25% every 4 min',
      linear(25, 240),
      'conveyor-ecs-linear-25pct-every-4min',
      {
        deploymentConfigName: 'conveyor-ecs-linear-25pct-every-4min',
        computePlatform: 'ECS',
        trafficRoutingConfig: {
          type: 'TimeBasedLinear',
          timeBasedLinear: { linearPercentage: 25, linearInterval: 4 },
        },
      },
    ],
    [
      'Lambda',
      'all-at-once',
      { kind: 'in-place', name: 'all-at-once', minimumHealthyHosts: { count: 0 } },
      'CodeDeployDefault.LambdaAllAtOnce',
      undefined,
    ],
    [
      'Lambda',
      'Canary10Percent30Minutes',
      canary(10, 1800),
      'CodeDeployDefault.LambdaCanary10Percent30Minutes',
      undefined,
    ],
    [
      'Lambda',
      'Linear10PercentEvery2Minutes',
      linear(10, 120),
      'CodeDeployDefault.LambdaLinear10PercentEvery2Minutes',
      undefined,
    ],
    [
      'Lambda',
      'canary 5% for 1 min',
      canary(5, 60),
      'conveyor-lambda-canary-5pct-1min',
      {
        deploymentConfigName: 'conveyor-lambda-canary-5pct-1min',
        computePlatform: 'Lambda',
        trafficRoutingConfig: {
          type: 'TimeBasedCanary',
          timeBasedCanary: { canaryPercentage: 5, canaryInterval: 1 },
        },
      },
    ],
  ];

  it.each(cases)('%s %s', async (platform, _name, strategy, configName, customConfig) => {
    cd.on(GetDeploymentGroupCommand).resolves(groups[platform]);
    cd.on(CreateDeploymentConfigCommand).resolves({
      deploymentConfigId: 'c0ffee00-0000-0000-0000-000000000000',
    });
    cd.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-EACH00001' });
    const revision = platform === 'Server' ? S3_REVISION : { appSpecContent: 'version: 0.0\n' };
    await provider.start(
      await provider.prepare({
        application: 'app',
        deploymentGroup: 'grp',
        strategy,
        codedeploy: { revision },
      }),
    );
    expect(cd.commandCalls(CreateDeploymentConfigCommand).map((c) => c.args[0].input)).toEqual(
      customConfig ? [customConfig] : [],
    );
    const input = cd.commandCalls(CreateDeploymentCommand)[0]!.args[0].input;
    expect(input).toEqual({
      applicationName: 'app',
      deploymentGroupName: 'grp',
      revision:
        platform === 'Server'
          ? { revisionType: 'S3', s3Location: { ...S3_REVISION.s3 } }
          : {
              revisionType: 'AppSpecContent',
              appSpecContent: {
                content: 'version: 0.0\n',
                sha256: '6a41e44aabcfd2527a82894a58f037eb82f3ccca36a3dd2fa70f7ee7a182cd56',
              },
            },
      deploymentConfigName: configName,
      description: expect.stringMatching(/^Conveyor: /),
      autoRollbackConfiguration: {
        enabled: true,
        events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM', 'DEPLOYMENT_STOP_ON_REQUEST'],
      },
    });
  });
});
