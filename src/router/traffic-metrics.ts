/**
 * The router's live traffic metrics: one `SetMetricsRing` per set plus one for requests refused before
 * placement, what each kind of exchange records into them and when, and the per-set and total
 * snapshots the admin API serves.
 */
import { performance } from 'node:perf_hooks';
import type { MetricsSnapshot } from './api.js';
import { emptyAccumulator, SetMetricsRing, summarize } from './metrics.js';
import type { PrometheusCounters, Series } from './prometheus.js';
import { SET_CANARY, SET_NONE, SET_STABLE } from './set-selection.js';

export class TrafficMetrics {
  /** Indexed by SET_STABLE, SET_CANARY, SET_NONE. */
  private readonly rings: [SetMetricsRing, SetMetricsRing, SetMetricsRing];

  /** Cumulative counters for the Prometheus listener; undefined (and free) when it is off. */
  prometheus: PrometheusCounters | undefined;

  constructor(private readonly now: () => number) {
    const t = now();
    this.rings = [new SetMetricsRing(t), new SetMetricsRing(t), new SetMetricsRing(t)];
  }

  /** A request or upgrade handshake is now in flight in `setIndex` (SET_NONE for a request refused with 503). */
  started(setIndex: number): void {
    this.rings[setIndex as 0 | 1 | 2].inFlight++;
  }

  /**
   * A request's response is over; `served` is the Prometheus series of the instance that answered, if any.
   * A client that hangs up early is not the revision's fault: only 5xx and upstream failures count.
   */
  requestEnded(setIndex: number, startedAt: number, isError: boolean, served?: Series | null): void {
    const ring = this.rings[setIndex as 0 | 1 | 2];
    ring.inFlight--;
    const latency = performance.now() - startedAt;
    ring.record(this.now(), latency, isError);
    this.prometheus?.record(setIndex, latency, isError, served);
  }

  /**
   * An upgrade refused before placement (answered on the raw socket); it was never counted in flight.
   * `isError`: a 503 (nothing routable) is; a 400 for a request the router will not pass on is the client's.
   */
  upgradeRefused(startedAt: number, isError: boolean): void {
    const ring = this.rings[SET_NONE];
    const latency = performance.now() - startedAt;
    ring.record(this.now(), latency, isError);
    this.prometheus?.record(SET_NONE, latency, isError);
    if (isError) ring.recordUpgrade(this.now(), false);
  }

  /**
   * An upgrade handshake is over. Its latency ends at the 101 (or the relayed answer), never at the
   * tunnel's close. A client that leaves early counts as a request, not as an error (as for requests).
   */
  upgradeSettled(
    setIndex: number,
    startedAt: number,
    opened: boolean,
    isError: boolean,
    served?: Series | null,
  ): void {
    const ring = this.rings[setIndex as 0 | 1];
    ring.inFlight--;
    const now = this.now();
    const latency = performance.now() - startedAt;
    ring.record(now, latency, isError);
    this.prometheus?.record(setIndex, latency, isError, served);
    if (opened) {
      ring.recordUpgrade(now, true);
      ring.openUpgrades++;
    } else if (isError) ring.recordUpgrade(now, false);
  }

  tunnelClosed(setIndex: number): void {
    this.rings[setIndex as 0 | 1].openUpgrades--;
  }

  /** In flight per set, for the Prometheus exposition. */
  inFlightBySet(): { set: string; value: number }[] {
    const r = this.rings;
    return [
      { set: 'stable', value: r[0].inFlight },
      { set: 'canary', value: r[1].inFlight },
      { set: 'none', value: r[2].inFlight },
    ];
  }

  /** Requests and upgrade handshakes in flight, all sets together. */
  inFlight(): number {
    const r = this.rings;
    return r[0].inFlight + r[1].inFlight + r[2].inFlight;
  }

  snapshot(windowMs: number): MetricsSnapshot {
    const now = this.now();
    const total = emptyAccumulator();
    const one = (i: 0 | 1) => {
      const acc = emptyAccumulator();
      const covered = this.rings[i].accumulate(now, windowMs, acc);
      for (let k = 0; k < acc.length; k++) total[k] = total[k]! + acc[k]!;
      return summarize(acc, covered, this.rings[i].inFlight, this.rings[i].openUpgrades);
    };
    const stable = one(SET_STABLE);
    const canary = one(SET_CANARY);
    const covered = this.rings[SET_NONE].accumulate(now, windowMs, total);
    const openUpgrades = this.rings[0].openUpgrades + this.rings[1].openUpgrades;
    return { stable, canary, total: summarize(total, covered, this.inFlight(), openUpgrades) };
  }

  reset(): void {
    const now = this.now();
    for (const ring of this.rings) ring.reset(now);
  }
}
