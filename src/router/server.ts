/**
 * The data plane assembled: an HTTP/1.1 reverse proxy with two target sets (stable, canary) and a
 * canary weight. This file owns the listening server and its lifecycle (listen, graceful close), the
 * routing table (applying one, draining instances that left it) and the admin views; it places each
 * request or upgrade and hands it to its exchange (request-proxy.ts, upgrade.ts).
 *
 * Hot path rules: one pass over the raw request headers, no header objects built, upstream
 * connections kept alive per upstream, bodies streamed both ways, metrics recorded into
 * preallocated rings. Everything that changes routing (table, health) builds a new immutable
 * `Routing` snapshot that requests read in one field access, so a change is atomic.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  type DrainedResult,
  FORCE_SET_HEADER,
  type HealthCheckConfig,
  type MetricsSnapshot,
  type RouterState,
  type RoutingTable,
  type TargetSetName,
  type Upstream,
  type UpstreamState,
} from './api.js';
import { rawErrorResponse } from './error-answers.js';
import { DEFAULT_HEALTH_CHECK, HealthChecker } from './health-checks.js';
import { PrometheusCounters } from './prometheus.js';
import { readProxyRequest, readUpgradeRequest, refusalStatus } from './request-head.js';
import { ProxyExchange, type RequestHost } from './request-proxy.js';
import {
  buildRouting,
  forceSetOf,
  healthyIn,
  REFUSALS,
  type Routing,
  SET_BITS,
  SET_NONE,
  SetSelector,
  stickyCookieFor,
  stickyFromCookie,
} from './set-selection.js';
import { TrafficMetrics } from './traffic-metrics.js';
import { UpgradeExchange, type UpgradeHost, type UpgradeOutcome } from './upgrade.js';
import { UpstreamRuntime, upstreamKey } from './upstream-runtime.js';

export interface RouterServerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  healthCheck?: HealthCheckConfig;
  /** Opening a new upstream connection may take this long before the request fails with 502. */
  connectTimeoutMs?: number;
  /** An upstream that sends nothing (headers or body bytes) for this long is cut: 504 before headers. */
  upstreamTimeoutMs?: number;
  /** Default for tables that do not say. */
  drainTimeoutMs?: number;
  log?: (line: string) => void;
  now?: () => number;
  /** Called after every applied table (the entry point persists it for restarts). */
  onTableApplied?: (table: RoutingTable) => void;
}

export class RouterServer implements RequestHost, UpgradeHost {
  private readonly server: http.Server;
  private routing: Routing;
  private readonly upstreams = new Map<string, UpstreamRuntime>();
  private readonly draining = new Map<string, UpstreamRuntime>();
  private readonly traffic: TrafficMetrics;
  private readonly selector = new SetSelector();
  private readonly health: HealthChecker;
  private readonly log: (line: string) => void;
  private readonly now: () => number;
  private readonly timeouts: { connectTimeoutMs: number; responseTimeoutMs: number };
  private readonly defaultDrainMs: number;
  private readonly onTableApplied: ((table: RoutingTable) => void) | undefined;
  /** performance.now() of the last table change and of the first request routed after it (0 = none yet). */
  private appliedAt = 0;
  private firstRequestAt = 0;
  private readonly startedAt: number;
  private closing = false;
  /** Client connections that got a refusal and have not closed yet, and how many there are. */
  private readonly refusedSockets = new WeakSet<Socket>();
  private refusedOpen = 0;
  listenHost: string;
  listenPort = 0;
  /** `host:port` of the router, the Host header for requests that came without one; set again once listening. */
  private ownHost: string;

