import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import type { DeploymentOptions } from '../../../src/deploy/events.js';
import { Ledger } from '../../../src/deploy/ledger.js';
import { createDeployment, Runner } from '../../../src/deploy/runner.js';
import { type DeploymentState, reduce } from '../../../src/deploy/state.js';
import { planDeployment } from '../../../src/deploy/strategies/plan.js';
import { Strategies, type Strategy } from '../../../src/deploy/strategies/strategy.js';
import type { DeploymentGroup } from '../../../src/documents/deployment-group/schema.js';
import { FakeProvider } from './fake-provider.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(overrides: Partial<DeploymentGroup> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-runner-'));
  dirs.push(dir);
  const ledger = new Ledger(join(dir, 'ledger.ndjson'));
  const clock = new FakeClock(1_000_000);
  const provider = new FakeProvider(clock);
  const group: DeploymentGroup = {
    application: 'hello',
    deploymentGroup: 'dev',
    local: { instances: 3 },
    analysis: { intervalSeconds: 1, maxErrorRate: 0.05, minRequests: 10 },
    ...overrides,
  };

  function start(
    label: string,
    strategy: Strategy,
    options: Partial<DeploymentOptions> = {},
    unhealthy: string[] = [],
  ) {
    const state = reduce(ledger.read().events);
    const current = state.fleet
      ? { slot: state.fleet.slot, revision: state.fleet.revision.label, unhealthy }
      : undefined;
    const plan = planDeployment(3, current, strategy);
    const id = createDeployment(ledger, clock, {
      revision: { label, dir: `/revisions/${label}` },
      plan,
      options: { creator: 'user', ignoreApplicationStopFailures: false, skipAnalysis: false, ...options },
      ...(state.fleet ? { previous: { slot: state.fleet.slot, revision: state.fleet.revision } } : {}),
    });
    const controller = new AbortController();
    const runner = new Runner(
      { ledger, provider, clock, group, configDir: dir, signal: controller.signal, pid: 4242 },
      id,
    );
    return { id, runner, controller, done: runner.run() };
  }

  /** Advances fake time in small ticks until the promise settles (bounded). */
  async function drive<T>(promise: Promise<T>, maxMs = 120_000): Promise<T> {
    let settled = false;
    void promise.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (let t = 0; t < maxMs && !settled; t += 100) await clock.advance(100);
    if (!settled) throw new Error(`did not settle within ${maxMs} ms of fake time`);
    return promise;
  }

  async function deploy(
    label: string,
    strategy: Strategy,
    options: Partial<DeploymentOptions> = {},
    unhealthy: string[] = [],
  ) {
    return drive(start(label, strategy, options, unhealthy).done);
  }

  function request(
    id: string,
    body: { type: 'promote-requested'; full: boolean } | { type: 'abort-requested'; reason: string },
  ) {
    ledger.append({ ...body, at: clock.now(), deploymentId: id });
  }

  async function until(id: string, predicate: (d: DeploymentState) => boolean, maxMs = 60_000) {
    for (let t = 0; t < maxMs; t += 100) {
      const d = reduce(ledger.read().events).deployments.find((x) => x.id === id);
      if (d && predicate(d)) return d;
      await clock.advance(100);
    }
    throw new Error('condition not reached');
  }

  const events = (id: string) => ledger.read().events.filter((e) => e.deploymentId === id);
  return { ledger, clock, provider, group, start, drive, deploy, request, until, events };
}

