/**
 * `provider: codedeploy` groups: deploy --dry-run applies deploy's checks and says what CodeDeploy will be
 * asked to do (no local-fleet plan, no AWS call); --region/--profile reach the CodeDeploy client; a
 * profile that does not exist is named as such.
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

const cd = mockClient(CodeDeployClient);
let dir: string;

const group = (strategy: string, extra = '') => `application: hello
deploymentGroup: prod
provider: codedeploy
codedeploy:
  computePlatform: Server
  region: eu-west-1
  pollSeconds: 1
  revision:
    s3: { bucket: conveyor-revisions-111122223333, key: hello/v2.zip, bundleType: zip }
strategy: ${strategy}
${extra}`;

beforeEach(() => {
  cd.reset();
  dir = mkdtempSync(join(tmpdir(), 'conveyor-cd-dry-'));
  mkdirSync(join(dir, 'v2'));
  writeFileSync(join(dir, 'v2', 'appspec.yml'), 'version: 0.0\nos: linux\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli([...args, '--config', 'group.yml'], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    cwd: dir,
    env: { HOME: dir, ...env },
  });
  return { code, stdout, stderr };
}

describe('deploy --dry-run on a codedeploy group', () => {
  it('describes the CodeDeploy deployment instead of a local-fleet plan, calling no AWS API', async () => {
    writeFileSync(
      join(dir, 'group.yml'),
      group('one-at-a-time', 'rollback: { onFailure: true, onGateBreach: false }\n'),
    );
    const r = await cli(['deploy', '--revision', 'v2', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      [
        'dry run: v2 to hello/prod on AWS CodeDeploy (eu-west-1); nothing runs on this machine',
        '  compute platform:  Server',
        '  deployment config: CodeDeployDefault.OneAtATime — one instance at a time',
        '  auto-rollback on:  DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_REQUEST',
        '  CodeDeploy runs the lifecycle events on its instances; the live group, the config and the revision are checked against AWS when you deploy.',
        '',
      ].join('\n'),
    );
    expect(cd.calls()).toHaveLength(0);
    const json = JSON.parse((await cli(['deploy', '--revision', 'v2', '--dry-run', '--json'])).stdout);
    expect(json).toMatchObject({
      provider: 'codedeploy',
      codedeploy: {
        computePlatform: 'Server',
        config: { name: 'CodeDeployDefault.OneAtATime', custom: false },
      },
    });
  });

  it('refuses what deploy refuses (a canary on Server), like validate does', async () => {
    writeFileSync(join(dir, 'group.yml'), group('canary'));
    const r = await cli(['deploy', '--revision', 'v2', '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'CodeDeploy cannot run a canary strategy on the Server (EC2/on-premises) compute platform',
    );
    let out = '';
    const code = await runCli(['validate', 'group.yml'], {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: () => undefined },
      cwd: dir,
    });
    expect(code).toBe(1);
    expect(out).toContain(
      'error deployment-group/provider-refuses conveyor deploy refuses this group: CodeDeploy cannot run a canary strategy',
    );
  });
});

describe('--region and --profile on deploy', () => {
  const creds = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' };
  beforeEach(() => {
    cd.on(GetDeploymentGroupCommand).resolves({
      deploymentGroupInfo: {
        computePlatform: 'Server',
        deploymentStyle: { deploymentType: 'IN_PLACE', deploymentOption: 'WITHOUT_TRAFFIC_CONTROL' },
      },
    });
    cd.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-REGION0001' });
    cd.on(GetDeploymentCommand).resolves({
      deploymentInfo: {
        deploymentId: 'd-REGION0001',
        status: 'Succeeded',
        deploymentConfigName: 'CodeDeployDefault.AllAtOnce',
      },
    });
    cd.on(ListDeploymentTargetsCommand).resolves({ targetIds: [] });
    cd.on(BatchGetDeploymentTargetsCommand).resolves({ deploymentTargets: [] });
  });

  it('--region wins over the group file and the environment', async () => {
    writeFileSync(join(dir, 'group.yml'), group('all-at-once'));
    const r = await cli(['deploy', '--revision', 'v2', '--region', 'us-east-2'], {
      ...creds,
      AWS_REGION: 'ap-south-1',
    });
    expect(r.code, r.stderr).toBe(0);
    const call = cd.commandCalls(GetDeploymentGroupCommand)[0]!;
    expect(await call.thisValue.config.region()).toBe('us-east-2');
  });

  it('names a profile that does not exist instead of reporting missing credentials', async () => {
    writeFileSync(join(dir, 'group.yml'), group('all-at-once'));
    mkdirSync(join(dir, '.aws'));
    writeFileSync(
      join(dir, '.aws', 'config'),
      '[default]\nregion = eu-west-1\n\n[profile ops]\nregion = eu-west-1\n',
    );
    const r = await cli(['deploy', '--revision', 'v2', '--profile', 'opps']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `AWS profile 'opps' (from --profile) does not exist in ~/.aws/config or ~/.aws/credentials`,
    );
    expect(r.stderr).toContain('profiles defined: default, ops');
    expect(r.stderr).not.toContain('no AWS credentials found');
    expect(cd.calls()).toHaveLength(0);
  });
});
