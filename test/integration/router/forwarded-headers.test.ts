/**
 * What the upstream learns about the client (issue #13 item 7): X-Forwarded-For/-Proto/-Host are the
 * router's own observations unless the peer is a trusted proxy named in the table; Forwarded and
 * X-Real-IP from anyone else are dropped; Expect is answered by the router and never passed on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RoutingTable } from '../../../src/router/api.js';
import { RouterServer } from '../../../src/router/server.js';
import { checkRoutingTable } from '../../../src/router/table.js';
import { request, startUpstream, type TestUpstream, table } from './helpers.js';
import { rawExchange } from './raw-http.js';

const upstreams: TestUpstream[] = [];
const routers: RouterServer[] = [];

afterEach(async () => {
  while (routers.length > 0) await routers.pop()!.close(100);
  while (upstreams.length > 0) await upstreams.pop()!.close();
});

async function setup(extra: Partial<RoutingTable> = {}) {
  const a = await startUpstream('a');
  upstreams.push(a);
  const r = new RouterServer({ host: '127.0.0.1', port: 0, healthCheck: { intervalMs: 60_000 } });
  routers.push(r);
  await r.listen();
  r.applyTable(table([a.upstream()], [], 0, extra));
  return r;
}

const CLAIMS = {
  host: 'shop.example',
  'x-forwarded-for': '203.0.113.7',
  'x-forwarded-proto': 'https',
  'x-forwarded-host': 'bank.example',
  forwarded: 'for=203.0.113.7;proto=https',
  'x-real-ip': '203.0.113.7',
};

async function echo(r: RouterServer, headers: Record<string, string>) {
  const reply = await request(`http://127.0.0.1:${r.listenPort}/echo`, { headers });
  expect(reply.status).toBe(200);
  return (JSON.parse(reply.body) as { headers: Record<string, string> }).headers;
}

describe('router: forwarding headers', () => {
  it('replaces a client’s own X-Forwarded-* with what it saw, and drops Forwarded and X-Real-IP', async () => {
    const r = await setup();
    const seen = await echo(r, CLAIMS);
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe('shop.example');
    expect(seen.host).toBe('shop.example');
    expect(seen.forwarded).toBeUndefined();
    expect(seen['x-real-ip']).toBeUndefined();
  });

  it('keeps and extends them when the peer is a trusted proxy', async () => {
    const r = await setup({ trustedProxies: ['10.0.0.0/8', '127.0.0.1'] });
    const seen = await echo(r, CLAIMS);
    expect(seen['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('https');
    expect(seen['x-forwarded-host']).toBe('bank.example');
    expect(seen.forwarded).toBe('for=203.0.113.7;proto=https');
    expect(seen['x-real-ip']).toBe('203.0.113.7');
    // Without claims, a trusted proxy's request gets the router's own view.
    const plain = await echo(r, { host: 'shop.example' });
    expect(plain['x-forwarded-for']).toBe('127.0.0.1');
    expect(plain['x-forwarded-proto']).toBe('http');
    expect(plain['x-forwarded-host']).toBe('shop.example');
  });

  it('a trusted range that does not hold the peer trusts nothing', async () => {
    const r = await setup({ trustedProxies: ['10.0.0.0/8', '::1'] });
    const seen = await echo(r, CLAIMS);
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe('shop.example');
  });

  it('answers Expect: 100-continue itself and does not pass Expect on', async () => {
    const r = await setup();
    const got = await rawExchange(
      r.listenPort,
      ['POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n', 'hi'],
      1,
    );
    expect(got.responses.map((x) => x.status)).toEqual([100, 200]);
    const seen = (JSON.parse(got.responses[1]!.body) as { headers: Record<string, string> }).headers;
    expect(seen.expect).toBeUndefined();
    expect(seen['content-length']).toBe('2');
  });

  it('answers 400 to two Host headers without asking the upstream', async () => {
    const r = await setup();
    const got = await rawExchange(r.listenPort, ['GET /echo HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'], 1);
    expect(got.responses.map((x) => `${x.status} ${x.headers.get('x-conveyor-error')}`)).toEqual([
      '400 duplicate-host',
    ]);
    expect(got.closed).toBe(true);
    expect(upstreams[0]!.requests).toBe(0);
  });

  it('a routing table with a bad trusted proxy is refused, naming it', () => {
    const checked = checkRoutingTable({
      stable: [],
      canary: [],
      canaryWeight: 0,
      trustedProxies: ['proxy.lan'],
    });
    expect(checked.ok).toBe(false);
    expect(!checked.ok && checked.problems.join('; ')).toMatch(
      /proxy\.lan' is not an IP address or CIDR range/,
    );
    const ok = checkRoutingTable({ stable: [], canary: [], canaryWeight: 0, trustedProxies: ['fd00::/8'] });
    expect(ok.ok && ok.table.trustedProxies).toEqual(['fd00::/8']);
  });
});
