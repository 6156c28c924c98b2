import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { evaluateAnalysis } from '../../../src/deploy/analysis.js';
import type { RoutingTable } from '../../../src/router/api.js';
import { RouterServer, type RouterServerOptions } from '../../../src/router/server.js';
import { sleep, startRouter, stopAllRouters, table, until } from './helpers.js';
import {
  closeAllClients,
  deadPort,
  openUpgrade,
  roundTrip,
  startUpgradeUpstream,
  type UpgradeBehaviour,
  type UpgradeUpstream,
  within,
} from './upgrade-helpers.js';

const upstreams: UpgradeUpstream[] = [];
const routers: RouterServer[] = [];

async function upstream(name: string, behaviour: UpgradeBehaviour = 'echo') {
  const u = await startUpgradeUpstream(name, behaviour);
  upstreams.push(u);
  return u;
}

/** An in-process router (so timeouts can be short); health probes are slow so only requests change health. */
async function router(t: RoutingTable, opts: Partial<RouterServerOptions> = {}) {
  const r = new RouterServer({
    host: '127.0.0.1',
    port: 0,
    healthCheck: { intervalMs: 60_000 },
    ...opts,
  });
  routers.push(r);
  await r.listen();
  r.applyTable(t);
  return r;
}

afterEach(async () => {
  closeAllClients();
  while (routers.length > 0) await routers.pop()!.close(100);
  await stopAllRouters();
  while (upstreams.length > 0) await upstreams.pop()!.close();
});

function inFlightOf(r: RouterServer, id: string): number | undefined {
  return r.state().upstreams.find((u) => u.id === id)?.inFlight;
}

