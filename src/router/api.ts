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
}

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
}

export interface UpstreamState extends Upstream {
  set: TargetSetName | 'draining';
  healthy: boolean;
  inFlight: number;
}

export interface RouterState {
  pid: number;
  /** Where users send traffic. */
  listen: { host: string; port: number };
  /** Increases with every applied table; returned by setRouting so callers can wait for it. */
  generation: number;
  table: RoutingTable;
  upstreams: UpstreamState[];
}

/**
 * Admin endpoint (HTTP/1.1 over the unix socket):
 * - `GET /state` → RouterState
 * - `PUT /routing` body RoutingTable → RouterState (applied atomically; removed upstreams start draining)
 * - `GET /metrics?windowMs=N` → { stable: SetMetrics, canary: SetMetrics, total: SetMetrics }
 * - `POST /metrics/reset` → resets the windows (used when a new analysis starts)
 * - `GET /drained?ids=a,b` → { drained: boolean, inFlight: number } (true when none of the ids has in-flight requests)
 * - `POST /shutdown` → stops accepting, drains, exits
 * Errors: a JSON body `{ error: string }` with 400/404/500.
 */
export interface MetricsSnapshot {
  stable: SetMetrics;
  canary: SetMetrics;
  total: SetMetrics;
}
