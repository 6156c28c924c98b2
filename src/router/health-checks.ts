/**
 * Upstream health: the active probe (HTTP GET on the table's path, or a TCP connect), the interval that
 * runs it for every instance, the pass/fail streaks that take an instance out of rotation and bring it
 * back, and passive ejection when a request finds the instance refusing connections.
 */
import http from 'node:http';
import { connect } from 'node:net';
import type { HealthCheckConfig, Upstream } from './api.js';
import type { UpstreamRuntime } from './upstream-runtime.js';

export const DEFAULT_HEALTH_CHECK: Required<Omit<HealthCheckConfig, 'path'>> = {
  intervalMs: 1000,
  timeoutMs: 1000,
  unhealthyThreshold: 2,
  healthyThreshold: 1,
};

export interface HealthCheckerOptions {
  config: HealthCheckConfig;
  /** The instances to probe on each round (draining ones are skipped). */
  upstreams: () => Iterable<UpstreamRuntime>;
  /** An instance went in or out of rotation: the routing snapshot must be rebuilt. */
  onChange: () => void;
  log: (line: string) => void;
  now: () => number;
}

export class HealthChecker {
  config: HealthCheckConfig;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly opts: HealthCheckerOptions) {
    this.config = opts.config;
  }

  /** (Re)starts the probe interval with the current config; nothing runs until the router listens. */
  schedule(listening: boolean): void {
    if (this.timer) clearInterval(this.timer);
    if (!listening) return;
    const every = this.config.intervalMs ?? DEFAULT_HEALTH_CHECK.intervalMs;
    this.timer = setInterval(() => {
      for (const rt of this.opts.upstreams()) void this.probe(rt);
    }, every);
    this.timer.unref();
  }

  /** The router is closing: no more probes. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }

  /** A refused connection takes the upstream out at once; the active check brings it back. */
  eject(u: UpstreamRuntime, why: string): void {
    if (!u.healthy || u.set === 'draining') return;
    u.healthy = false;
    u.failStreak = Math.max(u.failStreak, 1);
    u.passStreak = 0;
    u.lastCheck = { at: this.opts.now(), ok: false, detail: `request failed: ${why}` };
    this.opts.log(`upstream ${u.upstream.id} out of rotation: ${why}`);
    this.opts.onChange();
  }

  async probe(rt: UpstreamRuntime): Promise<void> {
    if (rt.probing || rt.set === 'draining' || this.stopped) return;
    rt.probing = true;
    const hc = this.config;
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
    rt.lastCheck = { at: this.opts.now(), ok, detail };
    if (ok) {
      rt.passStreak++;
      rt.failStreak = 0;
      if (!rt.healthy && rt.passStreak >= (hc.healthyThreshold ?? DEFAULT_HEALTH_CHECK.healthyThreshold)) {
        rt.healthy = true;
        this.opts.log(`upstream ${rt.upstream.id} healthy again: ${detail}`);
        this.opts.onChange();
      }
    } else {
      rt.failStreak++;
      rt.passStreak = 0;
      if (rt.healthy && rt.failStreak >= (hc.unhealthyThreshold ?? DEFAULT_HEALTH_CHECK.unhealthyThreshold)) {
        rt.healthy = false;
        this.opts.log(`upstream ${rt.upstream.id} unhealthy: ${detail}`);
        this.opts.onChange();
      }
    }
  }
}

/** A fresh read of the set: it may change while a probe is awaited. */
function isDraining(rt: UpstreamRuntime): boolean {
  return rt.set === 'draining';
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
