/**
 * `conveyor deploy` through the CLI, in-process, on a `provider: codedeploy` group against a mocked CodeDeploy:
 * what is sent (exactly), how the deployment is followed to its end, and what `status --json` shows afterwards.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchGetDeploymentTargetsCommand,
  CodeDeployClient,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  ListDeploymentTargetsCommand,
} from '@aws-sdk/client-codedeploy';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/run-cli.js';
import { systemClock } from '../../../src/core/clock.js';
import { createUnderLock, prepareDeployment, runHeld } from '../../../src/deploy/engine.js';
import { openGroup } from '../../../src/deploy/group.js';

const clock = systemClock;

const cd = mockClient(CodeDeployClient);
let dir: string;

const SERVER_GROUP = `application: hello
deploymentGroup: prod
provider: codedeploy
codedeploy:
  computePlatform: Server
  pollSeconds: 1
  revision:
    s3: { bucket: conveyor-revisions-111122223333, key: hello/v2.zip, bundleType: zip }
strategy: one-at-a-time
rollback: { onFailure: true, onGateBreach: true }
fileExistsBehavior: RETAIN
ignoreApplicationStopFailures: false
`;

function inPlaceServerGroup() {
  cd.on(GetDeploymentGroupCommand).resolves({
    deploymentGroupInfo: {
      computePlatform: 'Server',
      deploymentStyle: { deploymentType: 'IN_PLACE', deploymentOption: 'WITHOUT_TRAFFIC_CONTROL' },
    },
  });
}

beforeEach(() => {
  cd.reset();
  dir = mkdtempSync(join(tmpdir(), 'conveyor-cd-e2e-'));
  writeFileSync(join(dir, 'group.yml'), SERVER_GROUP);
  mkdirSync(join(dir, 'v2'));
  writeFileSync(join(dir, 'v2', 'appspec.yml'), 'version: 0.0\nos: linux\n');
  cd.on(ListDeploymentTargetsCommand).resolves({ targetIds: [] });
  cd.on(BatchGetDeploymentTargetsCommand).resolves({ deploymentTargets: [] });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const env = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' };

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    cwd: dir,
    env,
  });
  return { code, stdout, stderr };
}

interface StatusJson {
  deployment: { id: string; status: string; plan: { strategy: string } };
  events: { type: string; status?: string }[];
}

async function statusJson(): Promise<StatusJson> {
  const r = await cli(['status', '--config', 'group.yml', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StatusJson;
}

describe('conveyor deploy on provider codedeploy, end to end', () => {
  it('sends exactly the planned deployment and follows it to Succeeded', async () => {
    inPlaceServerGroup();
    cd.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-E2E000001' });
    cd.on(GetDeploymentCommand, { deploymentId: 'd-E2E000001' }).resolves({
      deploymentInfo: {
        deploymentId: 'd-E2E000001',
        status: 'Succeeded',
        deploymentConfigName: 'CodeDeployDefault.HalfAtATime',
      },
    });
    const r = await cli([
      'deploy',
      '--config',
      'group.yml',
      '--revision',
      'v2',
      '--strategy',
      'half-at-a-time',
      '--ignore-application-stop-failures',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const calls = cd.commandCalls(CreateDeploymentCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      applicationName: 'hello',
      deploymentGroupName: 'prod',
      revision: {
        revisionType: 'S3',
        s3Location: { bucket: 'conveyor-revisions-111122223333', key: 'hello/v2.zip', bundleType: 'zip' },
      },
      // --strategy wins over the group file's one-at-a-time, and nothing else runs.
      deploymentConfigName: 'CodeDeployDefault.HalfAtATime',
      description: expect.stringContaining('Conveyor v2'),
      autoRollbackConfiguration: {
        enabled: true,
        events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM', 'DEPLOYMENT_STOP_ON_REQUEST'],
      },
      fileExistsBehavior: 'RETAIN',
      ignoreApplicationStopFailures: true,
    });
    const status = await statusJson();
    expect(status.deployment.status).toBe('Succeeded');
    expect(status.deployment.plan.strategy).toBe('half-at-a-time');
    expect(status.events.at(-1)).toMatchObject({ type: 'finished', status: 'Succeeded' });
  });

  it('follows CodeDeploy’s own rollback deployment and ends RolledBack with exit 1', async () => {
    inPlaceServerGroup();
    cd.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-E2E000002' });
    cd.on(GetDeploymentCommand, { deploymentId: 'd-E2E000002' }).resolves({
      deploymentInfo: {
        deploymentId: 'd-E2E000002',
        status: 'Failed',
        errorInformation: {
          code: 'HEALTH_CONSTRAINTS' as const,
          message: 'ValidateService failed on 1 of 2 instances',
        },
        autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE'] },
        rollbackInfo: { rollbackDeploymentId: 'd-E2EROLL02' },
      },
    });
    cd.on(GetDeploymentCommand, { deploymentId: 'd-E2EROLL02' }).resolves({
      deploymentInfo: {
        deploymentId: 'd-E2EROLL02',
        status: 'Succeeded',
        rollbackInfo: { rollbackTriggeringDeploymentId: 'd-E2E000002' },
      },
    });
    const r = await cli(['deploy', '--config', 'group.yml', '--revision', 'v2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('RolledBack');
    expect(cd.commandCalls(CreateDeploymentCommand)).toHaveLength(1);
    expect(cd.commandCalls(CreateDeploymentCommand)[0]!.args[0].input.deploymentConfigName).toBe(
      'CodeDeployDefault.OneAtATime',
    );
    const followed = cd.commandCalls(GetDeploymentCommand).map((c) => c.args[0].input.deploymentId);
    expect(followed).toContain('d-E2EROLL02');
    const status = await statusJson();
    expect(status.deployment.status).toBe('RolledBack');
    const kinds = status.events.map((e) => e.type);
    expect(kinds).toEqual(expect.arrayContaining(['rollback-started', 'rollback-finished']));
    expect(kinds.indexOf('rollback-started')).toBeLessThan(kinds.indexOf('rollback-finished'));
    expect(status.events.at(-1)).toMatchObject({ type: 'finished', status: 'RolledBack' });
    const history = JSON.parse((await cli(['history', '--config', 'group.yml', '--json'])).stdout) as {
      status: string;
    }[];
    expect(history.map((h) => h.status)).toEqual(['RolledBack']);
  });

  it('--skip-analysis turns the alarms off for this deployment and lets an analysis section through', async () => {
    inPlaceServerGroup();
    writeFileSync(join(dir, 'group.yml'), `${SERVER_GROUP}analysis:\n  maxErrorRate: 0.05\n`);
    cd.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-E2E000003' });
    cd.on(GetDeploymentCommand).resolves({
      deploymentInfo: { deploymentId: 'd-E2E000003', status: 'Succeeded' },
    });
    const refused = await cli(['deploy', '--config', 'group.yml', '--revision', 'v2']);
    expect(refused.code).toBe(2);
    expect(cd.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
    const r = await cli(['deploy', '--config', 'group.yml', '--revision', 'v2', '--skip-analysis']);
    expect(r.code, r.stderr).toBe(0);
    expect(cd.commandCalls(CreateDeploymentCommand)[0]!.args[0].input).toMatchObject({
      overrideAlarmConfiguration: { enabled: false },
      ignoreApplicationStopFailures: false,
    });
  });

  it('a runner that gets no strategy (detached, resumed) runs the one recorded with the deployment', async () => {
    inPlaceServerGroup();
    cd.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-E2E000004' });
    cd.on(GetDeploymentCommand).resolves({
      deploymentInfo: { deploymentId: 'd-E2E000004', status: 'Succeeded' },
    });
    // What `deploy --strategy half-at-a-time --detach` records; the detached runner then calls runHeld
    // with the group file only (runner-main.ts), whose strategy is one-at-a-time.
    const ctx = openGroup('group.yml', { cwd: dir });
    const planned = prepareDeployment(ctx, { revisionDir: 'v2', strategy: 'half-at-a-time', cwd: dir });
    const id = createUnderLock(
      ctx,
      planned,
      { ignoreApplicationStopFailures: false, skipAnalysis: false },
      clock,
    );
    const final = await runHeld(ctx, id, { clock, signal: new AbortController().signal, env });
    expect(final.status).toBe('Succeeded');
    expect(cd.commandCalls(CreateDeploymentCommand)[0]!.args[0].input.deploymentConfigName).toBe(
      'CodeDeployDefault.HalfAtATime',
    );
  });
});

const ECS_APPSPEC = `version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: "arn:aws:ecs:eu-west-1:111122223333:task-definition/hello:2"
        LoadBalancerInfo:
          ContainerName: web
          ContainerPort: 8080
`;

describe('revisions for ECS and Lambda', () => {
  it('an ECS appspec deploys on a codedeploy ECS group, sent inline', async () => {
    writeFileSync(
      join(dir, 'group.yml'),
      `application: hello\ndeploymentGroup: prod\nprovider: codedeploy\ncodedeploy:\n  computePlatform: ECS\n  pollSeconds: 1\nstrategy: all-at-once\n`,
    );
    mkdirSync(join(dir, 'ecs'));
    writeFileSync(join(dir, 'ecs', 'appspec.yaml'), ECS_APPSPEC);
    cd.on(GetDeploymentGroupCommand).resolves({
      deploymentGroupInfo: {
        computePlatform: 'ECS',
        deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
        blueGreenDeploymentConfiguration: {
          deploymentReadyOption: { actionOnTimeout: 'CONTINUE_DEPLOYMENT' },
        },
      },
    });
    cd.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-E2EECS001' });
    cd.on(GetDeploymentCommand).resolves({
      deploymentInfo: { deploymentId: 'd-E2EECS001', status: 'Succeeded' },
    });
    const r = await cli(['deploy', '--config', 'group.yml', '--revision', 'ecs']);
    expect(r.code, r.stderr).toBe(0);
    const input = cd.commandCalls(CreateDeploymentCommand)[0]!.args[0].input;
    expect(input.deploymentConfigName).toBe('CodeDeployDefault.ECSAllAtOnce');
    expect(input.revision?.revisionType).toBe('AppSpecContent');
    expect(input.revision?.appSpecContent?.content).toBe(ECS_APPSPEC);
  });

  it('a Lambda appspec.json deploys on a codedeploy Lambda group with the Lambda config', async () => {
    writeFileSync(
      join(dir, 'group.yml'),
      `application: hello\ndeploymentGroup: prod\nprovider: codedeploy\ncodedeploy:\n  computePlatform: Lambda\n  pollSeconds: 1\nstrategy: Canary10Percent5Minutes\n`,
    );
    mkdirSync(join(dir, 'fn'));
    const appspec = JSON.stringify({
      version: 0.0,
      Resources: [
        {
          hello: {
            Type: 'AWS::Lambda::Function',
            Properties: { Name: 'hello', Alias: 'live', CurrentVersion: '1', TargetVersion: '2' },
          },
        },
      ],
    });
    writeFileSync(join(dir, 'fn', 'appspec.json'), appspec);
    cd.on(GetDeploymentGroupCommand).resolves({
      deploymentGroupInfo: {
        computePlatform: 'Lambda',
        deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
      },
    });
    cd.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-E2ELAM001' });
    cd.on(GetDeploymentCommand).resolves({
      deploymentInfo: { deploymentId: 'd-E2ELAM001', status: 'Succeeded' },
    });
    const r = await cli(['deploy', '--config', 'group.yml', '--revision', 'fn']);
    expect(r.code, r.stderr).toBe(0);
    const input = cd.commandCalls(CreateDeploymentCommand)[0]!.args[0].input;
    expect(input.deploymentConfigName).toBe('CodeDeployDefault.LambdaCanary10Percent5Minutes');
    expect(input.revision?.appSpecContent?.content).toBe(appspec);
  });

  it('an EC2 appspec on an ECS group is refused before anything is sent', async () => {
    writeFileSync(
      join(dir, 'group.yml'),
      `application: hello\ndeploymentGroup: prod\nprovider: codedeploy\ncodedeploy:\n  computePlatform: ECS\nstrategy: all-at-once\n`,
    );
    const r = await cli(['deploy', '--config', 'group.yml', '--revision', 'v2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "has an EC2/on-premises appspec, but the group's CodeDeploy compute platform is ECS",
    );
    expect(cd.commandCalls(GetDeploymentGroupCommand)).toHaveLength(0);
  });

  it('the local provider refuses an ECS appspec and says why', async () => {
    writeFileSync(
      join(dir, 'local.yml'),
      'application: hello\ndeploymentGroup: dev\nlocal:\n  instances: 1\n',
    );
    mkdirSync(join(dir, 'ecs'));
    writeFileSync(join(dir, 'ecs', 'appspec.yml'), ECS_APPSPEC);
    const r = await cli(['deploy', '--config', 'local.yml', '--revision', 'ecs']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('has an ECS appspec, which the local provider cannot run');
    expect(r.stderr).toContain('provider: codedeploy');
  });
});
