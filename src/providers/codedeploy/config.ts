/**
 * Pure mapping from a Conveyor strategy to what CodeDeploy can run: a predefined deployment config where one
 * matches, else a custom one (CreateDeploymentConfig input with a deterministic name). Where CodeDeploy cannot
 * do what the strategy asks, a UsageError says so before anything starts — the strategy is never changed.
 */

import { createHash } from 'node:crypto';
import type {
  AutoRollbackConfiguration,
  AutoRollbackEvent,
  CreateDeploymentConfigInput,
  RevisionLocation,
} from '@aws-sdk/client-codedeploy';
import { UsageError } from '../../core/errors.js';
import type { ComputePlatform, RevisionSource, RollbackSettings, Strategy, TrafficStep } from './types.js';

export interface DeploymentConfigChoice {
  name: string;
  /** Present when the config is custom and must exist before CreateDeployment. */
  create?: CreateDeploymentConfigInput;
  /** One line for status output, e.g. "10% for 5 min, then 100%". */
  description: string;
}

/** Predefined traffic-shifting configs, as CodeDeploy names them (note ECS's plural "1Minutes"). */
const PREDEFINED_CANARY: Record<'ECS' | 'Lambda', Record<string, string>> = {
  ECS: {
    '10/5': 'CodeDeployDefault.ECSCanary10Percent5Minutes',
    '10/15': 'CodeDeployDefault.ECSCanary10Percent15Minutes',
  },
  Lambda: {
    '10/5': 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
    '10/10': 'CodeDeployDefault.LambdaCanary10Percent10Minutes',
    '10/15': 'CodeDeployDefault.LambdaCanary10Percent15Minutes',
    '10/30': 'CodeDeployDefault.LambdaCanary10Percent30Minutes',
  },
};
const PREDEFINED_LINEAR: Record<'ECS' | 'Lambda', Record<string, string>> = {
  ECS: {
    '10/1': 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes',
    '10/3': 'CodeDeployDefault.ECSLinear10PercentEvery3Minutes',
  },
  Lambda: {
    '10/1': 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
    '10/2': 'CodeDeployDefault.LambdaLinear10PercentEvery2Minutes',
    '10/3': 'CodeDeployDefault.LambdaLinear10PercentEvery3Minutes',
    '10/10': 'CodeDeployDefault.LambdaLinear10PercentEvery10Minutes',
  },
};
const ALL_AT_ONCE: Record<ComputePlatform, string> = {
  Server: 'CodeDeployDefault.AllAtOnce',
  ECS: 'CodeDeployDefault.ECSAllAtOnce',
  Lambda: 'CodeDeployDefault.LambdaAllAtOnce',
};

function describeSteps(steps: TrafficStep[]): string {
  return steps
    .map((s) =>
      s.kind === 'setWeight'
        ? `setWeight ${s.percent}`
        : s.kind === 'pause'
          ? `pause${s.seconds !== undefined ? ` ${s.seconds}s` : ' (until promote)'}`
          : 'analysis',
    )
    .join(', ');
}

function wholeMinutes(seconds: number, what: string, steps: TrafficStep[]): number {
  const minutes = seconds / 60;
  if (!Number.isInteger(minutes) || minutes < 1) {
    throw new UsageError(
      `CodeDeploy cannot run this strategy: ${what} of ${seconds}s is not a whole number of minutes (steps: ${describeSteps(steps)})`,
      'CodeDeploy shifts traffic in whole minutes (at least 1); use a multiple of 60 seconds, or the local provider',
    );
  }
  return minutes;
}

/** Recognises the two traffic shapes CodeDeploy has: a two-step canary and a uniform linear shift. */
export function trafficShape(
  steps: TrafficStep[],
):
  | { type: 'canary'; percent: number; seconds: number }
  | { type: 'linear'; percent: number; seconds: number }
  | undefined {
  if (steps.some((s) => s.kind !== 'setWeight' && s.kind !== 'pause')) return undefined;
  if (steps.length === 0 || steps.length % 2 !== 0) return undefined;
  const pairs: { percent: number; seconds: number | undefined }[] = [];
  for (let i = 0; i < steps.length; i += 2) {
    const w = steps[i]!;
    const p = steps[i + 1]!;
    if (w.kind !== 'setWeight' || p.kind !== 'pause') return undefined;
    pairs.push({ percent: w.percent, seconds: p.seconds });
  }
  if (pairs.some((p) => p.seconds === undefined)) return undefined;
  const first = pairs[0]!;
  if (pairs.length === 1) return { type: 'canary', percent: first.percent, seconds: first.seconds! };
  const step = first.percent;
  const uniform = pairs.every(
    (p, i) => Math.abs(p.percent - step * (i + 1)) < 1e-9 && p.seconds === first.seconds,
  );
  // The last explicit weight is the last multiple below 100; CodeDeploy then finishes at 100 %.
  if (uniform && step * pairs.length < 100 && step * (pairs.length + 1) >= 100) {
    return { type: 'linear', percent: step, seconds: first.seconds! };
  }
  return undefined;
}

