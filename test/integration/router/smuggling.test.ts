/**
 * Request smuggling and desync, from a raw socket. Each vector is sent as bytes on its own connection to a
 * router in front of a permissive keep-alive upstream (it reads pipelined requests and ignores Upgrade
 * unless it switches). For every vector:
 * - the upstream sees exactly the requests listed (a smuggled one would show up, without the router's
 *   X-Forwarded-For), each with one Host and the router's framing;
 * - the client gets exactly the answers listed, each its own (the upstream echoes method, url, body size);
 * - a victim on another connection right after gets its own answer, never one meant for someone else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RouterServer } from '../../../src/router/server.js';
import { table } from './helpers.js';
import { type RawUpstream, rawExchange, startRawUpstream } from './raw-http.js';

const SMUGGLED = 'GET /SMUGGLED HTTP/1.1\r\nHost: a\r\n\r\n';
const CHUNKED_ABC = '3\r\nabc\r\n0\r\n\r\n';

interface Vector {
  name: string;
  /** Bytes sent, in parts 20 ms apart. */
  send: string | string[];
  /** Statuses of the final answers the client gets, in order (1xx not listed unless `interim`). */
  answers: number[];
  /** Bodies of the 2xx/4xx answers from the upstream, in order (default: not checked). */
  bodies?: string[];
  /** `METHOD url bodyLength` of every request the upstream sees (any order). */
  upstream: string[];
  /** The router closes the connection after the answers (default: when an answer is the router's 4xx/5xx). */
  closes?: boolean;
  interim?: number[];
  tunnel?: string;
  head?: boolean;
}

const refused = (name: string, send: string | string[]): Vector => ({
  name,
  send,
  answers: [400],
  upstream: [],
});

