/** The deployment state rebuilt from the ledger: what `status`, `history` and the manual commands show and act on. */
import { describe, expect, it } from 'vitest';
import type { LedgerEvent, LedgerEventBody } from '../../../src/deploy/events.js';
import { findDeployment, isTerminal, lastGoodBefore, reduce } from '../../../src/deploy/state.js';

const plan = { strategy: 'canary', steps: [], targetSlot: 'b' as const, replacement: true };
const options = { creator: 'user' as const, ignoreApplicationStopFailures: false, skipAnalysis: false };
const rev = (label: string) => ({ label, dir: `/revisions/${label}` });

/** A ledger written line by line: `at` is 10 × the line number, each line about the deployment named. */
function ledger(...lines: [string, LedgerEventBody][]): LedgerEvent[] {
  return lines.map(([deploymentId, body], i) => ({ ...body, at: (i + 1) * 10, deploymentId }) as LedgerEvent);
}
const created = (label: string, previous?: { slot: 'a' | 'b'; revision: { label: string; dir: string } }) =>
  ({
    type: 'created',
    revision: rev(label),
    plan,
    options,
    ...(previous ? { previous } : {}),
  }) as LedgerEventBody;
const step = (index: number, phase: 'started' | 'completed'): LedgerEventBody => ({
  type: 'step',
  index,
  phase,
  description: `step ${index}`,
});

function only(...lines: [string, LedgerEventBody][]) {
  return reduce(ledger(...lines)).deployments[0]!;
}

