/**
 * The router's own upstream HTTP/1.1 client against raw TCP servers that answer with hand-written
 * bytes, split at awkward places: the framing cases node:http used to handle for us.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type ResponseHandler, type UpstreamError, UpstreamPool } from '../../../src/router/upstream-pool.js';

interface Outcome {
  status?: number;
  statusText?: string;
  headers?: string[];
  body: string;
  error?: UpstreamError;
}

const servers: Server[] = [];
const pools: UpstreamPool[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) p.destroy();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A server that answers each request with the given pieces, written with small pauses between them. */
async function rawServer(pieces: (string | Buffer)[], opts: { closeAfter?: boolean } = {}) {
  const seen: string[] = [];
  const sockets: Socket[] = [];
  let closed = 0;
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('close', () => closed++);
    socket.on('data', async (d) => {
      seen.push(d.toString('latin1'));
      for (const p of pieces) {
        socket.write(p);
        await new Promise((r) => setTimeout(r, 5));
      }
      if (opts.closeAfter) socket.end();
    });
    socket.on('error', () => {});
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { port, seen, sockets, connections: () => sockets.length, closed: () => closed };
}

function send(pool: UpstreamPool, head: string, expectBody = true, sendsBody = false): Promise<Outcome> {
  return new Promise((resolve) => {
    const out: Outcome = { body: '' };
    const handler: ResponseHandler = {
      onHead(status, statusText, headers, whole) {
        Object.assign(out, { status, statusText, headers });
        if (whole) out.body += whole.toString('latin1');
      },
      onData(chunk) {
        out.body += chunk.toString('latin1');
        return true;
      },
      onEnd: () => resolve(out),
      onError(err) {
        out.error = err;
        resolve(out);
      },
    };
    pool.request(head, handler, expectBody, sendsBody);
  });
}

const GET = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';
function pool(port: number, responseTimeoutMs = 2000) {
  const p = new UpstreamPool({ host: '127.0.0.1', port, connectTimeoutMs: 1000, responseTimeoutMs });
  pools.push(p);
  return p;
}

describe('UpstreamPool', () => {
  it('reads a content-length body split across packets and reuses the connection', async () => {
    const s = await rawServer([
      'HTTP/1.1 200 OK\r\nContent-Le',
      'ngth: 10\r\nX-A: 1\r\n\r\nhello',
      ' wor',
      'l',
    ]);
    const p = pool(s.port);
    const first = await send(p, GET);
    expect(first).toMatchObject({ status: 200, statusText: 'OK', body: 'hello worl' });
    expect(first.headers).toEqual(['Content-Length', '10', 'X-A', '1']);
    await send(p, GET);
    expect(s.connections()).toBe(1);
    p.destroy();
  });

  it('bytes past the declared length never leak into the next answer: that connection is dropped', async () => {
    const s = await rawServer(['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', 'JUNK']);
    const p = pool(s.port);
    expect((await send(p, GET)).body).toBe('ok');
    // The junk arrives after the answer; the pool must drop that connection (waited for, bounded: no fixed sleep).
    for (let waited = 0; s.closed() === 0 && waited < 5_000; waited += 10)
      await new Promise((r) => setTimeout(r, 10));
    expect(s.closed()).toBe(1);
    const second = await send(p, GET);
    expect(second).toMatchObject({ status: 200, body: 'ok' });
    expect(s.connections()).toBe(2);
  });

  it('decodes a chunked body with extensions and trailers, split mid-chunk, and drops Transfer-Encoding', async () => {
    const s = await rawServer([
      'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n5;ext=1\r\nhel',
      'lo\r\n6\r',
      '\n world\r\n0\r\nX-Trailer: t\r\n\r\n',
    ]);
    const p = pool(s.port);
    const out = await send(p, GET);
    expect(out).toMatchObject({ status: 201, body: 'hello world' });
    expect(out.headers).toEqual([]);
    await send(p, GET);
    expect(s.connections()).toBe(1);
    p.destroy();
  });

  it('skips a 100 Continue before the real answer', async () => {
    const s = await rawServer([
      'HTTP/1.1 100 Continue\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    ]);
    const out = await send(pool(s.port), GET);
    expect(out).toMatchObject({ status: 200, body: 'ok' });
  });

  it('reads until close when the answer has no length, and does not reuse that connection', async () => {
    const s = await rawServer(['HTTP/1.0 200 OK\r\n\r\nstream', 'ed'], { closeAfter: true });
    const p = pool(s.port);
    expect(await send(p, GET)).toMatchObject({ status: 200, body: 'streamed' });
    await send(p, GET);
    expect(s.connections()).toBe(2);
  });

  it('does not wait for a body on 204, 304 and HEAD', async () => {
    for (const [head, expectBody] of [
      ['HTTP/1.1 204 No Content\r\n\r\n', true],
      ['HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n', true],
      ['HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n', false],
    ] as const) {
      const s = await rawServer([head]);
      const out = await send(pool(s.port), GET, expectBody);
      expect(out.body).toBe('');
      expect(out.error).toBeUndefined();
    }
  });

  it('an answer that comes before the request body is all sent does not free the socket for reuse', async () => {
    const s = await rawServer(['HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n']);
    const p = pool(s.port);
    const early = await send(p, 'POST / HTTP/1.1\r\nContent-Length: 100000\r\n\r\n', true, true);
    expect(early.status).toBe(413);
    await send(p, GET);
    expect(s.connections()).toBe(2);
  });

  it('closes after Connection: close', async () => {
    const s = await rawServer(['HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx']);
    const p = pool(s.port);
    await send(p, GET);
    await send(p, GET);
    expect(s.connections()).toBe(2);
  });

  it('reports a connection closed mid-body as a reset after an answer began', async () => {
    const s = await rawServer(['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart'], { closeAfter: true });
    const out = await send(pool(s.port), GET);
    expect(out.error).toMatchObject({ kind: 'reset', answered: true, reused: false });
  });

  it('reports a refused connection as refused, never answered', async () => {
    const s = await rawServer([]);
    const port = s.port;
    await new Promise((r) => servers.pop()!.close(r));
    const out = await send(pool(port), GET);
    expect(out.error).toMatchObject({ kind: 'refused', code: 'ECONNREFUSED', answered: false });
  });

  it('rejects a garbled status line as a protocol error', async () => {
    const s = await rawServer(['SMTP ready\r\n\r\n']);
    const out = await send(pool(s.port), GET);
    expect(out.error).toMatchObject({ kind: 'protocol' });
  });

  it('times out an upstream that sends nothing', async () => {
    const s = await rawServer([]);
    const p = new UpstreamPool({
      host: '127.0.0.1',
      port: s.port,
      connectTimeoutMs: 1000,
      responseTimeoutMs: 200,
    });
    const started = Date.now();
    const out = await send(p, GET);
    expect(out.error).toMatchObject({ kind: 'timeout' });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('destroy() fails exchanges in progress as cut', async () => {
    const s = await rawServer([]);
    const p = pool(s.port);
    const pending = send(p, GET);
    await new Promise((r) => setTimeout(r, 50));
    p.destroy();
    expect((await pending).error).toMatchObject({ kind: 'cut' });
  });
});
