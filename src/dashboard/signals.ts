/**
 * Golden signals per set over time, sampled from the group's router once a second. Memory is bounded however long
 * the dashboard runs: the last `recent` samples are kept as they are, older ones are merged `factor` at a time
 * into a second ring (so ten minutes at 1 s plus two hours at 10 s by default).
 */
import type { MetricsSnapshot, SetMetrics } from '../router/api.js';
import type { SetSignals, SignalSample } from './protocol.js';

export class Ring<T> {
  private items: (T | undefined)[];
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.items = new Array(capacity);
  }

  /** Adds an item; returns the one pushed out when full. */
  push(item: T): T | undefined {
    if (this.count < this.capacity) {
      this.items[(this.start + this.count) % this.capacity] = item;
      this.count += 1;
      return undefined;
    }
    const out = this.items[this.start];
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
    return out;
  }

  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.items[(this.start + i) % this.capacity]!);
    return out;
  }

  get size(): number {
    return this.count;
  }
}

export function setSignals(m: SetMetrics): SetSignals {
  return {
    rps: round(m.requestsPerSecond),
    errorRate: round(m.errorRate, 4),
    p50: round(m.latencyMs.p50),
    p99: round(m.latencyMs.p99),
    requests: m.requests,
  };
}

export function sampleOf(at: number, m: MetricsSnapshot): SignalSample {
  return { at, stable: setSignals(m.stable), canary: setSignals(m.canary) };
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Number.isFinite(n) ? Math.round(n * f) / f : 0;
}

/** Merges consecutive samples: request-weighted rates, the worst p99, the time of the last one. */
export function mergeSamples(samples: SignalSample[]): SignalSample {
  const merge = (pick: (s: SignalSample) => SetSignals): SetSignals => {
    const sets = samples.map(pick);
    const requests = sets.reduce((n, s) => n + s.requests, 0);
    const weighted = (f: (s: SetSignals) => number) =>
      requests ? sets.reduce((n, s) => n + f(s) * s.requests, 0) / requests : 0;
    return {
      rps: round(sets.reduce((n, s) => n + s.rps, 0) / sets.length),
      errorRate: round(
        weighted((s) => s.errorRate),
        4,
      ),
      p50: round(weighted((s) => s.p50)),
      p99: Math.max(0, ...sets.map((s) => s.p99)),
      requests,
    };
  };
  return {
    at: samples[samples.length - 1]!.at,
    stable: merge((s) => s.stable),
    canary: merge((s) => s.canary),
  };
}

export class SignalHistory {
  private readonly recent: Ring<SignalSample>;
  private readonly older: Ring<SignalSample>;
  private pending: SignalSample[] = [];

  constructor(
    readonly options: { recent: number; older: number; factor: number } = {
      recent: 600,
      older: 720,
      factor: 10,
    },
  ) {
    this.recent = new Ring(options.recent);
    this.older = new Ring(options.older);
  }

  add(sample: SignalSample): void {
    const out = this.recent.push(sample);
    if (!out) return;
    this.pending.push(out);
    if (this.pending.length >= this.options.factor) {
      this.older.push(mergeSamples(this.pending));
      this.pending = [];
    }
  }

  /** Oldest first: the merged history, then the recent samples. */
  series(): SignalSample[] {
    return [...this.older.toArray(), ...this.pending, ...this.recent.toArray()];
  }

  get size(): number {
    return this.older.size + this.recent.size;
  }
}
