/**
 * The model-based test's checks (test/model/) on made-up observations: each one must catch what it is for, or the
 * soak's "0 violations" would mean nothing.
 */
import { describe, expect, it } from 'vitest';
import type { RouterState } from '../../src/router/api.js';
import type { Command } from '../model/commands.js';
import {
  checkCapacity,
  checkFailures,
  checkForced,
  checkShares,
  checkTables,
  classify,
  Outages,
  type StatusView,
} from '../model/invariants.js';
import type { Answer } from '../model/load.js';
import { FleetModel, type HistoryRow } from '../model/model.js';

const status = (canaryWeight: number, revisions = { stable: 'r1', canary: 'r2' }): StatusView => ({
  deployment: {
    id: 'd-1',
    status: 'Paused',
    traffic: { stable: ['a-1', 'a-2'], canary: ['b-1', 'b-2'], canaryWeight },
    trafficRevisions: revisions,
  },
  router: { stable: ['a-1', 'a-2'], canary: ['b-1', 'b-2'], canaryWeight },
});

function router(canaryWeight: number, stableRevision = 'r1'): RouterState {
  const up = (id: string, revision: string) => ({ id, host: '127.0.0.1', port: 1, revision });
  return {
    pid: 1,
    listen: { host: '127.0.0.1', port: 1 },
    generation: 3,
    table: {
      stable: [up('a-1', stableRevision), up('a-2', stableRevision)],
      canary: [up('b-1', 'r2'), up('b-2', 'r2')],
      canaryWeight,
    },
    upstreams: [],
  };
}

const answer = (
  revision: string | null,
  status: Answer['status'] = 200,
  error: string | null = null,
): Answer => ({
  at: 1000,
  end: 1001,
  status,
  revision,
  upstream: null,
  error,
});

describe('(a) status table = router table', () => {
  it('passes when they agree and names a different weight or revision', () => {
    expect(checkTables(status(25), router(25), false)).toEqual([]);
    expect(checkTables(status(25), router(50), false).map((f) => f.message)).toContain(
      'status says stable [a-1,a-2] canary [b-1,b-2] 25% (d-1 Paused), the router has stable [a-1,a-2] canary [b-1,b-2] 50%',
    );
    expect(checkTables(status(25), router(25, 'r0'), false)[0]?.message).toMatch(
      /status names stable r1, the router's stable upstreams \[a-1,a-2\] run r0/,
    );
  });

  it('wants no router after down and one otherwise', () => {
    expect(checkTables(status(25), router(25), true)[0]?.message).toMatch(/still routes after down/);
    const emptied = { ...router(0), table: { stable: [], canary: [], canaryWeight: 0 } };
    expect(checkTables({ ...status(0), deployment: { id: 'd-2', status: 'Failed' } }, emptied, true)).toEqual(
      [],
    );
    expect(checkTables(status(25), undefined, false)[0]?.message).toMatch(/does not answer/);
  });
});

describe('(b) answers in the stated shares', () => {
  const many = (rev: string, n: number) => Array.from({ length: n }, () => answer(rev));
  it('accepts sampling error and refuses a revision status does not name or a wrong share', () => {
    expect(checkShares([...many('r1', 30), ...many('r2', 10)], status(25), undefined)).toEqual([]);
    expect(checkShares([...many('r1', 40)], status(25), undefined)[0]?.message).toMatch(
      /r1 answered 100% of 40 requests, status says 75%/,
    );
    expect(checkShares([...many('r1', 30), ...many('r9', 10)], status(25), undefined)[0]?.message).toMatch(
      /r9 answered 10\/40 requests but status says/,
    );
    expect(checkShares(many('r1', 40), status(0), 'r3')[0]?.message).toBe(
      'status names r1 as stable, the model expects r3 to serve',
    );
  });
});

describe('(b) test traffic during a wait for promote', () => {
  it('must reach the new revision', () => {
    expect(checkForced([answer('r2'), answer('r2', 500)], 'r2')).toEqual([]);
    expect(
      checkForced([answer('r2'), answer(null, 503, 'forced-canary-unavailable')], 'r2')[0]?.message,
    ).toBe('1 of 2 requests forced to the new set did not reach r2: 503 forced-canary-unavailable');
  });
});

