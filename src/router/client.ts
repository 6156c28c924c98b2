/**
 * RouterClient: the runner's side of the admin endpoint (HTTP over the router's unix socket).
 * Every call is bounded in time; a router that is not there is a RouterUnavailableError.
 */
import http from 'node:http';
import type { DrainedResult, MetricsSnapshot, RouterState, RoutingTable } from './api.js';

/** The router process is not running or does not answer on its socket. */
export class RouterUnavailableError extends Error {
  override readonly name = 'RouterUnavailableError';
}

/** The router answered, but refused the call (bad table, unknown route). */
export class RouterRequestError extends Error {
  override readonly name = 'RouterRequestError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface RouterClientOptions {
  /** Per-call time limit, in ms. @default 5000 */
  timeoutMs?: number;
}

export class RouterClient {
  private readonly timeoutMs: number;
  /** Keep-alive over the socket: a weight change is one request on an open connection. Idle sockets do not hold the process. */
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

  constructor(
    readonly socketPath: string,
    opts: RouterClientOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
  }

  /** Closes kept-alive admin connections (optional: they never keep the process alive). */
  close(): void {
    this.agent.destroy();
  }

  getState(): Promise<RouterState> {
    return this.call<RouterState>('GET', '/state');
  }

  /** Applies a table atomically; the answer is the state after it (with the new generation). */
  setRouting(table: RoutingTable): Promise<RouterState> {
    return this.call<RouterState>('PUT', '/routing', table);
  }

  /** Golden signals per set over the last `windowMs` (capped at the last reset). */
  metrics(windowMs: number): Promise<MetricsSnapshot> {
    return this.call<MetricsSnapshot>('GET', `/metrics?windowMs=${Math.max(1, Math.round(windowMs))}`);
  }

  async resetMetrics(): Promise<void> {
    await this.call('POST', '/metrics/reset');
  }

  /** Waits (bounded) until none of the upstreams `ids` has in-flight requests. */
  waitDrained(ids: string[], timeoutMs: number): Promise<DrainedResult> {
    const q = `ids=${encodeURIComponent(ids.join(','))}&waitMs=${Math.max(0, Math.round(timeoutMs))}`;
    return this.call<DrainedResult>('GET', `/drained?${q}`, undefined, timeoutMs + this.timeoutMs);
  }

  /** Asks the router to stop accepting, drain and exit. */
  async shutdown(): Promise<void> {
    await this.call('POST', '/shutdown');
  }

  /** True when the router answers now. */
  async ping(): Promise<boolean> {
    try {
      await this.getState();
      return true;
    } catch {
      return false;
    }
  }

  private call<T>(
    method: string,
    path: string,
    body?: unknown,
    timeoutMs = this.timeoutMs,
    retried = false,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(
        {
          socketPath: this.socketPath,
          method,
          path,
          agent: this.agent,
          headers: payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) =>
            reject(new RouterUnavailableError(`router connection broke: ${err.message}`)),
          );
          res.on('end', () => {
            clearTimeout(timer);
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = JSON.parse(text);
            } catch {
              return reject(
                new RouterRequestError(
                  `router answered ${res.statusCode} with non-JSON`,
                  res.statusCode ?? 0,
                ),
              );
            }
            const status = res.statusCode ?? 0;
            if (status >= 400) {
              const msg = (parsed as { error?: string }).error ?? `status ${status}`;
              return reject(
                new RouterRequestError(`router refused ${method} ${path.split('?')[0]}: ${msg}`, status),
              );
            }
            resolve(parsed as T);
          });
        },
      );
      const timer = setTimeout(() => {
        req.destroy(
          new RouterUnavailableError(`router did not answer ${method} ${path} within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (err instanceof RouterUnavailableError) return reject(err);
        // A kept-alive connection the router closed just as we reused it: every admin call is safe to repeat.
        if (!retried && req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
          this.call<T>(method, path, body, timeoutMs, true).then(resolve, reject);
          return;
        }
        reject(
          new RouterUnavailableError(`router admin socket ${this.socketPath}: ${err.code ?? err.message}`),
        );
      });
      req.end(payload);
    });
  }
}
