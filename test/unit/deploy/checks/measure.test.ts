/**
 * `measureCheck` bounds any provider in fake time: a hanging measurement fails at the check's timeout, an
 * interrupted deployment (its outer signal) stops the measurement at once, and a measurement that answered
 * leaves no timer behind to hold the process open.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../src/core/clock.js';
import { type CheckContext, type CheckProvider, measureCheck } from '../../../../src/deploy/checks/check.js';
import type { CheckSpec } from '../../../../src/documents/deployment-group/checks-schema.js';

const ctx: CheckContext = {
  canaryRevision: 'v2',
  stableRevision: 'v1',
  canarySet: 'canary',
  stableSet: 'stable',
  deploymentId: 'd-1',
};
const spec: CheckSpec = { name: 'smoke', provider: 'command', command: './smoke.sh' };

/** A provider that answers only when its measurement is aborted, with the abort's reason. */
const hangsUntilAborted: CheckProvider = {
  measure: (_s, _c, signal) =>
    new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
};

describe('measureCheck', () => {
  it('a measurement that hangs fails at the default timeout of 10 s', async () => {
    const clock = new FakeClock(0);
    let reading: unknown;
    void measureCheck(hangsUntilAborted, spec, ctx, undefined, clock).then((r) => (reading = r));
    await clock.advance(9_999);
    expect(reading).toBeUndefined();
    await clock.advance(1);
    expect(reading).toEqual({ error: 'timed out after 10s' });
  });

  it('an interrupted deployment stops a hanging measurement at once, with its reason', async () => {
    const clock = new FakeClock(0);
    const outer = new AbortController();
    let reading: unknown;
    void measureCheck(hangsUntilAborted, spec, ctx, outer.signal, clock).then((r) => (reading = r));
    await clock.advance(1_000);
    outer.abort(new Error('deployment interrupted (SIGTERM)'));
    await clock.advance(0);
    expect(reading).toEqual({ error: 'deployment interrupted (SIGTERM)' });
  });

  it('a measurement that answered leaves no timer waiting for its timeout', async () => {
    const clock = new FakeClock(0);
    const quick: CheckProvider = {
      measure: async () => ({ vars: { exitCode: 0 }, measured: { exitCode: 0 } }),
    };
    const reading = await measureCheck(quick, spec, ctx, new AbortController().signal, clock);
    expect(reading).toMatchObject({ measured: { exitCode: 0 } });
    // A pending timer would keep a `conveyor deploy` process alive until the check's timeout.
    expect(clock.pending).toBe(0);
  });

  it('masks the reading with the credentials of the environment given, else of this process', async () => {
    const clock = new FakeClock(0);
    const masked: string[] = [];
    const leaky: CheckProvider = {
      measure: async (_s, _c, _signal, masker) => {
        // The provider gets the same masker, to mask before it cuts what it keeps.
        masked.push(masker.mask('tok-given-123 tok-process-456'));
        return { error: 'rejected tok-given-123 and tok-process-456', output: 'tok-given-123' };
      },
    };
    const given = await measureCheck(leaky, spec, ctx, undefined, clock, { DEPLOY_TOKEN: 'tok-given-123' });
    expect(given).toEqual({ error: 'rejected *** and tok-process-456', output: '***' });
    process.env.CONVEYOR_MEASURE_TEST_TOKEN = 'tok-process-456';
    try {
      const own = await measureCheck(leaky, spec, ctx, undefined, clock);
      expect(own).toEqual({ error: 'rejected tok-given-123 and ***', output: 'tok-given-123' });
    } finally {
      delete process.env.CONVEYOR_MEASURE_TEST_TOKEN;
    }
    expect(masked).toEqual(['*** tok-process-456', 'tok-given-123 ***']);
  });

  it('a timed-out or thrown measurement is masked too', async () => {
    const clock = new FakeClock(0);
    const throws: CheckProvider = {
      measure: async () => {
        throw new Error('GET https://u:pw-somewhere@host/ with tok-given-123');
      },
    };
    const env = { DEPLOY_TOKEN: 'tok-given-123' };
    expect(await measureCheck(throws, spec, ctx, undefined, clock, env)).toEqual({
      error: 'GET https://u:***@host/ with ***',
    });
  });
});