describe('a deployment as the ledger tells it', () => {
  it('starts Created at step 0 with nothing done, and remembers what served before it', () => {
    const previous = { slot: 'a' as const, revision: rev('v1') };
    const d = only(['d-1', created('v2', previous)]);
    expect(d).toEqual({
      id: 'd-1',
      status: 'Created',
      revision: rev('v2'),
      plan,
      options,
      previous,
      createdAt: 10,
      updatedAt: 10,
      step: 0,
      completedStep: -1,
      verdicts: 0,
      overrides: [],
      eventCount: 1,
    });
    expect(only(['d-1', created('v1')])).not.toHaveProperty('previous');
  });

  it('is InProgress once its runner starts, and knows the runner that took it over', () => {
    const d = only(['d-1', created('v2')], ['d-1', { type: 'started', pid: 41 }]);
    expect(d).toMatchObject({ status: 'InProgress', runnerPid: 41, updatedAt: 20, eventCount: 2 });
    const resumed = only(
      ['d-1', created('v2')],
      ['d-1', { type: 'started', pid: 41 }],
      ['d-1', { type: 'runner', pid: 57, note: 'resumed' }],
    );
    expect(resumed).toMatchObject({ status: 'InProgress', runnerPid: 57 });
  });

  it('tracks the step in progress, the highest one done and the recorded bake deadline', () => {
    const lines: [string, LedgerEventBody][] = [
      ['d-1', created('v2')],
      ['d-1', step(0, 'started')],
    ];
    expect(only(...lines)).toMatchObject({ step: 0, startedStep: 0, completedStep: -1 });
    lines.push(['d-1', { type: 'bake', index: 0, until: 5000 }]);
    expect(only(...lines).bakeUntil).toBe(5000);
    lines.push(['d-1', step(0, 'completed')]);
    const done = only(...lines);
    expect(done).toMatchObject({ step: 1, completedStep: 0 });
    expect(done.startedStep).toBeUndefined();
    expect(done.bakeUntil).toBeUndefined();
    lines.push(['d-1', step(1, 'started')], ['d-1', { type: 'bake', index: 1, until: 9000 }]);
    lines.push(['d-1', step(1, 'started')]);
    expect(only(...lines).bakeUntil).toBeUndefined();
    // A step completed again after a resume never moves the high-water mark back.
    lines.push(['d-1', step(3, 'completed')], ['d-1', step(2, 'completed')]);
    expect(only(...lines)).toMatchObject({ completedStep: 3, step: 3 });
  });

  it('pauses with a reason and resumes without it; a finished deployment stays finished', () => {
    const paused = only(
      ['d-1', created('v2')],
      ['d-1', { type: 'paused', index: 2, reason: 'waiting for promote' }],
    );
    expect(paused).toMatchObject({ status: 'Paused', pausedReason: 'waiting for promote' });
    const resumed = only(
      ['d-1', created('v2')],
      ['d-1', { type: 'paused', index: 2, reason: 'waiting for promote' }],
      ['d-1', { type: 'resumed', index: 2, by: 'promote' }],
    );
    expect(resumed.status).toBe('InProgress');
    expect(resumed.pausedReason).toBeUndefined();
    const late = only(
      ['d-1', created('v2')],
      ['d-1', { type: 'finished', status: 'Stopped' }],
      ['d-1', { type: 'resumed', index: 2, by: 'timeout' }],
    );
    expect(late.status).toBe('Stopped');
  });

  it('keeps a full promote requested by anyone until the runner promotes', () => {
    const full = { type: 'promote-requested', full: true } as const;
    const step = { type: 'promote-requested', full: false } as const;
    expect(only(['d-1', created('v2')], ['d-1', step]).pendingPromote).toEqual({ full: false });
    expect(only(['d-1', created('v2')], ['d-1', step], ['d-1', full]).pendingPromote).toEqual({ full: true });
    expect(only(['d-1', created('v2')], ['d-1', full], ['d-1', step]).pendingPromote).toEqual({ full: true });
    const promoted = only(
      ['d-1', created('v2')],
      ['d-1', full],
      ['d-1', { type: 'promoted', index: 3, full: true }],
    );
    expect(promoted.pendingPromote).toBeUndefined();
  });

  it('an abort request waits until the rollback starts; a paused deployment rolls back InProgress', () => {
    const lines: [string, LedgerEventBody][] = [
      ['d-1', created('v2')],
      ['d-1', { type: 'paused', index: 2, reason: 'no data' }],
      ['d-1', { type: 'abort-requested', reason: 'aborted by user' }],
    ];
    expect(only(...lines).pendingAbort).toBe('aborted by user');
    lines.push(['d-1', { type: 'rollback-started', reason: 'aborted by user', trigger: 'abort' }]);
    const rolling = only(...lines);
    expect(rolling.pendingAbort).toBeUndefined();
    expect(rolling.status).toBe('InProgress');
    expect(rolling.rollback).toEqual({ reason: 'aborted by user', trigger: 'abort' });
    lines.push(['d-1', { type: 'rollback-finished', ok: true, trafficRestoredMs: 12 }]);
    expect(only(...lines).rollback).toStrictEqual({
      reason: 'aborted by user',
      trigger: 'abort',
      ok: true,
      trafficRestoredMs: 12,
    });
  });

  it('a deployment rolled back before its runner started is InProgress while rolling back, then RolledBack', () => {
    const lines: [string, LedgerEventBody][] = [
      ['d-1', created('v2')],
      ['d-1', { type: 'rollback-started', reason: 'runner lost', trigger: 'manual' }],
    ];
    const rolling = reduce(ledger(...lines));
    expect(rolling.deployments[0]!.status).toBe('InProgress');
    expect(rolling.active?.id).toBe('d-1');
    lines.push(
      ['d-1', { type: 'rollback-finished', ok: true }],
      ['d-1', { type: 'finished', status: 'RolledBack' }],
    );
    expect(only(...lines).status).toBe('RolledBack');
    // A rollback line written after the end (a second process racing the runner) does not reopen it.
    lines.push(['d-1', { type: 'rollback-started', reason: 'again', trigger: 'manual' }]);
    expect(only(...lines).status).toBe('RolledBack');
    expect(reduce(ledger(...lines)).active).toBeUndefined();
  });

  it('a rollback that only shows its end is still reported, with its message', () => {
    const d = only(
      ['d-1', created('v2')],
      ['d-1', { type: 'started', pid: 1 }],
      ['d-1', { type: 'rollback-finished', ok: false, message: 'redeploying v1 failed' }],
    );
    expect(d.status).toBe('InProgress');
    expect(d.rollback).toStrictEqual({
      reason: 'unknown',
      trigger: 'manual',
      ok: false,
      message: 'redeploying v1 failed',
    });
  });

  it('remembers the last hook and the hook that failed, the last verdict and how many there were', () => {
    const hook = (event: string, status: 'started' | 'succeeded' | 'failed'): LedgerEventBody => ({
      type: 'hook',
      instance: 'b-1',
      event,
      status,
      script: `hooks/${event}.sh`,
    });
    const verdict = (result: 'pass' | 'fail'): LedgerEventBody => ({
      type: 'verdict',
      index: 4,
      result,
      reasons: [result],
      measured: { requests: 10 },
      thresholds: { minRequests: 1 },
    });
    const d = only(
      ['d-1', created('v2')],
      ['d-1', hook('ValidateService', 'failed')],
      ['d-1', hook('AfterAllowTraffic', 'succeeded')],
      ['d-1', verdict('pass')],
      ['d-1', verdict('fail')],
    );
    expect(d.lastHook).toEqual({
      instance: 'b-1',
      event: 'AfterAllowTraffic',
      status: 'succeeded',
      script: 'hooks/AfterAllowTraffic.sh',
    });
    expect(d.failedHook).toEqual({
      instance: 'b-1',
      event: 'ValidateService',
      status: 'failed',
      script: 'hooks/ValidateService.sh',
    });
    expect(d.lastVerdict).toEqual({
      result: 'fail',
      reasons: ['fail'],
      measured: { requests: 10 },
      thresholds: { minRequests: 1 },
      at: 50,
    });
    expect(d.verdicts).toBe(2);
  });

  it('keeps the latest reading of each analysis check at each deployment point, apart from the router gate', () => {
    const reading = (
      check: string,
      result: 'pass' | 'fail',
      extra: { provider?: string; point?: string; condition?: string } = {},
    ): LedgerEventBody => ({
      type: 'verdict',
      index: 2,
      result,
      reasons: [`${check} ${result}`],
      measured: { value: result === 'pass' ? 1 : 9 },
      thresholds: {},
      check,
      ...extra,
    });
    const d = only(
      ['d-1', created('v2')],
      ['d-1', reading('errors', 'pass', { provider: 'prometheus', condition: 'value < 5' })],
      ['d-1', reading('smoke', 'pass', { provider: 'http', point: 'before-traffic' })],
      ['d-1', reading('smoke', 'fail', { provider: 'http', point: 'after-switch' })],
      ['d-1', reading('errors', 'fail', { provider: 'prometheus', condition: 'value < 5' })],
    );
    expect(d.checks).toEqual([
      {
        check: 'errors',
        provider: 'prometheus',
        condition: 'value < 5',
        result: 'fail',
        reasons: ['errors fail'],
        measured: { value: 9 },
        thresholds: {},
        at: 50,
      },
      {
        check: 'smoke',
        provider: 'http',
        point: 'before-traffic',
        result: 'pass',
        reasons: ['smoke pass'],
        measured: { value: 1 },
        thresholds: {},
        at: 30,
      },
      {
        check: 'smoke',
        provider: 'http',
        point: 'after-switch',
        result: 'fail',
        reasons: ['smoke fail'],
        measured: { value: 9 },
        thresholds: {},
        at: 40,
      },
    ]);
    // Check readings are not the router gate's: no last verdict, none counted.
    expect(d.lastVerdict).toBeUndefined();
    expect(d.verdicts).toBe(0);
    // A reading without provider, point or condition keeps none of them; two such checks are two rows.
    expect(
      only(['d-1', created('v2')], ['d-1', reading('cmd', 'pass')], ['d-1', reading('disk', 'fail')]).checks,
    ).toStrictEqual([
      { check: 'cmd', result: 'pass', reasons: ['cmd pass'], measured: { value: 1 }, thresholds: {}, at: 20 },
      {
        check: 'disk',
        result: 'fail',
        reasons: ['disk fail'],
        measured: { value: 9 },
        thresholds: {},
        at: 30,
      },
    ]);
  });

  it('lists the overrides used, in order', () => {
    const d = only(
      ['d-1', created('v2')],
      ['d-1', { type: 'override', what: 'skipAnalysis', note: 'gates off' }],
      ['d-1', { type: 'override', what: 'ignoreApplicationStopFailures', note: 'old stop broken' }],
    );
    expect(d.overrides).toEqual(['skipAnalysis', 'ignoreApplicationStopFailures']);
  });

  it('ends with the status, time and reason of its finished line', () => {
    const d = only(
      ['d-1', created('v2')],
      ['d-1', { type: 'finished', status: 'Failed', reason: 'gate breached' }],
    );
    expect(d).toMatchObject({ status: 'Failed', finishedAt: 20, reason: 'gate breached', updatedAt: 20 });
    expect(
      only(['d-1', created('v2')], ['d-1', { type: 'finished', status: 'Succeeded' }]),
    ).not.toHaveProperty('reason');
  });
});