function percentValue(percent: number, what: string): number {
  if (!Number.isInteger(percent) || percent < 1 || percent > 99) {
    throw new UsageError(
      `CodeDeploy cannot run this strategy: ${what} ${percent}% must be a whole percent from 1 to 99`,
    );
  }
  return percent;
}

/** Chooses (or defines) the deployment config for a strategy on a compute platform. */
export function deploymentConfigFor(strategy: Strategy, platform: ComputePlatform): DeploymentConfigChoice {
  const p = platform.toLowerCase();
  switch (strategy.kind) {
    case 'in-place': {
      if (platform !== 'Server') {
        if (
          strategy.minimumHealthyHosts &&
          'count' in strategy.minimumHealthyHosts &&
          strategy.minimumHealthyHosts.count === 0
        ) {
          return { name: ALL_AT_ONCE[platform], description: 'all traffic at once' };
        }
        throw new UsageError(
          `CodeDeploy cannot run strategy '${strategy.name}' on the ${platform} compute platform: ${platform} deployments shift traffic to a new ${platform === 'ECS' ? 'task set' : 'function version'}, there are no host batches`,
          'use all-at-once, canary or linear for ECS and Lambda',
        );
      }
      if (strategy.preset === 'one')
        return { name: 'CodeDeployDefault.OneAtATime', description: 'one instance at a time' };
      if (strategy.preset === 'half')
        return { name: 'CodeDeployDefault.HalfAtATime', description: 'half of the fleet at a time' };
      const floor = strategy.minimumHealthyHosts;
      if ('count' in floor && floor.count === 0)
        return { name: ALL_AT_ONCE.Server, description: 'all instances at once' };
      if ('count' in floor) {
        return {
          name: `conveyor-server-min-healthy-${floor.count}-hosts`,
          description: `keep at least ${floor.count} hosts healthy`,
          create: {
            deploymentConfigName: `conveyor-server-min-healthy-${floor.count}-hosts`,
            computePlatform: 'Server',
            minimumHealthyHosts: { type: 'HOST_COUNT', value: floor.count },
          },
        };
      }
      if (!Number.isInteger(floor.percent) || floor.percent < 0 || floor.percent >= 100) {
        throw new UsageError(
          `CodeDeploy minimum healthy hosts must be a whole percent below 100, got ${floor.percent}%`,
        );
      }
      return {
        name: `conveyor-server-min-healthy-${floor.percent}-percent`,
        description: `keep at least ${floor.percent}% of hosts healthy`,
        create: {
          deploymentConfigName: `conveyor-server-min-healthy-${floor.percent}-percent`,
          computePlatform: 'Server',
          minimumHealthyHosts: { type: 'FLEET_PERCENT', value: floor.percent },
        },
      };
    }
    case 'blue-green':
      // Blue/green is the deployment group's style; the config decides how traffic moves to the green side.
      return { name: ALL_AT_ONCE[platform], description: 'blue/green: all traffic switches at once' };
    case 'traffic': {
      if (strategy.steps.some((s) => s.kind === 'analysis')) {
        throw new UsageError(
          `CodeDeploy cannot run analysis steps (${describeSteps(strategy.steps)}): they read the local router's metrics`,
          'on AWS, CloudWatch alarms on the deployment group stop a bad deployment; remove the analysis steps for provider codedeploy',
        );
      }
      if (strategy.steps.some((s) => s.kind === 'pause' && s.seconds === undefined)) {
        throw new UsageError(
          `CodeDeploy cannot pause a ${strategy.name} deployment until promote (steps: ${describeSteps(strategy.steps)})`,
          platform === 'Server'
            ? 'use blue-green with readyWait for a manual gate on EC2'
            : 'CodeDeploy waits for promotion only before a blue/green switch (readyWait); give every pause a duration',
        );
      }
      if (platform === 'Server') {
        throw new UsageError(
          `CodeDeploy cannot run a ${strategy.name} strategy on the Server (EC2/on-premises) compute platform: it has no weighted traffic shifting there`,
          'use one-at-a-time, half-at-a-time, rolling (minimumHealthyHosts) or blue-green on EC2; canary and linear need ECS or Lambda',
        );
      }
      const shape = trafficShape(strategy.steps);
      if (!shape) {
        throw new UsageError(
          `CodeDeploy cannot run this explicit step list (${describeSteps(strategy.steps)}): it only knows a two-step canary (x%, wait, 100%) and a uniform linear shift`,
          'use strategy canary (percent + intervalSeconds) or linear (stepPercent + intervalSeconds), or the local provider',
        );
      }
      const percent = percentValue(
        shape.percent,
        shape.type === 'canary' ? 'canary percentage' : 'linear step',
      );
      const minutes = wholeMinutes(
        shape.seconds,
        shape.type === 'canary' ? 'the canary interval' : 'the linear interval',
        strategy.steps,
      );
      const key = `${percent}/${minutes}`;
      if (shape.type === 'canary') {
        const predefined = PREDEFINED_CANARY[platform][key];
        const description = `${percent}% for ${minutes} min, then 100%`;
        if (predefined) return { name: predefined, description };
        const name = `conveyor-${p}-canary-${percent}pct-${minutes}min`;
        return {
          name,
          description,
          create: {
            deploymentConfigName: name,
            computePlatform: platform,
            trafficRoutingConfig: {
              type: 'TimeBasedCanary',
              timeBasedCanary: { canaryPercentage: percent, canaryInterval: minutes },
            },
          },
        };
      }
      const predefined = PREDEFINED_LINEAR[platform][key];
      const description = `${percent}% more every ${minutes} min`;
      if (predefined) return { name: predefined, description };
      const name = `conveyor-${p}-linear-${percent}pct-every-${minutes}min`;
      return {
        name,
        description,
        create: {
          deploymentConfigName: name,
          computePlatform: platform,
          trafficRoutingConfig: {
            type: 'TimeBasedLinear',
            timeBasedLinear: { linearPercentage: percent, linearInterval: minutes },
          },
        },
      };
    }
    case 'rolling-with-additional-batch':
      throw new UsageError(
        'CodeDeploy cannot run rolling-with-additional-batch (an Elastic Beanstalk strategy): it never adds capacity for an in-place deployment',
        'use blue-green (a replacement fleet) or rolling with minimumHealthyHosts',
      );
    case 'immutable':
      throw new UsageError(
        'CodeDeploy has no immutable strategy',
        'use blue-green with a deployment group that copies the Auto Scaling group (COPY_AUTO_SCALING_GROUP)',
      );
  }
}

