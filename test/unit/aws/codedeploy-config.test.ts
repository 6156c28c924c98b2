import { describe, expect, it } from 'vitest';
import {
  autoRollbackFor,
  deploymentConfigFor,
  revisionLocationFor,
  trafficShape,
} from '../../../src/providers/codedeploy/config.js';
import type { Strategy, TrafficStep } from '../../../src/providers/codedeploy/types.js';

const canary = (percent: number, seconds: number): Strategy => ({
  kind: 'traffic',
  name: 'canary',
  steps: [
    { kind: 'setWeight', percent },
    { kind: 'pause', seconds },
  ],
});
const linear = (step: number, seconds: number): Strategy => {
  const steps: TrafficStep[] = [];
  for (let w = step; w < 100; w += step)
    steps.push({ kind: 'setWeight', percent: w }, { kind: 'pause', seconds });
  return { kind: 'traffic', name: 'linear', steps };
};
const oneAtATime: Strategy = {
  kind: 'in-place',
  name: 'one-at-a-time',
  minimumHealthyHosts: { percent: 99 },
  preset: 'one',
};
const halfAtATime: Strategy = {
  kind: 'in-place',
  name: 'half-at-a-time',
  minimumHealthyHosts: { percent: 50 },
  preset: 'half',
};
const allAtOnce: Strategy = { kind: 'in-place', name: 'all-at-once', minimumHealthyHosts: { count: 0 } };

describe('deployment config per strategy and compute platform', () => {
  it('uses the predefined EC2 configs', () => {
    expect(deploymentConfigFor(allAtOnce, 'Server')).toEqual({
      name: 'CodeDeployDefault.AllAtOnce',
      description: 'all instances at once',
    });
    expect(deploymentConfigFor(oneAtATime, 'Server').name).toBe('CodeDeployDefault.OneAtATime');
    expect(deploymentConfigFor(halfAtATime, 'Server').name).toBe('CodeDeployDefault.HalfAtATime');
  });

  it('defines custom minimum-healthy-hosts configs (HOST_COUNT, FLEET_PERCENT) for Server', () => {
    expect(
      deploymentConfigFor({ kind: 'in-place', name: 'rolling', minimumHealthyHosts: { count: 2 } }, 'Server'),
    ).toEqual({
      name: 'conveyor-server-min-healthy-2-hosts',
      description: 'keep at least 2 hosts healthy',
      create: {
        deploymentConfigName: 'conveyor-server-min-healthy-2-hosts',
        computePlatform: 'Server',
        minimumHealthyHosts: { type: 'HOST_COUNT', value: 2 },
      },
    });
    expect(
      deploymentConfigFor(
        { kind: 'in-place', name: 'rolling', minimumHealthyHosts: { percent: 75 } },
        'Server',
      ).create,
    ).toEqual({
      deploymentConfigName: 'conveyor-server-min-healthy-75-percent',
      computePlatform: 'Server',
      minimumHealthyHosts: { type: 'FLEET_PERCENT', value: 75 },
    });
  });

  it('uses the predefined ECS and Lambda canary/linear names (ECS plural "1Minutes")', () => {
    expect(deploymentConfigFor(canary(10, 300), 'ECS').name).toBe(
      'CodeDeployDefault.ECSCanary10Percent5Minutes',
    );
    expect(deploymentConfigFor(canary(10, 900), 'ECS').name).toBe(
      'CodeDeployDefault.ECSCanary10Percent15Minutes',
    );
    expect(deploymentConfigFor(linear(10, 60), 'ECS').name).toBe(
      'CodeDeployDefault.ECSLinear10PercentEvery1Minutes',
    );
    expect(deploymentConfigFor(canary(10, 1800), 'Lambda').name).toBe(
      'CodeDeployDefault.LambdaCanary10Percent30Minutes',
    );
    expect(deploymentConfigFor(linear(10, 60), 'Lambda').name).toBe(
      'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
    );
    expect(deploymentConfigFor(linear(10, 600), 'Lambda').name).toBe(
      'CodeDeployDefault.LambdaLinear10PercentEvery10Minutes',
    );
    expect(deploymentConfigFor(allAtOnce, 'Lambda').name).toBe('CodeDeployDefault.LambdaAllAtOnce');
    expect(deploymentConfigFor({ kind: 'blue-green', terminateBlueAfterSeconds: 0 }, 'ECS').name).toBe(
      'CodeDeployDefault.ECSAllAtOnce',
    );
  });

  it('defines TimeBasedCanary / TimeBasedLinear configs with deterministic names otherwise', () => {
    expect(deploymentConfigFor(canary(25, 600), 'ECS')).toEqual({
      name: 'conveyor-ecs-canary-25pct-10min',
      description: '25% for 10 min, then 100%',
      create: {
        deploymentConfigName: 'conveyor-ecs-canary-25pct-10min',
        computePlatform: 'ECS',
        trafficRoutingConfig: {
          type: 'TimeBasedCanary',
          timeBasedCanary: { canaryPercentage: 25, canaryInterval: 10 },
        },
      },
    });
    expect(deploymentConfigFor(linear(20, 120), 'Lambda').create).toEqual({
      deploymentConfigName: 'conveyor-lambda-linear-20pct-every-2min',
      computePlatform: 'Lambda',
      trafficRoutingConfig: {
        type: 'TimeBasedLinear',
        timeBasedLinear: { linearPercentage: 20, linearInterval: 2 },
      },
    });
  });

  it('recognises only the canary and uniform-linear shapes', () => {
    expect(trafficShape((canary(10, 60) as { steps: TrafficStep[] }).steps)).toEqual({
      type: 'canary',
      percent: 10,
      seconds: 60,
    });
    expect(
      trafficShape([
        { kind: 'setWeight', percent: 10 },
        { kind: 'pause', seconds: 60 },
        { kind: 'setWeight', percent: 50 },
        { kind: 'pause', seconds: 60 },
      ]),
    ).toBeUndefined();
  });

  it('refuses what CodeDeploy cannot do, saying why, instead of changing the strategy', () => {
    expect(() => deploymentConfigFor(canary(10, 300), 'Server')).toThrow(
      'CodeDeploy cannot run a canary strategy on the Server (EC2/on-premises) compute platform',
    );
    const steps: Strategy = {
      kind: 'traffic',
      name: 'steps',
      steps: [
        { kind: 'setWeight', percent: 5 },
        { kind: 'pause', seconds: 60 },
        { kind: 'setWeight', percent: 50 },
        { kind: 'pause', seconds: 120 },
      ],
    };
    expect(() => deploymentConfigFor(steps, 'ECS')).toThrow(
      'CodeDeploy cannot run this explicit step list (setWeight 5, pause 60s, setWeight 50, pause 120s)',
    );
    const manual: Strategy = {
      kind: 'traffic',
      name: 'steps',
      steps: [{ kind: 'setWeight', percent: 10 }, { kind: 'pause' }],
    };
    expect(() => deploymentConfigFor(manual, 'Server')).toThrow(
      'CodeDeploy cannot pause a steps deployment until promote',
    );
    expect(() => deploymentConfigFor(manual, 'Lambda')).toThrow(
      'CodeDeploy cannot pause a steps deployment until promote',
    );
    const gated: Strategy = {
      kind: 'traffic',
      name: 'canary',
      steps: [
        { kind: 'setWeight', percent: 10 },
        { kind: 'analysis', seconds: 60 },
      ],
    };
    expect(() => deploymentConfigFor(gated, 'ECS')).toThrow('CodeDeploy cannot run analysis steps');
    expect(() => deploymentConfigFor(canary(10, 90), 'Lambda')).toThrow('is not a whole number of minutes');
    expect(() => deploymentConfigFor(canary(12.5, 60), 'Lambda')).toThrow(
      'must be a whole percent from 1 to 99',
    );
    expect(() => deploymentConfigFor(oneAtATime, 'ECS')).toThrow(
      "CodeDeploy cannot run strategy 'one-at-a-time' on the ECS compute platform",
    );
    expect(() => deploymentConfigFor({ kind: 'immutable' }, 'Server')).toThrow(
      'CodeDeploy has no immutable strategy',
    );
    expect(() =>
      deploymentConfigFor({ kind: 'rolling-with-additional-batch', batchSize: 2 }, 'Server'),
    ).toThrow('rolling-with-additional-batch');
  });
});