describe('the group as the ledger tells it', () => {
  it('knows the serving fleet, the last routing table and the last good revision', () => {
    const table = { stable: ['b-1'], canary: [], canaryWeight: 0 };
    const state = reduce(
      ledger(
        ['d-1', created('v1')],
        ['d-1', { type: 'finished', status: 'Succeeded' }],
        ['d-2', created('v2')],
        ['d-2', { type: 'traffic', table, revisions: { stable: 'v2' } }],
        ['d-2', { type: 'fleet', slot: 'b', revision: rev('v2'), instances: ['b-1'] }],
        ['d-2', { type: 'finished', status: 'Failed' }],
      ),
    );
    expect(state.lastGood).toEqual(rev('v1'));
    expect(state.fleet).toEqual({ slot: 'b', revision: rev('v2'), instances: ['b-1'] });
    expect(state.traffic).toEqual(table);
    expect(state.deployments[1]).toMatchObject({ traffic: table, trafficRevisions: { stable: 'v2' } });
  });

  it('takes fleet and traffic lines of a deployment it has no record of (written by `down` or a lost line)', () => {
    const table = { stable: ['a-1'], canary: [], canaryWeight: 0 };
    const state = reduce(
      ledger(
        ['d-9', { type: 'traffic', table, revisions: {} }],
        ['d-9', { type: 'fleet', slot: 'a', revision: rev('v1'), instances: ['a-1'] }],
      ),
    );
    expect(state.deployments).toEqual([]);
    expect(state.traffic).toEqual(table);
    expect(state.fleet?.instances).toEqual(['a-1']);
  });

  it('after `down` nothing serves and the group is stopped, until `up` or a new fleet', () => {
    const table = { stable: ['b-1'], canary: [], canaryWeight: 0 };
    const lines: [string, LedgerEventBody][] = [
      ['d-1', created('v1')],
      ['d-1', { type: 'traffic', table, revisions: { stable: 'v1' } }],
      ['d-1', { type: 'fleet', slot: 'b', revision: rev('v1'), instances: ['b-1'] }],
      ['d-1', { type: 'finished', status: 'Succeeded' }],
      ['d-1', { type: 'down', stopped: ['b-1'] }],
    ];
    const down = reduce(ledger(...lines));
    const nothing = { stable: [], canary: [], canaryWeight: 0 };
    expect(down.stopped).toBe(true);
    expect(down.traffic).toEqual(nothing);
    expect(down.deployments[0]).toMatchObject({ traffic: nothing, trafficRevisions: {} });
    // The fleet is still recorded (what `up` starts again); it just does not run.
    expect(down.fleet?.instances).toEqual(['b-1']);
    const up = reduce(
      ledger(...lines, ['d-1', { type: 'up', revision: rev('v1'), instances: ['b-1'], started: ['b-1'] }]),
    );
    expect(up.stopped).toBeUndefined();
    const redeployed = reduce(
      ledger(
        ...lines,
        ['d-2', created('v2')],
        ['d-2', { type: 'fleet', slot: 'a', revision: rev('v2'), instances: ['a-1'] }],
      ),
    );
    expect(redeployed.stopped).toBeUndefined();
    // Another deployment's lines do not start a stopped group.
    expect(reduce(ledger(...lines, ['d-2', created('v2')])).stopped).toBe(true);
  });

  it('a compacted ledger starts from what the folded deployments left: fleet, traffic, last good, stopped', () => {
    const table = { stable: ['a-1'], canary: [], canaryWeight: 0 };
    const fleet = { slot: 'a' as const, revision: rev('v7'), instances: ['a-1'] };
    const folded: LedgerEventBody = {
      type: 'compacted',
      deployments: 40,
      fleet,
      traffic: table,
      lastGood: rev('v7'),
      stopped: true,
    } as LedgerEventBody;
    const state = reduce(ledger(['', folded], ['d-41', created('v8')]));
    expect(state).toMatchObject({ fleet, traffic: table, lastGood: rev('v7'), stopped: true });
    expect(state.compacted).toEqual({ deployments: 40, lastGood: rev('v7') });
    expect(state.deployments.map((d) => d.id)).toEqual(['d-41']);
    const bare = reduce(ledger(['', { type: 'compacted', deployments: 3 } as LedgerEventBody]));
    expect(bare.compacted).toStrictEqual({ deployments: 3 });
    expect(bare.fleet).toBeUndefined();
    expect(bare.traffic).toBeUndefined();
    expect(bare.lastGood).toBeUndefined();
    expect(bare.stopped).toBeUndefined();
    expect(bare.deployments).toEqual([]);
  });

  it('a rollback after `down` goes back to the newest revision that succeeded before the failed deployment', () => {
    const done = (status: 'Succeeded' | 'Failed' | 'RolledBack'): LedgerEventBody => ({
      type: 'finished',
      status,
    });
    const state = reduce(
      ledger(
        ['d-1', created('v1')],
        ['d-1', done('Succeeded')],
        ['d-2', created('v2')],
        ['d-2', done('Succeeded')],
        ['d-3', created('v3')],
        ['d-3', done('RolledBack')],
        ['d-4', created('v4')],
        ['d-4', done('Failed')],
        ['d-5', created('v5')],
        ['d-5', done('Succeeded')],
      ),
    );
    // Not v1 (the oldest good one), not v5 (it came after), not v3 (it rolled back).
    expect(lastGoodBefore(state, 'd-4')).toEqual(rev('v2'));
    expect(lastGoodBefore(state, 'd-2')).toEqual(rev('v1'));
    expect(lastGoodBefore(state, 'd-1')).toBeUndefined();
    // The deployments folded by compaction count: their last good revision is where the search starts.
    const folded = { type: 'compacted', deployments: 40, lastGood: rev('v7') } as LedgerEventBody;
    const compacted = reduce(
      ledger(['', folded], ['d-41', created('v8')], ['d-41', done('Failed')], ['d-42', created('v9')]),
    );
    expect(lastGoodBefore(compacted, 'd-41')).toEqual(rev('v7'));
    expect(lastGoodBefore(compacted, 'd-42')).toEqual(rev('v7'));
  });

  it('the active deployment is the unfinished one; `status` means it, else the latest', () => {
    const lines: [string, LedgerEventBody][] = [
      ['d-1', created('v1')],
      ['d-1', { type: 'finished', status: 'Succeeded' }],
      ['d-2', created('v2')],
    ];
    const running = reduce(ledger(...lines));
    expect(running.active?.id).toBe('d-2');
    expect(findDeployment(running)?.id).toBe('d-2');
    expect(findDeployment(running, 'd-1')?.id).toBe('d-1');
    expect(findDeployment(running, 'd-7')).toBeUndefined();
    lines.push(['d-2', { type: 'finished', status: 'RolledBack' }], ['d-3', created('v3')]);
    lines.push(['d-3', { type: 'finished', status: 'Stopped' }]);
    const idle = reduce(ledger(...lines));
    expect(idle.active).toBeUndefined();
    expect(findDeployment(idle)?.id).toBe('d-3');
    expect(findDeployment(reduce([]))).toBeUndefined();
  });

  it.each([
    ['Created', false],
    ['InProgress', false],
    ['Paused', false],
    ['Succeeded', true],
    ['Failed', true],
    ['RolledBack', true],
    ['Stopped', true],
  ] as const)('%s is finished: %s', (status, finished) => {
    expect(isTerminal(status)).toBe(finished);
  });
});
