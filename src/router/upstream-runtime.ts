/**
 * One upstream instance as the router sees it at run time (pool, in-flight count, health streaks, set),
 * and what an exchange — a proxied request or an upgrade — may ask of the router about instances.
 * The lowest router module after api.ts: the request path, the upgrade path and the server all build on it.
 */
import type { TargetSetName, Upstream } from './api.js';
import type { Series } from './prometheus.js';
import { UpstreamPool } from './upstream-pool.js';

/** An open upgrade exchange or tunnel on an instance: all the instance needs is to cut it. */
export interface OpenUpgrade {
  /** Drain deadline or shutdown: the connection is closed whatever state it is in. */
  cut(): void;
}

/** One upstream process as the router sees it. Kept across tables while id, host and port stay the same. */
export class UpstreamRuntime {
  readonly key: string;
  set: TargetSetName | 'draining';
  readonly pool: UpstreamPool;
  inFlight = 0;
  healthy = true;
  requests = 0;
  errors = 0;
  failStreak = 0;
  passStreak = 0;
  lastCheck: { at: number; ok: boolean; detail: string } | undefined;
  drainTimer: NodeJS.Timeout | undefined;
  probing = false;
  /** Upgrade exchanges and open tunnels on this instance (each also counts in inFlight). */
  readonly upgrades = new Set<OpenUpgrade>();
  /** Label `set/id` for the upstream header; rebuilt when the set changes. */
  label: string;
  /** Its Prometheus series (set, its own revision) while the listener is on; set with each table. */
  series: Series | null = null;

  constructor(
    readonly upstream: Upstream,
    set: TargetSetName,
    timeouts: { connectTimeoutMs: number; responseTimeoutMs: number },
  ) {
    this.key = upstreamKey(upstream);
    this.set = set;
    this.label = `${set}/${upstream.id}`;
    this.pool = new UpstreamPool({ host: upstream.host, port: upstream.port, ...timeouts });
  }

  moveTo(set: TargetSetName | 'draining'): void {
    this.set = set;
    this.label = `${set}/${this.upstream.id}`;
  }
}

/** Identity of an instance across tables: the same id at the same address. */
export function upstreamKey(u: Upstream): string {
  return `${u.id}@${u.host}:${u.port}`;
}

/** What any exchange needs from the router about instances; the request and upgrade hosts extend it. */
export interface ExchangeHost {
  /** Another healthy instance of the set to retry on, never `avoid`; null when none is left. */
  nextUpstream(setIndex: number, avoid: UpstreamRuntime): UpstreamRuntime | null;
  /** A refused connection: out of rotation until a probe passes. */
  eject(u: UpstreamRuntime, why: string): void;
}
