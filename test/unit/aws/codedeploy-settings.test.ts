import { describe, expect, it } from 'vitest';
import {
  codeDeployRequestFromGroup,
  parseCodeDeploySettings,
} from '../../../src/providers/codedeploy/settings.js';

describe('codedeploy: section of a deployment group', () => {
  it('accepts S3, GitHub and inline revisions and rejects mistakes with the path', () => {
    expect(
      parseCodeDeploySettings({
        computePlatform: 'Server',
        revision: { s3: { bucket: 'rev-bucket', key: 'a.zip', bundleType: 'zip' } },
      }),
    ).toEqual({
      computePlatform: 'Server',
      revision: { s3: { bucket: 'rev-bucket', key: 'a.zip', bundleType: 'zip' } },
    });
    expect(parseCodeDeploySettings(undefined)).toEqual({});
    expect(() => parseCodeDeploySettings({ computePlatform: 'EC2' }, 'groups/prod.yml')).toThrow(
      'groups/prod.yml: codedeploy.computePlatform',
    );
    expect(() =>
      parseCodeDeploySettings({ revision: { github: { repository: 'acme/hello', commitId: 'main' } } }),
    ).toThrow('codedeploy.revision');
    expect(() => parseCodeDeploySettings({ regoin: 'eu-west-1' })).toThrow('codedeploy');
  });

  it('builds the provider request from the group file', () => {
    const request = codeDeployRequestFromGroup(
      {
        application: 'hello',
        deploymentGroup: 'prod',
        codedeploy: { revision: { github: { repository: 'acme/hello', commitId: 'a'.repeat(40) } } },
        rollback: { onFailure: true, onGateBreach: false },
        fileExistsBehavior: 'RETAIN',
      },
      { kind: 'in-place', name: 'all-at-once', minimumHealthyHosts: { count: 0 } },
      { dir: '/tmp/v2', label: 'v2' },
    );
    expect(request).toEqual({
      application: 'hello',
      deploymentGroup: 'prod',
      strategy: { kind: 'in-place', name: 'all-at-once', minimumHealthyHosts: { count: 0 } },
      codedeploy: { revision: { github: { repository: 'acme/hello', commitId: 'a'.repeat(40) } } },
      rollback: { onFailure: true, onGateBreach: false },
      fileExistsBehavior: 'RETAIN',
      revisionDir: '/tmp/v2',
      revisionLabel: 'v2',
    });
  });
});

describe('provider for a group file', () => {
  it('uses codedeploy.region over the environment and codedeploy.pollSeconds', async () => {
    const { createCodeDeployProviderForGroup } = await import('../../../src/providers/codedeploy/index.js');
    const { FakeClock } = await import('../../../src/core/clock.js');
    const { CodeDeployClient, GetDeploymentCommand } = await import('@aws-sdk/client-codedeploy');
    const { mockClient } = await import('aws-sdk-client-mock');
    const cd = mockClient(CodeDeployClient);
    try {
      let region = '';
      cd.on(GetDeploymentCommand).callsFake(async (_input, getClient) => {
        region = await getClient().config.region();
        return { deploymentInfo: { status: 'Succeeded' } };
      });
      const clock = new FakeClock(0);
      const provider = await createCodeDeployProviderForGroup(
        { AWS_REGION: 'us-east-1' },
        { application: 'a', deploymentGroup: 'g', codedeploy: { region: 'ap-northeast-1', pollSeconds: 30 } },
        clock,
      );
      expect((await provider.describe('d-X')).status).toBe('Succeeded');
      expect(region).toBe('ap-northeast-1');
    } finally {
      cd.restore();
    }
  });
});
