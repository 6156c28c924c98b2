import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../../../src/core/paths.js';
import type { RunRecord } from '../../../src/local-ci/run-store.js';
import { cli, gitInit, lastEvent, tempDir } from './helpers.js';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const group = `application: hello
deploymentGroup: test
provider: local
local:
  instances: 1
  routerPort: 0
healthCheck:
  path: /health
  intervalSeconds: 0.3
  unhealthyThreshold: 2
  startupSeconds: 5
strategy:
  type: all-at-once
`;

const buildspec = `version: 0.2
phases:
  build:
    commands:
      - mkdir -p out && cp -R web/. out/
artifacts:
  files: ['**/*']
  base-directory: out
`;

const pipeline = {
  pipeline: {
    name: 'ship',
    roleArn: 'arn:aws:iam::123456789012:role/r',
    artifactStore: { type: 'S3', location: 'bucket' },
    stages: [
      {
        name: 'Source',
        actions: [
          {
            name: 'Checkout',
            actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeCommit', version: '1' },
            configuration: { RepositoryName: 'hello', BranchName: 'main' },
            outputArtifacts: [{ name: 'Src' }],
          },
        ],
      },
      {
        name: 'Build',
        actions: [
          {
            name: 'Package',
            actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' },
            configuration: { ProjectName: 'hello-package' },
            inputArtifacts: [{ name: 'Src' }],
            outputArtifacts: [{ name: 'Revision' }],
          },
        ],
      },
      {
        name: 'Deploy',
        actions: [
          {
            name: 'ToFleet',
            actionTypeId: { category: 'Deploy', owner: 'AWS', provider: 'CodeDeploy', version: '1' },
            configuration: { ApplicationName: 'hello', DeploymentGroupName: 'test' },
            inputArtifacts: [{ name: 'Revision' }],
          },
        ],
      },
    ],
  },
};

describe('conveyor run: a CodeDeploy action through the local deploy engine', () => {
  it('builds the revision and deploys it to the local fleet behind the router', async () => {
    const t = tempDir('conveyor-pipeline-deploy-');
    const dir = t.dir;
    cleanups.push(t.cleanup);
    cpSync(join(packageRoot, 'examples', 'hello-web', 'v1'), join(dir, 'web'), { recursive: true });
    writeFileSync(join(dir, 'buildspec.yml'), buildspec);
    writeFileSync(join(dir, 'group.yml'), group);
    mkdirSync(join(dir, 'pipelines'));
    writeFileSync(join(dir, 'pipelines', 'ship.json'), JSON.stringify(pipeline, null, 2));
    gitInit(dir);
    cleanups.push(async () => {
      await cli(['down', '--force', '--config', join(dir, 'group.yml')], dir).catch(() => {});
    });
    const r = await cli(['run', 'ship', '--json'], dir);
    const record = (lastEvent(r.stdout) as { record: RunRecord }).record;
    const deploy = record.stages!.find((s) => s.name === 'Deploy')!.actions[0]!;
    expect(
      deploy.status,
      `${deploy.message}\n${deploy.logPath ? readFileSync(deploy.logPath, 'utf8') : ''}`,
    ).toBe('Succeeded');
    expect(r.code).toBe(0);
    const { port } = JSON.parse(
      readFileSync(join(dir, '.conveyor', 'groups', 'hello', 'test', 'router', 'router.pid'), 'utf8'),
    ) as { port: number };
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(3000) });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('v1');
  }, 60_000);
});
