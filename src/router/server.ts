/**
 * The data plane: an HTTP/1.1 reverse proxy with two target sets (stable, canary) and a canary weight.
 *
 * Hot path rules: one pass over the raw request headers, no header objects built, upstream
 * connections kept alive per upstream, bodies streamed both ways, metrics recorded into
 * preallocated rings. Everything that changes routing (table, health) builds a new immutable
 * `Routing` snapshot that requests read in one field access, so a change is atomic.
 */
import http from 'node:http';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  type DrainedResult,
  ERROR_HEADER,
  FORCE_SET_HEADER,
  type HealthCheckConfig,
  type MetricsSnapshot,
  type RouterState,
  type RoutingTable,
  type TargetSetName,
  UPSTREAM_HEADER,
  type Upstream,
  type UpstreamState,
} from './api.js';
import { emptyAccumulator, SetMetricsRing, summarize } from './metrics.js';
import {
  rawErrorResponse,
  readUpgradeRequest,
  UpgradeExchange,
  type UpgradeHost,
  type UpgradeOutcome,
} from './upgrade.js';
import {
  type ResponseHandler,
  type UpstreamConnection,
  type UpstreamError,
  UpstreamPool,
} from './upstream-pool.js';

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

export const DEFAULT_HEALTH_CHECK: Required<Omit<HealthCheckConfig, 'path'>> = {
  intervalMs: 1000,
  timeoutMs: 1000,
  unhealthyThreshold: 2,
  healthyThreshold: 1,
};

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
  readonly upgrades = new Set<UpgradeExchange>();
  /** Label `set/id` for the upstream header; rebuilt when the set changes. */
  label: string;

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

function upstreamKey(u: Upstream): string {
  return `${u.id}@${u.host}:${u.port}`;
}

/** Immutable routing snapshot; replaced whole on every table or health change. */
interface Routing {
  readonly generation: number;
  readonly table: RoutingTable;
  readonly stable: readonly UpstreamRuntime[];
  readonly canary: readonly UpstreamRuntime[];
  readonly healthyStable: readonly UpstreamRuntime[];
  readonly healthyCanary: readonly UpstreamRuntime[];
  readonly canaryWeight: number;
  readonly sticky: boolean;
  readonly fallback: string | undefined;
}

const SET_STABLE = 0;
const SET_CANARY = 1;
const SET_NONE = 2;
/** place() results: the set in the low bit, PLACED_BY_WEIGHT on top; negative values are refusals. */
const SET_BITS = 1;
const PLACED_BY_WEIGHT = 4;
const REFUSED_FORCED_CANARY = -1;
const REFUSED_FORCED_STABLE = -2;
const REFUSED_UNCONFIGURED = -3;
const REFUSED_UNHEALTHY = -4;
const REFUSALS = [
  '',
  'forced-canary-unavailable',
  'forced-stable-unavailable',
  'no-upstream-configured',
  'no-healthy-upstream',
];

function healthyIn(routing: Routing, setIndex: number): readonly UpstreamRuntime[] {
  return setIndex === SET_CANARY ? routing.healthyCanary : routing.healthyStable;
}

/** Per-request state and the upstream response handler: one object instead of a handful of closures. */
class Exchange implements ResponseHandler {
  upstream: UpstreamRuntime | null = null;
  conn: UpstreamConnection | null = null;
  setIndex = SET_NONE;
  attempts = 0;
  done = false;
  isError = false;
  ended = false;
  stickyCookie: string | null = null;
  private resumeUpstream: (() => void) | null = null;

  constructor(
    readonly router: RouterServer,
    readonly req: http.IncomingMessage,
    readonly res: http.ServerResponse,
    readonly startedAt: number,
    /** Request line and headers, ready to write. */
    readonly head: string,
    readonly hasBody: boolean,
    readonly chunkedBody: boolean,
  ) {}

