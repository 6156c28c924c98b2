import { describe, expect, it } from 'vitest';
import { formatPlan } from '../../../src/deploy/render.js';
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
    // Which revision's hooks each step reads (deploy --dry-run shows them): the extra batch installs like a
    // replacement fleet, joins traffic like an in-place batch and leaves like an original fleet.
    const roles = planDeployment(2, current, Strategies.rollingWithAdditionalBatch(1)).steps.flatMap((s) =>
      s.kind === 'lifecycle' && s.extraBatch ? [s.role] : [],
    );
    expect(roles).toEqual(['replacement', 'in-place', 'original']);
  });

  it('a first in-place deployment installs the fleet in one batch; there is no original fleet to route back to', () => {
    const fresh = planDeployment(2, undefined, Strategies.oneAtATime());
    expect({ ...fresh, steps: fresh.steps.map((s, i) => `${i + 1}. ${describeStep(s)}`) }).toEqual({
      strategy: 'one-at-a-time',
      steps: [
        '1. run BeforeBlockTraffic … ValidateService on in-place batch 1 [a-1, a-2]',
        '2. health check [a-1, a-2]',
        '3. run BeforeAllowTraffic … AfterAllowTraffic on in-place batch 1 [a-1, a-2]',
      ],
      targetSlot: 'a',
      replacement: false,
    });
    const first = planDeployment(2, undefined, Strategies.canary(10, 5));
    expect(first.replacement).toBe(false);
    expect(first.steps.map(describeStep)).toEqual([
      'run ApplicationStop … BeforeAllowTraffic on replacement [a-1, a-2]',
      'health check [a-1, a-2]',
      'switch all traffic to the new fleet [a-1, a-2]',
      'run AfterAllowTraffic on replacement [a-1, a-2]',
    ]);
  });

  it('blue/green without a ready wait switches right after the health check', () => {
    const plan = planDeployment(1, current, Strategies.blueGreen());
    expect(plan.steps.map((s) => s.kind)).toEqual([
      'lifecycle',
      'healthCheck',
      'promoteReplacement',
      'lifecycle',
      'lifecycle',
      'terminate',
    ]);
    expect(plan.fullIndex).toBe(2);
  });

  it.each([0, -1, 2.5, Number.NaN])('refuses a fleet of %d instances', (size) => {
    expect(() => planDeployment(size, current, Strategies.allAtOnce())).toThrow(
      `fleet size must be at least 1, got ${size}`,
    );
  });

  it('in-place batches take the unhealthy instances first: replacing them costs no capacity (#12, seed 5019)', () => {
    const installs = (strategy: Parameters<typeof planDeployment>[2], unhealthy: string[]) =>
      planDeployment(3, { ...current, unhealthy }, strategy).steps.flatMap((s) =>
        s.kind === 'lifecycle' && s.role === 'in-place' && s.events.includes('Install')
          ? [s.instances.join(',')]
          : [],
      );
    expect(installs(Strategies.oneAtATime(), ['a-3'])).toEqual(['a-3', 'a-1', 'a-2']);
    expect(installs(Strategies.oneAtATime(), ['a-3', 'a-2'])).toEqual(['a-2', 'a-3', 'a-1']);
    expect(installs(Strategies.halfAtATime(), ['a-2'])).toEqual(['a-2', 'a-1', 'a-3']);
    expect(installs(Strategies.rollingWithAdditionalBatch(2), ['a-3'])).toEqual(['a-3,a-1', 'a-2']);
    expect(installs(Strategies.oneAtATime(), [])).toEqual(['a-1', 'a-2', 'a-3']);
  });

  it('in-place plans carry the healthy hosts each batch must leave in service', () => {
    expect(planDeployment(3, current, Strategies.oneAtATime()).minimumHealthyHosts).toBe(2);
    expect(planDeployment(4, current, Strategies.halfAtATime()).minimumHealthyHosts).toBe(2);
    expect(planDeployment(3, current, Strategies.allAtOnce()).minimumHealthyHosts).toBe(0);
    expect(planDeployment(3, current, Strategies.blueGreen()).minimumHealthyHosts).toBeUndefined();
    expect(planDeployment(3, undefined, Strategies.oneAtATime()).minimumHealthyHosts).toBeUndefined();
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

  it('rejects a floor that rounds up to the whole fleet (95% of 10), naming it and what to do', () => {
    const refusal = (fleet: number, floor: { count: number } | { percent: number }) => {
      try {
        inPlaceBatchSize(fleet, floor);
      } catch (err) {
        return `${(err as Error).message} (${(err as { hint?: string }).hint})`;
      }
      return 'accepted';
    };
    expect(refusal(10, { percent: 95 })).toBe(
      'minimum healthy hosts 95% of 10 instances (10) leaves no instance to deploy to at a time on a fleet of 10 (lower minimumHealthyHosts or add instances)',
    );
    expect(refusal(3, { count: 3 })).toBe(
      'minimum healthy hosts 3 hosts leaves no instance to deploy to at a time on a fleet of 3 (lower minimumHealthyHosts or add instances)',
    );
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

describe('deploy --dry-run', () => {
  const lastLine = (text: string) => text.split('\n').at(-1);

  it('adds up the configured waits: bakes and analyses, and says when a pause waits for promote', () => {
    const plan = planDeployment(
      1,
      current,
      Strategies.steps([
        { kind: 'setWeight', percent: 10 },
        { kind: 'pause', seconds: 5 },
        { kind: 'analysis', seconds: 3 },
        { kind: 'analysis' },
        { kind: 'pause' },
      ]),
    );
    expect(lastLine(formatPlan(plan))).toBe(
      'expected waiting time: 8s plus manual pauses until promoted (hooks and health checks extra)',
    );
  });

  it('counts the ready wait and the wait before the blue fleet is terminated', () => {
    const plan = planDeployment(
      1,
      current,
      Strategies.blueGreen({
        terminateBlueAfterSeconds: 30,
        readyWait: { seconds: 60, actionOnTimeout: 'continue' },
      }),
    );
    const text = formatPlan(plan);
    expect(text).toContain('wait up to 60s for promote before switching traffic (then continue)');
    expect(text).toContain('after 30s terminate the original fleet [a-1]');
    expect(lastLine(text)).toBe('expected waiting time: 90s (hooks and health checks extra)');
  });
});

describe('events as status lists them', () => {
  it("names a check's verdict by its check, and the router's own verdict as the gate", async () => {
    const { formatEvent } = await import('../../../src/deploy/render.js');
    const base = { type: 'verdict', index: 2, measured: {}, thresholds: {} } as const;
    const at = { at: 0, deployment: 'd-1' };
    expect(
      formatEvent({
        ...at,
        ...base,
        result: 'inconclusive',
        reasons: ['smoke: no data'],
        check: 'smoke',
      } as never),
    ).toBe('check smoke inconclusive: smoke: no data');
    expect(
      formatEvent({ ...at, ...base, result: 'pass', reasons: ['error rate 0.0% <= 5.0%'] } as never),
    ).toBe('gate pass: error rate 0.0% <= 5.0%');
  });
});