  constructor(opts: RouterServerOptions) {
    this.log = opts.log ?? (() => {});
    this.now = opts.now ?? Date.now;
    this.timeouts = {
      connectTimeoutMs: opts.connectTimeoutMs ?? 2000,
      responseTimeoutMs: opts.upstreamTimeoutMs ?? 60_000,
    };
    this.defaultDrainMs = opts.drainTimeoutMs ?? 30_000;
    this.health = new HealthChecker({
      config: opts.healthCheck ?? {},
      upstreams: () => this.upstreams.values(),
      onChange: () => this.refreshRouting(),
      log: this.log,
      now: this.now,
    });
    this.onTableApplied = opts.onTableApplied;
    this.listenHost = opts.host;
    this.listenPort = opts.port;
    this.ownHost = `${this.listenHost}:${this.listenPort}`;
    this.startedAt = this.now();
    this.traffic = new TrafficMetrics(this.now);
    this.routing = buildRouting(0, { stable: [], canary: [], canaryWeight: 0 }, [], []);
    this.server = http.createServer({ keepAlive: true, noDelay: true }, (req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 65_000;
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Socket, early: Buffer) =>
      this.handleUpgrade(req, socket, early),
    );
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      if (err.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.listenPort, this.listenHost, () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        if (addr && typeof addr === 'object') this.listenPort = addr.port;
        this.ownHost = `${this.listenHost}:${this.listenPort}`;
        this.health.schedule(this.server.listening);
        resolve();
      });
    });
  }

  // ---------------------------------------------------------------- routing table

  applyTable(table: RoutingTable): RouterState {
    if (table.healthCheck) {
      this.health.config = table.healthCheck;
      this.health.schedule(this.server.listening);
    }
    const wanted = new Map<string, TargetSetName>();
    for (const u of table.stable) wanted.set(upstreamKey(u), 'stable');
    for (const u of table.canary) wanted.set(upstreamKey(u), 'canary');
    const fresh: UpstreamRuntime[] = [];
    const pick = (list: Upstream[], set: TargetSetName): UpstreamRuntime[] =>
      list.map((u) => {
        const key = upstreamKey(u);
        let rt = this.upstreams.get(key) ?? this.draining.get(key);
        if (rt) {
          this.draining.delete(key);
          if (rt.drainTimer) clearTimeout(rt.drainTimer);
          rt.drainTimer = undefined;
        } else {
          rt = new UpstreamRuntime(u, set, this.timeouts);
          fresh.push(rt);
        }
        rt.moveTo(set);
        this.upstreams.set(key, rt);
        return rt;
      });
    const stable = pick(table.stable, 'stable');
    const canary = pick(table.canary, 'canary');
    const drainMs = table.drainTimeoutMs ?? this.defaultDrainMs;
    for (const [key, rt] of this.upstreams) {
      if (wanted.has(key)) continue;
      this.upstreams.delete(key);
      this.startDraining(rt, drainMs);
    }
    this.routing = buildRouting(this.routing.generation + 1, table, stable, canary);
    this.labelPrometheusSeries();
    this.selector.resetWeight();
    this.appliedAt = performance.now();
    this.firstRequestAt = 0;
    this.log(
      `table generation ${this.routing.generation}: stable [${table.stable.map((u) => u.id).join(', ')}], ` +
        `canary [${table.canary.map((u) => u.id).join(', ')}], canaryWeight ${table.canaryWeight}` +
        (this.routing.fallback ? ` (${this.routing.fallback})` : ''),
    );
    for (const rt of fresh) void this.health.probe(rt);
    this.onTableApplied?.(table);
    return this.state();
  }

  /** Rebuilds the snapshot after a health change, keeping the generation. */
  private refreshRouting(): void {
    const r = this.routing;
    const before = r.fallback;
    this.routing = buildRouting(r.generation, r.table, [...r.stable], [...r.canary]);
    if (this.routing.fallback !== before && this.routing.fallback)
      this.log(`routing: ${this.routing.fallback}`);
  }

  private startDraining(rt: UpstreamRuntime, drainMs: number): void {
    rt.moveTo('draining');
    if (rt.inFlight === 0) {
      this.finishDrain(rt, 'idle');
      return;
    }
    this.draining.set(rt.key, rt);
    this.log(`draining ${rt.upstream.id}: ${rt.inFlight} in flight, deadline ${drainMs} ms`);
    rt.drainTimer = setTimeout(() => {
      this.log(
        `drain deadline reached for ${rt.upstream.id}: cutting ${rt.inFlight} in-flight request(s)` +
          (rt.upgrades.size > 0 ? ` (${rt.upgrades.size} of them upgraded connections)` : ''),
      );
      rt.pool.destroy();
      for (const ux of rt.upgrades) ux.cut();
      this.draining.delete(rt.key);
    }, drainMs);
    rt.drainTimer.unref();
  }

  private finishDrain(rt: UpstreamRuntime, why: string): void {
    if (rt.drainTimer) clearTimeout(rt.drainTimer);
    rt.drainTimer = undefined;
    this.draining.delete(rt.key);
    rt.pool.destroy();
    this.log(`drained ${rt.upstream.id} (${why})`);
  }

  drainedStatus(ids: string[]): DrainedResult {
    const wanted = new Set(ids);
    let inFlight = 0;
    for (const rt of this.draining.values()) if (wanted.has(rt.upstream.id)) inFlight += rt.inFlight;
    for (const rt of this.upstreams.values()) if (wanted.has(rt.upstream.id)) inFlight += rt.inFlight;
    return { drained: inFlight === 0, inFlight };
  }

  // ---------------------------------------------------------------- placing requests and upgrades

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const startedAt = performance.now();
    const routing = this.routing;
    if (this.firstRequestAt === 0) this.firstRequestAt = startedAt;
    // A request pipelined behind a refused one on the same connection is never passed on (the
    // connection closes after the refusal; node parses what is already buffered before that).
    if (this.refusedOpen > 0 && this.refusedSockets.has(req.socket)) {
      req.resume();
      return;
    }
    const ex = new ProxyExchange(this, req, res, startedAt);
    const trusted = routing.trusted?.has(req.socket.remoteAddress) === true;
    readProxyRequest(req, routing.sticky, trusted, this.ownHost, ex);
    // `on`, not `once`: a response closes once, and `once` would bind a wrapper per request.
    res.on('close', () => ex.onClientClose());
    if (ex.refusal !== null) {
      this.traffic.started(SET_NONE);
      this.markRefused(req.socket);
      ex.refuse(refusalStatus(ex.refusal), ex.refusal);
      return;
    }

    const placed = this.selector.place(routing, ex.force, ex.stickySet);
    if (placed < 0) {
      this.traffic.started(SET_NONE);
      ex.fail(503, REFUSALS[-placed]!);
      return;
    }
    const setIndex = placed & SET_BITS;
    ex.stickyCookie = stickyCookieFor(routing, placed);
    ex.setIndex = setIndex;
    this.traffic.started(setIndex);
    ex.dispatch(this.selector.choose(healthyIn(routing, setIndex), null));
  }

  /** Remembers a connection that got a refusal until it closes (see `handle`). */
  private markRefused(socket: Socket): void {
    if (this.refusedSockets.has(socket)) return;
    this.refusedSockets.add(socket);
    this.refusedOpen++;
    socket.once('close', () => this.refusedOpen--);
  }

  private handleUpgrade(req: http.IncomingMessage, client: Socket, early: Buffer): void {
    if (this.refusedOpen > 0 && this.refusedSockets.has(client)) {
      client.end();
      return;
    }
    const startedAt = performance.now();
    const routing = this.routing;
    if (this.firstRequestAt === 0) this.firstRequestAt = startedAt;
    const trusted = routing.trusted?.has(req.socket.remoteAddress) === true;
    const { head, force, cookie, bodyLength, refusal } = readUpgradeRequest(
      req,
      FORCE_SET_HEADER,
      trusted,
      this.ownHost,
    );
    client.on('error', () => client.destroy());
    if (refusal !== null) {
      // Nothing after the head is read: the connection closes with the answer.
      client.end(rawErrorResponse(refusalStatus(refusal), refusal), 'latin1');
      this.traffic.upgradeRefused(startedAt, false);
      return;
    }
    const stickySet = routing.sticky && cookie !== undefined ? stickyFromCookie(cookie, -1) : -1;
    const placed = this.selector.place(routing, force === undefined ? -1 : forceSetOf(force), stickySet);
    if (placed < 0) {
      client.end(rawErrorResponse(503, REFUSALS[-placed]!), 'latin1');
      this.traffic.upgradeRefused(startedAt, true);
      return;
    }
    const setIndex = placed & SET_BITS;
    const ux = new UpgradeExchange(
      this,
      client,
      early,
      head,
      bodyLength,
      req.method ?? 'GET',
      setIndex,
      startedAt,
      stickyCookieFor(routing, placed),
    );
    this.traffic.started(setIndex);
    const u = this.selector.choose(healthyIn(routing, setIndex), null);
    if (u === null) ux.answerError(502, 'no-upstream-left-to-retry');
    else ux.dispatch(u);
  }

  // ---------------------------------------------------------------- what exchanges ask of the router

  get connectTimeoutMs(): number {
    return this.timeouts.connectTimeoutMs;
  }

  get responseTimeoutMs(): number {
    return this.timeouts.responseTimeoutMs;
  }

  nextUpstream(setIndex: number, avoid: UpstreamRuntime): UpstreamRuntime | null {
    return this.selector.choose(healthyIn(this.routing, setIndex), avoid);
  }

  eject(u: UpstreamRuntime, why: string): void {
    this.health.eject(u, why);
  }

  releaseRequest(u: UpstreamRuntime, isError: boolean): void {
    u.inFlight--;
    if (isError) u.errors++;
    if (u.set === 'draining' && u.inFlight === 0 && this.draining.has(u.key))
      this.finishDrain(u, 'in-flight done');
    if (this.closing) this.maybeExitAfterDrain();
  }

  requestClosed(ex: ProxyExchange): void {
    this.traffic.requestEnded(ex.setIndex, ex.startedAt, ex.isError, ex.sentTo?.series);
    if (this.closing) this.maybeExitAfterDrain();
  }

  acquire(ux: UpgradeExchange, u: UpstreamRuntime): void {
    u.inFlight++;
    u.requests++;
    u.upgrades.add(ux);
  }

  releaseUpgrade(ux: UpgradeExchange, u: UpstreamRuntime, isError: boolean): void {
    u.upgrades.delete(ux);
    this.releaseRequest(u, isError);
  }

  settled(ux: UpgradeExchange, outcome: UpgradeOutcome): void {
    this.traffic.upgradeSettled(
      ux.setIndex,
      ux.startedAt,
      outcome.kind === 'opened',
      outcome.isError,
      ux.upstream?.series,
    );
    if (this.closing) this.maybeExitAfterDrain();
  }

  tunnelClosed(ux: UpgradeExchange): void {
    this.traffic.tunnelClosed(ux.setIndex);
  }

  // ---------------------------------------------------------------- admin views

  state(): RouterState {
    const r = this.routing;
    const view = (rt: UpstreamRuntime): UpstreamState => {
      const s: UpstreamState = {
        ...rt.upstream,
        set: rt.set,
        healthy: rt.healthy,
        inFlight: rt.inFlight,
        requests: rt.requests,
        errors: rt.errors,
      };
      if (rt.upgrades.size > 0) s.upgrades = rt.upgrades.size;
      if (rt.lastCheck) s.lastCheck = rt.lastCheck;
      return s;
    };
    const state: RouterState = {
      pid: process.pid,
      listen: { host: this.listenHost, port: this.listenPort },
      generation: r.generation,
      table: r.table,
      upstreams: [...r.stable.map(view), ...r.canary.map(view), ...[...this.draining.values()].map(view)],
      effectiveCanaryWeight: r.canaryWeight,
      healthCheck: { ...DEFAULT_HEALTH_CHECK, ...this.health.config },
      startedAt: this.startedAt,
      appliedAt: this.appliedAt === 0 ? 0 : performance.timeOrigin + this.appliedAt,
      firstRequestAt: this.firstRequestAt === 0 ? 0 : performance.timeOrigin + this.firstRequestAt,
    };
    if (r.fallback) state.fallback = r.fallback;
    return state;
  }

  metrics(windowMs: number): MetricsSnapshot {
    return this.traffic.snapshot(windowMs);
  }

  resetMetrics(): void {
    this.traffic.reset();
  }

  /** Starts counting for the Prometheus exposition (cumulative from now). */
  enablePrometheus(): void {
    if (this.traffic.prometheus) return;
    this.traffic.prometheus = new PrometheusCounters();
    this.labelPrometheusSeries();
  }

  /** After a table change: each instance's series (its set, its own revision) and each set's revisions. */
  private labelPrometheusSeries(): void {
    const p = this.traffic.prometheus;
    if (!p) return;
    const r = this.routing;
    for (const rt of [...r.stable, ...r.canary]) rt.series = p.seriesFor(rt.set, rt.upstream.revision ?? '');
    p.setRevisions(revisionsOf(r.table.stable), revisionsOf(r.table.canary));
  }

  /** The Prometheus text exposition; enablePrometheus() must have been called. */
  prometheusText(): string {
    const counters = this.traffic.prometheus ?? new PrometheusCounters();
    const r = this.routing;
    return counters.render({
      inFlight: this.traffic.inFlightBySet(),
      upstreams: [...r.stable, ...r.canary].map((rt) => ({
        id: rt.upstream.id,
        set: rt.set,
        revision: rt.upstream.revision ?? '',
        healthy: rt.healthy,
      })),
      generation: r.generation,
      startedAtMs: this.startedAt,
    });
  }

  // ---------------------------------------------------------------- shutdown

  private closeResolve: (() => void) | undefined;

  /** Stops accepting, lets in-flight requests finish (bounded), closes upstream connections. */
  close(drainMs = this.defaultDrainMs): Promise<void> {
    if (this.closing) return new Promise((resolve) => this.server.once('close', () => resolve()));
    this.closing = true;
    this.health.stop();
    return new Promise((resolve) => {
      const finish = () => {
        this.closeResolve = undefined;
        clearTimeout(deadline);
        this.server.closeAllConnections();
        for (const rt of this.upstreams.values()) rt.pool.destroy();
        for (const rt of this.draining.values()) rt.pool.destroy();
        // Upgraded connections never end by themselves: they close with the router.
        for (const rt of [...this.upstreams.values(), ...this.draining.values()])
          for (const ux of rt.upgrades) ux.cut();
        resolve();
      };
      const deadline = setTimeout(finish, drainMs);
      this.closeResolve = finish;
      this.server.close();
      this.server.closeIdleConnections();
      this.maybeExitAfterDrain();
    });
  }

  private maybeExitAfterDrain(): void {
    if (!this.closeResolve) return;
    if (this.traffic.inFlight() === 0) this.closeResolve();
  }
}

/** The revision label of a set as a whole: its upstreams' revisions, sorted, joined with `+`; '' when none is named. */
function revisionsOf(list: Upstream[]): string {
  return [...new Set(list.flatMap((u) => (u.revision ? [u.revision] : [])))].sort().join('+');
}
