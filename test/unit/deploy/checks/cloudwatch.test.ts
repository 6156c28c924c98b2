/**
 * `cloudwatch` checks: exact GetMetricData/DescribeAlarms inputs through aws-sdk-client-mock, and once
 * through a loopback stand-in endpoint (AWS_ENDPOINT_URL) speaking CloudWatch's JSON protocol.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandInput,
  GetMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createCloudWatchClient } from '../../../../src/aws/clients.js';
import { type CheckContext, evaluateCheck, measureCheck } from '../../../../src/deploy/checks/check.js';
import { cloudwatchProvider } from '../../../../src/deploy/checks/cloudwatch.js';
import type { CheckSpec } from '../../../../src/documents/deployment-group/checks-schema.js';

const ctx: CheckContext = {
  canaryRevision: 'v2',
  stableRevision: 'v1',
  canarySet: 'canary',
  stableSet: 'stable',
  deploymentId: 'd-1',
};
const env = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret' };
const NOW = Date.UTC(2026, 11, 3, 10, 0, 0);

const alarmCheck: CheckSpec = {
  name: 'alb-5xx',
  provider: 'cloudwatch',
  alarmName: 'web-alb-5xx',
  timeoutSeconds: 5,
};
const mathCheck: CheckSpec = {
  name: 'error-rate',
  provider: 'cloudwatch',
  condition: 'result < 1',
  windowSeconds: 120,
  timeoutSeconds: 5,
  metricDataQueries: [
    {
      id: 'errors',
      metricStat: {
        namespace: 'AWS/ApplicationELB',
        metricName: 'HTTPCode_Target_5XX_Count',
        dimensions: { LoadBalancer: 'app/web/123' },
        periodSeconds: 60,
        stat: 'Sum',
      },
      returnData: false,
    },
    {
      id: 'requests',
      metricStat: {
        namespace: 'AWS/ApplicationELB',
        metricName: 'RequestCount',
        dimensions: { LoadBalancer: 'app/web/123' },
        periodSeconds: 60,
        stat: 'Sum',
      },
      returnData: false,
    },
    { id: 'rate', expression: '100 * errors / requests' },
  ],
};

async function judge(
  spec: CheckSpec,
  provider = cloudwatchProvider(
    (r) => createCloudWatchClient({ env, ...(r ? { region: r } : {}) }),
    () => NOW,
  ),
) {
  return evaluateCheck(undefined, await measureCheck(provider, spec, ctx), spec).verdict;
}

describe('cloudwatch checks through the SDK port', () => {
  const cw = mockClient(CloudWatchClient);
  afterEach(() => cw.reset());
  // The stand-in endpoint below needs the real send.
  afterAll(() => cw.restore());

  it('an alarm in ALARM fails the check; OK passes; INSUFFICIENT_DATA is no data', async () => {
    cw.on(DescribeAlarmsCommand, { AlarmNames: ['web-alb-5xx'] }).resolves({
      MetricAlarms: [
        { AlarmName: 'web-alb-5xx', StateValue: 'ALARM', StateReason: 'Threshold Crossed: 3 datapoints' },
      ],
    });
    const failed = await judge(alarmCheck);
    expect(failed).toMatchObject({
      result: 'fail',
      measured: { alarm: 1 },
      output: 'Threshold Crossed: 3 datapoints',
      reasons: ["alb-5xx: state != 'ALARM' does not hold (alarm=1)"],
    });
    expect(cw.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input)).toEqual([
      { AlarmNames: ['web-alb-5xx'], AlarmTypes: ['CompositeAlarm', 'MetricAlarm'] },
    ]);
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ StateValue: 'OK' }] });
    expect((await judge(alarmCheck)).result).toBe('pass');
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ StateValue: 'INSUFFICIENT_DATA' }] });
    expect((await judge(alarmCheck)).result).toBe('inconclusive');
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    expect((await judge(alarmCheck)).reasons).toEqual([
      "alb-5xx: measurement failed: alarm 'web-alb-5xx' does not exist",
    ]);
  });

  it('a composite alarm is read too: ALARM fails, OK passes, INSUFFICIENT_DATA is no data', async () => {
    // What CloudWatch answers for a composite alarm's name when AlarmTypes includes CompositeAlarm.
    const composite = (StateValue: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA') => ({
      MetricAlarms: [],
      CompositeAlarms: [
        {
          AlarmName: 'web-health',
          AlarmRule: 'ALARM(web-alb-5xx) OR ALARM(web-p99)',
          StateValue,
          StateReason: `arn:aws:cloudwatch:eu-west-1:111122223333:alarm:web-alb-5xx transitioned to ${StateValue}`,
        },
      ],
    });
    const spec: CheckSpec = {
      name: 'web-health',
      provider: 'cloudwatch',
      alarmName: 'web-health',
      timeoutSeconds: 5,
    };
    const exact: DescribeAlarmsCommandInput = {
      AlarmNames: ['web-health'],
      AlarmTypes: ['CompositeAlarm', 'MetricAlarm'],
    };
    cw.on(DescribeAlarmsCommand, exact, true).resolves(composite('ALARM'));
    expect(await judge(spec)).toMatchObject({
      result: 'fail',
      action: 'rollback',
      measured: { alarm: 1 },
      output: 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:web-alb-5xx transitioned to ALARM',
      reasons: ["web-health: state != 'ALARM' does not hold (alarm=1)"],
    });
    expect(cw.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input)).toEqual([exact]);
    cw.on(DescribeAlarmsCommand, exact, true).resolves(composite('OK'));
    expect(await judge(spec)).toMatchObject({ result: 'pass', measured: { alarm: 0 } });
    cw.on(DescribeAlarmsCommand, exact, true).resolves(composite('INSUFFICIENT_DATA'));
    expect(await judge(spec)).toMatchObject({
      result: 'inconclusive',
      reasons: ['web-health: no data: alarm web-health has insufficient data'],
    });
  });

  it('an alarm name that matches neither a metric nor a composite alarm is a failed measurement', async () => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
    const provider = cloudwatchProvider(
      (r) => createCloudWatchClient({ env, ...(r ? { region: r } : {}) }),
      () => NOW,
    );
    // Below the error limit the no-data policy decides (pause by default); the third in a row fails.
    let state: Parameters<typeof evaluateCheck>[0];
    const verdicts = [];
    for (let i = 0; i < 3; i++) {
      const next = evaluateCheck(state, await measureCheck(provider, alarmCheck, ctx), alarmCheck);
      state = next.state;
      verdicts.push(next.verdict);
    }
    expect(verdicts.map((v) => [v.result, v.reasons])).toEqual([
      ['inconclusive', ["alb-5xx: measurement failed: alarm 'web-alb-5xx' does not exist"]],
      ['inconclusive', ["alb-5xx: measurement failed: alarm 'web-alb-5xx' does not exist"]],
      ['fail', ["alb-5xx: measurement failed: alarm 'web-alb-5xx' does not exist (3 in a row)"]],
    ]);
  });

  it('GetMetricData gets the metric math and the window ending now; the first returned value is result', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'rate', Values: [2.5, 0.1], Timestamps: [new Date(NOW), new Date(NOW - 60_000)] },
      ],
    });
    const v = await judge(mathCheck);
    expect(v).toMatchObject({ result: 'fail', measured: { result: 2.5, rate: 2.5 } });
    expect(cw.commandCalls(GetMetricDataCommand)[0]!.args[0].input).toEqual({
      MetricDataQueries: [
        {
          Id: 'errors',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/ApplicationELB',
              MetricName: 'HTTPCode_Target_5XX_Count',
              Dimensions: [{ Name: 'LoadBalancer', Value: 'app/web/123' }],
            },
            Period: 60,
            Stat: 'Sum',
          },
          ReturnData: false,
        },
        {
          Id: 'requests',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/ApplicationELB',
              MetricName: 'RequestCount',
              Dimensions: [{ Name: 'LoadBalancer', Value: 'app/web/123' }],
            },
            Period: 60,
            Stat: 'Sum',
          },
          ReturnData: false,
        },
        { Id: 'rate', Expression: '100 * errors / requests' },
      ],
      StartTime: new Date(NOW - 120_000),
      EndTime: new Date(NOW),
      ScanBy: 'TimestampDescending',
    });
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'rate', Values: [] }] });
    expect((await judge(mathCheck)).reasons).toEqual([
      'error-rate: no data: GetMetricData returned no datapoints in the window',
    ]);
  });

  it('a throttled or denied call is a failed measurement with the SDK message', async () => {
    cw.on(GetMetricDataCommand).rejects(
      new Error('User is not authorized to perform: cloudwatch:GetMetricData'),
    );
    expect((await judge({ ...mathCheck, noDataPolicy: 'fail' })).reasons).toEqual([
      'error-rate: measurement failed: User is not authorized to perform: cloudwatch:GetMetricData',
    ]);
  });
});

describe('cloudwatch checks through a stand-in endpoint (AWS_ENDPOINT_URL)', () => {
  let server: http.Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
  });

  it('sends DescribeAlarms over the JSON protocol to the configured endpoint and reads the state', async () => {
    const seen: { target: string; body: unknown; auth: string }[] = [];
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        seen.push({
          target: String(req.headers['x-amz-target']),
          body: JSON.parse(body),
          auth: String(req.headers.authorization),
        });
        res.setHeader('content-type', 'application/x-amz-json-1.0');
        res.end(JSON.stringify({ MetricAlarms: [{ AlarmName: 'web-alb-5xx', StateValue: 'ALARM' }] }));
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const provider = cloudwatchProvider((r) =>
      createCloudWatchClient({
        env: { ...env, AWS_ENDPOINT_URL: endpoint, AWS_MAX_ATTEMPTS: '1' },
        ...(r ? { region: r } : {}),
      }),
    );
    const v = await judge({ ...alarmCheck, region: 'us-east-2' }, provider);
    expect(v.result).toBe('fail');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.target).toBe('GraniteServiceVersion20100801.DescribeAlarms');
    expect(seen[0]!.body).toEqual({
      AlarmNames: ['web-alb-5xx'],
      AlarmTypes: ['CompositeAlarm', 'MetricAlarm'],
    });
    expect(seen[0]!.auth).toMatch(/Credential=AKIDTEST\/\d{8}\/us-east-2\/monitoring\/aws4_request/);
  });

  it('an endpoint that never answers is a failed measurement at the check timeout', async () => {
    server = http.createServer(() => {});
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const provider = cloudwatchProvider(() =>
      createCloudWatchClient({ env: { ...env, AWS_ENDPOINT_URL: endpoint, AWS_MAX_ATTEMPTS: '1' } }),
    );
    const started = Date.now();
    const v = await judge({ ...alarmCheck, timeoutSeconds: 1, noDataPolicy: 'fail' }, provider);
    expect(v.reasons).toEqual(['alb-5xx: measurement failed: timed out after 1s']);
    expect(Date.now() - started).toBeLessThan(4000);
  });
});
