/**
 * The contract between the deploy runner (control plane) and the local router (data plane).
 * The router is its own process; the runner talks to it over a local admin endpoint
 * (a unix socket in the group's state folder, never reachable from other hosts).
 * Types only: the router implements it, the local provider calls it through RouterClient.
 */

/** Two target sets: the revision serving now and the one being rolled out. */
export type TargetSetName = 'stable' | 'canary';

export interface Upstream {
  /** Stable id, e.g. `i-2` (instance name). */
  id: string;
  /** Loopback address the instance listens on. */
  host: string;
  port: number;
  /** Revision label for metrics and status, e.g. `v2`. */
  revision?: string;
}

/** Desired routing, applied atomically by one admin call. */
export interface RoutingTable {
  stable: Upstream[];
  canary: Upstream[];
  /** Share of new requests (0-100) sent to the canary set; the rest go to stable. */
  canaryWeight: number;
  /** Sticky assignment: a client keeps its set (cookie `conveyor-set`) while the weight changes. */
  sticky?: boolean;
  /** How long an upstream removed from the table keeps its in-flight requests before they are cut. */
  drainTimeoutMs?: number;
  /** Replaces the health check the router was launched with (omit to keep the current one). */
  healthCheck?: HealthCheckConfig;
  /**
   * Peers (IP addresses or CIDR ranges) whose X-Forwarded-For/-Proto/-Host and Forwarded headers are kept
   * and extended. From any other peer they are replaced by what the router saw. Omitted: nobody is trusted.
   */
  trustedProxies?: string[];
}

/**
 * Active health check of every upstream. With a `path` the router sends `GET path` and wants a 2xx/3xx;
 * without one it only opens a TCP connection. An upstream leaves rotation after `unhealthyThreshold`
 * consecutive failures and comes back after `healthyThreshold` consecutive successes.
 */
export interface HealthCheckConfig {
  path?: string;
  /** @default 1000 */
  intervalMs?: number;
  /** @default 1000 */
  timeoutMs?: number;
  /** @default 2 */
  unhealthyThreshold?: number;
  /** @default 1 */
  healthyThreshold?: number;
}

/** Request header that forces a set: `1`/`canary` forces the canary, `0`/`stable` forces stable. */
export const FORCE_SET_HEADER = 'x-conveyor-canary';
/** Cookie that pins a client to a set while `sticky` is on. */
export const STICKY_COOKIE = 'conveyor-set';
/** Response header naming why the router itself answered with an error (400/502/503/504/505). */
export const ERROR_HEADER = 'x-conveyor-error';
/** Response header naming the set and upstream that served a request (`canary/i-3`). */
export const UPSTREAM_HEADER = 'x-conveyor-upstream';

/** The four golden signals for one set over a window. */
export interface SetMetrics {
  /** Requests completed in the window. */
  requests: number;
  /** 5xx responses plus failed upstream connections in the window. */
  errors: number;
  errorRate: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number };
  inFlight: number;
  /** Window length the figures cover, in ms. */
  windowMs: number;
  /**
   * Upgrade requests (WebSocket, h2c). Each handshake also counts once in `requests` (and in `errors`
   * when it failed), with its latency measured to the 101; the open connection's lifetime never enters
   * the latency figures.
   */
  upgrades?: UpgradeMetrics;
}

export interface UpgradeMetrics {
  /** Handshakes answered 101 by an upstream in the window (the connection was then tunnelled). */
  opened: number;
  /** Upgrade requests in the window that failed: router 502/503/504, upstream 5xx, or a broken upstream connection. */
  failed: number;
  /** Upgraded connections open now. */
  open: number;
}

export interface UpstreamState extends Upstream {
  set: TargetSetName | 'draining';
  healthy: boolean;
  inFlight: number;
  /** Of inFlight: upgrade handshakes and open upgraded (WebSocket, h2c) connections; absent when none. */
  upgrades?: number;
  /** Requests sent to this upstream since it joined the table, and how many failed (5xx or connection). */
  requests?: number;
  errors?: number;
  /** The last health probe: when, whether it passed, and what was seen. */
  lastCheck?: { at: number; ok: boolean; detail: string };
}

export interface RouterState {
  pid: number;
  /** Where users send traffic. */
  listen: { host: string; port: number };
  /** Increases with every applied table; returned by setRouting so callers can wait for it. */
  generation: number;
  table: RoutingTable;
  upstreams: UpstreamState[];
  /** The canary share actually applied: differs from table.canaryWeight when a set has no healthy upstream. */
  effectiveCanaryWeight?: number;
  /** Why effectiveCanaryWeight differs from the table, or why nothing can be served. */
  fallback?: string;
  healthCheck?: HealthCheckConfig;
  startedAt?: number;
  /** When this generation's table was applied, and when the first request was routed under it (epoch ms, sub-ms precision; 0 = none yet). */
  appliedAt?: number;
  firstRequestAt?: number;
}

/** Answer of `GET /drained`. */
export interface DrainedResult {
  drained: boolean;
  inFlight: number;
}

/**
 * Admin endpoint (HTTP/1.1 over the unix socket):
 * - `GET /state` → RouterState
 * - `PUT /routing` body RoutingTable → RouterState (applied atomically; removed upstreams start draining)
 * - `GET /metrics?windowMs=N` → { stable: SetMetrics, canary: SetMetrics, total: SetMetrics }
 * - `POST /metrics/reset` → resets the windows (used when a new analysis starts)
 * - `GET /drained?ids=a,b[&waitMs=N]` → DrainedResult (true when none of the ids has in-flight requests;
 *   with waitMs the answer is held until drained or the wait is over)
 * - `POST /shutdown` → stops accepting, drains, exits
 * Errors: a JSON body `{ error: string }` with 400/404/500.
 */
export interface MetricsSnapshot {
  stable: SetMetrics;
  canary: SetMetrics;
  total: SetMetrics;
}
