import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { RouterRequestError } from '../../../src/router/client.js';
import {
  request,
  sleep,
  startRouter,
  startUpstream,
  stopAllRouters,
  type TestUpstream,
  table,
} from './helpers.js';

const upstreams: TestUpstream[] = [];
async function upstream(name: string, behaviour = {}) {
  const u = await startUpstream(name, behaviour);
  upstreams.push(u);
  return u;
}

afterEach(async () => {
  await stopAllRouters();
  while (upstreams.length > 0) await upstreams.pop()!.close();
});

async function shares(url: string, n: number, headers: Record<string, string> = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await request(url, { agent, headers });
    counts[r.body] = (counts[r.body] ?? 0) + 1;
  }
  agent.destroy();
  return counts;
}

describe('router: weights', () => {
  it('sends the configured share to each set and balances instances within a set', async () => {
    const [a1, a2, b] = [await upstream('a1'), await upstream('a2'), await upstream('b')];
    const router = await startRouter();
    await router.client.setRouting(table([a1.upstream(), a2.upstream()], [b.upstream()], 0));
    expect(await shares(router.url(), 20)).toEqual({ a1: 10, a2: 10 });

    const state = await router.client.setRouting(table([a1.upstream(), a2.upstream()], [b.upstream()], 30));
    expect(state.generation).toBe(2);
    expect(state.effectiveCanaryWeight).toBe(30);
    const split = await shares(router.url(), 200);
    expect(split.b).toBe(60);
    expect(split.a1! + split.a2!).toBe(140);
    expect(Math.abs(split.a1! - split.a2!)).toBeLessThanOrEqual(2);

    await router.client.setRouting(table([a1.upstream(), a2.upstream()], [b.upstream()], 100));
    expect(await shares(router.url(), 10)).toEqual({ b: 10 });
  });

  it('a weight change applies to the very next request', async () => {
    const [a, b] = [await upstream('a'), await upstream('b')];
    const router = await startRouter();
    await router.client.setRouting(table([a.upstream()], [b.upstream()], 0));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    expect((await request(router.url(), { agent })).body).toBe('a');
    const applied = await router.client.setRouting(table([a.upstream()], [b.upstream()], 100));
    expect(applied.firstRequestAt).toBe(0);
    expect((await request(router.url(), { agent })).body).toBe('b');
    agent.destroy();
    const state = await router.client.getState();
    expect(state.firstRequestAt).toBeGreaterThanOrEqual(state.appliedAt!);
    expect(state.firstRequestAt! - state.appliedAt!).toBeLessThan(5000);
  });
});

describe('router: sticky sessions and the force header', () => {
  it('keeps a client on its set through weight changes when sticky is on', async () => {
    const [a, b] = [await upstream('a'), await upstream('b')];
    const router = await startRouter();
    await router.client.setRouting(table([a.upstream()], [b.upstream()], 50, { sticky: true }));
    const first = await request(router.url());
    const second = await request(router.url());
    const cookies = [first, second].map((r) => String(r.headers['set-cookie']));
    expect(cookies.sort()).toEqual([
      'conveyor-set=canary; Path=/; HttpOnly; SameSite=Lax',
      'conveyor-set=stable; Path=/; HttpOnly; SameSite=Lax',
    ]);
    const canaryClient = first.body === 'b' ? first : second;
    const cookie = String(canaryClient.headers['set-cookie']).split(';')[0]!;
    await router.client.setRouting(table([a.upstream()], [b.upstream()], 5, { sticky: true }));
    expect(await shares(router.url(), 10, { cookie: `theme=dark; ${cookie}` })).toEqual({ b: 10 });
    // A pinned client does not get a new cookie on every request.
    expect((await request(router.url(), { headers: { cookie } })).headers['set-cookie']).toBeUndefined();
  });

  it('falls back to the weight when the pinned set has nothing healthy', async () => {
    const a = await upstream('a');
    const router = await startRouter();
    await router.client.setRouting(table([a.upstream()], [], 0, { sticky: true }));
    const r = await request(router.url(), { headers: { cookie: 'conveyor-set=canary' } });
    expect(r.body).toBe('a');
  });

  it('x-conveyor-canary: 1 reaches the canary at weight 0; 0 forces stable', async () => {
    const [a, b] = [await upstream('a'), await upstream('b')];
    const router = await startRouter();
    await router.client.setRouting(table([a.upstream()], [b.upstream()], 0));
    expect(await shares(router.url(), 5, { 'x-conveyor-canary': '1' })).toEqual({ b: 5 });
    await router.client.setRouting(table([a.upstream()], [b.upstream()], 100));
    expect(await shares(router.url(), 5, { 'x-conveyor-canary': '0' })).toEqual({ a: 5 });
  });

  it('forcing a canary that does not exist is a 503 with a reason, not a silent stable answer', async () => {
    const a = await upstream('a');
    const router = await startRouter();
    await router.client.setRouting(table([a.upstream()]));
    const r = await request(router.url(), { headers: { 'x-conveyor-canary': '1' } });
    expect(r.status).toBe(503);
    expect(r.headers['x-conveyor-error']).toBe('forced-canary-unavailable');
  });
});

