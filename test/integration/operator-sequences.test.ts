/**
 * Model-based test of operator sequences (#12): seeded sequences of deploy/promote/abort/rollback/down/up and
 * kill -9 of the runner, router or one instance, against a real fleet and router under steady load, with the
 * invariants checked after every command (test/model/). `npm run soak` runs many more; `SEED=N` replays one.
 */
import { describe, expect, it } from 'vitest';
import { describeFailure, runSequence, upAvailable } from '../model/runner.js';
import { NPM_TEST_SUBSET } from '../model/subset.js';

/** Fixed seeds so `npm test` is repeatable; each sequence is a first deploy plus LENGTH commands. */
const SEEDS = [12, 20, 21];
const LENGTH = 6;
// Which commands and strategies: see NPM_TEST_SUBSET (the soak runs all of them).

describe('operator sequences under steady load keep traffic up and status true', () => {
  const up = upAvailable();
  // Interrupted (Ctrl-C, or vitest stopping the worker): stop after the current command and clean up.
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
  const seeds = process.env.SEED ? [Number(process.env.SEED)] : SEEDS;
  it.each(seeds)('seed %i', { timeout: 150_000 }, async (seed) => {
    const r = await runSequence({
      seed,
      length: LENGTH,
      upAvailable: up,
      signal: stop.signal,
      ...NPM_TEST_SUBSET,
    });
    expect(r.commands.length).toBe(LENGTH + 1);
    expect(r.requests).toBeGreaterThan(100);
    expect(
      r.violations,
      describeFailure(r, 'npx vitest run test/integration/operator-sequences.test.ts'),
    ).toEqual([]);
  });
});
