/**
 * Least-privilege IAM policy for whoever runs a deployment group's deployments (`conveyor deploy`, or its
 * detached runner): the AWS calls its `analysis.checks` make. Pure: no SDK, no I/O (synth calls it for every
 * group). Only `cloudwatch` checks call AWS (src/deploy/checks/cloudwatch.ts):
 * - an `alarmName` check calls `DescribeAlarms {AlarmNames: [name], AlarmTypes: [CompositeAlarm, MetricAlarm]}`
 *   (the alarm may be either). CloudWatch returns composite alarms only to a `cloudwatch:DescribeAlarms`
 *   scoped to `*` (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html),
 *   so the statement is `*`: a read of alarm states and settings, no action on them;
 * - a `metricDataQueries` check calls `GetMetricData`, which has no resource-level permissions: `*`.
 */
import type { DeploymentGroup } from '../../documents/deployment-group/schema.js';
import { PolicyBuilder, type PolicyDocument } from './policy.js';

/**
 * Kept so existing callers compile: no statement names an ARN any more (both calls need `*`), so neither
 * option changes the policy.
 */
export interface DeploymentGroupPolicyOptions {
  /** @deprecated no statement names an account since alarm checks read composite alarms too. */
  account?: string;
  /** @deprecated no statement names a partition since alarm checks read composite alarms too. */
  partition?: string;
}

/** The policy the group's checks need, or undefined when none of them calls AWS. */
export function deploymentGroupPolicy(
  group: Pick<DeploymentGroup, 'analysis'>,
  _options: DeploymentGroupPolicyOptions = {},
): PolicyDocument | undefined {
  const b = new PolicyBuilder();
  for (const check of group.analysis?.checks ?? []) {
    if (check.provider !== 'cloudwatch') continue;
    if (check.alarmName !== undefined) {
      b.allow('AnalysisCheckAlarms', ['cloudwatch:DescribeAlarms'], ['*']);
    } else {
      b.allow('AnalysisCheckMetrics', ['cloudwatch:GetMetricData'], ['*']);
    }
  }
  return b.empty ? undefined : b.build();
}
