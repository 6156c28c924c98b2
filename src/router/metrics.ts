/**
 * Golden-signal metrics for one target set, cheap enough for the proxy hot path:
 * a ring of quarter-second slots, each a fixed-bucket latency histogram plus request and error counts.
 * Recording is a few array writes; no allocation per request. Windows are summed at query time.
 */
import type { SetMetrics } from './api.js';

/** Smallest latency bucket edge, in ms. */
const MIN_MS = 0.05;
/** Each bucket is 10% wider than the previous one: percentiles are within about 5%. */
const GROWTH = 1.1;
const LOG_GROWTH = Math.log(GROWTH);
/** 0.05 ms .. ~60 s. */
export const BUCKETS = 150;
/** Slot layout: [requests, errors, upgrades opened, upgrades failed, bucket 0 .. bucket N-1]. */
const UPGRADES_OPENED = 2;
const UPGRADES_FAILED = 3;
const FIRST_BUCKET = 4;
const SLOT_WIDTH = BUCKETS + FIRST_BUCKET;
/** Slot length: a window is exact to this many ms (a 500 ms window covers 500-750 ms of data). */
export const SLOT_MS = 250;
/** Longest window that can be asked for, in seconds. */
export const MAX_WINDOW_SECONDS = 600;
const SLOTS = (MAX_WINDOW_SECONDS * 1000) / SLOT_MS;

export function bucketOf(ms: number): number {
  if (ms <= MIN_MS) return 0;
  const i = Math.floor(Math.log(ms / MIN_MS) / LOG_GROWTH) + 1;
  return i >= BUCKETS ? BUCKETS - 1 : i;
}

/** A representative value (geometric middle) of a bucket, in ms. */
export function bucketValue(i: number): number {
  if (i === 0) return MIN_MS;
  return MIN_MS * GROWTH ** (i - 0.5);
}

export class SetMetricsRing {
  private readonly slots = new Uint32Array(SLOTS * SLOT_WIDTH);
  /** The slot number (epoch ms / SLOT_MS) each slot currently holds; -1 for empty. */
  private readonly slotSecond = new Float64Array(SLOTS).fill(-1);
  private resetAt: number;
  inFlight = 0;
  /** Upgraded (WebSocket, h2c) connections open now: long-lived, so kept apart from inFlight and latency. */
  openUpgrades = 0;

  constructor(now: number) {
    this.resetAt = now;
  }

  record(nowMs: number, latencyMs: number, isError: boolean): void {
    const base = this.slotBase(nowMs);
    const slots = this.slots;
    slots[base] = slots[base]! + 1;
    if (isError) slots[base + 1] = slots[base + 1]! + 1;
    const b = base + FIRST_BUCKET + bucketOf(latencyMs);
    slots[b] = slots[b]! + 1;
  }

  /**
   * Counts one upgrade attempt's outcome. The handshake itself is recorded with record() like any
   * request (its latency runs to the 101); the tunnel's lifetime never reaches the histogram.
   */
  recordUpgrade(nowMs: number, opened: boolean): void {
    const i = this.slotBase(nowMs) + (opened ? UPGRADES_OPENED : UPGRADES_FAILED);
    this.slots[i] = this.slots[i]! + 1;
  }

  private slotBase(nowMs: number): number {
    const second = Math.floor(nowMs / SLOT_MS);
    const slot = second % SLOTS;
    const base = slot * SLOT_WIDTH;
    if (this.slotSecond[slot] !== second) {
      this.slots.fill(0, base, base + SLOT_WIDTH);
      this.slotSecond[slot] = second;
    }
    return base;
  }

  reset(nowMs: number): void {
    this.slots.fill(0);
    this.slotSecond.fill(-1);
    this.resetAt = nowMs;
  }

  /**
   * Adds the slots inside the window into `into` (length SLOT_WIDTH); returns the time the data covers,
   * in ms: from the start of the oldest slot touched by the window (or the last reset) to now.
   */
  accumulate(nowMs: number, windowMs: number, into: Float64Array): number {
    const span = Math.min(MAX_WINDOW_SECONDS * 1000 - SLOT_MS, Math.max(1, windowMs));
    const last = Math.floor(nowMs / SLOT_MS);
    const first = Math.floor((nowMs - span) / SLOT_MS);
    for (let s = first; s <= last; s++) {
      const slot = s % SLOTS;
      if (this.slotSecond[slot] !== s) continue;
      const base = slot * SLOT_WIDTH;
      for (let k = 0; k < SLOT_WIDTH; k++) into[k] = into[k]! + this.slots[base + k]!;
    }
    const start = Math.max(first * SLOT_MS, this.resetAt);
    return Math.max(1, nowMs - start);
  }
}

export function emptyAccumulator(): Float64Array {
  return new Float64Array(SLOT_WIDTH);
}

/** Turns accumulated slots into the public figures. */
export function summarize(
  acc: Float64Array,
  coveredMs: number,
  inFlight: number,
  openUpgrades = 0,
): SetMetrics {
  const requests = acc[0]!;
  const errors = acc[1]!;
  return {
    requests,
    errors,
    errorRate: requests === 0 ? 0 : errors / requests,
    requestsPerSecond: requests / (coveredMs / 1000),
    latencyMs: {
      p50: percentile(acc, requests, 0.5),
      p90: percentile(acc, requests, 0.9),
      p99: percentile(acc, requests, 0.99),
    },
    inFlight,
    windowMs: Math.round(coveredMs),
    upgrades: { opened: acc[UPGRADES_OPENED]!, failed: acc[UPGRADES_FAILED]!, open: openUpgrades },
  };
}

function percentile(acc: Float64Array, total: number, q: number): number {
  if (total === 0) return 0;
  const rank = Math.ceil(total * q);
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    seen += acc[FIRST_BUCKET + i]!;
    if (seen >= rank) return Math.round(bucketValue(i) * 1000) / 1000;
  }
  return Math.round(bucketValue(BUCKETS - 1) * 1000) / 1000;
}
