/**
 * A deployment whose runner is gone is rolled back by the command itself (`abort`, `rollback`, the dashboard):
 * the trigger it records and hands the rollback hooks says what the person asked for, as the runner would have.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { requestAbort, rollbackOrphan } from '../../../src/deploy/engine.js';
import { type GroupContext, openGroup, readGroupState } from '../../../src/deploy/group.js';
import { createDeployment, Runner } from '../../../src/deploy/runner.js';
import { type DeploymentState, findDeployment, reduce } from '../../../src/deploy/state.js';
import { planDeployment } from '../../../src/deploy/strategies/plan.js';
import { Strategies, type Strategy } from '../../../src/deploy/strategies/strategy.js';
import { FakeProvider } from './fake-provider.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A local group whose v2 canary waits for promote at 25%, and whose runner was then lost. */
async function pausedWithoutRunner() {
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-orphan-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'group.yml'), 'application: hello\ndeploymentGroup: dev\nprovider: local\n');
  const ctx = openGroup('group.yml', { cwd: dir });
  const clock = new FakeClock(1_000_000);
  const provider = new FakeProvider(clock);
  const drive = async <T>(p: Promise<T>, settledWhen: () => boolean = () => false): Promise<void> => {
    let settled = false;
    void p.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (let t = 0; t < 60_000 && !settled && !settledWhen(); t += 100) await clock.advance(100);
  };
  const run = (label: string, strategy: Strategy, signal = new AbortController().signal) => {
    const state = reduce(ctx.ledger.read().events);
    const current = state.fleet
      ? { slot: state.fleet.slot, revision: state.fleet.revision.label }
      : undefined;
    const id = createDeployment(ctx.ledger, clock, {
      revision: { label, dir: `/revisions/${label}` },
      plan: planDeployment(1, current, strategy),
      options: { creator: 'user', ignoreApplicationStopFailures: false, skipAnalysis: false },
      ...(state.fleet ? { previous: { slot: state.fleet.slot, revision: state.fleet.revision } } : {}),
    });
    const runner = new Runner(
      { ledger: ctx.ledger, provider, clock, group: ctx.loaded.group, configDir: dir, signal },
      id,
    );
    return { id, done: runner.run() };
  };
  await drive(run('v1', Strategies.allAtOnce()).done);
  const lost = new AbortController();
  const v2 = run(
    'v2',
    Strategies.steps([{ kind: 'setWeight', percent: 25 }, { kind: 'pause' }]),
    lost.signal,
  );
  const paused = () => deployment(ctx, v2.id).status === 'Paused';
  await drive(v2.done, paused);
  expect(paused()).toBe(true);
  lost.abort(new Error('killed'));
  await drive(v2.done);
  return { ctx, clock, provider, id: v2.id };
}

function deployment(ctx: GroupContext, id: string): DeploymentState {
  return findDeployment(readGroupState(ctx).state, id)!;
}

describe('rolling back a paused deployment whose runner is gone', () => {
  it('`abort` rolls it back as an abort, like its runner would have', async () => {
    const { ctx, clock, provider, id } = await pausedWithoutRunner();
    expect(provider.servingRevisions()).toEqual({ stable: ['v1'], canary: ['v2'], weight: 25 });
    const { deployment: d, runner } = requestAbort(ctx, id, clock);
    expect(runner.alive).toBe(false);
    const final = await rollbackOrphan(ctx, d, 'aborted by user', {
      clock,
      signal: new AbortController().signal,
      provider,
    });
    expect(final.status).toBe('RolledBack');
    // Before the fix: 'manual', where a live runner records 'abort' for the same command.
    expect(final.rollback).toMatchObject({ trigger: 'abort', reason: 'aborted by user', ok: true });
    expect(provider.servingRevisions()).toEqual({ stable: ['v1'], canary: [], weight: 0 });
  });

  it('`rollback` (no abort requested) rolls it back as manual', async () => {
    const { ctx, clock, provider, id } = await pausedWithoutRunner();
    const final = await rollbackOrphan(ctx, deployment(ctx, id), 'rollback requested by user', {
      clock,
      signal: new AbortController().signal,
      provider,
    });
    expect(final.rollback).toMatchObject({ trigger: 'manual', ok: true });
  });
});
