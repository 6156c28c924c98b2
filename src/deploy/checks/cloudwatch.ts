/**
 * `cloudwatch` checks: an alarm's state, metric or composite (DescribeAlarms; ALARM fails, INSUFFICIENT_DATA
 * is no data) or
 * GetMetricData with metric math over a window ending now. Talks to CloudWatch through a narrow port
 * (the two commands used), so tests assert exact inputs with aws-sdk-client-mock; the SDK is loaded
 * lazily (src/aws/clients.ts) only when a group has a cloudwatch check.
 */
import type { CloudWatchClient, MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { createCloudWatchClient, loadCloudWatch } from '../../aws/clients.js';
import type { CheckSpec } from '../../documents/deployment-group/checks-schema.js';
import type { CheckContext, CheckProvider, CheckReading } from './check.js';

type CloudWatchCheck = Extract<CheckSpec, { provider: 'cloudwatch' }>;

export const DEFAULT_WINDOW_SECONDS = 300;

/** The GetMetricData queries of a check, as the SDK takes them. */
export function metricDataQueries(spec: CloudWatchCheck): MetricDataQuery[] {
  return (spec.metricDataQueries ?? []).map((q) => {
    const out: MetricDataQuery = { Id: q.id };
    if (q.expression !== undefined) out.Expression = q.expression;
    if (q.metricStat) {
      out.MetricStat = {
        Metric: {
          Namespace: q.metricStat.namespace,
          MetricName: q.metricStat.metricName,
          Dimensions: Object.entries(q.metricStat.dimensions ?? {}).map(([Name, Value]) => ({ Name, Value })),
        },
        Period: q.metricStat.periodSeconds,
        Stat: q.metricStat.stat,
      };
    }
    if (q.returnData !== undefined) out.ReturnData = q.returnData;
    return out;
  });
}

/**
 * A provider over a client factory (one client per region, created on first use). `now` gives the
 * window's end; the SDK call is aborted with the check's timeout.
 */
export function cloudwatchProvider(
  makeClient: (region: string | undefined) => Promise<CloudWatchClient>,
  now: () => number = Date.now,
): CheckProvider {
  const clients = new Map<string, Promise<CloudWatchClient>>();
  const clientFor = (region: string | undefined) => {
    const key = region ?? '';
    let c = clients.get(key);
    if (!c) {
      c = makeClient(region);
      clients.set(key, c);
    }
    return c;
  };
  return {
    async measure(spec: CheckSpec, _ctx: CheckContext, signal: AbortSignal): Promise<CheckReading> {
      if (spec.provider !== 'cloudwatch') return { error: `not a cloudwatch check: ${spec.provider}` };
      const client = await clientFor(spec.region);
      const sdk = await loadCloudWatch();
      if (spec.alarmName !== undefined) {
        // Without AlarmTypes, DescribeAlarms returns metric alarms only: a composite alarm would read as missing.
        const out = await client.send(
          new sdk.DescribeAlarmsCommand({
            AlarmNames: [spec.alarmName],
            AlarmTypes: ['CompositeAlarm', 'MetricAlarm'],
          }),
          { abortSignal: signal },
        );
        const alarm = out.MetricAlarms?.[0] ?? out.CompositeAlarms?.[0];
        if (!alarm) return { error: `alarm '${spec.alarmName}' does not exist` };
        const state = alarm.StateValue ?? 'INSUFFICIENT_DATA';
        if (state === 'INSUFFICIENT_DATA') return { noData: `alarm ${spec.alarmName} has insufficient data` };
        return {
          vars: { state },
          measured: { alarm: state === 'ALARM' ? 1 : 0 },
          ...(alarm.StateReason ? { output: alarm.StateReason } : {}),
        };
      }
      const end = now();
      const windowMs = (spec.windowSeconds ?? DEFAULT_WINDOW_SECONDS) * 1000;
      const out = await client.send(
        new sdk.GetMetricDataCommand({
          MetricDataQueries: metricDataQueries(spec),
          StartTime: new Date(end - windowMs),
          EndTime: new Date(end),
          ScanBy: 'TimestampDescending',
        }),
        { abortSignal: signal },
      );
      const vars: Record<string, unknown> = {};
      const measured: Record<string, number> = {};
      let result: number | undefined;
      for (const r of out.MetricDataResults ?? []) {
        const v = r.Values?.[0];
        if (v === undefined || r.Id === undefined) continue;
        vars[r.Id] = v;
        measured[r.Id] = v;
        result ??= v;
      }
      if (result === undefined) return { noData: 'GetMetricData returned no datapoints in the window' };
      return { vars: { ...vars, result }, measured: { result, ...measured } };
    },
  };
}

/** The default: region and credentials from the runner's environment, like every AWS command. */
export const defaultCloudWatchProvider = cloudwatchProvider((region) =>
  createCloudWatchClient({ env: process.env, ...(region ? { region } : {}) }),
);
