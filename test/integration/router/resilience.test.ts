import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { RouterUnavailableError } from '../../../src/router/client.js';
import { ensureRouter, readRouterPid } from '../../../src/router/launch.js';
import {
  killQuietly,
  request,
  sleep,
  startLoad,
  startRouter,
  startUpstream,
  stopAllRouters,
  type TestUpstream,
  table,
  until,
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

describe('router: no request lost while traffic moves', () => {
  it('a canary ramp and a blue/green swap under steady load with slow instances fail zero requests', async () => {
    const blue = [await upstream('blue-1', { delayMs: 15 }), await upstream('blue-2', { delayMs: 15 })];
    const green = [await upstream('green-1', { delayMs: 15 }), await upstream('green-2', { delayMs: 15 })];
    const router = await startRouter();
    const b = blue.map((u) => u.upstream());
    const g = green.map((u) => u.upstream());
    await router.client.setRouting(table(b, [], 0));
    const load = startLoad(router.url(), 12, 60_000);
    // Each routing lasts a moment and until a batch of requests has crossed it, however slow the machine.
    const landed = () => load.result.ok + load.result.failed;
    const underThisRouting = async (requests = 15) => {
      const before = landed();
      await sleep(250);
      await until(() => landed() >= before + requests, 20_000, `${requests} requests under one routing`);
    };
    for (const weight of [10, 50, 100]) {
      await underThisRouting();
      await router.client.setRouting(table(b, g, weight));
    }
    await underThisRouting();
    // Blue/green swap: green becomes stable, blue leaves the table and drains.
    await router.client.setRouting(table(g, [], 0, { drainTimeoutMs: 5000 }));
    const drained = await router.client.waitDrained(['blue-1', 'blue-2'], 3000);
    expect(drained).toEqual({ drained: true, inFlight: 0 });
    for (const u of blue) await u.close();
    await underThisRouting();
    // And back (a rollback is the same move).
    await router.client.setRouting(table(g, b.slice(0, 0), 0));
    await underThisRouting();
    const result = await load.stop();
    expect(result.failed, JSON.stringify(result.outcomes)).toBe(0);
    // Traffic crossed every change: 6 routings × at least 15 requests each, every one answered 200.
    expect(result.ok).toBeGreaterThanOrEqual(6 * 15);
    expect(result.byUpstream['stable/blue-1']).toBeGreaterThan(0);
    expect(result.byUpstream['canary/green-1']).toBeGreaterThan(0);
    expect(result.byUpstream['stable/green-2']).toBeGreaterThan(0);
  });

  it('an upstream removed from the table keeps its in-flight requests until they finish', async () => {
    const slow = await upstream('slow', { delayMs: 600 });
    const fast = await upstream('fast');
    const router = await startRouter();
    await router.client.setRouting(table([slow.upstream()]));
    const pending = Array.from({ length: 4 }, () => request(router.url()));
    await until(
      async () => (await router.client.getState()).upstreams[0]?.inFlight === 4,
      2000,
      '4 in flight',
    );
    const state = await router.client.setRouting(table([fast.upstream()]));
    expect(state.upstreams.find((u) => u.id === 'slow')).toMatchObject({ set: 'draining', inFlight: 4 });
    expect((await router.client.waitDrained(['slow'], 0)).drained).toBe(false);
    expect((await request(router.url())).body).toBe('fast');
    const drained = await router.client.waitDrained(['slow'], 3000);
    expect(drained.drained).toBe(true);
    const replies = await Promise.all(pending);
    expect(replies.map((r) => `${r.status} ${r.body}`)).toEqual(Array(4).fill('200 slow'));
    expect((await router.client.getState()).upstreams.map((u) => u.id)).toEqual(['fast']);
  });

  it('cuts in-flight requests of a removed upstream at drainTimeoutMs', async () => {
    const stuck = await upstream('stuck', { delayMs: 4000 });
    const fast = await upstream('fast');
    const router = await startRouter();
    await router.client.setRouting(table([stuck.upstream()]));
    const pending = request(router.url()).then(
      (r) => `status ${r.status}`,
      (e: NodeJS.ErrnoException) => `error ${e.code ?? e.message}`,
    );
    await until(async () => (await router.client.getState()).upstreams[0]?.inFlight === 1, 2000, 'in flight');
    const started = Date.now();
    await router.client.setRouting(table([fast.upstream()], [], 0, { drainTimeoutMs: 200 }));
    const drained = await router.client.waitDrained(['stuck'], 2000);
    expect(drained.drained).toBe(true);
    expect(Date.now() - started).toBeLessThan(1500);
    // The client is told (502 or a reset), never left waiting for the 4 s answer.
    expect(await pending).toMatch(/^(status 502|error .+)$/);
  });
});

describe('router: failures are answered, never hung', () => {
  it('an upstream that crashes mid-request gives 502 with a reason, at once', async () => {
    const crashy = http.createServer((req) => req.socket.destroy());
    await new Promise<void>((r) => crashy.listen(0, '127.0.0.1', r));
    const port = (crashy.address() as { port: number }).port;
    try {
      const router = await startRouter();
      await router.client.setRouting(table([{ id: 'crashy', host: '127.0.0.1', port }]));
      const r = await request(router.url(), { method: 'POST', body: 'x' });
      expect(r.status).toBe(502);
      expect(r.headers['x-conveyor-error']).toMatch(/^upstream-failed crashy /);
      expect(r.ms).toBeLessThan(1000);
    } finally {
      crashy.close();
    }
  });

  it('a stopped upstream is refused, retried on a live one, and taken out of rotation', async () => {
    const [a, b] = [await upstream('a'), await upstream('b')];
    const router = await startRouter({ healthCheck: { intervalMs: 200 } });
    await router.client.setRouting(table([a.upstream(), b.upstream()]));
    await a.crash();
    const replies = await Promise.all(Array.from({ length: 6 }, () => request(router.url())));
    expect(replies.map((r) => r.body)).toEqual(Array(6).fill('b'));
    const state = await router.client.getState();
    expect(state.upstreams.find((u) => u.id === 'a')).toMatchObject({ healthy: false });
  });

  it('the only upstream gone: 502 naming it, then 503 no-healthy-upstream, both quick', async () => {
    const a = await upstream('a');
    const router = await startRouter({ healthCheck: { intervalMs: 5000 } });
    await router.client.setRouting(table([a.upstream()]));
    await a.crash();
    const first = await request(router.url());
    expect(first.status).toBe(502);
    expect(first.headers['x-conveyor-error']).toBe('upstream-refused a ECONNREFUSED');
    const second = await request(router.url());
    expect(second.status).toBe(503);
    expect(second.headers['x-conveyor-error']).toBe('no-healthy-upstream');
    expect(first.ms + second.ms).toBeLessThan(1000);
  });

  it('an upstream that never answers gets 504 after upstreamTimeoutMs', async () => {
    const mute = http.createServer(() => {});
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const port = (mute.address() as { port: number }).port;
    try {
      const router = await startRouter({ upstreamTimeoutMs: 300 });
      await router.client.setRouting(table([{ id: 'mute', host: '127.0.0.1', port }]));
      const r = await request(router.url());
      expect(r.status).toBe(504);
      expect(r.headers['x-conveyor-error']).toBe('upstream-timeout mute');
      expect(r.ms).toBeLessThan(1500);
    } finally {
      mute.closeAllConnections();
      mute.close();
    }
  });

  it('a router that dies gives connection errors, not hangs; a new one reloads the last table', async () => {
    const a = await upstream('a');
    const router = await startRouter();
    await router.client.setRouting(table([a.upstream()]));
    killQuietly(router.pid, 'SIGKILL');
    await until(
      () => readRouterPid(router.stateDir) === undefined || !alive(router.pid),
      2000,
      'router gone',
    );
    const err = await request(router.url()).catch((e: NodeJS.ErrnoException) => e.code);
    expect(err).toBe('ECONNREFUSED');
    const adminErr = await router.client.getState().catch((e: unknown) => e);
    expect(adminErr).toBeInstanceOf(RouterUnavailableError);

    // Port 0: the freed port may already belong to another test's server on this busy machine.
    const restarted = await ensureRouter({ stateDir: router.stateDir, port: 0 });
    expect(restarted.reused).toBe(false);
    expect(restarted.pid).not.toBe(router.pid);
    const state = await restarted.client.getState();
    expect(state.generation).toBe(1);
    expect((await request(`http://127.0.0.1:${state.listen.port}/`)).body).toBe('a');
    killQuietly(restarted.pid);
  });
});

describe('router: health checks', () => {
  it('an unhealthy canary leaves rotation (weight falls back to stable) and comes back when healthy', async () => {
    let canaryHealth = 200;
    const a = await upstream('a');
    const b = await upstream('b', { healthStatus: () => canaryHealth });
    const router = await startRouter({
      healthCheck: { path: '/health', intervalMs: 100, unhealthyThreshold: 2, healthyThreshold: 1 },
    });
    await router.client.setRouting(table([a.upstream()], [b.upstream()], 50));
    canaryHealth = 500;
    await until(async () => (await router.client.getState()).effectiveCanaryWeight === 0, 3000, 'canary out');
    const state = await router.client.getState();
    expect(state.fallback).toBe('canary set has no healthy upstream: all traffic to stable');
    expect(state.upstreams.find((u) => u.id === 'b')).toMatchObject({
      healthy: false,
      lastCheck: { ok: false, detail: 'GET /health answered 500' },
    });
    const replies = await Promise.all(Array.from({ length: 6 }, () => request(router.url())));
    expect(replies.map((r) => r.body)).toEqual(Array(6).fill('a'));
    canaryHealth = 200;
    await until(
      async () => (await router.client.getState()).effectiveCanaryWeight === 50,
      3000,
      'canary back',
    );
    expect((await router.client.getState()).fallback).toBeUndefined();
  });

  it('with nothing healthy the router answers 503 with a reason', async () => {
    const a = await upstream('a', { healthStatus: () => 503 });
    const router = await startRouter({
      healthCheck: { path: '/health', intervalMs: 100, unhealthyThreshold: 1 },
    });
    await router.client.setRouting(table([a.upstream()]));
    await until(async () => (await router.client.getState()).fallback !== undefined, 3000, 'unhealthy');
    const r = await request(router.url());
    expect(r.status).toBe(503);
    expect(r.headers['x-conveyor-error']).toBe('no-healthy-upstream');
    expect((await router.client.getState()).fallback).toBe(
      'no healthy upstream in either set: answering 503',
    );
  });

  it('with no table yet the router answers 503 no-upstream-configured', async () => {
    const router = await startRouter();
    const r = await request(router.url());
    expect(r.status).toBe(503);
    expect(r.headers['x-conveyor-error']).toBe('no-upstream-configured');
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
