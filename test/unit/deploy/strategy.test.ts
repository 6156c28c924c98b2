/** What a group file's `strategy:` (or `--strategy`) means: every name and shape a user can write, and the refusals. */
import { describe, expect, it } from 'vitest';
import {
  predefinedStrategy,
  resolveStrategy,
  Strategies,
  strategyName,
} from '../../../src/deploy/strategies/strategy.js';
import type { StrategySpec } from '../../../src/documents/deployment-group/schema.js';

function refusal(spec: string | StrategySpec): { message: string; hint?: string } {
  try {
    resolveStrategy(spec);
  } catch (err) {
    const e = err as Error & { hint?: string };
    return { message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  }
  throw new Error(`strategy ${JSON.stringify(spec)} was accepted`);
}

describe('strategy shorthands', () => {
  it.each([
    ['all-at-once', Strategies.allAtOnce()],
    ['one-at-a-time', Strategies.oneAtATime()],
    ['half-at-a-time', Strategies.halfAtATime()],
    ['blue-green', { kind: 'blue-green', terminateBlueAfterSeconds: 0 }],
    ['immutable', { kind: 'immutable' }],
    ['canary', Strategies.canary(10, 5)],
  ] as const)('%s', (name, expected) => {
    expect(resolveStrategy(name)).toEqual(expected);
  });

  it('linear moves a quarter of the traffic at a time', () => {
    const s = resolveStrategy('linear');
    expect(
      s.kind === 'traffic' && s.steps.filter((x) => x.kind === 'setWeight').map((x) => x.percent),
    ).toEqual([25, 50, 75]);
  });

  it("no strategy is CodeDeploy's default, one at a time", () => {
    expect(resolveStrategy(undefined)).toEqual(Strategies.oneAtATime());
  });

  it('an unknown name is refused with the names that exist', () => {
    expect(refusal('all-at-twice')).toEqual({
      message: "unknown strategy 'all-at-twice'",
      hint: 'use one of all-at-once, one-at-a-time, half-at-a-time, blue-green, immutable, canary, linear, or a CodeDeploy config name such as Canary10Percent5Minutes',
    });
  });
});

describe('CodeDeploy config names', () => {
  it.each([
    ['CodeDeployDefault.OneAtATime', Strategies.oneAtATime()],
    ['HalfAtATime', Strategies.halfAtATime()],
    ['AllAtOnce', Strategies.allAtOnce()],
    ['CodeDeployDefault.LambdaAllAtOnce', Strategies.allAtOnce()],
    ['ECSAllAtOnce', Strategies.allAtOnce()],
    ['Canary10Percent15Minutes', Strategies.canary(10, 900)],
    ['Canary25Percent3Minutes', Strategies.canary(25, 180)],
    ['LambdaCanary10Percent1Minute', Strategies.canary(10, 60)],
    ['CodeDeployDefault.ECSCanary10Percent15Minutes', Strategies.canary(10, 900)],
  ] as const)('%s', (name, expected) => {
    expect(predefinedStrategy(name)).toEqual(expected);
    expect(resolveStrategy(name)).toEqual(expected);
  });

  it.each([
    ['Linear10PercentEvery2Minutes', 10, 120],
    ['Linear20PercentEvery15Minutes', 20, 900],
    ['LambdaLinear10PercentEvery1Minute', 10, 60],
    ['CodeDeployDefault.ECSLinear10PercentEvery3Minutes', 10, 180],
  ] as const)('%s', (name, percent, seconds) => {
    expect(predefinedStrategy(name)).toEqual(Strategies.linear(percent, seconds));
  });

  it.each([
    'XAllAtOnce',
    'AllAtOnceX',
    'XLambdaAllAtOnce',
    'ECSAllAtOnceX',
    'Lambda.AllAtOnce',
    'XCanary10Percent5Minutes',
    'Canary10Percent5MinutesX',
    'CanaryTenPercent5Minutes',
    'Canary10PercentFiveMinutes',
    'Canary10Percent5Minutess',
    'XLinear10PercentEvery1Minute',
    'Linear10PercentEvery1MinuteX',
    'LinearTenPercentEvery1Minute',
    'Linear10PercentEveryOneMinute',
    'Linear10PercentEvery1Minutess',
  ])('%s is not a config name', (name) => {
    expect(predefinedStrategy(name)).toBeUndefined();
  });

  it('strategy.config takes a config name and refuses anything else', () => {
    expect(resolveStrategy({ type: 'canary', config: 'Canary10Percent30Minutes' })).toEqual(
      Strategies.canary(10, 1800),
    );
    expect(refusal({ type: 'canary', config: 'Canary10Percent' }).message).toBe(
      "strategy.config 'Canary10Percent' is not a CodeDeploy predefined config",
    );
  });
});

describe('strategy objects', () => {
  it.each([
    [{ type: 'all-at-once' }, Strategies.allAtOnce()],
    [{ type: 'one-at-a-time' }, Strategies.oneAtATime()],
    [{ type: 'half-at-a-time' }, Strategies.halfAtATime()],
    [{ type: 'immutable' }, Strategies.immutable()],
    [{ type: 'rolling', minimumHealthyHosts: { count: 2 } }, Strategies.minimumHealthy({ count: 2 })],
    [{ type: 'rolling-with-additional-batch' }, Strategies.rollingWithAdditionalBatch(1)],
    [{ type: 'rolling-with-additional-batch', batchSize: 3 }, Strategies.rollingWithAdditionalBatch(3)],
    [{ type: 'blue-green' }, { kind: 'blue-green', terminateBlueAfterSeconds: 0 }],
    [
      { type: 'blue-green', terminateBlueAfterSeconds: 30, readyWait: {} },
      { kind: 'blue-green', terminateBlueAfterSeconds: 30, readyWait: { actionOnTimeout: 'stop' } },
    ],
    [
      { type: 'blue-green', readyWait: { seconds: 60, actionOnTimeout: 'continue' } },
      {
        kind: 'blue-green',
        terminateBlueAfterSeconds: 0,
        readyWait: { seconds: 60, actionOnTimeout: 'continue' },
      },
    ],
    [{ type: 'canary', percent: 20, intervalSeconds: 30 }, Strategies.canary(20, 30)],
    [{ type: 'linear', stepPercent: 50, intervalSeconds: 10 }, Strategies.linear(50, 10)],
  ] as const)('%j', (spec, expected) => {
    expect(resolveStrategy(spec as StrategySpec)).toStrictEqual(expected);
  });

  it('explicit steps keep their pauses and analyses, with or without a duration', () => {
    const steps = [
      { setWeight: 10 },
      { pause: { seconds: 5 } },
      { pause: {} },
      { analysis: { seconds: 3 } },
      { analysis: {} },
    ];
    const expected = [
      { kind: 'setWeight', percent: 10 },
      { kind: 'pause', seconds: 5 },
      { kind: 'pause' },
      { kind: 'analysis', seconds: 3 },
      { kind: 'analysis' },
    ];
    for (const type of ['canary', 'linear', 'steps'] as const) {
      expect(resolveStrategy({ type, steps } as StrategySpec)).toStrictEqual({
        kind: 'traffic',
        name: type,
        steps: expected,
      });
    }
  });

  it.each([
    [{ type: 'rolling' }, 'strategy rolling needs minimumHealthyHosts: {count: N} or {percent: P}'],
    [
      { type: 'canary', percent: 10 },
      'strategy canary needs steps, or percent and intervalSeconds (or config: Canary10Percent5Minutes)',
    ],
    [
      { type: 'canary', intervalSeconds: 10 },
      'strategy canary needs steps, or percent and intervalSeconds (or config: Canary10Percent5Minutes)',
    ],
    [
      { type: 'linear', stepPercent: 10 },
      'strategy linear needs stepPercent and intervalSeconds (or config: Linear10PercentEvery1Minute)',
    ],
    [
      { type: 'linear', intervalSeconds: 10 },
      'strategy linear needs stepPercent and intervalSeconds (or config: Linear10PercentEvery1Minute)',
    ],
    [{ type: 'steps' }, 'strategy steps needs a steps list'],
  ] as const)('%j is refused', (spec, message) => {
    expect(refusal(spec as StrategySpec).message).toBe(message);
  });
});

describe('strategy names in plans and status', () => {
  it.each([
    [Strategies.allAtOnce(), 'all-at-once'],
    [Strategies.minimumHealthy({ percent: 50 }), 'rolling'],
    [Strategies.linear(10, 60), 'linear'],
    [Strategies.steps([]), 'steps'],
    [Strategies.immutable(), 'immutable'],
    [Strategies.rollingWithAdditionalBatch(2), 'rolling-with-additional-batch'],
  ] as const)('%j is called %s', (strategy, name) => {
    expect(strategyName(strategy)).toBe(name);
  });
});