/**
 * autoRollbackConfiguration from the group's rollback settings: failure → DEPLOYMENT_FAILURE, gate breach →
 * DEPLOYMENT_STOP_ON_ALARM (CloudWatch alarms are CodeDeploy's gates); `conveyor abort` always rolls back,
 * so DEPLOYMENT_STOP_ON_REQUEST is always on.
 */
export function autoRollbackFor(rollback: RollbackSettings | undefined): AutoRollbackConfiguration {
  const events: AutoRollbackEvent[] = [];
  if (rollback?.onFailure !== false) events.push('DEPLOYMENT_FAILURE');
  if (rollback?.onGateBreach !== false) events.push('DEPLOYMENT_STOP_ON_ALARM');
  events.push('DEPLOYMENT_STOP_ON_REQUEST');
  return { enabled: true, events };
}

export function revisionLocationFor(source: RevisionSource, platform: ComputePlatform): RevisionLocation {
  if ('s3' in source) {
    const { bucket, key, bundleType, version, eTag } = source.s3;
    return {
      revisionType: 'S3',
      s3Location: { bucket, key, bundleType, ...(version ? { version } : {}), ...(eTag ? { eTag } : {}) },
    };
  }
  if ('github' in source) {
    if (platform !== 'Server') {
      throw new UsageError(`a GitHub revision works only on the Server compute platform, not ${platform}`);
    }
    return { revisionType: 'GitHub', gitHubLocation: { ...source.github } };
  }
  if (platform === 'Server') {
    throw new UsageError(
      'an inline appspec revision works only for ECS and Lambda; EC2/on-premises needs a bundle',
      'set codedeploy.revision.s3 (bucket, key, bundleType of the uploaded bundle) or codedeploy.revision.github',
    );
  }
  const sha256 = createHash('sha256').update(source.appSpecContent).digest('hex');
  return { revisionType: 'AppSpecContent', appSpecContent: { content: source.appSpecContent, sha256 } };
}
