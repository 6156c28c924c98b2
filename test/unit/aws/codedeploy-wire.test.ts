import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { createCodeDeployProvider, deployWithCodeDeploy } from '../../../src/providers/codedeploy/index.js';
import type { CodeDeployEvent } from '../../../src/providers/codedeploy/types.js';
import { awsError, startFakeAws } from './fake-aws-server.js';
import { settleInFakeTime } from './helpers.js';

/** The whole path through the real SDK client and its JSON wire format, against a loopback CodeDeploy. */
describe('CodeDeploy over the wire', () => {
  let fake: Awaited<ReturnType<typeof startFakeAws>> | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it('a Lambda canary: the request bodies CodeDeploy receives, throttling retried by the SDK, the outcome', async () => {
    let polls = 0;
    fake = await startFakeAws((req) => {
      const op = req.target.replace('CodeDeploy_20141006.', '');
      switch (op) {
        case 'GetDeploymentGroup':
          return {
            status: 200,
            body: {
              deploymentGroupInfo: {
                applicationName: 'api',
                deploymentGroupName: 'api-live',
                computePlatform: 'Lambda',
                deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
              },
            },
          };
        case 'CreateDeployment':
          return { status: 200, body: { deploymentId: 'd-WIRE00001' } };
        case 'GetDeployment':
          polls++;
          if (polls === 2) return awsError('ThrottlingException', 'Rate exceeded');
          return {
            status: 200,
            body: {
              deploymentInfo: {
                deploymentId: 'd-WIRE00001',
                status: polls < 4 ? 'InProgress' : 'Succeeded',
                deploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
                createTime: 1795262400.0,
              },
            },
          };
        case 'ListDeploymentTargets':
          return { status: 200, body: { targetIds: ['api-handler:live'] } };
        case 'BatchGetDeploymentTargets':
          return {
            status: 200,
            body: {
              deploymentTargets: [
                {
                  deploymentTargetType: 'LambdaTarget',
                  lambdaTarget: {
                    targetId: 'api-handler:live',
                    status: polls < 4 ? 'InProgress' : 'Succeeded',
                    lifecycleEvents: [
                      {
                        lifecycleEventName: 'BeforeAllowTraffic',
                        status: 'Succeeded',
                        startTime: 1795262401.0,
                        endTime: 1795262403.5,
                      },
                      { lifecycleEventName: 'AllowTraffic', status: polls < 4 ? 'InProgress' : 'Succeeded' },
                    ],
                    lambdaFunctionInfo: {
                      functionName: 'api-handler',
                      functionAlias: 'live',
                      currentVersion: '41',
                      targetVersion: '42',
                      targetVersionWeight: polls < 4 ? 0.1 : 1.0,
                    },
                  },
                },
              ],
            },
          };
        default:
          return awsError('UnknownOperationException', op);
      }
    });
    const clock = new FakeClock(0);
    const provider = await createCodeDeployProvider(
      {
        env: {
          AWS_REGION: 'eu-west-1',
          AWS_ENDPOINT_URL_CODEDEPLOY: fake.url,
          AWS_ACCESS_KEY_ID: 'AKIDTEST',
          AWS_SECRET_ACCESS_KEY: 'secret',
        },
      },
      { clock },
    );
    const events: CodeDeployEvent[] = [];
    let started = '';
    const appspec = 'version: 0.0\nResources:\n  - api:\n      Type: AWS::Lambda::Function\n';
    const result = await settleInFakeTime(
      deployWithCodeDeploy(
        provider,
        {
          application: 'api',
          deploymentGroup: 'api-live',
          strategy: {
            kind: 'traffic',
            name: 'canary',
            steps: [
              { kind: 'setWeight', percent: 10 },
              { kind: 'pause', seconds: 300 },
            ],
          },
          codedeploy: { revision: { appSpecContent: appspec } },
        },
        (e) => events.push(e),
        { onStarted: (id) => (started = id) },
      ),
      clock,
      15_000,
    );
    expect(result).toEqual({ status: 'Succeeded', deploymentId: 'd-WIRE00001' });
    expect(started).toBe('d-WIRE00001');
    const bodies = fake.requests.map((r) => [r.target.replace('CodeDeploy_20141006.', ''), r.body]);
    expect(bodies[0]).toEqual([
      'GetDeploymentGroup',
      { applicationName: 'api', deploymentGroupName: 'api-live' },
    ]);
    expect(bodies[1]![0]).toBe('CreateDeployment');
    expect(bodies[1]![1]).toEqual({
      applicationName: 'api',
      deploymentGroupName: 'api-live',
      revision: {
        revisionType: 'AppSpecContent',
        appSpecContent: { content: appspec, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      },
      deploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
      description: 'Conveyor: 10% for 5 min, then 100%',
      autoRollbackConfiguration: {
        enabled: true,
        events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM', 'DEPLOYMENT_STOP_ON_REQUEST'],
      },
    });
    // The throttled GetDeployment was retried by the SDK inside the same poll.
    const gets = bodies.filter(([op]) => op === 'GetDeployment');
    expect(gets.length).toBe(polls);
    expect(events.find((e) => e.type === 'hook')).toEqual({
      type: 'hook',
      instance: 'api-handler:live',
      event: 'BeforeAllowTraffic',
      status: 'succeeded',
      durationMs: 2500,
    });
    expect(
      events
        .filter((e) => e.type === 'traffic')
        .map((e) => (e as { table: { canaryWeight: number } }).table.canaryWeight),
    ).toEqual([10, 100]);
    expect(events.at(-1)).toEqual({ type: 'finished', status: 'Succeeded' });
  });
});