  onHead(status: number, statusText: string, headers: string[], wholeBody: Buffer | null): void {
    const res = this.res;
    if (this.done || res.destroyed) return;
    if (status >= 500) this.isError = true;
    headers.push(UPSTREAM_HEADER, this.upstream!.label);
    if (this.stickyCookie !== null) headers.push('Set-Cookie', this.stickyCookie);
    res.writeHead(status, statusText, headers);
    if (wholeBody !== null) {
      this.ended = true;
      res.end(wholeBody);
    }
  }

  onData(chunk: Buffer): boolean {
    if (this.res.write(chunk)) return true;
    // Only slow clients pay for this closure.
    this.resumeUpstream ??= () => this.conn?.resume();
    this.res.once('drain', this.resumeUpstream);
    return false;
  }

  onEnd(): void {
    this.conn = null;
    this.router.release(this);
    if (!this.ended) {
      this.ended = true;
      this.res.end();
    }
  }

  onError(err: UpstreamError): void {
    this.conn = null;
    this.router.onUpstreamError(this, err);
  }
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

export class RouterServer implements UpgradeHost {
  private readonly server: http.Server;
  private routing: Routing;
  private readonly upstreams = new Map<string, UpstreamRuntime>();
  private readonly draining = new Map<string, UpstreamRuntime>();
  private readonly rings: [SetMetricsRing, SetMetricsRing, SetMetricsRing];
  private readonly log: (line: string) => void;
  private readonly now: () => number;
  private readonly timeouts: { connectTimeoutMs: number; responseTimeoutMs: number };
  private readonly defaultDrainMs: number;
  private readonly onTableApplied: ((table: RoutingTable) => void) | undefined;
  private healthCheck: HealthCheckConfig;
  private healthTimer: NodeJS.Timeout | undefined;
  private weightAccumulator = 0;
  /** performance.now() of the last table change and of the first request routed after it (0 = none yet). */
  private appliedAt = 0;
  private firstRequestAt = 0;
  private roundRobin = 0;
  private readonly startedAt: number;
  private closing = false;
  listenHost: string;
  listenPort = 0;