describe('Runner in fake time', () => {
  it('first deployment all-at-once puts every instance on v1 behind the router', async () => {
    const t = setup();
    const d = await t.deploy('v1', Strategies.allAtOnce());
    expect(d.status).toBe('Succeeded');
    expect(t.provider.servingRevisions()).toEqual({ stable: ['v1'], canary: [], weight: 0 });
    expect(t.provider.traffic?.stable).toEqual(['a-1', 'a-2', 'a-3']);
    expect(reduce(t.ledger.read().events).fleet?.revision.label).toBe('v1');
  });

  it('canary shifts 10%, bakes with gates every interval, then switches and retires the old fleet', async () => {
    const t = setup();
    await t.deploy('v1', Strategies.allAtOnce());
    const startedAt = t.clock.now();
    const d = await t.deploy('v2', Strategies.canary(10, 5));
    expect(d.status).toBe('Succeeded');
    expect(t.clock.now() - startedAt).toBeGreaterThanOrEqual(5000);
    expect(t.clock.now() - startedAt).toBeLessThan(7000);
    const weights = t.provider.routes.map((r) => r.route.canaryWeight);
    expect(weights.slice(-2)).toEqual([10, 0]);
    expect(t.provider.servingRevisions()).toEqual({ stable: ['v2'], canary: [], weight: 0 });
    const verdicts = t.events(d.id).filter((e) => e.type === 'verdict');
    expect(verdicts.length).toBeGreaterThanOrEqual(4);
    expect(verdicts[0]).toMatchObject({
      result: 'pass',
      measured: { requests: 100, errorRate: 0 },
      thresholds: { maxErrorRate: 0.05 },
    });
    expect(t.provider.stopped).toEqual(['a-1', 'a-2', 'a-3']);
  });

  it('a gate breach routes all traffic back to the stable fleet in one call, then cleans up', async () => {
    const t = setup();
    await t.deploy('v1', Strategies.allAtOnce());
    t.provider.canaryMetrics = { requests: 50, errors: 20 };
    const d = await t.deploy('v3', Strategies.canary(20, 30));
    expect(d.status).toBe('RolledBack');
    expect(d.reason).toMatch(/gate breached: error rate 40.0% \(20\/50\) > max 5.0%/);
    expect(d.rollback).toMatchObject({ ok: true, trigger: 'gate' });
    expect(d.rollback?.trafficRestoredMs).toBe(0);
    const last = t.provider.routes.at(-1)!.route;
    expect(last).toMatchObject({ stable: ['a-1', 'a-2', 'a-3'], canary: [], canaryWeight: 0 });
    expect(t.provider.servingRevisions().stable).toEqual(['v1']);
    expect(t.provider.stopped).toEqual(['b-1', 'b-2', 'b-3']);
    // The breach came at the first evaluation, well before the 30 s bake ended.
    expect(d.finishedAt! - d.createdAt).toBeLessThan(3000);
    const breach = t.events(d.id).find((e) => e.type === 'verdict' && e.result === 'fail');
    expect(breach).toMatchObject({ measured: { requests: 50, errors: 20, errorRate: 0.4 } });
  });

  it('a bake the runner wakes from late still takes its due gate reading before the switch (soak seed 7051)', async () => {
    const t = setup({ analysis: { intervalSeconds: 0.5, maxErrorRate: 0.05, minRequests: 3 } });
    await t.deploy('v1', Strategies.allAtOnce());
    t.provider.canaryMetrics = { requests: 40, errors: 20 };
    const run = t.start('v2', Strategies.linear(50, 0.6));
    await t.until(run.id, (d) => d.bakeUntil !== undefined);
    // A loaded machine: the runner, asleep until its first reading (0.5 s), gets the CPU back only after the
    // 0.6 s bake ended. Before the fix the deadline won and 50% errors took all the traffic unjudged.
    for (const w of Reflect.get(t.clock, 'waiters') as { at: number }[]) w.at += 1000;
    const d = await t.drive(run.done);
    expect(d.status).toBe('RolledBack');
    expect(d.reason).toMatch(/gate breached: error rate 50.0% \(20\/40\)/);
  });

  it('abort of a blue/green wait after down starts the stopped blue fleet before traffic goes back (seed 12004)', async () => {
    const t = setup();
    await t.deploy('v1', Strategies.allAtOnce());
    const run = t.start('v2', Strategies.blueGreen({ readyWait: { actionOnTimeout: 'stop' } }));
    await t.until(run.id, (d) => d.status === 'Paused');
    // `down` stopped every instance while the wait held (its runner was gone); the abort rolls back.
    for (const i of t.provider.instances.values()) i.running = false;
    t.request(run.id, { type: 'abort-requested', reason: 'aborted by user' });
    const d = await t.drive(run.done);
    expect(d.status).toBe('RolledBack');
    expect(t.provider.routes.at(-1)?.route.stable).toEqual(['a-1', 'a-2', 'a-3']);
    // Before the fix traffic went back to a-1…a-3 while none ran: every request a 503 no-healthy-upstream.
    expect((await t.provider.checkHealth(['a-1', 'a-2', 'a-3'])).every((r) => r.healthy)).toBe(true);
  });

  it('a pause without duration holds in Paused until another process appends promote', async () => {
    const t = setup();
    await t.deploy('v1', Strategies.allAtOnce());
    const run = t.start('v2', Strategies.steps([{ kind: 'setWeight', percent: 25 }, { kind: 'pause' }]));
    const paused = await t.until(run.id, (d) => d.status === 'Paused');
    expect(paused.pausedReason).toBe('waiting for promote');
    expect(t.provider.traffic?.canaryWeight).toBe(25);
    await t.clock.advance(60_000);
    expect(reduce(t.ledger.read().events).active?.status).toBe('Paused');
    t.request(run.id, { type: 'promote-requested', full: false });
    const d = await t.drive(run.done);
    expect(d.status).toBe('Succeeded');
    expect(t.events(run.id).some((e) => e.type === 'promoted')).toBe(true);
  });

  it('promote --full skips the remaining weights and bakes', async () => {
    const t = setup();
    await t.deploy('v1', Strategies.allAtOnce());
    const run = t.start('v2', Strategies.linear(10, 60));
    await t.until(run.id, (d) => d.traffic?.canaryWeight === 10);
    t.request(run.id, { type: 'promote-requested', full: true });
    const d = await t.drive(run.done);
    expect(d.status).toBe('Succeeded');
    expect(t.provider.routes.map((r) => r.route.canaryWeight)).not.toContain(20);
    expect(d.finishedAt! - d.createdAt).toBeLessThan(10_000);
    expect(
      t
        .events(run.id)
        .filter((e) => e.type === 'step' && e.description.startsWith('skipped by promote --full')),
    ).toHaveLength(16);
  });

  it('abort during a pause rolls back', async () => {
    const t = setup();
    await t.deploy('v1', Strategies.allAtOnce());
    const run = t.start('v2', Strategies.steps([{ kind: 'setWeight', percent: 50 }, { kind: 'pause' }]));
    await t.until(run.id, (d) => d.status === 'Paused');
    t.request(run.id, { type: 'abort-requested', reason: 'aborted by user' });
    const d = await t.drive(run.done);
    expect(d.status).toBe('RolledBack');
    expect(d.rollback?.trigger).toBe('abort');
    expect(t.provider.servingRevisions()).toEqual({ stable: ['v1'], canary: [], weight: 0 });
  });

  it('an abort written during a long step is honoured before the next step', async () => {
    const t = setup();
    await t.deploy('v1', Strategies.allAtOnce());
    const run = t.start('v2', Strategies.oneAtATime());
    t.request(run.id, { type: 'abort-requested', reason: 'stop it' });
    const d = await t.drive(run.done);
    expect(d.status).toBe('RolledBack');
    expect(d.rollback?.trigger).toBe('abort');
    // Only the first batch was touched before the abort was seen.
    expect(t.provider.lifecycleCalls.filter((c) => c.revision === 'v2').length).toBeLessThanOrEqual(1);
    expect(t.provider.servingRevisions().stable).toEqual(['v1']);
  });

  it('an in-place hook failure redeploys the last good revision through the full lifecycle', async () => {
    const t = setup();
    await t.deploy('v1', Strategies.allAtOnce());
    t.provider.failures.set('v2:AfterInstall', 'exit code 3');
    const d = await t.deploy('v2', Strategies.oneAtATime());
    expect(d.status).toBe('RolledBack');
    expect(d.reason).toBe('AfterInstall failed on a-1: exit code 3');
    expect(d.failedHook).toMatchObject({ instance: 'a-1', event: 'AfterInstall', status: 'failed' });
    const redeploy = t.provider.lifecycleCalls.filter(
      (c) => c.revision === 'v1' && c.events.includes('Install'),
    );
    expect(redeploy.at(-1)).toMatchObject({ role: 'in-place', instances: ['a-1'] });
    expect(t.provider.servingRevisions()).toEqual({ stable: ['v1'], canary: [], weight: 0 });
    expect(t.provider.traffic?.stable).toEqual(['a-1', 'a-2', 'a-3']);
    // Batches 2 and 3 were never touched.
    expect(t.provider.lifecycleCalls.filter((c) => c.revision === 'v2').map((c) => c.instances)).toEqual([
      ['a-1'],
    ]);
  });

  it('a runner that dies mid-bake resumes with the remaining time, not the whole bake', async () => {
    const t = setup();
    await t.deploy('v1', Strategies.allAtOnce());
    const run = t.start('v2', Strategies.canary(10, 10));
    const baking = await t.until(run.id, (d) => d.bakeUntil !== undefined);
    await t.clock.advance(4000);
    run.controller.abort(new Error('killed'));
    await t.drive(run.done);
    expect(reduce(t.ledger.read().events).active?.status).toBe('InProgress');
    const resumed = new Runner(
      { ledger: t.ledger, provider: t.provider, clock: t.clock, group: t.group, configDir: '/', pid: 777 },
      run.id,
    );
    const before = t.clock.now();
    const d = await t.drive(resumed.run());
    expect(d.status).toBe('Succeeded');
    expect(t.clock.now() - before).toBeLessThan(7000);
    expect(d.finishedAt!).toBeGreaterThanOrEqual(baking.bakeUntil!);
    expect(t.events(run.id).some((e) => e.type === 'runner' && e.pid === 777)).toBe(true);
  });

  it('an interruption during a lifecycle step leaves the deployment for resume, without rolling back', async () => {
    const t = setup();
    await t.deploy('v1', Strategies.allAtOnce());
    const run = t.start('v2', Strategies.canary(10, 5));
    // The provider's lifecycle fails because the signal aborted it (as a killed hook would).
    const original = t.provider.runLifecycle.bind(t.provider);
    t.provider.runLifecycle = async (req) => {
      run.controller.abort(new Error('SIGINT'));
      const outcomes = await original(req);
      return outcomes.map((o) => ({ ...o, ok: false, failedEvent: 'ApplicationStart', message: 'aborted' }));
    };
    const d = await t.drive(run.done);
    expect(d.status).toBe('InProgress');
    expect(d.rollback).toBeUndefined();
  });

  it('no data with noDataPolicy pause pauses for a human instead of passing', async () => {
    const t = setup({
      analysis: { intervalSeconds: 1, maxErrorRate: 0.05, minRequests: 20, noDataPolicy: 'pause' },
    });
    await t.deploy('v1', Strategies.allAtOnce());
    t.provider.canaryMetrics = { requests: 3, errors: 0 };
    const run = t.start('v2', Strategies.canary(10, 5));
    const d = await t.until(run.id, (x) => x.status === 'Paused');
    expect(d.pausedReason).toMatch(
      /analysis inconclusive: only 3 request\(s\) reached the canary revision .*minRequests 20/,
    );
    // The bake deadline passes, but an inconclusive analysis waits for a human — polling, not spinning
    // (waking for the past deadline every millisecond re-read the ledger ~10 000 times here).
    const read = t.ledger.read.bind(t.ledger);
    let reads = 0;
    t.ledger.read = () => {
      reads++;
      return read();
    };
    await t.clock.advance(10_000);
    expect(reads).toBeLessThan(500);
    expect(reduce(t.ledger.read().events).active?.status).toBe('Paused');
    t.request(run.id, { type: 'promote-requested', full: false });
    expect((await t.drive(run.done)).status).toBe('Succeeded');
  });

  it('a pause that only waited for data ends by itself once traffic arrives', async () => {
    const t = setup({
      analysis: { intervalSeconds: 1, maxErrorRate: 0.05, minRequests: 20, noDataPolicy: 'pause' },
    });
    await t.deploy('v1', Strategies.allAtOnce());
    t.provider.canaryMetrics = { requests: 0, errors: 0 };
    const run = t.start('v2', Strategies.canary(10, 5));
    await t.until(run.id, (x) => x.status === 'Paused');
    t.provider.canaryMetrics = { requests: 60, errors: 0 };
    const d = await t.drive(run.done);
    expect(d.status).toBe('Succeeded');
    expect(t.events(run.id).some((e) => e.type === 'resumed' && e.by === 'gate')).toBe(true);
  });

  it('an instance that dies during the bake triggers a health rollback', async () => {
    const t = setup();
    await t.deploy('v1', Strategies.allAtOnce());
    const run = t.start('v2', Strategies.canary(10, 30));
    await t.until(run.id, (d) => d.bakeUntil !== undefined);
    t.provider.instances.get('b-2')!.running = false;
    const d = await t.drive(run.done);
    expect(d.status).toBe('RolledBack');
    expect(d.reason).toMatch(/instance b-2 \(connection refused\) failed 2 health checks during the bake/);
    expect(t.provider.servingRevisions().stable).toEqual(['v1']);
  });

  it('with onGateBreach: false a breach fails the deployment and leaves traffic as it was', async () => {
    const t = setup({ rollback: { onGateBreach: false } });
    await t.deploy('v1', Strategies.allAtOnce());
    t.provider.canaryMetrics = { requests: 50, errors: 50 };
    const d = await t.deploy('v2', Strategies.canary(10, 5));
    expect(d.status).toBe('Failed');
    expect(t.provider.traffic?.canaryWeight).toBe(10);
  });

  it('a failed first deployment has nothing to roll back to and says so', async () => {
    const t = setup();
    t.provider.failures.set('v1:ValidateService', 'exit code 1');
    const d = await t.deploy('v1', Strategies.allAtOnce());
    expect(d.status).toBe('Failed');
    expect(d.reason).toMatch(/rollback failed: no earlier successful revision/);
    expect(d.rollback?.ok).toBe(false);
  });

  it('blue/green ready wait stops the deployment when nobody promotes in time', async () => {
    const t = setup();
    await t.deploy('v1', Strategies.allAtOnce());
    const d = await t.deploy(
      'v2',
      Strategies.blueGreen({ readyWait: { seconds: 3, actionOnTimeout: 'stop' } }),
    );
    expect(d.status).toBe('Stopped');
    expect(d.reason).toMatch(/nobody promoted within the ready wait of 3s/);
    expect(t.provider.servingRevisions().stable).toEqual(['v1']);
    expect(t.provider.stopped).toEqual(['b-1', 'b-2', 'b-3']);
  });

  it('blue/green with a termination wait keeps blue alive until the wait ends', async () => {
    const t = setup();
    await t.deploy('v1', Strategies.allAtOnce());
    const run = t.start('v2', Strategies.blueGreen({ terminateBlueAfterSeconds: 20 }));
    await t.until(run.id, (d) => d.trafficRevisions?.stable === 'v2');
    await t.clock.advance(10_000);
    expect(t.provider.stopped).toEqual([]);
    const d = await t.drive(run.done);
    expect(d.status).toBe('Succeeded');
    expect(t.provider.stopped).toEqual(['a-1', 'a-2', 'a-3']);
  });

  it('the gate override and ignore-application-stop-failures are recorded in the events', async () => {
    const t = setup();
    await t.deploy('v1', Strategies.allAtOnce());
    t.provider.canaryMetrics = { requests: 50, errors: 50 };
    t.provider.failures.set('v1:ApplicationStop', 'stop script broken');
    const d = await t.deploy('v2', Strategies.canary(10, 2), {
      skipAnalysis: true,
      ignoreApplicationStopFailures: true,
    });
    expect(d.status).toBe('Succeeded');
    expect(d.overrides).toEqual(['ignoreApplicationStopFailures', 'skipAnalysis']);
    expect(d.verdicts).toBe(0);
  });

  it('immutable: a fresh fleet serves beside the old one, then replaces it', async () => {
    const t = setup();
    await t.deploy('v1', Strategies.allAtOnce());
    t.provider.routes = [];
    const d = await t.deploy('v2', Strategies.immutable());
    expect(d.status).toBe('Succeeded');
    expect(t.provider.routes.map((r) => r.route.canaryWeight)).toEqual([50, 0]);
    expect(t.provider.routes[0]!.route).toMatchObject({
      stable: ['a-1', 'a-2', 'a-3'],
      canary: ['b-1', 'b-2', 'b-3'],
    });
    expect(t.provider.servingRevisions()).toEqual({ stable: ['v2'], canary: [], weight: 0 });
    expect(t.provider.stopped).toEqual(['a-1', 'a-2', 'a-3']);
  });

  it('a one-interval analysis (and immutable, which runs one at 50/50) is judged on a reading, not on its deadline', async () => {
    const t = setup();
    await t.deploy('v1', Strategies.allAtOnce());
    const once = Strategies.steps([{ kind: 'setWeight', percent: 20 }, { kind: 'analysis' }]);
    const ok = await t.deploy('v2', once);
    expect(ok.status).toBe('Succeeded');
    expect(ok.verdicts).toBe(1);
    t.provider.canaryMetrics = { requests: 50, errors: 25 };
    const bad = await t.deploy('v3', Strategies.immutable());
    expect(bad.status).toBe('RolledBack');
    expect(bad.rollback?.trigger).toBe('gate');
    expect(bad.reason).toMatch(/gate breached: error rate/);
    expect(t.provider.servingRevisions()).toEqual({ stable: ['v2'], canary: [], weight: 0 });
  });

  it('rolling with an additional batch never serves from fewer instances than the fleet size', async () => {
    const t = setup();
    await t.deploy('v1', Strategies.allAtOnce());
    t.provider.routes = [];
    const d = await t.deploy('v2', Strategies.rollingWithAdditionalBatch(1));
    expect(d.status).toBe('Succeeded');
    const sizes = t.provider.routes.map((r) => r.route.stable.length);
    expect(Math.min(...sizes)).toBe(3);
    expect(Math.max(...sizes)).toBe(4);
    expect(t.provider.traffic?.stable).toEqual(['a-1', 'a-2', 'a-3']);
    expect(t.provider.servingRevisions().stable).toEqual(['v2']);
    expect(t.provider.stopped).toEqual(['b-1']);
  });

  it('rolling with an additional batch: a failure retires the extra batch and redeploys the last good revision', async () => {
    const t = setup();
    await t.deploy('v1', Strategies.allAtOnce());
    t.provider.failures.set('v2:ValidateService', 'exit code 1');
    const d = await t.deploy('v2', Strategies.rollingWithAdditionalBatch(1));
    expect(d.status).toBe('RolledBack');
    expect(t.provider.traffic?.stable).toEqual(['a-1', 'a-2', 'a-3']);
    expect(t.provider.servingRevisions().stable).toEqual(['v1']);
  });

  it('rolling with an additional batch: a failure on an original keeps the extra batch serving until v1 is back', async () => {
    const t = setup();
    await t.deploy('v1', Strategies.allAtOnce());
    t.provider.failures.set('v2:ValidateService@a-2', 'exit code 1');
    t.provider.routes = [];
    const d = await t.deploy('v2', Strategies.rollingWithAdditionalBatch(1));
    expect(d.status).toBe('RolledBack');
    expect(d.reason).toMatch(/ValidateService failed on a-2/);
    // Never fewer than three serving, rollback included; the extra batch leaves last.
    expect(Math.min(...t.provider.routes.map((r) => r.route.stable.length))).toBe(3);
    expect(t.provider.routes.at(-1)?.route.stable).toEqual(['a-1', 'a-2', 'a-3']);
    expect(t.provider.servingRevisions().stable).toEqual(['v1']);
    expect(t.provider.stopped).toEqual(['b-1']);
  });

  it('an in-place rollback redeploys in the plan batches, failed batch first, keeping the minimum healthy hosts', async () => {
    const t = setup();
    await t.deploy('v1', Strategies.allAtOnce());
    t.provider.failures.set('v2:ValidateService@a-3', 'exit code 1');
    t.provider.routes = [];
    const d = await t.deploy('v2', Strategies.oneAtATime());
    expect(d.status).toBe('RolledBack');
    expect(Math.min(...t.provider.routes.map((r) => r.route.stable.length))).toBe(2);
    const rollbackInstalls = t.provider.lifecycleCalls
      .filter((c) => c.revision === 'v1' && c.events.includes('Install'))
      .map((c) => c.instances.join());
    expect(rollbackInstalls.slice(-3)).toEqual(['a-3', 'a-2', 'a-1']);
    expect(t.provider.servingRevisions().stable).toEqual(['v1']);
  });

  it('an analysis step passes only when the gates pass within its window', async () => {
    const t = setup();
    await t.deploy('v1', Strategies.allAtOnce());
    const ok = await t.deploy(
      'v2',
      Strategies.steps([
        { kind: 'setWeight', percent: 20 },
        { kind: 'analysis', seconds: 3 },
      ]),
    );
    expect(ok.status).toBe('Succeeded');
    expect(ok.verdicts).toBeGreaterThanOrEqual(2);
    t.provider.canaryMetrics = { requests: 50, errors: 10 };
    const bad = await t.deploy(
      'v3',
      Strategies.steps([
        { kind: 'setWeight', percent: 20 },
        { kind: 'analysis', seconds: 3 },
      ]),
    );
    expect(bad.status).toBe('RolledBack');
    expect(bad.rollback?.trigger).toBe('gate');
  });

  it('notifies every deployment event kind, in order, without waiting on the receivers', async () => {
    const t = setup();
    await t.deploy('v1', Strategies.allAtOnce());
    const kinds: string[] = [];
    const notifier = { notify: (e: { kind: string }) => void kinds.push(e.kind), flush: async () => {} };
    t.provider.canaryMetrics = { requests: 50, errors: 25 };
    const state = reduce(t.ledger.read().events);
    const plan = planDeployment(3, { slot: state.fleet!.slot, revision: 'v1' }, Strategies.canary(10, 5));
    const id = createDeployment(t.ledger, t.clock, {
      revision: { label: 'v3', dir: '/revisions/v3' },
      plan,
      options: { creator: 'user', ignoreApplicationStopFailures: false, skipAnalysis: false },
      previous: { slot: state.fleet!.slot, revision: state.fleet!.revision },
    });
    const runner = new Runner(
      { ledger: t.ledger, provider: t.provider, clock: t.clock, group: t.group, configDir: '/', notifier },
      id,
    );
    const d = await t.drive(runner.run());
    expect(d.status).toBe('RolledBack');
    expect(kinds[0]).toBe('started');
    expect(kinds.filter((k) => k === 'step').length).toBe(3);
    expect(kinds.at(-1)).toBe('rolled-back');
  });

  it('a dead instance is replaced first, so one-at-a-time never serves from fewer healthy instances (#12, seed 5019)', async () => {
    const t = setup();
    await t.deploy('v1', Strategies.allAtOnce());
    t.provider.instances.get('a-3')!.running = false;
    t.provider.routes = [];
    const d = await t.deploy('v2', Strategies.oneAtATime(), {}, ['a-3']);
    expect(d.status).toBe('Succeeded');
    const installs = t.provider.lifecycleCalls.filter(
      (c) => c.revision === 'v2' && c.events.includes('Install'),
    );
    expect(installs.map((c) => c.instances.join())).toEqual(['a-3', 'a-1', 'a-2']);
    // a-1 and a-2 (the healthy ones) both serve until a-3 is back on v2; never fewer than two serve after.
    const back = t.provider.routes.findIndex((r) => r.route.stable.includes('a-3'));
    expect(back).toBeGreaterThan(0);
    for (const r of t.provider.routes.slice(0, back)) expect(r.route.stable).toEqual(['a-1', 'a-2']);
    expect(Math.min(...t.provider.routes.map((r) => r.route.stable.length))).toBe(2);
    expect(t.provider.servingRevisions().stable).toEqual(['v2']);
  });

  it('a batch that would leave fewer healthy instances than the minimum fails the deployment before it starts', async () => {
    const t = setup();
    await t.deploy('v1', Strategies.allAtOnce());
    // Dead after the plan was made (the plan still has it last): taking a-1 out would leave a-2 alone.
    t.provider.instances.get('a-3')!.running = false;
    t.provider.routes = [];
    const d = await t.deploy('v2', Strategies.oneAtATime());
    expect(d.status).toBe('RolledBack');
    expect(d.reason).toMatch(
      /minimum healthy hosts not met: taking batch 1 \[a-1\] out of service would leave 1 healthy instance\(s\) in service, the strategy keeps at least 2 \(a-3 connection refused\)/,
    );
    // Nothing was taken out or installed: a-1 and a-2 served v1 throughout.
    expect(t.provider.lifecycleCalls.filter((c) => c.revision === 'v2')).toEqual([]);
    expect(
      t.provider.routes.every((r) => r.route.stable.includes('a-1') && r.route.stable.includes('a-2')),
    ).toBe(true);
    expect(t.provider.servingRevisions().stable).toEqual(['v1']);
  });

  it('half-at-a-time keeps at least half the fleet serving during each batch', async () => {
    const t = setup();
    await t.deploy('v1', Strategies.allAtOnce());
    t.provider.routes = [];
    const d = await t.deploy('v2', Strategies.halfAtATime());
    expect(d.status).toBe('Succeeded');
    const minServing = Math.min(...t.provider.routes.map((r) => r.route.stable.length));
    expect(minServing).toBe(2);
    expect(t.provider.servingRevisions().stable).toEqual(['v2']);
  });
});
