/**
 * `analysis.checks` inside the runner, in fake time: each check on its own interval beside the router's
 * gate, recorded as verdict events with the check's name and numbers; a breach rolls back; a check that
 * hangs is a failed measurement at its timeout; checks at deployment points (pre-rollout, confirm,
 * post-rollout, rollback).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { type CheckProvider, type CheckReading, renderTemplate } from '../../../src/deploy/checks/check.js';
import type { CheckProviders } from '../../../src/deploy/checks/providers.js';
import type { LedgerEvent } from '../../../src/deploy/events.js';
import { Ledger } from '../../../src/deploy/ledger.js';
import { createDeployment, Runner } from '../../../src/deploy/runner.js';
import type { RunnerDeps } from '../../../src/deploy/runner-context.js';
import { reduce } from '../../../src/deploy/state.js';
import { planDeployment } from '../../../src/deploy/strategies/plan.js';
import { Strategies, type Strategy } from '../../../src/deploy/strategies/strategy.js';
import type { CheckSpec } from '../../../src/documents/deployment-group/checks-schema.js';
import { FakeProvider } from './fake-provider.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * A provider whose answer the test sets; it notes when it was asked, by which check, with which revisions, and
 * the query as a provider sends it (templates rendered).
 */
function scripted(answer: () => CheckReading | 'hang' | 'until-stopped') {
  const calls: { at: number; check: string; canary: string; stable: string; query: string }[] = [];
  let clock: FakeClock | undefined;
  const provider: CheckProvider = {
    measure(spec, ctx, signal) {
      calls.push({
        at: clock!.now(),
        check: spec.name,
        canary: ctx.canaryRevision,
        stable: ctx.stableRevision,
        query: 'query' in spec ? renderTemplate(spec.query, ctx) : '',
      });
      const a = answer();
      // 'until-stopped': a measurement that ends only when it is stopped, as a command is killed with its group.
      if (a === 'until-stopped')
        return new Promise((resolve) =>
          signal.addEventListener('abort', () => resolve({ error: 'killed' }), { once: true }),
        );
      return a === 'hang' ? new Promise(() => {}) : Promise.resolve(a);
    },
  };
  return { provider, calls, bind: (c: FakeClock) => (clock = c) };
}

function setup(checks: CheckSpec[], prom: ReturnType<typeof scripted>, deps: Partial<RunnerDeps> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-checks-'));
  dirs.push(dir);
  const ledger = new Ledger(join(dir, 'ledger.ndjson'));
  const clock = new FakeClock(1_000_000);
  prom.bind(clock);
  const provider = new FakeProvider(clock);
  const none: CheckProvider = { measure: async () => ({ error: 'unused' }) };
  const checkProviders: CheckProviders = {
    prometheus: prom.provider,
    http: none,
    command: none,
    cloudwatch: none,
  };
  /** `onTick` runs every 100 ms of fake time while the deployment runs (to request an abort, say). */
  async function deploy(
    label: string,
    strategy: Strategy,
    onTick?: (id: string) => void,
    signal?: AbortSignal,
  ) {
    const state = reduce(ledger.read().events);
    const current = state.fleet
      ? { slot: state.fleet.slot, revision: state.fleet.revision.label }
      : undefined;
    const id = createDeployment(ledger, clock, {
      revision: { label, dir: `/revisions/${label}` },
      plan: planDeployment(3, current, strategy),
      options: { creator: 'user', ignoreApplicationStopFailures: false, skipAnalysis: false },
      ...(state.fleet ? { previous: { slot: state.fleet.slot, revision: state.fleet.revision } } : {}),
    });
    const group = {
      application: 'hello',
      deploymentGroup: 'dev',
      local: { instances: 3 },
      analysis: { intervalSeconds: 1, maxErrorRate: 0.05, minRequests: 10, checks },
    };
    const runner = new Runner(
      {
        ledger,
        provider,
        clock,
        group,
        configDir: dir,
        checkProviders,
        pid: 1,
        ...deps,
        ...(signal ? { signal } : {}),
      },
      id,
    );
    const done = runner.run();
    let settled = false;
    void done.then(() => (settled = true));
    for (let t = 0; t < 120_000 && !settled; t += 100) {
      onTick?.(id);
      await clock.advance(100);
    }
    const d = await done;
    const events = ledger.read().events.filter((e) => e.deploymentId === id);
    const verdicts = ledger
      .read()
      .events.filter(
        (e): e is Extract<LedgerEvent, { type: 'verdict' }> => e.deploymentId === id && e.type === 'verdict',
      );
    return {
      d,
      events,
      verdicts,
      checkVerdicts: verdicts.filter((v) => 'check' in v && v.check !== undefined),
    };
  }
  return { clock, provider, ledger, deploy };
}

