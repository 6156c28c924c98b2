/**
 * Model-based test of operator sequences (#12): seeded sequences of deploy/promote/abort/rollback/down/up and
 * kill -9 of the runner, router or one instance, against a real fleet and router under steady load, with the
 * invariants checked after every command (test/model/). `npm run soak` runs many more; `SEED=N` replays one.
 */
import { describe, expect, it } from 'vitest';
import type { CommandKind, StrategyName } from '../model/commands.js';
import { describeFailure, runSequence, upAvailable } from '../model/runner.js';

/** Fixed seeds so `npm test` is repeatable; each sequence is a first deploy plus LENGTH commands. */
const SEEDS = [7, 21];
const LENGTH = 5;

/**
 * The subset `npm test` runs. Left out while their #12 bugs are open on main (the soak runs everything):
 * - rollback with nothing in progress redeploys all at once and takes capacity to zero (#12.2);
 * - down then deploy leaves the traffic on a stopped set (#12.1);
 * - a killed router stays down (#12.5);
 * - in-place strategies make status name the old revision (#12.3).
 */
const COMMANDS: CommandKind[] = [
  'deploy',
  'promote',
  'abort',
  'resume',
  'kill-runner',
  'kill-instance',
  'up',
];
const STRATEGIES: StrategyName[] = [
  'canary',
  'canary-manual',
  'linear',
  'blue-green',
  'blue-green-wait',
  'immutable',
];

describe('operator sequences under steady load keep traffic up and status true', () => {
  const up = upAvailable();
  const seeds = process.env.SEED ? [Number(process.env.SEED)] : SEEDS;
  it.each(seeds)('seed %i', { timeout: 150_000 }, async (seed) => {
    const r = await runSequence({
      seed,
      length: LENGTH,
      upAvailable: up,
      allow: COMMANDS,
      strategies: STRATEGIES,
    });
    expect(r.commands.length).toBe(LENGTH + 1);
    expect(r.requests).toBeGreaterThan(100);
    expect(r.violations, describeFailure(r)).toEqual([]);
  });
});
