import { brand, type DeploymentConfigDefinition, type DeploymentGroupDefinition } from '../definition.js';
import type { CreateDeploymentConfigInput, DeploymentGroupDocument } from '../documents.js';
import type { PredefinedDeploymentConfigName } from './deployment-config.js';
import { assertName } from './names.js';

type CheckSpec = NonNullable<NonNullable<DeploymentGroupDocument['analysis']>['checks']>[number];
type CheckOf<P extends CheckSpec['provider']> = Omit<
  Extract<CheckSpec, { provider: P }>,
  'provider' | 'name'
>;

/**
 * `analysis.checks` as values with named constructors: gates beyond the router's own signals.
 *
 *   Checks.prometheus('canary-error-rate', { address: 'http://127.0.0.1:9090', query: '…', condition: 'result < 0.01' })
 *   Checks.cloudwatch('alb-5xx', { alarmName: 'web-alb-5xx' })
 *
 * @see docs/gates.md
 */
export const Checks = {
  /** An instant PromQL query; `{{canaryRevision}}`/`{{stableRevision}}` are replaced. */
  prometheus: (name: string, props: CheckOf<'prometheus'>): CheckSpec => ({
    name,
    provider: 'prometheus',
    ...props,
  }),
  /** An alarm's state (ALARM fails) or GetMetricData with metric math over `windowSeconds`. */
  cloudwatch: (name: string, props: CheckOf<'cloudwatch'>): CheckSpec => ({
    name,
    provider: 'cloudwatch',
    ...props,
  }),
  /** GET or POST a URL; the condition sees `status` and `body` (parsed JSON). @default condition 2xx */
  http: (name: string, props: CheckOf<'http'>): CheckSpec => ({ name, provider: 'http', ...props }),
  /** A command with a timeout; `exitCode == 0` by default; its output is kept with the verdict. */
  command: (name: string, props: CheckOf<'command'>): CheckSpec => ({ name, provider: 'command', ...props }),
} as const;

type StrategySpec = Exclude<NonNullable<DeploymentGroupDocument['strategy']>, string>;

export type DeploymentGroupProps = DeploymentGroupDocument & {
  /**
   * The CodeDeploy deployment configuration this group deploys with: a predefined name
   * (`ServerDeploymentConfig.HALF_AT_A_TIME`, …) or a custom one from `defineDeploymentConfig`.
   * Without an explicit `strategy`, the group's strategy is derived from it, so the local provider
   * rolls out the way CodeDeploy would. A custom configuration is emitted next to the group.
   * @see https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html
   */
  deploymentConfig?: DeploymentConfigDefinition | PredefinedDeploymentConfigName;
};

/** The strategy a CodeDeploy configuration describes, in the deployment group's own terms. */
export function strategyFor(
  config: DeploymentConfigDefinition | PredefinedDeploymentConfigName,
): StrategySpec {
  if (typeof config === 'string') {
    const short = config.replace(/^CodeDeployDefault\./, '');
    const type = /AllAtOnce$/.test(short)
      ? 'all-at-once'
      : /HalfAtATime$/.test(short)
        ? 'half-at-a-time'
        : /OneAtATime$/.test(short)
          ? 'one-at-a-time'
          : /Canary/.test(short)
            ? 'canary'
            : 'linear';
    return { type, config };
  }
  const doc: CreateDeploymentConfigInput = config.document;
  const routing = doc.trafficRoutingConfig;
  if (routing?.type === 'TimeBasedCanary' && routing.timeBasedCanary) {
    const { canaryPercentage, canaryInterval } = routing.timeBasedCanary;
    return { type: 'canary', percent: canaryPercentage, intervalSeconds: (canaryInterval ?? 0) * 60 };
  }
  if (routing?.type === 'TimeBasedLinear' && routing.timeBasedLinear) {
    const { linearPercentage, linearInterval } = routing.timeBasedLinear;
    return { type: 'linear', stepPercent: linearPercentage, intervalSeconds: (linearInterval ?? 0) * 60 };
  }
  if (routing?.type === 'AllAtOnce') return { type: 'all-at-once' };
  const hosts = doc.minimumHealthyHosts;
  if (hosts?.type === 'FLEET_PERCENT')
    return { type: 'rolling', minimumHealthyHosts: { percent: hosts.value ?? 0 } };
  if (hosts?.type === 'HOST_COUNT')
    return { type: 'rolling', minimumHealthyHosts: { count: hosts.value ?? 0 } };
  return { type: 'one-at-a-time' };
}

/**
 * A deployment group file for `conveyor deploy --config` (local fleet or CodeDeploy). Synth emits
 * `deployment-groups/<application>.<deploymentGroup>.yml`.
 */
export function defineDeploymentGroup(props: DeploymentGroupProps): DeploymentGroupDefinition {
  const { deploymentConfig, ...document } = props;
  assertName('defineDeploymentGroup (application)', document.application);
  assertName('defineDeploymentGroup (deploymentGroup)', document.deploymentGroup);
  if (deploymentConfig && document.strategy === undefined) document.strategy = strategyFor(deploymentConfig);
  const name = `${document.application}.${document.deploymentGroup}`;
  const custom = typeof deploymentConfig === 'object' ? deploymentConfig : undefined;
  return brand({ kind: 'deployment-group' as const, name, document, deploymentConfig: custom });
}
