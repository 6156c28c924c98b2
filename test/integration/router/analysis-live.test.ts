import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import type { AnalysisConfig } from '../../../src/deploy/analysis.js';
import { runAnalysis } from '../../../src/deploy/health.js';
import {
  pacedByRequests,
  startLoad,
  startRouter,
  startUpstream,
  stopAllRouters,
  type TestUpstream,
  table,
  until,
} from './helpers.js';

const upstreams: TestUpstream[] = [];
afterEach(async () => {
  await stopAllRouters();
  while (upstreams.length > 0) await upstreams.pop()!.close();
});

const config: AnalysisConfig = {
  intervalSeconds: 0.5,
  maxErrorRate: 0.05,
  maxP99LatencyMs: 500,
  minRequests: 20,
  failureLimit: 1,
};

describe('analysis over live router metrics', () => {
  // Intervals stretch (pacedByRequests) until the canary has had minRequests, so a loaded machine cannot
  // turn these into 'inconclusive'; "within two intervals" is counted in intervals, not milliseconds.
  it('detects a canary failing 30% of its requests within two intervals, and the rollback stops the failures', async () => {
    const stable = await startUpstream('stable', { delayMs: 2 });
    const canary = await startUpstream('canary', { delayMs: 2, failShare: 0.3 });
    upstreams.push(stable, canary);
    const router = await startRouter();
    await router.client.setRouting(table([stable.upstream()], [canary.upstream()], 50));
    const load = startLoad(router.url(), 6, 30_000);
    const paced = pacedByRequests(router.client, () => canary.requests, config.minRequests!);
    const run = await runAnalysis({ ...paced, config, maxIntervals: 4 });
    // What the runner does on 'fail': all traffic back to stable.
    await router.client.setRouting(table([stable.upstream()], [canary.upstream()], 0));
    // Requests already on the canary when the weight changed may still fail; let them land.
    await load.settle();
    const failedAtRollback = load.result.failed;
    const landedAtRollback = load.result.ok + load.result.failed;
    await until(
      () => load.result.ok + load.result.failed >= landedAtRollback + 150,
      15_000,
      'requests after the rollback',
    );
    const result = await load.stop();

    expect(run.last?.result).toBe('fail');
    expect(run.verdicts.length).toBeLessThanOrEqual(2);
    expect(run.last?.reasons[0]).toMatch(/^error rate \d+\.\d% \(\d+\/\d+\) > max 5\.0%$/);
    expect(run.last?.measured.errorRate).toBeGreaterThan(0.2);
    // After the rollback no request fails any more.
    expect(result.failed).toBe(failedAtRollback);
    // The share of user requests that failed over the whole run, as the deploy engine reports it.
    const failedShare = result.failed / result.sent;
    expect(failedShare).toBeGreaterThan(0);
    expect(failedShare).toBeLessThan(0.16);
  });

  it('a healthy canary passes every interval', async () => {
    const stable = await startUpstream('stable');
    const canary = await startUpstream('canary');
    upstreams.push(stable, canary);
    const router = await startRouter();
    await router.client.setRouting(table([stable.upstream()], [canary.upstream()], 50));
    const load = startLoad(router.url(), 4, 30_000);
    // Latency bound loose enough for a busy 2-core machine; errors are what this test is about.
    const healthyConfig = { ...config, minRequests: 10, maxP99LatencyMs: 3000 };
    const paced = pacedByRequests(router.client, () => canary.requests, healthyConfig.minRequests);
    const run = await runAnalysis({ ...paced, config: healthyConfig, maxIntervals: 2 });
    await load.stop();
    expect(
      run.verdicts.map((v) => v.result),
      run.verdicts.map((v) => v.reasons.join('; ')).join(' | '),
    ).toEqual(['pass', 'pass']);
    expect(run.verdicts[0]!.measured.requests).toBeGreaterThanOrEqual(10);
    expect(run.verdicts[0]!.measured.errors).toBe(0);
  });

  it('a canary with no traffic is inconclusive and pauses, and a dead router is never a pass', async () => {
    const stable = await startUpstream('stable');
    const canary = await startUpstream('canary');
    upstreams.push(stable, canary);
    const router = await startRouter();
    await router.client.setRouting(table([stable.upstream()], [canary.upstream()], 0));
    const quiet = await runAnalysis({ source: router.client, config, clock: systemClock, maxIntervals: 2 });
    expect(quiet.verdicts.map((v) => [v.result, v.action])).toEqual([['inconclusive', 'pause']]);

    await router.stop();
    const dead = await runAnalysis({
      source: router.client,
      config: { ...config, intervalSeconds: 0.05, measurementErrorLimit: 2 },
      clock: systemClock,
      maxIntervals: 3,
    });
    expect(dead.verdicts.map((v) => v.result)).toEqual(['inconclusive', 'fail']);
    expect(dead.verdicts[0]!.reasons[0]).toContain('metrics could not be read');
  });
});
