import { describe, expect, it } from 'vitest';
import { describeStep } from '../../../src/deploy/steps.js';
import { inPlaceBatchSize, planDeployment } from '../../../src/deploy/strategies/plan.js';
import { predefinedStrategy, resolveStrategy, Strategies } from '../../../src/deploy/strategies/strategy.js';

const current = { slot: 'a' as const, revision: 'v1' };

function render(fleet: number, strategy: Parameters<typeof planDeployment>[2], cur = current) {
  const plan = planDeployment(fleet, cur, strategy);
  return { ...plan, steps: plan.steps.map((s, i) => `${i + 1}. ${describeStep(s)}`) };
}

describe('planDeployment', () => {
  const strategies = {
    'all-at-once': Strategies.allAtOnce(),
    'one-at-a-time': Strategies.oneAtATime(),
    'half-at-a-time': Strategies.halfAtATime(),
    'min-healthy-count-1': Strategies.minimumHealthy({ count: 1 }),
    'rolling-with-additional-batch': Strategies.rollingWithAdditionalBatch(1),
    immutable: Strategies.immutable(),
    'blue-green': Strategies.blueGreen({
      terminateBlueAfterSeconds: 5,
      readyWait: { actionOnTimeout: 'stop' },
    }),
    canary: Strategies.canary(10, 5),
    linear: Strategies.linear(25, 2),
    steps: Strategies.steps([
      { kind: 'setWeight', percent: 10 },
      { kind: 'pause', seconds: 5 },
      { kind: 'analysis', seconds: 3 },
      { kind: 'setWeight', percent: 50 },
      { kind: 'pause' },
    ]),
  };
  for (const [name, strategy] of Object.entries(strategies)) {
    for (const fleet of [1, 3, 4]) {
      if (name === 'min-healthy-count-1' && fleet === 1) continue;
      it(`${name} on ${fleet} instance(s)`, () => {
        expect(render(fleet, strategy)).toMatchSnapshot();
      });
    }
  }

  it('first deployment installs a fresh fleet whatever the strategy', () => {
    const plan = planDeployment(2, undefined, Strategies.canary(10, 5));
    expect(plan.steps.map((s) => s.kind)).toEqual([
      'lifecycle',
      'healthCheck',
      'promoteReplacement',
      'lifecycle',
    ]);
    expect(plan.targetSlot).toBe('a');
  });

  it('canary alternates slots so the stable fleet keeps running beside the new one', () => {
    expect(planDeployment(3, { slot: 'a', revision: 'v1' }, Strategies.canary(10, 5)).targetSlot).toBe('b');
    expect(planDeployment(3, { slot: 'b', revision: 'v2' }, Strategies.canary(10, 5)).targetSlot).toBe('a');
  });

  it('rolling with an additional batch names the extra batch as such, never as the original fleet', () => {
    const steps = render(2, Strategies.rollingWithAdditionalBatch(1)).steps;
    expect(steps.filter((s) => s.includes('[b-1]'))).toEqual([
      '1. run ApplicationStop … ValidateService on extra batch [b-1]',
      '2. health check [b-1]',
      '3. run BeforeAllowTraffic … AfterAllowTraffic on extra batch [b-1]',
      '10. run BeforeBlockTraffic … AfterBlockTraffic on extra batch [b-1]',
      '11. terminate the extra batch [b-1]',
    ]);
    expect(steps.join('\n')).not.toContain('original');
  });

  it('promote --full jumps to the switch step', () => {
    const plan = planDeployment(3, current, Strategies.linear(25, 2));
    expect(plan.steps[plan.fullIndex!]!.kind).toBe('promoteReplacement');
  });
});

describe('CodeDeploy batch sizing', () => {
  it.each([
    [3, { percent: 50 }, 'half', 1],
    [4, { percent: 50 }, 'half', 2],
    [1, { percent: 50 }, 'half', 1],
    [10, { percent: 50 }, undefined, 5],
    [3, { percent: 99 }, 'one', 1],
    [10, { count: 7 }, undefined, 3],
    [5, { count: 0 }, undefined, 5],
    [10, { percent: 66 }, undefined, 3],
  ] as const)('fleet %i with floor %o → batches of %i', (fleet, floor, one, size) => {
    expect(inPlaceBatchSize(fleet, floor, one)).toBe(size);
  });

  it('rejects a floor that rounds up to the whole fleet (95% of 10)', () => {
    expect(() => inPlaceBatchSize(10, { percent: 95 })).toThrow(/95% of 10 instances \(10\)/);
    expect(() => inPlaceBatchSize(3, { count: 3 })).toThrow(/leaves no instance/);
  });
});

describe('strategy names', () => {
  it('expands CodeDeploy predefined configs into the same steps as the shorthands', () => {
    expect(predefinedStrategy('Canary10Percent5Minutes')).toEqual(Strategies.canary(10, 300));
    expect(predefinedStrategy('CodeDeployDefault.LambdaCanary10Percent15Minutes')).toEqual(
      Strategies.canary(10, 900),
    );
    expect(predefinedStrategy('ECSLinear10PercentEvery1Minutes')).toEqual(Strategies.linear(10, 60));
    expect(predefinedStrategy('CodeDeployDefault.HalfAtATime')).toEqual(Strategies.halfAtATime());
    expect(predefinedStrategy('CodeDeployDefault.LambdaAllAtOnce')).toEqual(Strategies.allAtOnce());
  });

  it('linear 10% every minute has nine shifts before the switch', () => {
    const s = Strategies.linear(10, 60);
    expect(
      s.kind === 'traffic' &&
        s.steps.filter((x) => x.kind === 'setWeight').map((x) => x.kind === 'setWeight' && x.percent),
    ).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
  });

  it('canary shorthand and explicit steps from the group file', () => {
    expect(resolveStrategy({ type: 'canary', percent: 20, intervalSeconds: 3 })).toEqual(
      Strategies.canary(20, 3),
    );
    expect(resolveStrategy({ type: 'canary', steps: [{ setWeight: 10 }, { pause: {} }] })).toEqual({
      kind: 'traffic',
      name: 'canary',
      steps: [{ kind: 'setWeight', percent: 10 }, { kind: 'pause' }],
    });
  });

  it('names what is allowed for an unknown strategy', () => {
    expect(() => resolveStrategy('sideways')).toThrow(/unknown strategy 'sideways'/);
    expect(() => resolveStrategy({ type: 'canary' })).toThrow(/needs steps, or percent and intervalSeconds/);
  });
});
