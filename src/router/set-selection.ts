/**
 * Where a request goes: the immutable routing snapshot (sets, healthy members, effective weight and
 * why it differs from the table's), which set a request is placed in (force header, sticky cookie,
 * smooth weighted split) and which instance of the set takes it (least in-flight, round-robin ties).
 * Pure except for the two counters of `SetSelector`; no I/O.
 */
import type { RoutingTable } from './api.js';
import { TrustedProxies } from './trusted-proxies.js';
import type { UpstreamRuntime } from './upstream-runtime.js';

/** Immutable routing snapshot; replaced whole on every table or health change. */
export interface Routing {
  readonly generation: number;
  readonly table: RoutingTable;
  readonly stable: readonly UpstreamRuntime[];
  readonly canary: readonly UpstreamRuntime[];
  readonly healthyStable: readonly UpstreamRuntime[];
  readonly healthyCanary: readonly UpstreamRuntime[];
  readonly canaryWeight: number;
  readonly sticky: boolean;
  readonly fallback: string | undefined;
  /** Peers whose forwarding headers are kept, or null (the usual case: nobody). */
  readonly trusted: TrustedProxies | null;
}

/** Set indexes, also the indexes of the metrics rings; SET_NONE is for requests refused before placement. */
export const SET_STABLE = 0;
export const SET_CANARY = 1;
export const SET_NONE = 2;
/** place() results: the set in the low bit, PLACED_BY_WEIGHT on top; negative values are refusals. */
export const SET_BITS = 1;
export const PLACED_BY_WEIGHT = 4;
const REFUSED_FORCED_CANARY = -1;
const REFUSED_FORCED_STABLE = -2;
const REFUSED_UNCONFIGURED = -3;
const REFUSED_UNHEALTHY = -4;
const REFUSED_OUT_OF_SERVICE = -5;
/** The 503 reason of a refusal, indexed by `-placed`. */
export const REFUSALS = [
  '',
  'forced-canary-unavailable',
  'forced-stable-unavailable',
  'no-upstream-configured',
  'no-healthy-upstream',
  // A table with no instance was applied: every instance is out of service (an all-at-once deployment).
  'no-instance-in-service',
];

const STICKY_CANARY = 'conveyor-set=canary; Path=/; HttpOnly; SameSite=Lax';
const STICKY_STABLE = 'conveyor-set=stable; Path=/; HttpOnly; SameSite=Lax';

export function buildRouting(
  generation: number,
  table: RoutingTable,
  stable: UpstreamRuntime[],
  canary: UpstreamRuntime[],
): Routing {
  const usable = (u: UpstreamRuntime) => u.healthy;
  const healthyStable = stable.filter(usable);
  const healthyCanary = canary.filter(usable);
  let canaryWeight = table.canaryWeight;
  let fallback: string | undefined;
  if (stable.length === 0 && canary.length === 0) {
    fallback = generation === 0 ? 'no upstream configured' : 'no instance in service (the table is empty)';
  } else if (healthyStable.length === 0 && healthyCanary.length === 0) {
    fallback = 'no healthy upstream in either set: answering 503';
  } else if (canaryWeight > 0 && healthyCanary.length === 0) {
    canaryWeight = 0;
    fallback =
      canary.length === 0
        ? 'canary set is empty: all traffic to stable'
        : 'canary set has no healthy upstream: all traffic to stable';
  } else if (canaryWeight < 100 && healthyStable.length === 0) {
    canaryWeight = 100;
    fallback =
      stable.length === 0
        ? 'stable set is empty: all traffic to canary'
        : 'stable set has no healthy upstream: all traffic to canary';
  }
  return {
    generation,
    table,
    stable,
    canary,
    healthyStable,
    healthyCanary,
    canaryWeight,
    sticky: table.sticky === true,
    fallback,
    trusted: table.trustedProxies?.length ? new TrustedProxies(table.trustedProxies) : null,
  };
}

export function healthyIn(routing: Routing, setIndex: number): readonly UpstreamRuntime[] {
  return setIndex === SET_CANARY ? routing.healthyCanary : routing.healthyStable;
}

/** The Set-Cookie value that pins the client to its set: only when sticky and the weight decided. */
export function stickyCookieFor(routing: Routing, placed: number): string | null {
  if (!routing.sticky || (placed & PLACED_BY_WEIGHT) === 0) return null;
  return (placed & SET_BITS) === SET_CANARY ? STICKY_CANARY : STICKY_STABLE;
}

/** `1`, `true`, `canary` force the canary; any other value forces stable. */
export function forceSetOf(value: string): number {
  return value === '1' || value === 'true' || value === 'canary' ? SET_CANARY : SET_STABLE;
}

/** The set named by a `conveyor-set` cookie in a Cookie header, else `current`. */
export function stickyFromCookie(cookie: string, current: number): number {
  const at = cookie.indexOf('conveyor-set=');
  if (at < 0) return current;
  if (at > 0 && cookie[at - 1] !== ' ' && cookie[at - 1] !== ';') return current;
  const value = cookie.slice(at + 13, at + 19);
  if (value === 'canary') return SET_CANARY;
  if (value === 'stable') return SET_STABLE;
  return current;
}

/** Places requests in sets and picks instances; holds the weighted-split and round-robin counters. */
export class SetSelector {
  private weightAccumulator = 0;
  private roundRobin = 0;

  /** A new table starts a new run of 100 for the weighted split. */
  resetWeight(): void {
    this.weightAccumulator = 0;
  }

  /**
   * Which set a new request goes to: forced by header, else sticky cookie, else the weight.
   * A negative result indexes REFUSALS (answer 503); PLACED_BY_WEIGHT is added when the weight decided.
   */
  place(routing: Routing, force: number, stickySet: number): number {
    if (force >= 0) {
      if (healthyIn(routing, force).length > 0) return force;
      return force === SET_CANARY ? REFUSED_FORCED_CANARY : REFUSED_FORCED_STABLE;
    }
    let setIndex: number;
    let byWeight = 0;
    if (stickySet >= 0 && healthyIn(routing, stickySet).length > 0) setIndex = stickySet;
    else {
      byWeight = PLACED_BY_WEIGHT;
      const w = routing.canaryWeight;
      if (w <= 0) setIndex = SET_STABLE;
      else if (w >= 100) setIndex = SET_CANARY;
      else {
        // Deterministic smooth split: exact shares over any run of 100 requests.
        const acc = this.weightAccumulator + w;
        if (acc >= 100) {
          this.weightAccumulator = acc - 100;
          setIndex = SET_CANARY;
        } else {
          this.weightAccumulator = acc;
          setIndex = SET_STABLE;
        }
      }
    }
    if (healthyIn(routing, setIndex).length === 0)
      return routing.stable.length + routing.canary.length > 0
        ? REFUSED_UNHEALTHY
        : routing.generation === 0
          ? REFUSED_UNCONFIGURED
          : REFUSED_OUT_OF_SERVICE;
    return setIndex | byWeight;
  }

  /** Least in-flight among the set, ties broken round-robin. */
  choose(pool: readonly UpstreamRuntime[], avoid: UpstreamRuntime | null): UpstreamRuntime | null {
    const n = pool.length;
    if (n === 1) return pool[0] === avoid ? null : pool[0]!;
    const start = this.roundRobin++ % n;
    let best: UpstreamRuntime | null = null;
    for (let i = 0; i < n; i++) {
      const u = pool[(start + i) % n]!;
      if (u === avoid || !u.healthy) continue;
      if (best === null || u.inFlight < best.inFlight) best = u;
    }
    return best;
  }
}
