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
import type { CheckProvider, CheckReading } from '../../../src/deploy/checks/check.js';
import type { CheckProviders } from '../../../src/deploy/checks/providers.js';
import type { LedgerEvent } from '../../../src/deploy/events.js';
import { Ledger } from '../../../src/deploy/ledger.js';
import { createDeployment, Runner } from '../../../src/deploy/runner.js';
import { reduce } from '../../../src/deploy/state.js';
import { planDeployment } from '../../../src/deploy/strategies/plan.js';
import { Strategies, type Strategy } from '../../../src/deploy/strategies/strategy.js';
import type { CheckSpec } from '../../../src/documents/deployment-group/checks-schema.js';
import { FakeProvider } from './fake-provider.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A provider whose answer the test sets; it notes when it was asked and with which revisions. */
function scripted(answer: () => CheckReading | 'hang') {
  const calls: { at: number; canary: string; stable: string }[] = [];
  let clock: FakeClock | undefined;
  const provider: CheckProvider = {
    measure(_spec, ctx) {
      calls.push({ at: clock!.now(), canary: ctx.canaryRevision, stable: ctx.stableRevision });
      const a = answer();
      return a === 'hang' ? new Promise(() => {}) : Promise.resolve(a);
    },
  };
  return { provider, calls, bind: (c: FakeClock) => (clock = c) };
}

function setup(checks: CheckSpec[], prom: ReturnType<typeof scripted>) {
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
  async function deploy(label: string, strategy: Strategy) {
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
    const runner = new Runner({ ledger, provider, clock, group, configDir: dir, checkProviders, pid: 1 }, id);
    const done = runner.run();
    let settled = false;
    void done.then(() => (settled = true));
    for (let t = 0; t < 120_000 && !settled; t += 100) await clock.advance(100);
    const d = await done;
    const verdicts = ledger
      .read()
      .events.filter(
        (e): e is Extract<LedgerEvent, { type: 'verdict' }> => e.deploymentId === id && e.type === 'verdict',
      );
    return { d, verdicts, checkVerdicts: verdicts.filter((v) => 'check' in v && v.check !== undefined) };
  }
  return { clock, provider, deploy };
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
    const { d, verdicts, checkVerdicts } = await t.deploy('v2', Strategies.canary(10, 7));
    expect(d.status).toBe('Succeeded');
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
});