  constructor(opts: RouterServerOptions) {
    this.log = opts.log ?? (() => {});
    this.now = opts.now ?? Date.now;
    this.timeouts = {
      connectTimeoutMs: opts.connectTimeoutMs ?? 2000,
      responseTimeoutMs: opts.upstreamTimeoutMs ?? 60_000,
    };
    this.defaultDrainMs = opts.drainTimeoutMs ?? 30_000;
    this.healthCheck = opts.healthCheck ?? {};
    this.onTableApplied = opts.onTableApplied;
    this.listenHost = opts.host;
    this.listenPort = opts.port;
    this.startedAt = this.now();
    const t = this.now();
    this.rings = [new SetMetricsRing(t), new SetMetricsRing(t), new SetMetricsRing(t)];
    this.routing = this.buildRouting(0, { stable: [], canary: [], canaryWeight: 0 }, [], []);
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
        this.scheduleHealthChecks();
        resolve();
      });
    });
  }

  // ---------------------------------------------------------------- routing table

  applyTable(table: RoutingTable): RouterState {
    if (table.healthCheck) {
      this.healthCheck = table.healthCheck;
      this.scheduleHealthChecks();
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
    this.routing = this.buildRouting(this.routing.generation + 1, table, stable, canary);
    this.weightAccumulator = 0;
    this.appliedAt = performance.now();
    this.firstRequestAt = 0;
    this.log(
      `table generation ${this.routing.generation}: stable [${table.stable.map((u) => u.id).join(', ')}], ` +
        `canary [${table.canary.map((u) => u.id).join(', ')}], canaryWeight ${table.canaryWeight}` +
        (this.routing.fallback ? ` (${this.routing.fallback})` : ''),
    );
    for (const rt of fresh) void this.probe(rt);
    this.onTableApplied?.(table);
    return this.state();
  }

  private buildRouting(
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
      fallback = 'no upstream configured';
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
    };
  }

  /** Rebuilds the snapshot after a health change, keeping the generation. */
  private refreshRouting(): void {
    const r = this.routing;
    const before = r.fallback;
    this.routing = this.buildRouting(r.generation, r.table, [...r.stable], [...r.canary]);
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

  // ---------------------------------------------------------------- hot path

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const startedAt = performance.now();
    const routing = this.routing;
    if (this.firstRequestAt === 0) this.firstRequestAt = startedAt;
    const raw = req.rawHeaders;
    let lines = `${req.method} ${req.url} HTTP/1.1\r\n`;
    let force = -1;
    let stickySet = -1;
    let host: string | undefined;
    let xff: string | undefined;
    let hasProto = false;
    let hasForwardedHost = false;
    let hasBody = false;
    let hasLength = false;
    let connectionTokens: string | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      const value = raw[i + 1]!;
      // Only names of a length that could matter are lower-cased (and so allocate).
      switch (name.length) {
        case 2:
          if (name.toLowerCase() === 'te') continue;
          break;
        case 4:
          if (name.toLowerCase() === 'host') host = value;
          break;
        case 6:
          if (routing.sticky && name.toLowerCase() === 'cookie')
            stickySet = stickyFromCookie(value, stickySet);
          break;
        case 7: {
          const lower = name.toLowerCase();
          if (lower === 'trailer' || lower === 'upgrade') continue;
          break;
        }
        case 10: {
          const lower = name.toLowerCase();
          if (lower === 'connection') {
            // The usual values name no extra hop-by-hop header: nothing to strip.
            if (
              value.length > 10 ||
              (value !== 'keep-alive' && value !== 'close' && value !== 'Keep-Alive')
            ) {
              connectionTokens = connectionTokens ? `${connectionTokens},${value}` : value;
            }
            continue;
          }
          if (lower === 'keep-alive') continue;
          break;
        }
        case 14:
          if (name.toLowerCase() === 'content-length') {
            hasLength = true;
            if (value !== '0') hasBody = true;
          }
          break;
        case 15:
          if (name.toLowerCase() === 'x-forwarded-for') {
            xff = xff ? `${xff}, ${value}` : value;
            continue;
          }
          break;
        case 16: {
          const lower = name.toLowerCase();
          if (lower === 'proxy-connection') continue;
          if (lower === 'x-forwarded-host') hasForwardedHost = true;
          break;
        }
        case 17: {
          const lower = name.toLowerCase();
          if (lower === 'transfer-encoding') {
            hasBody = true;
            continue;
          }
          if (lower === 'x-forwarded-proto') hasProto = true;
          else if (lower === 'x-conveyor-canary') {
            force = forceSetOf(value);
            continue;
          }
          break;
        }
        case 19:
          if (name.toLowerCase() === 'proxy-authorization') continue;
          break;
      }
      lines += `${name}: ${value}\r\n`;
    }
    let head = connectionTokens ? stripConnectionTokens(lines, connectionTokens) : lines;
    const ip = req.socket.remoteAddress ?? '';
    head += `X-Forwarded-For: ${xff ? `${xff}, ${ip}` : ip}\r\n`;
    if (!hasProto) head += 'X-Forwarded-Proto: http\r\n';
    if (host === undefined) head += `Host: ${this.listenHost}:${this.listenPort}\r\n`;
    else if (!hasForwardedHost) head += `X-Forwarded-Host: ${host}\r\n`;
    const chunkedBody = hasBody && !hasLength;
    head += chunkedBody ? 'Transfer-Encoding: chunked\r\n\r\n' : '\r\n';

    const ex = new Exchange(this, req, res, startedAt, head, hasBody, chunkedBody);
    res.once('close', () => this.onClientClose(ex));

    const placed = this.place(routing, force, stickySet);
    if (placed < 0) {
      this.reject(ex, 503, REFUSALS[-placed]!);
      return;
    }
    const setIndex = placed & SET_BITS;
    if (routing.sticky && (placed & PLACED_BY_WEIGHT) !== 0)
      ex.stickyCookie = setIndex === SET_CANARY ? STICKY_CANARY : STICKY_STABLE;
    const pool = setIndex === SET_CANARY ? routing.healthyCanary : routing.healthyStable;
    ex.setIndex = setIndex;
    this.rings[setIndex]!.inFlight++;
    this.dispatch(ex, this.choose(pool, null));
  }

  /**
   * Which set a new request goes to: forced by header, else sticky cookie, else the weight.
   * A negative result indexes REFUSALS (answer 503); PLACED_BY_WEIGHT is added when the weight decided.
   */
  private place(routing: Routing, force: number, stickySet: number): number {
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
      return routing.stable.length + routing.canary.length === 0 ? REFUSED_UNCONFIGURED : REFUSED_UNHEALTHY;
    return setIndex | byWeight;
  }

  /** Least in-flight among the set, ties broken round-robin. */
  private choose(pool: readonly UpstreamRuntime[], avoid: UpstreamRuntime | null): UpstreamRuntime | null {
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

  private dispatch(ex: Exchange, u: UpstreamRuntime | null): void {
    if (u === null) {
      this.fail(ex, 502, 'no-upstream-left-to-retry');
      return;
    }
    ex.upstream = u;
    ex.attempts++;
    u.inFlight++;
    u.requests++;
    const conn = u.pool.request(ex.head, ex, ex.req.method !== 'HEAD', ex.hasBody);
    ex.conn = conn;
    if (ex.hasBody) this.streamBody(ex, conn);
  }

  /** Request body to the upstream as it arrives, with backpressure; re-chunked when the client sent chunks. */
  private streamBody(ex: Exchange, conn: UpstreamConnection): void {
    const req = ex.req;
    const resume = () => req.resume();
    req.on('data', (chunk: Buffer) => {
      if (ex.conn !== conn) return;
      let ok: boolean;
      if (ex.chunkedBody) {
        conn.write(`${chunk.length.toString(16)}\r\n`);
        conn.write(chunk);
        ok = conn.write('\r\n');
      } else ok = conn.write(chunk);
      if (!ok) {
        req.pause();
        conn.socket.once('drain', resume);
      }
    });
    req.on('end', () => {
      if (ex.conn !== conn) return;
      if (ex.chunkedBody) conn.write('0\r\n\r\n');
      conn.endRequest();
    });
  }

  onUpstreamError(ex: Exchange, err: UpstreamError): void {
    const u = ex.upstream;
    if (u === null) return;
    this.release(ex);
    if (ex.done) return;
    if (ex.res.headersSent) {
      ex.isError = true;
      ex.res.destroy();
      return;
    }
    const refused = err.kind === 'refused';
    if (refused) this.ejectPassively(u, err.code);
    // Safe to resend: the request never reached the upstream (refused, connect timeout), or a reused
    // keep-alive connection was closed under us before any answer (the idle race) and the method is idempotent.
    const neverSent = refused || err.kind === 'connect-timeout';
    const staleSocket =
      err.kind === 'reset' && err.reused && !err.answered && IDEMPOTENT.has(ex.req.method ?? '');
    if (!ex.hasBody && ex.attempts < 3 && (neverSent || staleSocket)) {
      const pool = ex.setIndex === SET_CANARY ? this.routing.healthyCanary : this.routing.healthyStable;
      const next = staleSocket ? u : this.choose(pool, u);
      if (next) {
        this.dispatch(ex, next);
        return;
      }
    }
    const id = u.upstream.id;
    if (err.kind === 'timeout') this.fail(ex, 504, `upstream-timeout ${id}`);
    else if (err.kind === 'connect-timeout') this.fail(ex, 502, `upstream-connect-timeout ${id}`);
    else if (refused) this.fail(ex, 502, `upstream-refused ${id} ${err.code}`);
    else this.fail(ex, 502, `upstream-failed ${id} ${err.code}`);
  }

  /** Marks one upstream attempt finished (in-flight bookkeeping, drain completion). */
  release(ex: Exchange): void {
    const u = ex.upstream;
    if (u === null) return;
    ex.upstream = null;
    this.releaseInstance(u, ex.isError);
  }

  private releaseInstance(u: UpstreamRuntime, isError: boolean): void {
    u.inFlight--;
    if (isError) u.errors++;
    if (u.set === 'draining' && u.inFlight === 0 && this.draining.has(u.key))
      this.finishDrain(u, 'in-flight done');
    if (this.closing) this.maybeExitAfterDrain();
  }

  private reject(ex: Exchange, status: number, reason: string): void {
    ex.setIndex = SET_NONE;
    this.rings[SET_NONE].inFlight++;
    this.fail(ex, status, reason);
  }

  private fail(ex: Exchange, status: number, reason: string): void {
    ex.isError = true;
    const res = ex.res;
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    ex.req.resume();
    res.writeHead(status, [ERROR_HEADER, reason, 'Content-Type', 'text/plain', 'Connection', 'keep-alive']);
    res.end(`${reason}\n`);
  }

  private onClientClose(ex: Exchange): void {
    if (ex.done) return;
    ex.done = true;
    const finished = ex.res.writableFinished;
    if (!finished && ex.upstream) {
      // Client went away: stop the upstream work too.
      ex.conn?.abort();
      ex.conn = null;
      this.release(ex);
    }
    const ring = this.rings[ex.setIndex as 0 | 1 | 2];
    ring.inFlight--;
    // A client that hangs up early is not the revision's fault: only 5xx and upstream failures count.
    ring.record(this.now(), performance.now() - ex.startedAt, ex.isError);
    if (this.closing) this.maybeExitAfterDrain();
  }

  // ---------------------------------------------------------------- upgrades (WebSocket, h2c)

  private handleUpgrade(req: http.IncomingMessage, client: Socket, early: Buffer): void {
    const startedAt = performance.now();
    const routing = this.routing;
    if (this.firstRequestAt === 0) this.firstRequestAt = startedAt;
    const { head, force, cookie } = readUpgradeRequest(
      req,
      FORCE_SET_HEADER,
      `${this.listenHost}:${this.listenPort}`,
    );
    const stickySet = routing.sticky && cookie !== undefined ? stickyFromCookie(cookie, -1) : -1;
    const placed = this.place(routing, force === undefined ? -1 : forceSetOf(force), stickySet);
    if (placed < 0) {
      client.on('error', () => client.destroy());
      client.end(rawErrorResponse(503, REFUSALS[-placed]!), 'latin1');
      const ring = this.rings[SET_NONE];
      ring.record(this.now(), performance.now() - startedAt, true);
      ring.recordUpgrade(this.now(), false);
      return;
    }
    const setIndex = placed & SET_BITS;
    const cookieToSet =
      routing.sticky && (placed & PLACED_BY_WEIGHT) !== 0
        ? setIndex === SET_CANARY
          ? STICKY_CANARY
          : STICKY_STABLE
        : null;
    const ux = new UpgradeExchange(
      this,
      client,
      early,
      head,
      req.method ?? 'GET',
      setIndex,
      startedAt,
      cookieToSet,
    );
    this.rings[setIndex]!.inFlight++;
    const u = this.choose(healthyIn(routing, setIndex), null);
    if (u === null) ux.answerError(502, 'no-upstream-left-to-retry');
    else ux.dispatch(u);
  }

  get connectTimeoutMs(): number {
    return this.timeouts.connectTimeoutMs;
  }

  get responseTimeoutMs(): number {
    return this.timeouts.responseTimeoutMs;
  }

  nextUpstream(setIndex: number, avoid: UpstreamRuntime): UpstreamRuntime | null {
    return this.choose(healthyIn(this.routing, setIndex), avoid);
  }

  acquire(ux: UpgradeExchange, u: UpstreamRuntime): void {
    u.inFlight++;
    u.requests++;
    u.upgrades.add(ux);
  }

  releaseUpgrade(ux: UpgradeExchange, u: UpstreamRuntime, isError: boolean): void {
    u.upgrades.delete(ux);
    this.releaseInstance(u, isError);
  }

  eject(u: UpstreamRuntime, why: string): void {
    this.ejectPassively(u, why);
  }

  settled(ux: UpgradeExchange, outcome: UpgradeOutcome): void {
    const ring = this.rings[ux.setIndex as 0 | 1];
    ring.inFlight--;
    const now = this.now();
    // The handshake is the request: its latency ends at the 101 (or the relayed answer), never at the
    // tunnel's close. A client that leaves early counts as a request, not as an error (as for requests).
    ring.record(now, performance.now() - ux.startedAt, outcome.isError);
    if (outcome.kind === 'opened') {
      ring.recordUpgrade(now, true);
      ring.openUpgrades++;
    } else if (outcome.isError) ring.recordUpgrade(now, false);
    if (this.closing) this.maybeExitAfterDrain();
  }

  tunnelClosed(ux: UpgradeExchange): void {
    this.rings[ux.setIndex as 0 | 1].openUpgrades--;
  }

  // ---------------------------------------------------------------- health

  private scheduleHealthChecks(): void {
    if (this.healthTimer) clearInterval(this.healthTimer);
    if (!this.server.listening) return;
    const every = this.healthCheck.intervalMs ?? DEFAULT_HEALTH_CHECK.intervalMs;
    this.healthTimer = setInterval(() => {
      for (const rt of this.upstreams.values()) void this.probe(rt);
    }, every);
    this.healthTimer.unref();
  }

  /** A refused connection takes the upstream out at once; the active check brings it back. */
  private ejectPassively(u: UpstreamRuntime, why: string): void {
    if (!u.healthy || u.set === 'draining') return;
    u.healthy = false;
    u.failStreak = Math.max(u.failStreak, 1);
    u.passStreak = 0;
    u.lastCheck = { at: this.now(), ok: false, detail: `request failed: ${why}` };
    this.log(`upstream ${u.upstream.id} out of rotation: ${why}`);
    this.refreshRouting();
  }

  private async probe(rt: UpstreamRuntime): Promise<void> {
    if (rt.probing || rt.set === 'draining' || this.closing) return;
    rt.probing = true;
    const hc = this.healthCheck;
    const timeoutMs = hc.timeoutMs ?? DEFAULT_HEALTH_CHECK.timeoutMs;
    let ok: boolean;
    let detail: string;
    try {
      detail = await probeOnce(rt.upstream, hc.path, timeoutMs);
      ok = true;
    } catch (err) {
      ok = false;
      detail = err instanceof Error ? err.message : String(err);
    } finally {
      rt.probing = false;
    }
    if (isDraining(rt)) return;
    rt.lastCheck = { at: this.now(), ok, detail };
    if (ok) {
      rt.passStreak++;
      rt.failStreak = 0;
      if (!rt.healthy && rt.passStreak >= (hc.healthyThreshold ?? DEFAULT_HEALTH_CHECK.healthyThreshold)) {
        rt.healthy = true;
        this.log(`upstream ${rt.upstream.id} healthy again: ${detail}`);
        this.refreshRouting();
      }
    } else {
      rt.failStreak++;
      rt.passStreak = 0;
      if (rt.healthy && rt.failStreak >= (hc.unhealthyThreshold ?? DEFAULT_HEALTH_CHECK.unhealthyThreshold)) {
        rt.healthy = false;
        this.log(`upstream ${rt.upstream.id} unhealthy: ${detail}`);
        this.refreshRouting();
      }
    }
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
      healthCheck: { ...DEFAULT_HEALTH_CHECK, ...this.healthCheck },
      startedAt: this.startedAt,
      appliedAt: this.appliedAt === 0 ? 0 : performance.timeOrigin + this.appliedAt,
      firstRequestAt: this.firstRequestAt === 0 ? 0 : performance.timeOrigin + this.firstRequestAt,
    };
    if (r.fallback) state.fallback = r.fallback;
    return state;
  }

  metrics(windowMs: number): MetricsSnapshot {
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
    const inFlight = this.rings[0].inFlight + this.rings[1].inFlight + this.rings[2].inFlight;
    const openUpgrades = this.rings[0].openUpgrades + this.rings[1].openUpgrades;
    return { stable, canary, total: summarize(total, covered, inFlight, openUpgrades) };
  }

  resetMetrics(): void {
    const now = this.now();
    for (const ring of this.rings) ring.reset(now);
  }

  // ---------------------------------------------------------------- shutdown

  private closeResolve: (() => void) | undefined;

  /** Stops accepting, lets in-flight requests finish (bounded), closes upstream connections. */
  close(drainMs = this.defaultDrainMs): Promise<void> {
    if (this.closing) return new Promise((resolve) => this.server.once('close', () => resolve()));
    this.closing = true;
    if (this.healthTimer) clearInterval(this.healthTimer);
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
    const r = this.rings;
    if (r[0].inFlight + r[1].inFlight + r[2].inFlight === 0) this.closeResolve();
  }
}