const vectors: Vector[] = [
  // ---- Connection naming framing headers or Host (issue #13's repro first)
  refused(
    'Connection: keep-alive, Content-Length (the body would become a second request)',
    `POST / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Content-Length\r\nContent-Length: 41\r\n\r\nGET /slowSMUGGLED HTTP/1.1\r\nHost: a\r\n\r\n`,
  ),
  refused(
    'Connection: CONTENT-LENGTH in capitals',
    `POST / HTTP/1.1\r\nHost: a\r\nConnection: CONTENT-LENGTH\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
  ),
  refused(
    'Content-Length named by a second Connection header',
    `POST / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nConnection: content-length\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
  ),
  refused(
    'Connection: Transfer-Encoding',
    `POST / HTTP/1.1\r\nHost: a\r\nConnection: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n${CHUNKED_ABC}`,
  ),
  refused('Connection: Host', 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close, Host\r\n\r\n'),
  // ---- CL.TE and TE.CL
  refused(
    'CL.TE: Content-Length and Transfer-Encoding together',
    `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  ),
  refused(
    'TE.CL: Transfer-Encoding first, a short Content-Length after',
    `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\nGPOST /SMUGGLED HTTP/1.1\r\n\r\n0\r\n\r\n`,
  ),
  // ---- TE.TE obfuscations
  refused(
    'TE.TE: space before the colon',
    `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n`,
  ),
  refused(
    'TE.TE: xchunked',
    `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  ),
  refused(
    'TE.TE: chunked not the last coding',
    `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`,
  ),
  refused(
    'TE.TE: a second Transfer-Encoding header',
    `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n`,
  ),
  refused(
    'TE.TE: vertical tab before chunked',
    `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \vchunked\r\n\r\n0\r\n\r\n`,
  ),
  {
    name: 'TE.TE: tab before chunked is read as chunked and re-framed',
    send: `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\tchunked\r\n\r\n${CHUNKED_ABC}`,
    answers: [200],
    bodies: ['POST / 3'],
    upstream: ['POST / 3'],
  },
  {
    name: 'TE.TE: CHUNKED in capitals is re-framed',
    send: `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n\r\n${CHUNKED_ABC}`,
    answers: [200],
    upstream: ['POST / 3'],
  },
  {
    name: 'TE.TE: identity, chunked is re-framed as plain chunked',
    send: `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity, chunked\r\n\r\n${CHUNKED_ABC}`,
    answers: [200],
    upstream: ['POST / 3'],
  },
  {
    name: 'chunked body from an HTTP/1.0 client',
    send: `POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${CHUNKED_ABC}`,
    answers: [200],
    upstream: ['POST / 3'],
    closes: true,
  },
  // ---- duplicate and invalid Content-Length
  refused(
    'two equal Content-Length headers',
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc',
  ),
  refused(
    'two different Content-Length headers',
    `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: ${3 + SMUGGLED.length}\r\n\r\nabc${SMUGGLED}`,
  ),
  refused('Content-Length as a list', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc'),
  refused('Content-Length with a plus sign', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc'),
  refused('negative Content-Length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\nabc'),
  refused('hexadecimal Content-Length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x3\r\n\r\nabc'),
  refused(
    'Content-Length with a space inside',
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 3\r\n\r\nabc',
  ),
  refused(
    'Content-Length past 2^64',
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\nabc',
  ),
  {
    name: 'Content-Length with leading zeros',
    send: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 003\r\n\r\nabc',
    answers: [200],
    upstream: ['POST / 3'],
  },
  {
    name: 'a GET whose body is a request stays a body',
    send: `GET / HTTP/1.1\r\nHost: a\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
    answers: [200],
    upstream: [`GET / ${SMUGGLED.length}`],
  },
  // ---- obs-fold, bare LF / CR, NUL
  refused('obs-fold', 'GET / HTTP/1.1\r\nHost: a\r\nX-Foo: bar\r\n baz\r\n\r\n'),
  refused(
    'obs-fold hiding Transfer-Encoding',
    'POST / HTTP/1.1\r\nHost: a\r\nX-Foo: bar\r\n Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc',
  ),
  refused('bare LF line ends', 'GET / HTTP/1.1\nHost: a\nX: y\n\n'),
  refused(
    'bare LF before Transfer-Encoding',
    'POST / HTTP/1.1\r\nHost: a\r\nX: y\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  ),
  refused(
    'bare CR before Transfer-Encoding',
    'POST / HTTP/1.1\r\nHost: a\r\nX: y\rTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  ),
  refused('NUL in a header value', 'GET / HTTP/1.1\r\nHost: a\r\nX: y\0z\r\n\r\n'),
  // ---- chunk sizes and extensions
  {
    name: 'chunk extension is dropped, the data kept',
    send: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;foo=bar\r\nabc\r\n0\r\n\r\n',
    answers: [200],
    upstream: ['POST / 3'],
  },
  refused(
    'bare LF inside a chunk extension',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;foo\nbar\r\nabc\r\n0\r\n\r\n',
  ),
  refused(
    'chunk size with 0x',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n',
  ),
  refused(
    'chunk size with a trailing space',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n',
  ),
  refused(
    'chunk size past 2^64',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF3\r\nabc\r\n0\r\n\r\n',
  ),
  refused(
    'chunk longer than its size',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX\r\n0\r\n\r\n',
  ),
  refused(
    'chunks ended by bare LF',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n',
  ),
  refused(
    'Content-Length in the trailer, then a request',
    `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nContent-Length: 5\r\n\r\n${SMUGGLED}`,
  ),
  // ---- Host and the request line
  refused('two Host headers', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'),
  refused('two Host headers in different case', 'GET / HTTP/1.1\r\nhost: a\r\nHOST: b\r\n\r\n'),
  refused('no Host in HTTP/1.1', 'GET / HTTP/1.1\r\n\r\n'),
  refused('absolute-form target', 'GET http://evil.example/SMUGGLED HTTP/1.1\r\nHost: a\r\n\r\n'),
  { name: 'HTTP/0.9 request line', send: 'GET /SMUGGLED\r\n\r\n', answers: [505], upstream: [] },
  {
    name: 'HTTP/2.0 in an HTTP/1 request line',
    send: 'GET / HTTP/2.0\r\nHost: a\r\n\r\n',
    answers: [505],
    upstream: [],
  },
  {
    name: 'CONNECT',
    send: `CONNECT a:80 HTTP/1.1\r\nHost: a:80\r\n\r\n${SMUGGLED}`,
    answers: [],
    upstream: [],
    closes: true,
  },
  // ---- pipelining
  {
    name: 'three pipelined requests, the middle one slow: answers in order, each its own',
    send: 'GET /p1 HTTP/1.1\r\nHost: a\r\n\r\nGET /slow-p2 HTTP/1.1\r\nHost: a\r\n\r\nGET /p3 HTTP/1.1\r\nHost: a\r\n\r\n',
    answers: [200, 200, 200],
    bodies: ['GET /p1 0', 'GET /slow-p2 0', 'GET /p3 0'],
    upstream: ['GET /p1 0', 'GET /slow-p2 0', 'GET /p3 0'],
  },
  {
    name: 'a pipelined POST body is not read as the next request',
    send: `POST /slow-a HTTP/1.1\r\nHost: a\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}GET /b HTTP/1.1\r\nHost: a\r\n\r\n`,
    answers: [200, 200],
    bodies: [`POST /slow-a ${SMUGGLED.length}`, 'GET /b 0'],
    upstream: [`POST /slow-a ${SMUGGLED.length}`, 'GET /b 0'],
  },
  {
    name: 'nothing pipelined behind a refused request is read',
    send: `GET /ok HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n${SMUGGLED}`,
    answers: [200, 400],
    bodies: ['GET /ok 0', 'duplicate-host\n'],
    upstream: ['GET /ok 0'],
    closes: true,
  },
  {
    name: 'Expect: 100-continue is answered by the router, the body follows',
    send: 'POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc',
    answers: [200],
    interim: [100],
    upstream: ['POST / 3'],
  },
  // ---- upgrade confusion
  {
    name: 'upgrade declined: bytes sent behind the request never reach the upstream',
    send: [
      `GET /ws-decline HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n${SMUGGLED}`,
    ],
    answers: [403],
    upstream: ['GET /ws-decline 0'],
    closes: true,
  },
  {
    name: 'upgrade declined: bytes sent later, before the answer, never reach the upstream',
    send: [
      'GET /ws-decline-slow HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
      SMUGGLED,
    ],
    answers: [403],
    upstream: ['GET /ws-decline-slow 0'],
    closes: true,
  },
  {
    name: 'upgrade with a Content-Length body: the body goes on, what follows it does not',
    send: `POST /ws-decline HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 5\r\n\r\nhello${SMUGGLED}`,
    answers: [403],
    upstream: ['POST /ws-decline 5'],
    closes: true,
  },
  refused(
    'upgrade with a chunked body',
    `POST /ws-decline HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  ),
  refused(
    'upgrade whose Connection names Content-Length',
    `POST /ws-decline HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, Content-Length\r\nUpgrade: h2c\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
  ),
  refused(
    'upgrade with two Host headers',
    'GET /ws-accept HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
  ),
  {
    name: 'Upgrade without Connection: upgrade is a normal request (Upgrade dropped)',
    send: 'GET /ws-decline HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\nGET /p2 HTTP/1.1\r\nHost: a\r\n\r\n',
    answers: [200, 200],
    bodies: ['GET /ws-decline 0', 'GET /p2 0'],
    upstream: ['GET /ws-decline 0', 'GET /p2 0'],
  },
  {
    name: 'upgrade accepted: bytes sent early reach the upstream once it switched',
    send: [
      'GET /ws-accept HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nearly',
      '-later',
    ],
    answers: [],
    interim: [101],
    tunnel: 'early-later',
    upstream: ['GET /ws-accept 0'],
  },
  // ---- the upstream's side: a body it should not have sent stays out of other answers
  {
    name: 'an upstream that answers HEAD with a body: the extra bytes reach nobody',
    send: 'HEAD /head-body HTTP/1.1\r\nHost: a\r\n\r\nHEAD /p2 HTTP/1.1\r\nHost: a\r\n\r\n',
    answers: [200, 200],
    upstream: ['HEAD /head-body 0', 'HEAD /p2 0'],
    head: true,
  },
];

let upstream: RawUpstream;
let router: RouterServer;

beforeAll(async () => {
  upstream = await startRawUpstream();
  router = new RouterServer({ host: '127.0.0.1', port: 0, healthCheck: { intervalMs: 60_000 } });
  await router.listen();
  router.applyTable(table([{ id: 'a', host: '127.0.0.1', port: upstream.port }]));
});

afterAll(async () => {
  await router?.close(100);
  await upstream?.close();
});

const seenLine = (r: { method: string; url: string; body: string }) =>
  `${r.method} ${r.url} ${r.body.length}`;

describe('router: request smuggling and desync vectors (raw sockets)', () => {
  it(`covers at least 30 vectors (${vectors.length})`, () => {
    expect(vectors.length).toBeGreaterThanOrEqual(30);
  });

  let victims = 0;
  it.each(vectors.map((v) => [v.name, v] as const))('%s', async (_name, v) => {
    upstream.seen.length = 0;
    const parts = typeof v.send === 'string' ? [v.send] : v.send;
    const expectedTotal = v.answers.length + (v.interim?.includes(101) ? 1 : 0);
    const got = await rawExchange(router.listenPort, parts, expectedTotal, v.head, v.tunnel?.length);
    const finals = got.responses.filter((r) => r.status >= 200);
    expect(finals.map((r) => r.status)).toEqual(v.answers);
    expect(got.responses.filter((r) => r.status < 200).map((r) => r.status)).toEqual(v.interim ?? []);
    if (v.bodies) expect(finals.map((r) => r.body)).toEqual(v.bodies);
    for (const r of finals) {
      if (r.headers.has('x-conveyor-error')) expect(r.headers.get('connection')).toBe('close');
      else expect(r.body).not.toContain('SMUGGLED');
    }
    const routerRefused = finals.some((r) => r.headers.has('x-conveyor-error'));
    if (v.closes ?? routerRefused) expect(got.closed).toBe(true);
    // The tunnel echoes, held bytes first.
    if (v.tunnel !== undefined) expect(got.tunnel).toBe(v.tunnel);

    // A victim right after, on its own connection (the pooled upstream connection is shared).
    const victim = `/victim-${++victims}`;
    const answer = await rawExchange(router.listenPort, [`GET ${victim} HTTP/1.1\r\nHost: v\r\n\r\n`], 1);
    expect(answer.responses.map((r) => `${r.status} ${r.body}`)).toEqual([`200 GET ${victim} 0`]);

    const seen = upstream.seen.filter((r) => !r.url.startsWith('/victim'));
    expect(upstream.garbage).toEqual([]);
    expect(seen.map(seenLine).sort()).toEqual([...v.upstream].sort());
    for (const r of upstream.seen) {
      expect(r.headers.get('host'), `${r.url}: one Host`).toHaveLength(1);
      expect(r.headers.get('x-forwarded-for'), `${r.url}: the router's X-Forwarded-For`).toEqual([
        '127.0.0.1',
      ]);
      expect(r.headers.has('expect'), `${r.url}: no Expect`).toBe(false);
    }
  });
});
