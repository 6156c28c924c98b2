/**
 * The runner's policy for a group's analysis checks: exactly the CloudWatch calls the checks make, scoped as
 * tightly as IAM allows (both need `*`), and the calls the checks really send (through aws-sdk-client-mock) are all in it.
 */
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it } from 'vitest';
import { createCloudWatchClient } from '../../../src/aws/clients.js';
import { deploymentGroupPolicy } from '../../../src/aws/iam/deployment-group-policy.js';
import { measureCheck } from '../../../src/deploy/checks/check.js';
import { cloudwatchProvider } from '../../../src/deploy/checks/cloudwatch.js';
import type { CheckSpec } from '../../../src/documents/deployment-group/checks-schema.js';
import { emitDefinition } from '../../../src/synth/emit/outputs.js';
import { Checks, defineDeploymentGroup } from '../../../src/synth/index.js';

const alarm: CheckSpec = {
  name: 'alb',
  provider: 'cloudwatch',
  alarmName: 'web-alb-5xx',
  region: 'eu-west-1',
};
const anyRegionAlarm: CheckSpec = { name: 'queue', provider: 'cloudwatch', alarmName: 'orders-age' };
const math: CheckSpec = {
  name: 'rate',
  provider: 'cloudwatch',
  condition: 'result < 1',
  metricDataQueries: [{ id: 'rate', expression: '100 * errors / requests' }],
};
const smoke: CheckSpec = { name: 'smoke', provider: 'command', command: ['./smoke.sh'] };
const web: CheckSpec = { name: 'biz', provider: 'http', url: 'http://127.0.0.1:8081/ok' };

describe('deploymentGroupPolicy', () => {
  it('allows DescribeAlarms and GetMetricData on *, nothing else', () => {
    expect(
      deploymentGroupPolicy(
        { analysis: { checks: [alarm, anyRegionAlarm, math, smoke, web] } },
        { account: '111122223333' },
      ),
    ).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AnalysisCheckAlarms',
          Effect: 'Allow',
          Action: ['cloudwatch:DescribeAlarms'],
          // CloudWatch answers composite alarms only to a DescribeAlarms scoped to *.
          Resource: ['*'],
        },
        // GetMetricData has no resource-level permissions.
        {
          Sid: 'AnalysisCheckMetrics',
          Effect: 'Allow',
          Action: ['cloudwatch:GetMetricData'],
          Resource: ['*'],
        },
      ],
    });
  });

  it('only the calls a group makes: alarms alone need no GetMetricData', () => {
    expect(deploymentGroupPolicy({ analysis: { checks: [alarm] } })?.Statement).toEqual([
      {
        Sid: 'AnalysisCheckAlarms',
        Effect: 'Allow',
        Action: ['cloudwatch:DescribeAlarms'],
        Resource: ['*'],
      },
    ]);
  });

  it('no policy when no check calls AWS', () => {
    expect(deploymentGroupPolicy({})).toBeUndefined();
    expect(deploymentGroupPolicy({ analysis: { maxErrorRate: 0.01, checks: [smoke, web] } })).toBeUndefined();
  });

  describe('covers every call the cloudwatch checks send', () => {
    const cw = mockClient(CloudWatchClient);
    afterAll(() => cw.restore());
    const env = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret' };
    const provider = cloudwatchProvider((r) => createCloudWatchClient({ env, ...(r ? { region: r } : {}) }));
    const ctx = {
      canaryRevision: 'v2',
      stableRevision: 'v1',
      canarySet: 'canary' as const,
      stableSet: 'stable' as const,
      deploymentId: 'd-1',
    };

    it.each([
      ['an alarm', alarm],
      ['metric math', math],
    ])('%s check', async (_label, spec) => {
      cw.reset();
      cw.on(DescribeAlarmsCommand).resolves({
        MetricAlarms: [{ AlarmName: 'web-alb-5xx', StateValue: 'OK' }],
      });
      cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'rate', Values: [0.5] }] });
      await measureCheck(provider, spec, ctx);
      const sent = cw.calls().map((c) => `cloudwatch:${c.args[0].constructor.name.replace(/Command$/, '')}`);
      expect(sent.length).toBeGreaterThan(0);
      const allowed = deploymentGroupPolicy({ analysis: { checks: [spec] } })?.Statement.flatMap(
        (s) => s.Action,
      );
      expect(allowed).toEqual([...new Set(sent)]);
    });
  });
});

describe('synth of a deployment group', () => {
  const group = { application: 'web', deploymentGroup: 'prod', provider: 'local' as const };

  it('writes the checks’ policy beside the group file when a check calls CloudWatch', () => {
    const g = defineDeploymentGroup({
      ...group,
      analysis: { checks: [Checks.cloudwatch('alb', { alarmName: 'web-alb-5xx', region: 'eu-west-1' })] },
    });
    const files = emitDefinition(g, 'pipelines/web.ts');
    expect(files.map((f) => `${f.kind} ${f.path}`)).toEqual([
      `deployment-group deployment-groups/${g.name}.yml`,
      `iam-policy deployment-groups/${g.name}.iam-policy.json`,
    ]);
    expect(JSON.parse(files[1]!.text).Statement).toEqual([
      { Sid: 'AnalysisCheckAlarms', Effect: 'Allow', Action: ['cloudwatch:DescribeAlarms'], Resource: ['*'] },
    ]);
  });

  it('writes only the group file when no check calls AWS', () => {
    const g = defineDeploymentGroup({
      ...group,
      analysis: { checks: [Checks.http('biz', { url: 'http://127.0.0.1:8081/ok' })] },
    });
    expect(emitDefinition(g, 'pipelines/web.ts').map((f) => f.path)).toEqual([
      `deployment-groups/${g.name}.yml`,
    ]);
  });
});