describe('router: upgrade requests are proxied', () => {
  it('relays the 101 and pipes bytes both ways, with forwarding headers and the upgrade headers kept', async () => {
    const a = await upstream('a');
    const r = await router(table([a.upstream()]));
    const reply = await openUpgrade(r.listenPort, { 'X-Forwarded-For': '10.0.0.9', Cookie: 'x=1' });
    expect(reply.status).toBe(101);
    expect(reply.headers['x-conveyor-upstream']).toBe('stable/a');
    expect(reply.headers.upgrade).toBe('websocket');
    expect(reply.headers['sec-websocket-accept']).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    expect(await roundTrip(reply, 'hello')).toBe('hello');
    expect(await roundTrip(reply, 'x'.repeat(200_000))).toHaveLength(200_000);
    const seen = a.seen[0]!;
    expect(seen.upgrade).toBe('websocket');
    expect(seen.connection).toBe('Upgrade');
    expect(seen['sec-websocket-key']).toBe('dGhlIHNhbXBsZSBub25jZQ==');
    // No trusted proxies: the client's X-Forwarded-For is replaced by the address the router saw.
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe(`127.0.0.1:${r.listenPort}`);
    expect(seen.cookie).toBe('x=1');
    // Either side closing ends the tunnel: here the client.
    reply.socket.end();
    await until(() => a.open.size === 0, 2000, 'the upstream side of the tunnel to close');
    await until(() => inFlightOf(r, 'a') === 0, 2000, 'the tunnel to leave in-flight');
  });

  it('upgrades a keep-alive connection that has already carried a normal request', async () => {
    const a = await upstream('a');
    const r = await router(table([a.upstream()]));
    const socket = connect({ host: '127.0.0.1', port: r.listenPort });
    try {
      let seen = '';
      socket.on('data', (d: Buffer) => {
        seen += d.toString('latin1');
      });
      const waitFor = (what: string) => until(() => seen.includes(what), 2000, `'${what}' on the connection`);
      socket.write('GET /plain HTTP/1.1\r\nHost: x\r\n\r\n');
      await waitFor('\r\n\r\na');
      expect(seen).toMatch(/^HTTP\/1\.1 200/);
      seen = '';
      socket.write('GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
      await waitFor('\r\n\r\n');
      expect(seen).toMatch(/^HTTP\/1\.1 101/);
      seen = '';
      socket.write('after the switch');
      await waitFor('after the switch');
    } finally {
      socket.destroy();
    }
  });

  it('passes on bytes the upstream sends right behind its 101', async () => {
    const a = await upstream('a', 'greet');
    const r = await router(table([a.upstream()]));
    const reply = await openUpgrade(r.listenPort);
    expect(reply.status).toBe(101);
    expect(await reply.waitFor('hi from a'.length)).toBe('hi from a');
    expect(await roundTrip(reply, 'and back')).toBe('and back');
  });

  it('closes the client side when the upstream closes the tunnel', async () => {
    const a = await upstream('a');
    const r = await router(table([a.upstream()]));
    const reply = await openUpgrade(r.listenPort);
    expect(reply.status).toBe(101);
    for (const s of a.open) s.end();
    await within(reply.closed, 2000, 'client side closed');
    await until(() => inFlightOf(r, 'a') === 0, 2000, 'the tunnel to leave in-flight');
  });

  it('passes an h2c upgrade on with HTTP2-Settings and the Connection tokens that name it', async () => {
    const a = await upstream('a');
    const r = await router(table([a.upstream()]));
    const reply = await openUpgrade(r.listenPort, {
      Connection: 'Upgrade, HTTP2-Settings',
      Upgrade: 'h2c',
      'HTTP2-Settings': 'AAMAAABkAARAAAAAAAIAAAAA',
    });
    expect(reply.status).toBe(101);
    expect(reply.headers.upgrade).toBe('h2c');
    expect(a.seen[0]).toMatchObject({
      connection: 'Upgrade, HTTP2-Settings',
      upgrade: 'h2c',
      'http2-settings': 'AAMAAABkAARAAAAAAAIAAAAA',
    });
    expect(await roundTrip(reply, 'PRI * HTTP/2.0')).toBe('PRI * HTTP/2.0');
  });

  it('works through the router process started by ensureRouter', async () => {
    const a = await upstream('a');
    const proc = await startRouter();
    await proc.client.setRouting(table([a.upstream()]));
    const reply = await openUpgrade(proc.port);
    expect(reply.status).toBe(101);
    expect(await roundTrip(reply, 'through the process')).toBe('through the process');
    const state = await proc.client.getState();
    expect(state.upstreams[0]).toMatchObject({ id: 'a', inFlight: 1, upgrades: 1 });
    reply.socket.destroy();
  });

  it('relays a non-101 answer as a normal response and closes the connection after it', async () => {
    const a = await upstream('a', 'decline');
    const r = await router(table([a.upstream()]));
    const reply = await openUpgrade(r.listenPort);
    expect(reply.status).toBe(403);
    expect(reply.body).toBe('a no');
    expect(reply.headers['x-conveyor-upstream']).toBe('stable/a');
    expect(reply.headers.connection).toBe('close');
    await within(reply.closed, 2000, 'connection closed after the answer');
    expect(inFlightOf(r, 'a')).toBe(0);
  });

  it('finds the end of a chunked non-101 answer even when the upstream keeps its connection open', async () => {
    const a = await upstream('a', 'decline-chunked');
    const r = await router(table([a.upstream()]));
    const reply = await openUpgrade(r.listenPort);
    expect(reply.status).toBe(403);
    expect(reply.headers['transfer-encoding']).toBe('chunked');
    expect(reply.body).toBe('4\r\nno, \r\n1\r\na\r\n0\r\n\r\n');
    await within(reply.closed, 2000, 'connection closed after the answer');
    expect(inFlightOf(r, 'a')).toBe(0);
    expect(r.metrics(10_000).stable).toMatchObject({
      requests: 1,
      errors: 0,
      upgrades: { opened: 0, failed: 0 },
    });
  });
});

describe('router: upgrade routing follows the same decision as requests', () => {
  it('splits 100 connections 90/10 by weight', async () => {
    const s = await upstream('s');
    const c = await upstream('c');
    const r = await router(table([s.upstream()], [c.upstream()], 10));
    const counts: Record<string, number> = {};
    for (let batch = 0; batch < 10; batch++) {
      const replies = await Promise.all(Array.from({ length: 10 }, () => openUpgrade(r.listenPort)));
      for (const reply of replies) {
        expect(reply.status).toBe(101);
        const via = reply.headers['x-conveyor-upstream']!;
        counts[via] = (counts[via] ?? 0) + 1;
        reply.socket.destroy();
      }
    }
    // The split is deterministic for requests; allow a little slack all the same.
    expect(counts['canary/c']).toBeGreaterThanOrEqual(7);
    expect(counts['canary/c']).toBeLessThanOrEqual(13);
    expect((counts['stable/s'] ?? 0) + (counts['canary/c'] ?? 0)).toBe(100);
  });

  it('counts open connections as in flight: new ones go to the instance with fewer open', async () => {
    const a = await upstream('a');
    const b = await upstream('b');
    const r = await router(table([a.upstream(), b.upstream()]));
    const first = await openUpgrade(r.listenPort);
    const firstOn = first.headers['x-conveyor-upstream'];
    // While the first stays open, the next three alternate starting with the other instance.
    const second = await openUpgrade(r.listenPort);
    expect(second.headers['x-conveyor-upstream']).not.toBe(firstOn);
    const more = [];
    for (let i = 0; i < 6; i++) more.push(await openUpgrade(r.listenPort));
    expect(inFlightOf(r, 'a')).toBe(4);
    expect(inFlightOf(r, 'b')).toBe(4);
    expect(a.open.size).toBe(4);
    expect(b.open.size).toBe(4);
  });

  it('honours the force header (not passed on) and the sticky cookie, and sets the cookie on the 101', async () => {
    const s = await upstream('s');
    const c = await upstream('c');
    const r = await router(table([s.upstream()], [c.upstream()], 0, { sticky: true }));
    const forced = await openUpgrade(r.listenPort, { 'x-conveyor-canary': '1' });
    expect(forced.headers['x-conveyor-upstream']).toBe('canary/c');
    expect(c.seen[0]!['x-conveyor-canary']).toBeUndefined();
    const pinned = await openUpgrade(r.listenPort, { Cookie: 'conveyor-set=canary' });
    expect(pinned.headers['x-conveyor-upstream']).toBe('canary/c');
    expect(pinned.headers['set-cookie']).toBeUndefined();
    const placed = await openUpgrade(r.listenPort);
    expect(placed.headers['x-conveyor-upstream']).toBe('stable/s');
    expect(placed.headers['set-cookie']).toMatch(/^conveyor-set=stable;/);
    // A forced set with no healthy instance is refused, never quietly sent elsewhere.
    r.applyTable(table([s.upstream()], [], 0));
    const refused = await openUpgrade(r.listenPort, { 'x-conveyor-canary': 'canary' });
    expect(refused.status).toBe(503);
    expect(refused.headers['x-conveyor-error']).toBe('forced-canary-unavailable');
  });
});

describe('router: upgrade errors', () => {
  it('retries a refused connection on another healthy instance and takes the dead one out', async () => {
    const live = await upstream('live');
    const dead = { id: 'dead', host: '127.0.0.1', port: await deadPort() };
    const r = await router(table([dead, live.upstream()]));
    for (let i = 0; i < 4; i++) {
      const reply = await openUpgrade(r.listenPort);
      expect(reply.status).toBe(101);
      expect(reply.headers['x-conveyor-upstream']).toBe('stable/live');
      expect(await roundTrip(reply, `m${i}`)).toBe(`m${i}`);
    }
    const deadState = r.state().upstreams.find((u) => u.id === 'dead')!;
    expect(deadState.healthy).toBe(false);
    expect(deadState.lastCheck?.detail).toContain('ECONNREFUSED');
    expect(deadState.inFlight).toBe(0);
  });

  it('answers 502 when the only instance refuses, and counts it as a failed upgrade of its set', async () => {
    const r = await router(table([], [{ id: 'dead', host: '127.0.0.1', port: await deadPort() }], 100));
    const reply = await openUpgrade(r.listenPort);
    expect(reply.status).toBe(502);
    expect(reply.headers['x-conveyor-error']).toBe('upstream-refused dead ECONNREFUSED');
    await within(reply.closed, 2000, 'connection closed after the 502');
    const m = r.metrics(10_000).canary;
    expect(m.requests).toBe(1);
    expect(m.errors).toBe(1);
    expect(m.upgrades).toEqual({ opened: 0, failed: 1, open: 0 });
  });

  it('answers 502 when the upstream hangs up instead of answering', async () => {
    const a = await upstream('a', 'hangup');
    const r = await router(table([a.upstream()]));
    const reply = await openUpgrade(r.listenPort);
    expect(reply.status).toBe(502);
    expect(reply.headers['x-conveyor-error']).toMatch(/^upstream-failed a /);
  });

  it('answers 504 when the upstream stays silent past the response timeout', async () => {
    const a = await upstream('a', 'silent');
    const r = await router(table([a.upstream()]), { upstreamTimeoutMs: 300 });
    const started = Date.now();
    const reply = await openUpgrade(r.listenPort);
    expect(reply.status).toBe(504);
    expect(reply.headers['x-conveyor-error']).toBe('upstream-timeout a');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(inFlightOf(r, 'a')).toBe(0);
  });

  it('answers 503 when nothing is configured or nothing is healthy', async () => {
    const r = await router(table([]));
    const none = await openUpgrade(r.listenPort);
    expect(none.status).toBe(503);
    // A table with no instance was applied: every instance is out of service (#12), not "nothing configured".
    expect(none.headers['x-conveyor-error']).toBe('no-instance-in-service');
    r.applyTable(table([{ id: 'dead', host: '127.0.0.1', port: await deadPort() }]));
    const refused = await openUpgrade(r.listenPort);
    expect(refused.status).toBe(502);
    // The refusal took the only instance out of rotation: now nothing is healthy.
    const unhealthy = await openUpgrade(r.listenPort);
    expect(unhealthy.status).toBe(503);
    expect(unhealthy.headers['x-conveyor-error']).toBe('no-healthy-upstream');
    expect(r.metrics(10_000).total.upgrades).toMatchObject({ opened: 0, failed: 3 });
  });
});

describe('router: open upgraded connections across deployments', () => {
  it('a drained instance keeps its open connection until the drain deadline, then it is closed', async () => {
    const old = await upstream('old');
    const fresh = await upstream('fresh');
    const r = await router(table([old.upstream()]));
    const reply = await openUpgrade(r.listenPort);
    expect(reply.headers['x-conveyor-upstream']).toBe('stable/old');
    let closedAt = 0;
    void reply.closed.then(() => {
      closedAt = Date.now();
    });
    const drainStarted = Date.now();
    r.applyTable(table([fresh.upstream()], [], 0, { drainTimeoutMs: 800 }));
    expect(r.drainedStatus(['old'])).toEqual({ drained: false, inFlight: 1 });
    // New connections follow the new table at once.
    const next = await openUpgrade(r.listenPort);
    expect(next.headers['x-conveyor-upstream']).toBe('stable/fresh');
    await sleep(400);
    expect(closedAt).toBe(0);
    expect(await roundTrip(reply, 'still here')).toBe('still here');
    expect(r.state().upstreams.find((u) => u.id === 'old')?.set).toBe('draining');
    await within(reply.closed, 3000, 'the draining connection to be closed at the deadline');
    const afterMs = closedAt - drainStarted;
    expect(afterMs).toBeGreaterThanOrEqual(750);
    expect(afterMs).toBeLessThan(2500);
    await until(() => old.open.size === 0, 2000, 'the upstream side to be closed too');
    expect(r.drainedStatus(['old'])).toEqual({ drained: true, inFlight: 0 });
    // The connection on the instance that stayed is untouched.
    expect(await roundTrip(next, 'fresh ok')).toBe('fresh ok');
  });

  it('a drain finishes early when the open connection closes before the deadline', async () => {
    const old = await upstream('old');
    const fresh = await upstream('fresh');
    const r = await router(table([old.upstream()]));
    const reply = await openUpgrade(r.listenPort);
    r.applyTable(table([fresh.upstream()], [], 0, { drainTimeoutMs: 10_000 }));
    expect(r.drainedStatus(['old']).drained).toBe(false);
    reply.socket.end();
    await until(() => r.drainedStatus(['old']).drained, 2000, 'old to be drained');
    expect(r.state().upstreams.some((u) => u.id === 'old')).toBe(false);
  });

  it('a weight change keeps existing connections; new ones follow the new weight', async () => {
    const s = await upstream('s');
    const c = await upstream('c');
    const r = await router(table([s.upstream()], [c.upstream()], 100));
    const onCanary = await openUpgrade(r.listenPort);
    expect(onCanary.headers['x-conveyor-upstream']).toBe('canary/c');
    r.applyTable(table([s.upstream()], [c.upstream()], 0));
    const next = await openUpgrade(r.listenPort);
    expect(next.headers['x-conveyor-upstream']).toBe('stable/s');
    expect(await roundTrip(onCanary, 'kept')).toBe('kept');
    // Even a rollback that empties the canary set lets it finish until the drain deadline.
    r.applyTable(table([s.upstream()], [], 0, { drainTimeoutMs: 5000 }));
    expect(await roundTrip(onCanary, 'still kept')).toBe('still kept');
  });

  it('counts upgrades in the set metrics without the tunnel lifetime entering the latency figures', async () => {
    const s = await upstream('s');
    const c = await upstream('c');
    const r = await router(table([s.upstream()], [c.upstream()], 100));
    const a = await openUpgrade(r.listenPort);
    const b = await openUpgrade(r.listenPort);
    await sleep(600);
    a.socket.destroy();
    await until(() => r.metrics(10_000).canary.upgrades?.open === 1, 2000, 'one tunnel left open');
    const m = r.metrics(10_000);
    expect(m.canary.requests).toBe(2);
    expect(m.canary.errors).toBe(0);
    expect(m.canary.upgrades).toEqual({ opened: 2, failed: 0, open: 1 });
    // Handshakes take milliseconds; the 600 ms the tunnels stayed open is not a request's latency.
    expect(m.canary.latencyMs.p99).toBeLessThan(300);
    // An open tunnel is not an HTTP exchange in progress (inFlight feeds the gates' view of load).
    expect(m.canary.inFlight).toBe(0);
    expect(m.stable.upgrades).toEqual({ opened: 0, failed: 0, open: 0 });
    expect(m.total.upgrades).toEqual({ opened: 2, failed: 0, open: 1 });
    b.socket.destroy();
  });

  it('router shutdown closes open upgraded connections instead of waiting for them', async () => {
    const a = await upstream('a');
    const r = await router(table([a.upstream()]));
    const reply = await openUpgrade(r.listenPort);
    const started = Date.now();
    routers.splice(routers.indexOf(r), 1);
    await r.close(5000);
    await within(reply.closed, 2000, 'the tunnel to close with the router');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('router: upgrade metrics feed the analysis gate correctly', () => {
  const gate = { intervalSeconds: 10, maxErrorRate: 0.05, maxP99LatencyMs: 300, minRequests: 10 };

  it('a canary whose WebSocket handshakes fail is rolled back', async () => {
    const s = await upstream('s');
    const c = await upstream('c', 'hangup');
    const r = await router(table([s.upstream()], [c.upstream()], 50));
    const replies = [];
    for (let i = 0; i < 30; i++) replies.push(await openUpgrade(r.listenPort));
    expect(replies.filter((x) => x.status === 502)).toHaveLength(15);
    const { verdict } = evaluateAnalysis(undefined, r.metrics(10_000), gate);
    expect(verdict.result).toBe('fail');
    expect(verdict.action).toBe('rollback');
    expect(verdict.reasons.join(' ')).toContain('error rate 100.0% (15/15)');
  });

  it('a healthy canary with long-lived connections passes a tight latency gate', async () => {
    const s = await upstream('s');
    const c = await upstream('c');
    const r = await router(table([s.upstream()], [c.upstream()], 50));
    const replies = [];
    for (let i = 0; i < 24; i++) replies.push(await openUpgrade(r.listenPort));
    await sleep(700);
    for (const x of replies) x.socket.destroy();
    await until(() => r.metrics(10_000).total.upgrades?.open === 0, 2000, 'every tunnel closed');
    const { verdict } = evaluateAnalysis(undefined, r.metrics(10_000), gate);
    expect(verdict.result, verdict.reasons.join('; ')).toBe('pass');
    expect(verdict.measured).toMatchObject({ requests: 12, errors: 0 });
  });
});
