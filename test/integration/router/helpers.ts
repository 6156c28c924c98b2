/**
 * Test fixtures for the router: small upstream servers with chosen behaviour, a bounded keep-alive
 * load loop, and a router process per test that is always stopped afterwards.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../../src/core/clock.js';
import type { MetricsSource } from '../../../src/deploy/health.js';
import type { RoutingTable, Upstream } from '../../../src/router/api.js';
import type { RouterClient } from '../../../src/router/client.js';
import {
  type EnsureRouterOptions,
  ensureRouter,
  readRouterPid,
  stopRouter,
} from '../../../src/router/launch.js';
import { ownTempDir } from '../owned-processes.js';

export interface UpstreamBehaviour {
  /** Milliseconds before answering. */
  delayMs?: number;
  /** Share of requests answered with 500 (deterministic: every k-th). */
  failShare?: number;
  /** Answer of GET /health (default 200). */
  healthStatus?: () => number;
}

export interface TestUpstream {
  name: string;
  port: number;
  upstream(id?: string): Upstream;
  requests: number;
  behaviour: UpstreamBehaviour;
  /** Stops listening and cuts every open connection, like a crashed process. */
  crash(): Promise<void>;
  close(): Promise<void>;
}

export async function startUpstream(name: string, behaviour: UpstreamBehaviour = {}): Promise<TestUpstream> {
  const sockets = new Set<Socket>();
  let served = 0;
  const server = http.createServer((req, res) => {
    if (req.url === '/health') {
      res.statusCode = behaviour.healthStatus?.() ?? 200;
      res.end('ok');
      return;
    }
    // Numbered at arrival: with concurrent requests, the k-th one decides its own fate.
    const n = ++served;
    api.requests = served;
    const answer = () => {
      if (req.url?.startsWith('/echo')) {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ name, headers: req.headers, url: req.url }));
        return;
      }
      if (req.url?.startsWith('/upload')) {
        let bytes = 0;
        req.on('data', (c: Buffer) => {
          bytes += c.length;
        });
        req.on('end', () => res.end(`${name} ${bytes}`));
        return;
      }
      const share = behaviour.failShare ?? 0;
      if (share > 0 && Math.floor(n * share) !== Math.floor((n - 1) * share)) {
        res.statusCode = 500;
        res.end(`${name} failed`);
        return;
      }
      res.end(name);
    };
    if (behaviour.delayMs) setTimeout(answer, behaviour.delayMs);
    else answer();
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  const api: TestUpstream = {
    name,
    port,
    requests: 0,
    behaviour,
    upstream: (id = name) => ({ id, host: '127.0.0.1', port, revision: name }),
    crash: close,
    close,
  };
  return api;
}

export interface TestRouter {
  client: RouterClient;
  port: number;
  pid: number;
  stateDir: string;
  url(path?: string): string;
  stop(): Promise<void>;
}

const routers: TestRouter[] = [];

export async function startRouter(opts: Partial<EnsureRouterOptions> = {}): Promise<TestRouter> {
  const stateDir = opts.stateDir ?? ownTempDir(mkdtempSync(join(tmpdir(), 'cvr-')));
  const { client, pid } = await ensureRouter({ port: 0, ...opts, stateDir });
  const state = await client.getState();
  const router: TestRouter = {
    client,
    pid,
    stateDir,
    port: state.listen.port,
    url: (path = '/') => `http://127.0.0.1:${state.listen.port}${path}`,
    stop: async () => {
      const t0 = Date.now();
      await stopRouter(stateDir, 3000);
      // A slow stop means requests were left in flight: show the router's own account of it.
      if (Date.now() - t0 > 1000) console.log(readFileSync(join(stateDir, 'router.log'), 'utf8'));
      const info = readRouterPid(stateDir);
      if (info) killQuietly(info.pid);
      killQuietly(pid);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
  routers.push(router);
  return router;
}

/** afterEach: stop every router a test started, even when it failed. */
export async function stopAllRouters(): Promise<void> {
  while (routers.length > 0) await routers.pop()!.stop();
}

export function killQuietly(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

export function table(
  stable: Upstream[],
  canary: Upstream[] = [],
  canaryWeight = 0,
  extra: Partial<RoutingTable> = {},
) {
  return { stable, canary, canaryWeight, ...extra };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  ms: number;
}

/** One request through the router; rejects on connection errors (never waits forever: 5 s cap). */
export function request(
  url: string,
  opts: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    agent?: http.Agent;
  } = {},
): Promise<Reply> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: opts.method ?? 'GET', headers: opts.headers, agent: opts.agent ?? false, timeout: 5000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - started,
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('client timeout: the router left the request hanging')));
    req.on('error', reject);
    req.end(opts.body);
  });
}

export interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
  /** Status (or error code) → count, for failure messages. */
  outcomes: Record<string, number>;
  /** x-conveyor-upstream → count. */
  byUpstream: Record<string, number>;
}

/**
 * Steady keep-alive load: `concurrency` loops each sending one request after another until
 * `stop()` or `maxMs`. Anything but a 2xx counts as failed.
 */
export function startLoad(url: string, concurrency = 8, maxMs = 10_000) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const result: LoadResult = { sent: 0, ok: 0, failed: 0, outcomes: {}, byUpstream: {} };
  let running = true;
  const inFlight = new Set<Promise<void>>();
  const deadline = Date.now() + maxMs;
  const loop = async () => {
    while (running && Date.now() < deadline) {
      result.sent++;
      let landed = () => {};
      const flight = new Promise<void>((r) => (landed = r));
      inFlight.add(flight);
      try {
        const r = await request(url, { agent });
        const key = String(r.status);
        result.outcomes[key] = (result.outcomes[key] ?? 0) + 1;
        if (r.status >= 200 && r.status < 300) result.ok++;
        else result.failed++;
        const up = String(r.headers['x-conveyor-upstream'] ?? 'none');
        result.byUpstream[up] = (result.byUpstream[up] ?? 0) + 1;
      } catch (err) {
        result.failed++;
        const key = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        result.outcomes[key] = (result.outcomes[key] ?? 0) + 1;
      } finally {
        inFlight.delete(flight);
        landed();
      }
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  return {
    result,
    /** Resolves once every request in flight now has landed (and been counted). */
    async settle(): Promise<void> {
      await Promise.all([...inFlight]);
    },
    async stop(): Promise<LoadResult> {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return result;
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A clock and metrics source for running the real analysis against live traffic on a busy machine: each
 * interval lasts at least its configured length and, beyond that, only as long as it takes the canary to
 * receive `minRequests` (+ a margin for requests still in flight); the router's metrics are then read over
 * exactly that stretched interval. The gate's logic and the router's numbers are untouched — a slow machine
 * just gets longer intervals instead of an `inconclusive` for too little traffic.
 */
export function pacedByRequests(
  source: MetricsSource,
  canaryRequests: () => number,
  minRequests: number,
  maxIntervalMs = 15_000,
): { clock: Clock; source: MetricsSource } {
  let intervalStart = Date.now();
  const clock: Clock = {
    now: () => Date.now(),
    async sleep(ms: number) {
      intervalStart = Date.now();
      const startCount = canaryRequests();
      await sleep(ms);
      await until(
        () => canaryRequests() - startCount >= minRequests + 8,
        maxIntervalMs,
        `${minRequests} canary requests in one interval`,
      );
    },
  };
  return {
    clock,
    source: {
      metrics: (windowMs) => source.metrics(Math.max(windowMs, Date.now() - intervalStart)),
      ...(source.resetMetrics ? { resetMetrics: () => source.resetMetrics!() } : {}),
    },
  };
}

/** Polls until `check` is true (bounded). */
export async function until(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(20);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