describe('(c) failed requests', () => {
  it("counts an erroring revision's own 500s apart and tolerates expected outages", () => {
    const erroring = new Set(['r2']);
    expect(classify(answer('r2', 500), erroring)).toBe('own-error');
    expect(classify(answer('r1', 500), erroring)).toBe('failed');
    expect(classify(answer(null, 503, 'no-healthy-upstream'), erroring)).toBe('failed');
    const failures = [
      answer(null, 'error', 'ECONNREFUSED'),
      answer(null, 502, 'upstream-failed a-1 ECONNRESET'),
    ];
    expect(checkFailures(failures, erroring, []).failed).toHaveLength(2);
    expect(checkFailures(failures, erroring, [{ from: 900, to: 1000, why: 'down' }]).failed).toEqual([]);
    // A window for one killed instance excuses only the answers that name it.
    const kill = [{ from: 0, to: 2000, why: 'kill', instance: 'a-1' }];
    expect(checkFailures(failures, erroring, kill).failed.map((a) => a.error)).toEqual(['ECONNREFUSED']);
  });
});

describe('(d) capacity', () => {
  it('is zero only inside an expected outage', () => {
    const samples = [
      { at: 100, serving: 2, routerUp: true },
      { at: 200, serving: 0, routerUp: true },
    ];
    expect(checkCapacity(samples, [])[0]?.message).toMatch(/zero in 1 samples/);
    expect(checkCapacity(samples, [{ from: 150, to: 250, why: 'down' }])).toEqual([]);
  });
});

describe('outages', () => {
  it('keep a condition as one span until it ends, capped when it should end by itself', () => {
    const o = new Outages();
    o.track('down', true, 100, 150);
    o.track('down', true, 200, 250);
    o.track('down', false, 300, 400);
    o.track('killed router', true, 500, 520, 2000);
    o.closeAll();
    expect(o.windows).toEqual([
      { from: 100, to: 700, why: 'down' },
      { from: 500, to: 2500, why: 'killed router' },
    ]);
  });
});

describe('the model', () => {
  it('rolls back to the newest good revision other than the serving one, skipping what a rollback undid', () => {
    const m = new FleetModel(true);
    const rows: HistoryRow[] = [];
    const finish = (id: string, revision: string, creator: 'user' | 'rollback' = 'user') => {
      const cmd: Command =
        creator === 'user'
          ? { kind: 'deploy', revision: 'good', strategy: 'canary', detach: false }
          : { kind: 'rollback' };
      const exp = m.expect(cmd, revision);
      rows.push({
        id,
        status: 'Succeeded',
        revision,
        strategy: 'canary',
        creator,
        reason: null,
        createdAt: '',
        durationMs: 0,
      });
      expect(m.record(cmd, exp, { code: 0, stdout: '', stderr: '', rows })).toEqual([]);
    };
    finish('d-1', 'r1');
    finish('d-2', 'r2');
    expect(m.rollbackTarget()).toEqual({ label: 'r1', of: 'd-2' });
    finish('d-3', 'r1', 'rollback');
    expect(m.serving).toBe('r1');
    // d-2 was undone and r1 serves: nothing earlier to go back to.
    expect(m.rollbackTarget()).toBeUndefined();
    expect(m.expect({ kind: 'rollback' }).refused).toBe(true);
  });

  it('after down, a failing deploy must roll back to the last good revision with every strategy (#12)', () => {
    const m = new FleetModel(true);
    const broken = (strategy: 'blue-green' | 'one-at-a-time') =>
      m.expect({ kind: 'deploy', revision: 'broken', strategy, detach: false }, 'rX').creates?.allowed;
    // Nothing ever succeeded: nothing to roll back to.
    expect(broken('blue-green')).toEqual(['Failed', 'RolledBack']);
    const cmd = { kind: 'deploy', revision: 'good', strategy: 'all-at-once', detach: false } as const;
    const exp = m.expect(cmd, 'r1');
    const row = {
      id: 'd-1',
      status: 'Succeeded' as const,
      revision: 'r1',
      strategy: 'all-at-once',
      creator: 'user' as const,
      reason: null,
      createdAt: '',
      durationMs: 0,
    };
    expect(m.record(cmd, exp, { code: 0, stdout: '', stderr: '', rows: [row] })).toEqual([]);
    m.down = true;
    expect(broken('blue-green')).toEqual(['RolledBack']);
    expect(broken('one-at-a-time')).toEqual(['RolledBack']);
  });

  it('flags an exit code that does not match the final status', () => {
    const m = new FleetModel(true);
    const cmd = { kind: 'deploy', revision: 'good', strategy: 'all-at-once', detach: false } as const;
    const exp = m.expect(cmd, 'r1');
    const rows = [
      {
        id: 'd-1',
        status: 'Succeeded' as const,
        revision: 'r1',
        strategy: 'x',
        creator: 'user' as const,
        reason: null,
        createdAt: '',
        durationMs: 0,
      },
    ];
    expect(m.record(cmd, exp, { code: 1, stdout: '', stderr: '', rows })).toEqual([
      'deploy exited 1 but d-1 is Succeeded (documented: 0)',
    ]);
  });
});
