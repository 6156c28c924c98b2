/** `conveyor deploy` on a `provider: codedeploy` group: the CLI checks, records and follows through the CodeDeploy runner. */
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

beforeEach(() => {
  cd.reset();
  dir = mkdtempSync(join(tmpdir(), 'conveyor-cd-cli-'));
  writeFileSync(
    join(dir, 'group.yml'),
    `application: hello
deploymentGroup: prod
provider: codedeploy
codedeploy:
  computePlatform: Server
  pollSeconds: 1
  revision:
    s3: { bucket: conveyor-revisions-111122223333, key: hello/v2.zip, bundleType: zip }
strategy: all-at-once
`,
  );
  mkdirSync(join(dir, 'v2'));
  writeFileSync(join(dir, 'v2', 'appspec.yml'), 'version: 0.0\nos: linux\n');
  cd.on(GetDeploymentGroupCommand).resolves({
    deploymentGroupInfo: {
      computePlatform: 'Server',
      deploymentStyle: { deploymentType: 'IN_PLACE', deploymentOption: 'WITHOUT_TRAFFIC_CONTROL' },
    },
  });
  cd.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-CLI000001' });
  cd.on(GetDeploymentCommand).resolves({
    deploymentInfo: {
      deploymentId: 'd-CLI000001',
      status: 'Succeeded',
      deploymentConfigName: 'CodeDeployDefault.AllAtOnce',
    },
  });
  cd.on(ListDeploymentTargetsCommand).resolves({ targetIds: [] });
  cd.on(BatchGetDeploymentTargetsCommand).resolves({ deploymentTargets: [] });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const env = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' };

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli([...args, '--config', 'group.yml'], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    cwd: dir,
    env,
  });
  return { code, stdout, stderr };
}

describe('conveyor deploy with provider codedeploy', () => {
  it('creates the CodeDeploy deployment, records its id and follows it to the end', async () => {
    const r = await cli(['deploy', '--revision', 'v2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('codedeploy deployment d-CLI000001 started');
    expect(r.stdout).toMatch(/Succeeded/);
    expect(cd.commandCalls(CreateDeploymentCommand)[0]!.args[0].input).toMatchObject({
      applicationName: 'hello',
      deploymentGroupName: 'prod',
      deploymentConfigName: 'CodeDeployDefault.AllAtOnce',
    });
    const history = JSON.parse((await cli(['history', '--json'])).stdout) as { status: string }[];
    expect(history.map((h) => h.status)).toEqual(['Succeeded']);
    expect((await cli(['down'])).stdout).toContain('nothing to stop');
  });

  it('refuses before recording anything when CodeDeploy cannot run the strategy', async () => {
    writeFileSync(
      join(dir, 'group.yml'),
      `${'application: hello\ndeploymentGroup: prod\nprovider: codedeploy\n'}analysis:\n  maxErrorRate: 0.05\n`,
    );
    const r = await cli(['deploy', '--revision', 'v2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("CodeDeploy cannot evaluate the group's analysis gates");
    expect(cd.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
    expect((await cli(['history', '--json'])).stdout.trim()).toBe('[]');
  });
});