/** A fresh read of the set: it may change while a probe is awaited. */
function isDraining(rt: UpstreamRuntime): boolean {
  return rt.set === 'draining';
}

/** `1`, `true`, `canary` force the canary; any other value forces stable. */
function forceSetOf(value: string): number {
  return value === '1' || value === 'true' || value === 'canary' ? SET_CANARY : SET_STABLE;
}

const STICKY_CANARY = 'conveyor-set=canary; Path=/; HttpOnly; SameSite=Lax';
const STICKY_STABLE = 'conveyor-set=stable; Path=/; HttpOnly; SameSite=Lax';

function stickyFromCookie(cookie: string, current: number): number {
  const at = cookie.indexOf('conveyor-set=');
  if (at < 0) return current;
  if (at > 0 && cookie[at - 1] !== ' ' && cookie[at - 1] !== ';') return current;
  const value = cookie.slice(at + 13, at + 19);
  if (value === 'canary') return SET_CANARY;
  if (value === 'stable') return SET_STABLE;
  return current;
}

/** Removes header lines named in `Connection: a, b` (they are hop-by-hop for this hop only). Rare path. */
function stripConnectionTokens(lines: string, tokens: string): string {
  const names = new Set(
    tokens
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t !== '' && t !== 'close' && t !== 'keep-alive'),
  );
  if (names.size === 0) return lines;
  return lines
    .split('\r\n')
    .filter((line, i) => i === 0 || !names.has(line.slice(0, line.indexOf(':')).toLowerCase()))
    .join('\r\n');
}

/** One health probe. Resolves with a short description, rejects with why it failed. */
export function probeOnce(u: Upstream, path: string | undefined, timeoutMs: number): Promise<string> {
  if (path === undefined) return probeTcp(u, timeoutMs);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.host, port: u.port, method: 'GET', path, agent: false, timeout: timeoutMs },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 400) resolve(`GET ${path} ${status}`);
        else reject(new Error(`GET ${path} answered ${status}`));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`GET ${path}: ${err.code ?? err.message}`)),
    );
    req.end();
  });
}

/** Without a health path, an upstream that accepts a TCP connection is healthy. */
function probeTcp(u: Upstream, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: u.host, port: u.port });
    const timer = setTimeout(
      () => socket.destroy(new Error(`tcp connect: no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve('tcp connect ok');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(`tcp connect: ${err.code ?? err.message}`));
    });
  });
}
