/**
 * Steady load on the group's router port (loopback, one keep-alive connection, a request every few ms) that
 * records every answer with the revision and instance that gave it, and a sampler that reads the router's
 * serving capacity over its admin socket. Both loops are bounded: they stop when asked or after `maxMs`.
 */
import { Agent, get } from 'node:http';
import { ERROR_HEADER, FORCE_SET_HEADER, UPSTREAM_HEADER } from '../../src/router/api.js';
import { type GroupFixture, routerState, servingUpstreams } from '../integration/deploy/helpers.js';

export interface Answer {
  /** When the request was sent and when its answer (or error) arrived. */
  at: number;
  end: number;
  status: number | 'error';
  /** The app's x-revision header. */
  revision: string | null;
  /** `set/instance` from the router. */
  upstream: string | null;
  /** The router's x-conveyor-error, or the client-side error code (ECONNREFUSED, timeout). */
  error: string | null;
}

export interface CapacitySample {
  at: number;
  /** Upstreams the router would send a new request to; 0 when the router does not answer. */
  serving: number;
  routerUp: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SteadyLoad {
  readonly answers: Answer[] = [];
  readonly capacity: CapacitySample[] = [];
  private stopped = false;
  private loops: Promise<void>[] = [];
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });

  constructor(
    private readonly f: GroupFixture,
    private readonly port: number,
    private readonly options: { everyMs?: number; capacityEveryMs?: number; maxMs?: number } = {},
  ) {}

  start(): void {
    const until = Date.now() + (this.options.maxMs ?? 15 * 60_000);
    const running = () => !this.stopped && Date.now() < until;
    this.loops = [
      (async () => {
        while (running()) {
          this.answers.push(await this.request());
          await sleep(this.options.everyMs ?? 8);
        }
      })(),
      (async () => {
        while (running()) {
          const at = Date.now();
          const s = await routerState(this.f).catch(() => undefined);
          if (s) this.capacity.push({ at, serving: servingUpstreams(s).length, routerUp: true });
          else {
            // The admin call failed: a request through the router's port says whether it serves (a 200 is
            // capacity). The sample is dated when that was seen, not when the admin call began: a router killed
            // (kill-router) while the call was under way is down from the kill on, not from before it.
            const probe = await this.request();
            if (probe.status !== 200)
              this.capacity.push({ at: probe.at, serving: 0, routerUp: probe.status !== 'error' });
          }
          await sleep(this.options.capacityEveryMs ?? 120);
        }
      })(),
    ];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    this.agent.destroy();
  }

  /** `n` requests forced to the canary set (`x-conveyor-canary: 1`), as a person testing the new revision sends. */
  async forced(n: number): Promise<Answer[]> {
    const out: Answer[] = [];
    for (let i = 0; i < n; i++) out.push(await this.request({ [FORCE_SET_HEADER]: '1' }));
    return out;
  }

  private request(headers: Record<string, string> = {}): Promise<Answer> {
    const at = Date.now();
    return new Promise((resolve) => {
      const req = get(
        { host: '127.0.0.1', port: this.port, path: '/', headers, agent: this.agent, timeout: 3000 },
        (res) => {
          res.resume();
          res.on('end', () =>
            resolve({
              at,
              end: Date.now(),
              status: res.statusCode ?? 0,
              revision: header(res.headers['x-revision']),
              upstream: header(res.headers[UPSTREAM_HEADER]),
              error: header(res.headers[ERROR_HEADER]),
            }),
          );
          res.on('error', (err) => resolve(failed(at, err)));
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
      req.on('error', (err) => resolve(failed(at, err)));
    });
  }
}

function header(v: string | string[] | undefined): string | null {
  return v === undefined ? null : Array.isArray(v) ? (v[0] ?? null) : v;
}

function failed(at: number, err: Error): Answer {
  return {
    at,
    end: Date.now(),
    status: 'error',
    revision: null,
    upstream: null,
    error: (err as { code?: string }).code ?? err.message,
  };
}