describe('router: proxying', () => {
  it('sets X-Forwarded-* from what it saw, keeps Host, drops hop-by-hop and Connection-listed headers', async () => {
    const a = await upstream('a');
    const router = await startRouter();
    await router.client.setRouting(table([a.upstream()]));
    const r = await request(router.url('/echo?q=1'), {
      headers: {
        host: 'shop.example:8080',
        'x-forwarded-for': '10.1.2.3',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'bank.example',
        connection: 'keep-alive, x-secret-hop',
        'x-secret-hop': 'drop me',
        'keep-alive': 'timeout=5',
        'x-app': 'kept',
        'x-conveyor-canary': '0',
      },
    });
    expect(r.status).toBe(200);
    const seen = JSON.parse(r.body) as { headers: Record<string, string>; url: string };
    expect(seen.url).toBe('/echo?q=1');
    // No trusted proxies: the client's own claims are replaced.
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-forwarded-host']).toBe('shop.example:8080');
    expect(seen.headers.host).toBe('shop.example:8080');
    expect(seen.headers['x-app']).toBe('kept');
    expect(seen.headers['x-secret-hop']).toBeUndefined();
    expect(seen.headers['keep-alive']).toBeUndefined();
    expect(seen.headers['x-conveyor-canary']).toBeUndefined();
    expect(r.headers['x-conveyor-upstream']).toBe('stable/a');
  });

  it('streams a large request body to the upstream', async () => {
    const a = await upstream('a');
    const router = await startRouter();
    await router.client.setRouting(table([a.upstream()]));
    const body = Buffer.alloc(3 * 1024 * 1024, 7);
    const r = await request(router.url('/upload'), { method: 'POST', body });
    expect(r.body).toBe(`a ${body.length}`);
  });

  it('passes a chunked request body and HEAD answers through intact', async () => {
    const a = await upstream('a');
    const router = await startRouter();
    await router.client.setRouting(table([a.upstream()]));
    const chunked = await new Promise<string>((resolve, reject) => {
      const req = http.request(router.url('/upload'), { method: 'POST', agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.setHeader('transfer-encoding', 'chunked');
      req.write(Buffer.alloc(1000, 1));
      setTimeout(() => req.end(Buffer.alloc(2345, 2)), 20);
    });
    expect(chunked).toBe('a 3345');
    const head = await request(router.url('/echo'), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-type']).toBe('application/json');
    // The connection stays usable after a body-less answer.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 3; i++) {
      expect((await request(router.url('/echo'), { method: 'HEAD', agent })).status).toBe(200);
      expect((await request(router.url(), { agent })).body).toBe('a');
    }
    agent.destroy();
  });

  it('streams the response: the first bytes arrive before the upstream has finished', async () => {
    const slow = http.createServer((_req, res) => {
      res.write('first;');
      setTimeout(() => res.end('last'), 400);
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const port = (slow.address() as { port: number }).port;
    try {
      const router = await startRouter();
      await router.client.setRouting(table([{ id: 's', host: '127.0.0.1', port }]));
      const started = performance.now();
      const firstChunkMs = await new Promise<number>((resolve, reject) => {
        http
          .get(router.url(), (res) => {
            res.once('data', () => resolve(performance.now() - started));
            res.resume();
          })
          .on('error', reject);
      });
      expect(firstChunkMs).toBeLessThan(300);
    } finally {
      slow.closeAllConnections();
      slow.close();
    }
  });
});

describe('router: admin endpoint', () => {
  it('refuses a bad table with every problem named and keeps the old one', async () => {
    const a = await upstream('a');
    const router = await startRouter();
    await router.client.setRouting(table([a.upstream()]));
    const err = await router.client
      .setRouting({ stable: [{ id: 'x', host: '127.0.0.1', port: 70000 }], canary: [], canaryWeight: 101 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RouterRequestError);
    expect((err as Error).message).toContain('stable[0].port must be an integer from 1 to 65535, got 70000');
    expect((err as Error).message).toContain('canaryWeight must be a number from 0 to 100, got 101');
    expect((await request(router.url())).body).toBe('a');
    expect((await router.client.getState()).generation).toBe(1);
  });

  it('reports per-set metrics over a window and resets them', async () => {
    const [a, b] = [await upstream('a'), await upstream('b', { failShare: 0.5 })];
    const router = await startRouter();
    await router.client.setRouting(table([a.upstream()], [b.upstream()], 50));
    await shares(router.url(), 40);
    await sleep(20);
    const m = await router.client.metrics(5000);
    expect(m.stable).toMatchObject({ requests: 20, errors: 0, inFlight: 0 });
    expect(m.canary).toMatchObject({ requests: 20, errors: 10, errorRate: 0.5 });
    expect(m.total.requests).toBe(40);
    expect(m.canary.latencyMs.p99).toBeGreaterThan(0);
    await router.client.resetMetrics();
    expect((await router.client.metrics(5000)).total.requests).toBe(0);
  });

  it('ensureRouter reuses the running router of a state folder', async () => {
    const router = await startRouter();
    const again = await startRouter({ stateDir: router.stateDir });
    expect(again.pid).toBe(router.pid);
  });
});
