/**
 * Immutable and rolling-with-additional-batch on real processes, under live traffic through the router:
 * what each strategy promises about capacity, the steps it runs, and its automatic rollback.
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LedgerEvent } from '../../../src/deploy/events.js';
import {
  APPSPEC_WITH,
  type Capacity,
  type GroupFixture,
  makeGroup,
  preloadCli,
  routerState,
  running,
  type Served,
  SLOW,
  sample,
  serverPid,
  stepsDone,
  underTraffic,
} from './helpers.js';

const fixtures: GroupFixture[] = [];
preloadCli();
afterEach(async () => {
  for (const f of fixtures.splice(0)) await f.cleanup();
});

const RWAB = 'strategy:\n  type: rolling-with-additional-batch\n  batchSize: 1';
const IMMUTABLE = 'strategy: immutable';

/** A group of `instances` serving v1, deployed with the group's own strategy (a fresh fleet a-1…a-n). */
async function servingV1(strategy: string, instances: number): Promise<GroupFixture> {
  const f = makeGroup(strategy, '', { instances });
  fixtures.push(f);
  const r = await f.cli(['deploy', '--revision', f.rev('v1')]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return f;
}

interface FullStatus {
  deployment: { status: string; reason?: string; plan: unknown };
  events: LedgerEvent[];
}

async function fullStatus(f: GroupFixture): Promise<FullStatus> {
  return JSON.parse((await f.cli(['status', '--json'])).stdout) as FullStatus;
}

function failures(served: Served[]): Served[] {
  return served.filter((s) => s.status !== 200);
}

function revisionsSeen(served: Served[]): string[] {
  return [...new Set(served.map((s) => s.revision ?? '?'))].sort();
}

/** The bracketed instance lists of the traffic tables the deployment recorded, in order. */
function tables(events: LedgerEvent[]): string[] {
  return events.flatMap((e) =>
    e.type === 'traffic'
      ? [`stable [${e.table.stable.join(',')}] canary [${e.table.canary.join(',')}] ${e.table.canaryWeight}%`]
      : [],
  );
}

const TRAFFIC_HOOKS = ['BeforeAllowTraffic', 'AfterAllowTraffic', 'BeforeBlockTraffic', 'AfterBlockTraffic']
  .map((event) => `  ${event}:\n    - location: scripts/traffic-hook.sh\n`)
  .join('');

/** `instance event` for each traffic hook script the deployment ran, in order. */
function trafficHooksRun(events: LedgerEvent[]): string[] {
  return events.flatMap((e) =>
    e.type === 'hook' && e.status === 'succeeded' && /^(Before|After)\w+Traffic$/.test(e.event)
      ? [`${e.instance} ${e.event}`]
      : [],
  );
}

/** The fewest upstreams the router could send a request to at any sampled moment. */
function minServing(capacity: Capacity[]): number {
  return Math.min(...capacity.map((c) => c.serving.length));
}

// Each test deploys twice to two instances plus an extra batch, 11-14 lifecycle runs in sequence: 8-18 s at load
// 12-16 here, ~23 s alone at load 20+, and one passed 30 s in a full run there (SLOW bounds them all the same).
describe('rolling with additional batch on real processes', { timeout: SLOW }, () => {
  it('adds the extra batch first, rolls the originals under traffic without a failed request, then retires it', async () => {
    const f = await servingV1(RWAB, 2);
    f.script('v2', 'traffic-hook.sh', 'echo "$LIFECYCLE_EVENT on $INSTANCE_ID"');
    f.appspec('v2', APPSPEC_WITH(TRAFFIC_HOOKS));
    const { result, served, capacity } = await underTraffic(f, f.cli(['deploy', '--revision', f.rev('v2')]));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(failures(served)).toEqual([]);
    expect(served.length).toBeGreaterThan(20);
    expect(revisionsSeen(served)).toEqual(['v1', 'v2']);

    // Capacity never dropped below the original two (the tables below show the extra batch joined: three serving).
    expect(capacity.length).toBeGreaterThan(10);
    expect(minServing(capacity)).toBeGreaterThanOrEqual(2);

    // The plan's steps ran in order: extra batch in, each original batch, extra batch out.
    const s = await fullStatus(f);
    expect(s.deployment.status).toBe('Succeeded');
    const { completed, planned } = stepsDone(s);
    expect(completed).toEqual(planned);
    expect(completed.map((d) => /\[(.*)\]/.exec(d)?.[1])).toEqual([
      'b-1',
      'b-1',
      'b-1',
      'a-1',
      'a-1',
      'a-1',
      'a-2',
      'a-2',
      'a-2',
      'b-1',
      'b-1',
    ]);
    expect(completed.at(-1)).toBe('terminate the extra batch [b-1]');
    // Every traffic hook ran exactly once per instance (the extra batch used to run BeforeAllowTraffic twice).
    expect(trafficHooksRun(s.events)).toEqual([
      'b-1 BeforeAllowTraffic',
      'b-1 AfterAllowTraffic',
      'a-1 BeforeAllowTraffic',
      'a-1 AfterAllowTraffic',
      'a-2 BeforeAllowTraffic',
      'a-2 AfterAllowTraffic',
      'b-1 BeforeBlockTraffic',
      'b-1 AfterBlockTraffic',
    ]);
    expect(tables(s.events)).toEqual([
      'stable [a-1,a-2,b-1] canary [] 0%',
      'stable [a-2,b-1] canary [] 0%',
      'stable [a-1,a-2,b-1] canary [] 0%',
      'stable [a-1,b-1] canary [] 0%',
      'stable [a-1,a-2,b-1] canary [] 0%',
      'stable [a-1,a-2] canary [] 0%',
    ]);

    // The end: the original count, all on v2, the extra instance's process gone.
    const router = await routerState(f);
    expect(router.table.stable.map((u) => `${u.id}:${u.revision}`)).toEqual(['a-1:v2', 'a-2:v2']);
    expect(router.table.canary).toEqual([]);
    expect(router.upstreams.filter((u) => u.set !== 'draining').map((u) => u.id)).toEqual(['a-1', 'a-2']);
    expect(running(serverPid(f, 'b-1'))).toBe(false);
    expect(await sample(f, 8)).toEqual({ v2: 8 });
  });

  it('a ValidateService failure on an original batch puts v1 back while the extra batch serves, then retires it', async () => {
    const f = await servingV1(RWAB, 2);
    // v2 validates on the extra instance (b-1) but not on the originals: the failure comes mid-way.
    cpSync(join(f.rev('v2'), 'scripts', 'validate.sh'), join(f.rev('v2'), 'scripts', 'really-validate.sh'));
    f.script(
      'v2',
      'validate.sh',
      'case "$INSTANCE_ID" in a-*) echo "v2 does not validate on $INSTANCE_ID" >&2; exit 1;; esac\nexec "$(dirname "$0")/really-validate.sh"',
    );
    const { result, served, capacity } = await underTraffic(f, f.cli(['deploy', '--revision', f.rev('v2')]));
    expect(result.code).toBe(1);
    expect(failures(served)).toEqual([]);
    // v2 served from the extra batch before the failure.
    expect(revisionsSeen(served)).toEqual(['v1', 'v2']);
    // The extra batch kept serving while a-1 got v1 back: capacity held at two through the rollback too.
    expect(minServing(capacity)).toBeGreaterThanOrEqual(2);
    const s = await fullStatus(f);
    expect(tables(s.events)).toEqual([
      'stable [a-1,a-2,b-1] canary [] 0%',
      'stable [a-2,b-1] canary [] 0%',
      'stable [a-1,a-2,b-1] canary [] 0%',
      'stable [a-1,a-2] canary [] 0%',
    ]);

    expect(s.deployment.status).toBe('RolledBack');
    expect(s.deployment.reason).toMatch(/ValidateService failed on a-1: .*exit/);
    const router = await routerState(f);
    expect(router.table.stable.map((u) => `${u.id}:${u.revision}`)).toEqual(['a-1:v1', 'a-2:v1']);
    expect(router.upstreams.filter((u) => u.set !== 'draining').map((u) => u.id)).toEqual(['a-1', 'a-2']);
    expect(running(serverPid(f, 'b-1'))).toBe(false);
    // After the rollback: only v1, and nothing fails.
    expect(await sample(f, 10)).toEqual({ v1: 10 });
  });
});

describe('immutable on real processes', () => {
  it('keeps the old fleet serving until the new one has taken over, without a failed request', async () => {
    const f = await servingV1(IMMUTABLE, 2);
    const v1Pids = ['a-1', 'a-2'].map((i) => serverPid(f, i));
    const { result, served, capacity } = await underTraffic(f, f.cli(['deploy', '--revision', f.rev('v2')]));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(failures(served)).toEqual([]);
    expect(revisionsSeen(served)).toEqual(['v1', 'v2']);

    // At every moment one whole fleet was serving: the old one until the new one had all the traffic.
    expect(capacity.length).toBeGreaterThan(3);
    for (const c of capacity) {
      const old = ['a-1', 'a-2'].every((i) => c.serving.includes(i));
      const fresh = ['b-1', 'b-2'].every((i) => c.serving.includes(i));
      expect(old || fresh, `serving ${c.serving.join(',')}`).toBe(true);
    }
    const firstNewOnly = capacity.findIndex((c) => c.serving.join() === 'b-1,b-2');
    expect(firstNewOnly).toBeGreaterThan(0);
    expect(capacity.slice(firstNewOnly).every((c) => c.serving.join() === 'b-1,b-2')).toBe(true);

    const s = await fullStatus(f);
    expect(s.deployment.status).toBe('Succeeded');
    const { completed, planned } = stepsDone(s);
    expect(completed).toEqual(planned);
    expect(completed).toEqual([
      'run ApplicationStop … BeforeAllowTraffic on replacement [b-1, b-2]',
      'health check [b-1, b-2]',
      'send 50% of traffic to the new revision',
      'run analysis once',
      'switch all traffic to the new fleet [b-1, b-2]',
      'run AfterAllowTraffic on replacement [b-1, b-2]',
      'run BeforeBlockTraffic … AfterBlockTraffic on original [a-1, a-2]',
      'terminate the original fleet [a-1, a-2]',
    ]);
    // Both fleets took traffic side by side before the new one took it all.
    expect(tables(s.events)).toEqual([
      'stable [a-1,a-2] canary [b-1,b-2] 50%',
      'stable [b-1,b-2] canary [] 0%',
    ]);

    const router = await routerState(f);
    expect(router.table.stable.map((u) => `${u.id}:${u.revision}`)).toEqual(['b-1:v2', 'b-2:v2']);
    expect(router.table.canary).toEqual([]);
    expect(router.upstreams.filter((u) => u.set !== 'draining').map((u) => u.id)).toEqual(['b-1', 'b-2']);
    expect(v1Pids.some(running)).toBe(false);
    expect(await sample(f, 8)).toEqual({ v2: 8 });
  });

  it('a ValidateService failure on the new fleet leaves traffic on the old one and stops the new instances', async () => {
    const f = await servingV1(IMMUTABLE, 2);
    f.script('v2', 'validate.sh', 'echo "v2 does not validate on $INSTANCE_ID" >&2; exit 1');
    const { result, served } = await underTraffic(f, f.cli(['deploy', '--revision', f.rev('v2')]));
    expect(result.code).toBe(1);
    expect(failures(served)).toEqual([]);
    expect(revisionsSeen(served)).toEqual(['v1']);
    const s = await fullStatus(f);
    expect(s.deployment.status).toBe('RolledBack');
    expect(s.deployment.reason).toMatch(/ValidateService failed on b-\d: .*exit/);
    const router = await routerState(f);
    expect(router.table.stable.map((u) => `${u.id}:${u.revision}`)).toEqual(['a-1:v1', 'a-2:v1']);
    expect(router.upstreams.filter((u) => u.set !== 'draining').map((u) => u.id)).toEqual(['a-1', 'a-2']);
    expect(['b-1', 'b-2'].map((i) => running(serverPid(f, i)))).toEqual([false, false]);
    expect(await sample(f, 10)).toEqual({ v1: 10 });
  });

  it('the gates judge the new fleet while both serve: a revision failing half its requests is rolled back', async () => {
    const f = await servingV1(IMMUTABLE, 2);
    const { result, served } = await underTraffic(f, f.cli(['deploy', '--revision', f.rev('v3')]), {
      everyMs: 10,
    });
    expect(result.code, result.stdout).toBe(1);
    expect(result.stdout).toMatch(/gate fail: error rate/);
    const s = await fullStatus(f);
    expect(s.deployment.status).toBe('RolledBack');
    expect(s.deployment.reason).toMatch(/gate breached: error rate/);
    // v3 never took all the traffic: the old fleet served beside it, then alone again.
    expect(tables(s.events)).toEqual([
      'stable [a-1,a-2] canary [b-1,b-2] 50%',
      'stable [a-1,a-2] canary [] 0%',
    ]);
    const rolledBackAt = s.events.find((e) => e.type === 'rollback-finished')?.at ?? 0;
    expect(failures(served).filter((r) => r.at > rolledBackAt)).toEqual([]);
    expect(['b-1', 'b-2'].map((i) => running(serverPid(f, i)))).toEqual([false, false]);
    expect(await sample(f, 10)).toEqual({ v1: 10 });
  });

  it('a failure after the switch (AfterAllowTraffic) moves traffic back to the old fleet, still running', async () => {
    const f = await servingV1(IMMUTABLE, 2);
    f.script('v2', 'after-allow.sh', 'echo "v2 smoke test failed" >&2; exit 1');
    f.appspec('v2', APPSPEC_WITH('  AfterAllowTraffic:\n    - location: scripts/after-allow.sh\n'));
    const { result, served } = await underTraffic(f, f.cli(['deploy', '--revision', f.rev('v2')]));
    expect(result.code).toBe(1);
    expect(failures(served)).toEqual([]);
    const s = await fullStatus(f);
    expect(s.deployment.status).toBe('RolledBack');
    expect(s.deployment.reason).toMatch(/AfterAllowTraffic failed on b-\d/);
    expect(tables(s.events)).toEqual([
      'stable [a-1,a-2] canary [b-1,b-2] 50%',
      'stable [b-1,b-2] canary [] 0%',
      'stable [a-1,a-2] canary [] 0%',
    ]);
    const router = await routerState(f);
    expect(router.table.stable.map((u) => `${u.id}:${u.revision}`)).toEqual(['a-1:v1', 'a-2:v1']);
    expect(['b-1', 'b-2'].map((i) => running(serverPid(f, i)))).toEqual([false, false]);
    expect(await sample(f, 10)).toEqual({ v1: 10 });
  });
});
