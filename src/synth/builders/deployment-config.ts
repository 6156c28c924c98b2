import { brand, compact, type DeploymentConfigDefinition } from '../definition.js';
import type { CreateDeploymentConfigInput } from '../documents.js';
import type { Duration } from '../duration.js';

/**
 * CodeDeploy's predefined deployment configurations, by compute platform. Pass one by name to a
 * deployment group; only custom configurations are emitted as files.
 * @see https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html
 */
export const ServerDeploymentConfig = {
  ALL_AT_ONCE: 'CodeDeployDefault.AllAtOnce',
  HALF_AT_A_TIME: 'CodeDeployDefault.HalfAtATime',
  /** CodeDeploy's default when a group names none. */
  ONE_AT_A_TIME: 'CodeDeployDefault.OneAtATime',
} as const;

export const EcsDeploymentConfig = {
  ALL_AT_ONCE: 'CodeDeployDefault.ECSAllAtOnce',
  CANARY_10PERCENT_5MINUTES: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
  CANARY_10PERCENT_15MINUTES: 'CodeDeployDefault.ECSCanary10Percent15Minutes',
  /** AWS spells it "1Minutes". */
  LINEAR_10PERCENT_EVERY_1MINUTES: 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes',
  LINEAR_10PERCENT_EVERY_3MINUTES: 'CodeDeployDefault.ECSLinear10PercentEvery3Minutes',
} as const;

export const LambdaDeploymentConfig = {
  ALL_AT_ONCE: 'CodeDeployDefault.LambdaAllAtOnce',
  CANARY_10PERCENT_5MINUTES: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
  CANARY_10PERCENT_10MINUTES: 'CodeDeployDefault.LambdaCanary10Percent10Minutes',
  CANARY_10PERCENT_15MINUTES: 'CodeDeployDefault.LambdaCanary10Percent15Minutes',
  CANARY_10PERCENT_30MINUTES: 'CodeDeployDefault.LambdaCanary10Percent30Minutes',
  LINEAR_10PERCENT_EVERY_1MINUTE: 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
  LINEAR_10PERCENT_EVERY_2MINUTES: 'CodeDeployDefault.LambdaLinear10PercentEvery2Minutes',
  LINEAR_10PERCENT_EVERY_3MINUTES: 'CodeDeployDefault.LambdaLinear10PercentEvery3Minutes',
  LINEAR_10PERCENT_EVERY_10MINUTES: 'CodeDeployDefault.LambdaLinear10PercentEvery10Minutes',
} as const;

export type PredefinedDeploymentConfigName =
  | (typeof ServerDeploymentConfig)[keyof typeof ServerDeploymentConfig]
  | (typeof EcsDeploymentConfig)[keyof typeof EcsDeploymentConfig]
  | (typeof LambdaDeploymentConfig)[keyof typeof LambdaDeploymentConfig];

/** Minimum healthy hosts during an in-place (Server) deployment. */
export const MinimumHealthyHosts = {
  /** At least `n` instances stay healthy. */
  count(n: number) {
    assertInt('MinimumHealthyHosts.count', n, 0, Number.MAX_SAFE_INTEGER);
    return { type: 'HOST_COUNT' as const, value: n };
  },
  /**
   * At least `percent`% of the fleet stays healthy, rounded up to whole hosts at deployment start.
   * Must be below 100.
   */
  percent(percent: number) {
    assertInt('MinimumHealthyHosts.percent', percent, 0, 99);
    return { type: 'FLEET_PERCENT' as const, value: percent };
  },
};

export type MinimumHealthyHostsValue = ReturnType<
  typeof MinimumHealthyHosts.count | typeof MinimumHealthyHosts.percent
>;

/** How traffic moves to the new version (Lambda and ECS). Intervals are whole minutes. */
export const TrafficRouting = {
  allAtOnce() {
    return { type: 'AllAtOnce' as const };
  },
  /** `percentage`% first, the rest after `interval`. */
  timeBasedCanary(props: { percentage: number; interval: Duration }) {
    assertInt('TrafficRouting.timeBasedCanary percentage', props.percentage, 1, 99);
    return {
      type: 'TimeBasedCanary' as const,
      timeBasedCanary: { canaryPercentage: props.percentage, canaryInterval: minutes(props.interval) },
    };
  },
  /** `percentage`% more every `interval` until all traffic has moved. */
  timeBasedLinear(props: { percentage: number; interval: Duration }) {
    assertInt('TrafficRouting.timeBasedLinear percentage', props.percentage, 1, 99);
    return {
      type: 'TimeBasedLinear' as const,
      timeBasedLinear: { linearPercentage: props.percentage, linearInterval: minutes(props.interval) },
    };
  },
};

export type TrafficRoutingValue = ReturnType<
  | typeof TrafficRouting.allAtOnce
  | typeof TrafficRouting.timeBasedCanary
  | typeof TrafficRouting.timeBasedLinear
>;

export type DeploymentConfigProps =
  | {
      /** The configuration name; may not start with `CodeDeployDefault.`. */
      name: string;
      computePlatform: 'Server';
      /** @see https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_MinimumHealthyHosts.html */
      minimumHealthyHosts: MinimumHealthyHostsValue;
    }
  | {
      name: string;
      computePlatform: 'Lambda' | 'ECS';
      /** @see https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_TrafficRoutingConfig.html */
      trafficRouting: TrafficRoutingValue;
    };

/**
 * A custom CodeDeploy deployment configuration. Synth emits it as the CreateDeploymentConfig input
 * (`aws deploy create-deployment-config --cli-input-json file://...`).
 * @see https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_CreateDeploymentConfig.html
 */
export function defineDeploymentConfig(props: DeploymentConfigProps): DeploymentConfigDefinition {
  const name = props.name;
  if (typeof name !== 'string' || name.length < 1 || name.length > 100) {
    throw new TypeError(`defineDeploymentConfig: name ${JSON.stringify(name)} must be 1-100 characters`);
  }
  if (name.startsWith('CodeDeployDefault.')) {
    throw new TypeError(
      `defineDeploymentConfig: name '${name}' may not start with 'CodeDeployDefault.' (reserved for predefined configurations)`,
    );
  }
  const document: CreateDeploymentConfigInput =
    props.computePlatform === 'Server'
      ? {
          deploymentConfigName: name,
          computePlatform: 'Server',
          minimumHealthyHosts: props.minimumHealthyHosts,
        }
      : compact({
          deploymentConfigName: name,
          computePlatform: props.computePlatform,
          trafficRoutingConfig: props.trafficRouting,
        });
  return brand({ kind: 'deployment-config' as const, name, document });
}

function minutes(d: Duration): number {
  const m = d.toMinutes();
  if (m < 1) throw new RangeError(`traffic routing interval ${d} must be at least one minute`);
  return m;
}

function assertInt(what: string, n: number, min: number, max: number): void {
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new RangeError(`${what}: ${n} must be a whole number from ${min} to ${max}`);
  }
}
