/**
 * Least-privilege IAM policy for whoever runs a deployment group's deployments (`conveyor deploy`, or its
 * detached runner): the AWS calls its `analysis.checks` make. Pure: no SDK, no I/O (synth calls it for every
 * group). Only `cloudwatch` checks call AWS (src/deploy/checks/cloudwatch.ts):
 * - an `alarmName` check calls `DescribeAlarms {AlarmNames: [name]}`, which IAM scopes to the alarm's ARN
 *   (the call asks for metric alarms only, so the narrower scope is enough);
 * - a `metricDataQueries` check calls `GetMetricData`, which has no resource-level permissions: `*`.
 * A check's `region` scopes the ARN; without one the runner's region decides at run time, so `*`.
 */
import type { DeploymentGroup } from '../../documents/deployment-group/schema.js';
import { PolicyBuilder, type PolicyDocument } from './policy.js';

export interface DeploymentGroupPolicyOptions {
  /** The account the alarms live in (default `*`: a group file does not name one). */
  account?: string;
  /** Default `aws`. */
  partition?: string;
}

/** The policy the group's checks need, or undefined when none of them calls AWS. */
export function deploymentGroupPolicy(
  group: Pick<DeploymentGroup, 'analysis'>,
  options: DeploymentGroupPolicyOptions = {},
): PolicyDocument | undefined {
  const b = new PolicyBuilder();
  const partition = options.partition ?? 'aws';
  const account = options.account ?? '*';
  for (const check of group.analysis?.checks ?? []) {
    if (check.provider !== 'cloudwatch') continue;
    if (check.alarmName !== undefined) {
      const region = check.region ?? '*';
      b.allow(
        'AnalysisCheckAlarms',
        ['cloudwatch:DescribeAlarms'],
        [`arn:${partition}:cloudwatch:${region}:${account}:alarm:${check.alarmName}`],
      );
    } else {
      b.allow('AnalysisCheckMetrics', ['cloudwatch:GetMetricData'], ['*']);
    }
  }
  return b.empty ? undefined : b.build();
}