const errorRate = (extra: Partial<CheckSpec> = {}): CheckSpec =>
  ({
    name: 'error-rate',
    provider: 'prometheus',
    address: 'http://127.0.0.1:9090',
    query: 'q',
    condition: 'result < 0.05',
    intervalSeconds: 2,
    ...extra,
  }) as CheckSpec;

describe('analysis.checks in the runner', () => {
  it('measures each check on its own interval beside the router gate and records its numbers', async () => {
    const prom = scripted(() => ({ vars: { result: 0.01 }, measured: { result: 0.01 } }));
    const t = setup([errorRate()], prom);
    await t.deploy('v1', Strategies.allAtOnce());
    const { d, events, verdicts, checkVerdicts } = await t.deploy('v2', Strategies.canary(10, 7));
    expect(d.status).toBe('Succeeded');
    // Passing readings neither pause the deployment nor resume it.
    expect(events.filter((e) => e.type === 'paused' || e.type === 'resumed')).toEqual([]);
    // Every 2 s over a 7 s bake, while the router's gate runs every second.
    expect(checkVerdicts.length).toBe(3);
    expect(verdicts.length - checkVerdicts.length).toBeGreaterThanOrEqual(5);
    expect(prom.calls.map((c, i) => (i === 0 ? 0 : c.at - prom.calls[i - 1]!.at))).toEqual([0, 2000, 2000]);
    expect(prom.calls[0]).toMatchObject({ canary: 'v2', stable: 'v1' });
    expect(checkVerdicts[0]).toMatchObject({
      type: 'verdict',
      result: 'pass',
      check: 'error-rate',
      provider: 'prometheus',
      point: 'rollout',
      condition: 'result < 0.05',
      measured: { result: 0.01 },
      thresholds: { failureLimit: 1 },
      reasons: ['error-rate: result < 0.05 holds (result=0.01)'],
    });
  });

  it('a breach of a check rolls the canary back with the check named in the reason', async () => {
    let rate = 0.01;
    const prom = scripted(() => ({ vars: { result: rate }, measured: { result: rate } }));
    const t = setup([errorRate({ failureLimit: 2 })], prom);
    await t.deploy('v1', Strategies.allAtOnce());
    rate = 0.3;
    const { d, checkVerdicts } = await t.deploy('v2', Strategies.canary(10, 30));
    expect(d.status).toBe('RolledBack');
    expect(d.rollback?.trigger).toBe('gate');
    expect(d.reason).toBe('check error-rate failed: error-rate: result < 0.05 does not hold (result=0.3)');
    expect(checkVerdicts.map((v) => v.result)).toEqual(['inconclusive', 'fail']);
    expect(t.provider.servingRevisions().stable).toEqual(['v1']);
  });

  it('a check that hangs is a failed measurement at its timeout; at the error limit the canary rolls back', async () => {
    const prom = scripted(() => 'hang');
    const t = setup([errorRate({ timeoutSeconds: 1, noDataPolicy: 'pass', measurementErrorLimit: 2 })], prom);
    await t.deploy('v1', Strategies.allAtOnce());
    const { d, checkVerdicts } = await t.deploy('v2', Strategies.canary(10, 60));
    expect(d.status).toBe('RolledBack');
    expect(checkVerdicts.map((v) => [v.result, v.reasons[0]])).toEqual([
      ['pass', 'error-rate: measurement failed: timed out after 1s; the no-data policy passes it'],
      ['fail', 'error-rate: measurement failed: timed out after 1s (2 in a row)'],
    ]);
  });

  it('a failing pre-rollout check stops the deployment before any traffic reaches the new revision', async () => {
    const prom = scripted(() => ({ vars: { result: 1 }, measured: { result: 1 } }));
    const t = setup([errorRate({ at: ['pre-rollout'] })], prom);
    await t.deploy('v1', Strategies.allAtOnce());
    const routesBefore = t.provider.routes.length;
    const { d, checkVerdicts } = await t.deploy('v2', Strategies.canary(10, 5));
    expect(d.status).toBe('RolledBack');
    expect(checkVerdicts).toHaveLength(1);
    expect(checkVerdicts[0]).toMatchObject({ point: 'pre-rollout', result: 'fail' });
    expect(t.provider.routes.slice(routesBefore).every((r) => r.route.canaryWeight === 0)).toBe(true);
  });

  it('confirm-promotion and post-rollout checks run once each, in order, on a good canary', async () => {
    const prom = scripted(() => ({ vars: { result: 0 }, measured: { result: 0 } }));
    const t = setup([errorRate({ at: ['confirm-promotion', 'post-rollout'] })], prom);
    await t.deploy('v1', Strategies.allAtOnce());
    prom.calls.length = 0;
    const { d, checkVerdicts } = await t.deploy('v2', Strategies.linear(50, 1));
    expect(d.status).toBe('Succeeded');
    expect(checkVerdicts.map((v) => v.point)).toEqual(['confirm-promotion', 'post-rollout']);
    // status keeps the latest verdict of the check at each point.
    expect(d.checks?.map((c) => `${c.point} ${c.check} ${c.result} ${c.condition}`)).toEqual([
      'confirm-promotion error-rate pass result < 0.05',
      'post-rollout error-rate pass result < 0.05',
    ]);
  });

  it('a rollback runs the rollback point checks once, after traffic is back on stable', async () => {
    let rate = 0.01;
    const prom = scripted(() => ({ vars: { result: rate }, measured: { result: rate } }));
    const t = setup([errorRate(), errorRate({ name: 'after-rollback', at: ['rollback'] })], prom);
    await t.deploy('v1', Strategies.allAtOnce());
    rate = 0.5;
    const { d, checkVerdicts } = await t.deploy('v2', Strategies.canary(10, 30));
    expect(d.status).toBe('RolledBack');
    expect(checkVerdicts.map((v) => `${v.check}@${v.point}:${v.result}`)).toEqual([
      'error-rate@rollout:fail',
      'after-rollback@rollback:fail',
    ]);
    expect(t.provider.servingRevisions().stable).toEqual(['v1']);
  });

  it('a check at pre-rollout only runs once before traffic shifts, never during the bake', async () => {
    const prom = scripted(() => ({ vars: { result: 0 }, measured: { result: 0 } }));
    const t = setup([errorRate({ at: ['pre-rollout'] })], prom);
    await t.deploy('v1', Strategies.allAtOnce());
    const { d, checkVerdicts } = await t.deploy('v2', Strategies.canary(10, 7));
    expect(d.status).toBe('Succeeded');
    expect(checkVerdicts.map((v) => `${v.point}:${v.result}`)).toEqual(['pre-rollout:pass']);
  });

  it('each new weight starts a check afresh: one breach per weight stays under a failure limit of 2', async () => {
    const prom = scripted(() => ({ vars: { result: 0.3 }, measured: { result: 0.3 } }));
    const t = setup([errorRate({ failureLimit: 2 })], prom);
    await t.deploy('v1', Strategies.allAtOnce());
    const { d, checkVerdicts } = await t.deploy(
      'v2',
      Strategies.steps([
        { kind: 'setWeight', percent: 20 },
        { kind: 'pause', seconds: 3 },
        { kind: 'setWeight', percent: 40 },
        { kind: 'pause', seconds: 3 },
      ]),
    );
    expect(checkVerdicts.map((v) => v.reasons[0])).toEqual([
      'error-rate: result < 0.05 does not hold (result=0.3); breach 1 of 2',
      'error-rate: result < 0.05 does not hold (result=0.3); breach 1 of 2',
    ]);
    expect(d.status).toBe('Succeeded');
  });

  it('a check without its own interval is measured on the analysis interval', async () => {
    const prom = scripted(() => ({ vars: { result: 0 }, measured: { result: 0 } }));
    const { intervalSeconds: _, ...spec } = errorRate() as CheckSpec & { intervalSeconds?: number };
    const t = setup([spec as CheckSpec], prom);
    await t.deploy('v1', Strategies.allAtOnce());
    const { checkVerdicts } = await t.deploy('v2', Strategies.canary(10, 4));
    expect(checkVerdicts.length).toBe(3);
    expect(prom.calls.slice(1).map((c, i) => c.at - prom.calls[i]!.at)).toEqual([1000, 1000]);
  });

  it('two checks keep their own intervals; checks falling due together are measured at the same instant', async () => {
    const prom = scripted(() => ({ vars: { result: 0 }, measured: { result: 0 } }));
    const t = setup(
      [errorRate({ name: 'every-2s' }), errorRate({ name: 'every-3s', intervalSeconds: 3 })],
      prom,
    );
    await t.deploy('v1', Strategies.allAtOnce());
    const { d, checkVerdicts } = await t.deploy('v2', Strategies.canary(10, 7));
    expect(d.status).toBe('Succeeded');
    const start = prom.calls[0]!.at - 2000;
    expect(prom.calls.map((c) => `${c.check}@${(c.at - start) / 1000}s`)).toEqual([
      'every-2s@2s',
      'every-3s@3s',
      'every-2s@4s',
      'every-2s@6s',
      'every-3s@6s',
    ]);
    // The ledger (and status --json) read the same instants.
    expect(checkVerdicts.map((v) => (v.at - start) / 1000)).toEqual([2, 3, 4, 6, 6]);
  });

  it('templates in a query are rendered: revisions, sets, the deployment id; an unknown name stays as written (configDir too: where a command runs, no template name)', async () => {
    const prom = scripted(() => ({ vars: { result: 0 }, measured: { result: 0 } }));
    const query =
      'rate{revision="{{canaryRevision}}",set="{{ canarySet }}"} - rate{revision="{{stableRevision }}",set="{{ stableSet}}"} ' +
      '# {{deploymentId}} {{ toString }} {{ nope }} {{configDir}}';
    const t = setup([errorRate({ query, at: ['pre-rollout', 'rollout', 'post-rollout'] })], prom);
    const first = await t.deploy('v1', Strategies.canary(50, 2));
    // A first deployment takes no canary steps: its check runs after the rollout, when v1 serves everywhere.
    expect(prom.calls.map((c) => c.query)).toEqual([
      `rate{revision="v1",set="canary"} - rate{revision="v1",set="stable"} # ${first.d.id} {{ toString }} {{ nope }} {{configDir}}`,
    ]);
    prom.calls.length = 0;
    const second = await t.deploy('v2', Strategies.canary(10, 3));
    expect(second.d.status).toBe('Succeeded');
    // Before traffic shifts (pre-rollout) and while it does (rollout), the stable revision is the previous
    // deployment's; after the rollout (post-rollout) v2 serves everywhere.
    const rendered = (canary: string, stable: string) =>
      `rate{revision="${canary}",set="canary"} - rate{revision="${stable}",set="stable"} # ${second.d.id} {{ toString }} {{ nope }} {{configDir}}`;
    expect(prom.calls.map((c) => c.query)).toEqual([
      rendered('v2', 'v1'),
      rendered('v2', 'v1'),
      rendered('v2', 'v2'),
    ]);
  });

  it('a check’s output is kept with its verdict in the ledger', async () => {
    const prom = scripted(() => ({ vars: { result: 0 }, measured: { result: 0 }, output: 'served by v2' }));
    const t = setup([errorRate({ at: ['pre-rollout'] })], prom);
    await t.deploy('v1', Strategies.allAtOnce());
    const { checkVerdicts } = await t.deploy('v2', Strategies.canary(10, 1));
    expect(checkVerdicts[0]).toMatchObject({ point: 'pre-rollout', result: 'pass', output: 'served by v2' });
  });

  it('a check’s evidence keeps no credential of the run’s environment or of this process’s, even under one name', async () => {
    const prom = scripted(() => ({
      error: 'denied for tok-run-env-1 and tok-process-2',
      output: 'tok-run-env-1 tok-process-2',
    }));
    // One name, two values: the command's (this process's) and the run's (what cloudwatch checks read).
    const checkEnv = { CONVEYOR_GATES_TEST_TOKEN: 'tok-run-env-1' };
    const t = setup([errorRate({ at: ['pre-rollout'] })], prom, { checkEnv });
    await t.deploy('v1', Strategies.allAtOnce());
    process.env.CONVEYOR_GATES_TEST_TOKEN = 'tok-process-2';
    try {
      const { d, checkVerdicts } = await t.deploy('v2', Strategies.canary(10, 5));
      expect(checkVerdicts[0]).toMatchObject({
        reasons: ['error-rate: measurement failed: denied for *** and ***'],
        output: '*** ***',
      });
      expect(d.reason).toBe(
        'check error-rate at pre-rollout was inconclusive: error-rate: measurement failed: denied for *** and ***',
      );
    } finally {
      delete process.env.CONVEYOR_GATES_TEST_TOKEN;
    }
  });

  it('a check with no data at a deployment point fails it: no evidence is no confirmation', async () => {
    const prom = scripted(() => ({ noData: 'the query returned no series' }));
    const t = setup([errorRate({ at: ['pre-rollout'] })], prom);
    await t.deploy('v1', Strategies.allAtOnce());
    const routesBefore = t.provider.routes.length;
    const { d, checkVerdicts } = await t.deploy('v2', Strategies.canary(10, 5));
    expect(d.status).toBe('RolledBack');
    expect(d.rollback?.trigger).toBe('gate');
    expect(d.reason).toBe(
      'check error-rate at pre-rollout was inconclusive: error-rate: no data: the query returned no series',
    );
    expect(checkVerdicts.map((v) => `${v.point}:${v.result}`)).toEqual(['pre-rollout:inconclusive']);
    expect(t.provider.routes.slice(routesBefore).every((r) => r.route.canaryWeight === 0)).toBe(true);
  });

  it('a breach under the failure limit at confirm-promotion fails it: no second measurement follows there', async () => {
    const prom = scripted(() => ({ vars: { result: 0.3 }, measured: { result: 0.3 } }));
    const t = setup([errorRate({ at: ['confirm-promotion'], failureLimit: 2 })], prom);
    await t.deploy('v1', Strategies.allAtOnce());
    const { d } = await t.deploy('v2', Strategies.canary(10, 2));
    expect(d.status).toBe('RolledBack');
    expect(d.reason).toBe(
      'check error-rate at confirm-promotion was inconclusive: error-rate: result < 0.05 does not hold (result=0.3); breach 1 of 2',
    );
    expect(t.provider.servingRevisions().stable).toEqual(['v1']);
  });

  it('a check that failed before traffic shifted is measured afresh after the rollback', async () => {
    const rates = [0.3, 0.01];
    const prom = scripted(() => {
      const r = rates.shift() ?? 0.01;
      return { vars: { result: r }, measured: { result: r } };
    });
    const t = setup([errorRate({ at: ['pre-rollout', 'rollback'] })], prom);
    await t.deploy('v1', Strategies.allAtOnce());
    rates.splice(0, rates.length, 0.3, 0.01);
    const { d, checkVerdicts } = await t.deploy('v2', Strategies.canary(10, 5));
    expect(d.status).toBe('RolledBack');
    expect(checkVerdicts.map((v) => `${v.point}:${v.result}: ${v.reasons[0]}`)).toEqual([
      'pre-rollout:fail: error-rate: result < 0.05 does not hold (result=0.3)',
      'rollback:pass: error-rate: result < 0.05 holds (result=0.01)',
    ]);
  });

  it('no data while traffic shifts pauses the deployment with the check’s reason, past its bake', async () => {
    const prom = scripted(() => ({ noData: 'the query returned no series' }));
    const t = setup([errorRate()], prom);
    await t.deploy('v1', Strategies.allAtOnce());
    let start: number | undefined;
    const { d, events } = await t.deploy('v2', Strategies.canary(10, 10), (id) => {
      start ??= t.clock.now();
      // Long after the 10 s bake, a person aborts.
      if (t.clock.now() - start === 30_000)
        t.ledger.append({ type: 'abort-requested', deploymentId: id, at: t.clock.now(), reason: 'no data' });
    });
    // The router gate passes every second meanwhile: that is no evidence for the check, and ends no pause of it.
    expect(events.filter((e) => e.type === 'paused' || e.type === 'resumed')).toMatchObject([
      {
        type: 'paused',
        reason: 'check error-rate inconclusive: error-rate: no data: the query returned no series',
      },
    ]);
    expect(d.status).toBe('RolledBack');
    expect(d.reason).toBe('no data');
  });

  it('a check’s pause for want of data ends when the check passes again', async () => {
    const answers: CheckReading[] = [];
    const prom = scripted(() => answers.shift() ?? { vars: { result: 0 }, measured: { result: 0 } });
    const t = setup([errorRate()], prom);
    await t.deploy('v1', Strategies.allAtOnce());
    answers.push({ noData: 'the query returned no series' });
    const { d, events } = await t.deploy('v2', Strategies.canary(10, 7));
    expect(events.filter((e) => e.type === 'paused' || e.type === 'resumed')).toMatchObject([
      {
        type: 'paused',
        reason: 'check error-rate inconclusive: error-rate: no data: the query returned no series',
      },
      { type: 'resumed', by: 'gate' },
    ]);
    expect(d.status).toBe('Succeeded');
  });

  it('every check at a point runs: a second pre-rollout check that fails stops the deployment', async () => {
    const prom = scripted(() => ({ vars: { result: 0.01 }, measured: { result: 0.01 } }));
    const t = setup(
      [
        errorRate({ name: 'first', at: ['pre-rollout'] }),
        errorRate({ name: 'second', at: ['pre-rollout'], condition: 'result > 1' }),
      ],
      prom,
    );
    await t.deploy('v1', Strategies.allAtOnce());
    const { d, checkVerdicts } = await t.deploy('v2', Strategies.canary(10, 5));
    expect(checkVerdicts.map((v) => `${v.check}:${v.result}`)).toEqual(['first:pass', 'second:fail']);
    expect(d.status).toBe('RolledBack');
    expect(d.reason).toBe('check second failed: second: result > 1 does not hold (result=0.01)');
  });

  it('a first deployment that fails has no stable revision for its rollback checks to name', async () => {
    const prom = scripted(() => ({ vars: { result: 0 }, measured: { result: 0 } }));
    const t = setup([errorRate({ query: 'stable={{stableRevision}}', at: ['rollback'] })], prom);
    t.provider.failures.set('v1:ApplicationStart', 'port 8080 in use');
    const { d } = await t.deploy('v1', Strategies.allAtOnce());
    expect(d.status).toBe('Failed');
    expect(prom.calls.map((c) => c.query)).toEqual(['stable=']);
  });

  it('a check’s pause ends only on a pass: a breach under the failure limit keeps it paused', async () => {
    const answers: CheckReading[] = [];
    const prom = scripted(() => answers.shift() ?? { vars: { result: 0 }, measured: { result: 0 } });
    const t = setup([errorRate({ failureLimit: 2 })], prom);
    await t.deploy('v1', Strategies.allAtOnce());
    answers.push(
      { noData: 'the query returned no series' },
      { vars: { result: 0.3 }, measured: { result: 0.3 } },
    );
    const { d, events } = await t.deploy('v2', Strategies.canary(10, 9));
    const story = events.flatMap((e) =>
      e.type === 'paused' || e.type === 'resumed'
        ? [e.type]
        : e.type === 'verdict' && e.check
          ? [e.result]
          : [],
    );
    expect(story).toEqual(['inconclusive', 'paused', 'inconclusive', 'pass', 'resumed', 'pass']);
    expect(d.status).toBe('Succeeded');
  });

  it('a check’s pass does not end the router gate’s pause', async () => {
    const prom = scripted(() => ({ vars: { result: 0 }, measured: { result: 0 } }));
    const t = setup([errorRate()], prom);
    await t.deploy('v1', Strategies.allAtOnce());
    // Too few requests reach the canary: the router gate is inconclusive and pauses.
    t.provider.canaryMetrics = { requests: 0, errors: 0 };
    let start: number | undefined;
    const { d, events } = await t.deploy('v2', Strategies.canary(10, 10), (id) => {
      start ??= t.clock.now();
      if (t.clock.now() - start === 30_000)
        t.ledger.append({
          type: 'abort-requested',
          deploymentId: id,
          at: t.clock.now(),
          reason: 'no traffic',
        });
    });
    const holds = events.filter((e) => e.type === 'paused' || e.type === 'resumed');
    expect(holds.map((e) => e.type)).toEqual(['paused']);
    expect(holds[0]).toMatchObject({ reason: expect.stringMatching(/^analysis inconclusive: /) });
    expect(d.status).toBe('RolledBack');
  });

  it.each([
    ['while traffic shifts', errorRate()],
    ['at pre-rollout', errorRate({ at: ['pre-rollout'] })],
  ])(
    'a measurement cut short by the runner stopping (Ctrl-C, SIGTERM) %s is no reading: no verdict, no pause',
    async (_when, check) => {
      let slow = false;
      const prom = scripted(() =>
        slow ? 'until-stopped' : { vars: { result: 0 }, measured: { result: 0 } },
      );
      const t = setup([check], prom);
      await t.deploy('v1', Strategies.allAtOnce());
      slow = true;
      const stop = new AbortController();
      const { d, events, checkVerdicts } = await t.deploy(
        'v2',
        Strategies.canary(10, 10),
        () => {
          if (prom.calls.length > 0) stop.abort(new Error('SIGINT'));
        },
        stop.signal,
      );
      expect(prom.calls).toHaveLength(1);
      // Before the fix: a verdict 'error-rate: measurement failed: killed', and while traffic shifted a pause for
      // it (a 'paused' notification, and a resumed runner holding until the check passed or a person decided).
      expect(checkVerdicts).toEqual([]);
      expect(events.filter((e) => e.type === 'paused')).toEqual([]);
      expect(d.status).toBe('InProgress');
    },
  );
});
