import { describe, expect, it } from 'vitest';
import {
  bucketOf,
  bucketValue,
  emptyAccumulator,
  SetMetricsRing,
  summarize,
} from '../../../src/router/metrics.js';
import { checkRoutingTable } from '../../../src/router/table.js';

function figures(ring: SetMetricsRing, now: number, windowMs: number) {
  const acc = emptyAccumulator();
  const covered = ring.accumulate(now, windowMs, acc);
  return summarize(acc, covered, ring.inFlight);
}

describe('latency buckets', () => {
  it('keep a value within 6% of what was recorded', () => {
    for (const ms of [0.2, 0.9, 3, 17, 250, 4000]) {
      const v = bucketValue(bucketOf(ms));
      expect(Math.abs(v - ms) / ms).toBeLessThan(0.06);
    }
  });
});

describe('SetMetricsRing', () => {
  const t0 = 1_000_000_000_000;

  it('computes rate, error rate and percentiles over the window', () => {
    const ring = new SetMetricsRing(t0 - 60_000);
    for (let i = 0; i < 99; i++) ring.record(t0 + i, 2, false);
    ring.record(t0 + 100, 200, true);
    const m = figures(ring, t0 + 999, 1000);
    expect(m.requests).toBe(100);
    expect(m.errors).toBe(1);
    expect(m.errorRate).toBeCloseTo(0.01);
    expect(m.latencyMs.p50).toBeCloseTo(2, 0);
    expect(m.latencyMs.p99).toBeCloseTo(2, 0);
    // The window reaches back into a partly covered slot: the data span is reported, and rate follows it.
    expect(m.windowMs).toBeGreaterThanOrEqual(1000);
    expect(m.windowMs).toBeLessThanOrEqual(1250);
    expect(m.requestsPerSecond).toBeCloseTo(100 / (m.windowMs / 1000), 5);
  });

  it('the slowest 1% shows at p99 once it is more than 1%', () => {
    const ring = new SetMetricsRing(t0 - 60_000);
    for (let i = 0; i < 97; i++) ring.record(t0, 2, false);
    for (let i = 0; i < 3; i++) ring.record(t0, 300, false);
    const m = figures(ring, t0 + 500, 1000);
    expect(m.latencyMs.p99).toBeGreaterThan(280);
    expect(m.latencyMs.p90).toBeLessThan(3);
  });

  it('a sub-second window right after a second boundary still sees the last half second', () => {
    const ring = new SetMetricsRing(t0 - 60_000);
    for (let i = 0; i < 10; i++) ring.record(t0 - 400 + i * 40, 1, false);
    expect(figures(ring, t0 + 40, 500).requests).toBe(10);
  });

  it('forgets seconds that fall out of the window', () => {
    const ring = new SetMetricsRing(t0 - 60_000);
    ring.record(t0, 1, true);
    ring.record(t0 + 5000, 1, false);
    expect(figures(ring, t0 + 5500, 2000).requests).toBe(1);
    expect(figures(ring, t0 + 5500, 10_000).requests).toBe(2);
  });

  it('reuses a slot after the ring wraps around without counting old data', () => {
    const ring = new SetMetricsRing(t0 - 60_000);
    ring.record(t0, 1, true);
    ring.record(t0 + 600_000, 1, false);
    const m = figures(ring, t0 + 600_100, 1000);
    expect(m.requests).toBe(1);
    expect(m.errors).toBe(0);
  });

  it('reset empties the windows and shortens the covered time', () => {
    const ring = new SetMetricsRing(t0 - 60_000);
    for (let i = 0; i < 10; i++) ring.record(t0 + i * 100, 1, false);
    ring.reset(t0 + 1500);
    ring.record(t0 + 1600, 1, false);
    const m = figures(ring, t0 + 2000, 10_000);
    expect(m.requests).toBe(1);
    expect(m.windowMs).toBe(500);
    expect(m.requestsPerSecond).toBe(2);
  });

  it('counts upgrades opened and failed in the window, apart from requests and latency', () => {
    const ring = new SetMetricsRing(t0 - 60_000);
    ring.record(t0 - 20_000, 3, false);
    ring.recordUpgrade(t0 - 20_000, true);
    for (let i = 0; i < 3; i++) {
      ring.record(t0 + i, 2, false);
      ring.recordUpgrade(t0 + i, true);
    }
    ring.record(t0 + 5, 1, true);
    ring.recordUpgrade(t0 + 5, false);
    ring.openUpgrades = 2;
    const acc = emptyAccumulator();
    const m = summarize(acc, ring.accumulate(t0 + 10, 10_000, acc), ring.inFlight, ring.openUpgrades);
    expect(m.upgrades).toEqual({ opened: 3, failed: 1, open: 2 });
    expect(m.requests).toBe(4);
    expect(m.errors).toBe(1);
    // recordUpgrade adds nothing to the histogram: every recorded latency is at most 2 ms.
    expect(m.latencyMs.p99).toBeLessThan(2.2);
    const wide = figures(ring, t0 + 10, 60_000);
    expect(wide.upgrades).toEqual({ opened: 4, failed: 1, open: 0 });
  });

  it('reports zeros, not NaN, for an empty window', () => {
    const m = figures(new SetMetricsRing(t0), t0 + 1000, 1000);
    expect(m).toMatchObject({ requests: 0, errors: 0, errorRate: 0, latencyMs: { p50: 0, p90: 0, p99: 0 } });
  });
});

describe('checkRoutingTable', () => {
  it('accepts a table and fills the default host', () => {
    const r = checkRoutingTable({ stable: [{ id: 'i-1', port: 8001 }], canary: [], canaryWeight: 0 });
    expect(r).toEqual({
      ok: true,
      table: { stable: [{ id: 'i-1', host: '127.0.0.1', port: 8001 }], canary: [], canaryWeight: 0 },
    });
  });

  it('names every problem', () => {
    const r = checkRoutingTable({
      stable: [
        { id: 'a', port: 0 },
        { id: 'b', port: 8002 },
      ],
      canary: [{ id: 'b', port: 8003 }],
      canaryWeight: 140,
      drainTimeoutMs: -1,
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      'stable[0].port must be an integer from 1 to 65535, got 0',
      'canaryWeight must be a number from 0 to 100, got 140',
      "upstream id 'b' appears in stable and canary; ids must be unique",
      'drainTimeoutMs must be a number >= 0, got -1',
    ]);
  });

  it('rejects a health check path without a leading slash', () => {
    const r = checkRoutingTable({ stable: [], canary: [], canaryWeight: 0, healthCheck: { path: 'health' } });
    expect(r.ok).toBe(false);
  });
});