describe('rollback and revision mapping', () => {
  it('maps the group rollback settings to autoRollbackConfiguration events', () => {
    expect(autoRollbackFor(undefined)).toEqual({
      enabled: true,
      events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM', 'DEPLOYMENT_STOP_ON_REQUEST'],
    });
    expect(autoRollbackFor({ onFailure: true, onGateBreach: false })).toEqual({
      enabled: true,
      events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST'],
    });
  });

  it('builds S3, GitHub and inline appspec revisions', () => {
    expect(
      revisionLocationFor({ s3: { bucket: 'b', key: 'k.zip', bundleType: 'zip', eTag: 'e1' } }, 'Server'),
    ).toEqual({
      revisionType: 'S3',
      s3Location: { bucket: 'b', key: 'k.zip', bundleType: 'zip', eTag: 'e1' },
    });
    expect(
      revisionLocationFor({ github: { repository: 'acme/hello', commitId: 'a'.repeat(40) } }, 'Server'),
    ).toEqual({
      revisionType: 'GitHub',
      gitHubLocation: { repository: 'acme/hello', commitId: 'a'.repeat(40) },
    });
    expect(revisionLocationFor({ appSpecContent: 'version: 0.0\n' }, 'Lambda')).toEqual({
      revisionType: 'AppSpecContent',
      appSpecContent: {
        content: 'version: 0.0\n',
        sha256: '6a41e44aabcfd2527a82894a58f037eb82f3ccca36a3dd2fa70f7ee7a182cd56',
      },
    });
    expect(() => revisionLocationFor({ appSpecContent: 'x' }, 'Server')).toThrow(
      'EC2/on-premises needs a bundle',
    );
  });
});
