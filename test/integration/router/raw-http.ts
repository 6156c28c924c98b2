/**
 * Raw-socket fixtures for the smuggling and desync suite: an upstream that parses exactly what reaches it
 * the way a permissive keep-alive HTTP/1.1 server does (pipelined requests, Upgrade ignored unless it
 * chooses to switch) and records every request; and a client that sends bytes as given and splits what
 * comes back into responses.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  /** Lower-cased name → every value sent under it. */
  headers: Map<string, string[]>;
  body: string;
}

export interface RawUpstream {
  port: number;
  seen: SeenRequest[];
  /** Things that were not HTTP requests at all (the router must never send them). */
  garbage: string[];
  close(): Promise<void>;
}

/**
 * Answers `200` with `METHOD url bodyLength`, after 150 ms when the url contains `slow`. `/ws-accept`
 * with an Upgrade header gets a 101 and then an echo tunnel; `/ws-decline` gets a 403 and the connection
 * stays open (an upstream that does not do upgrades); `HEAD /head-body` wrongly gets a body.
 */
export async function startRawUpstream(): Promise<RawUpstream> {
  const sockets = new Set<Socket>();
  const api: RawUpstream = { port: 0, seen: [], garbage: [], close: async () => {} };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buf = '';
    let tunnel = false;
    // Answers leave in request order, as HTTP/1.1 pipelining requires.
    let queue = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      if (tunnel) {
        socket.write(chunk);
        return;
      }
      buf += chunk.toString('latin1');
      for (;;) {
        const parsed = parseRequest(buf);
        if (parsed === 'incomplete') return;
        if (typeof parsed === 'string') {
          api.garbage.push(parsed);
          socket.destroy();
          return;
        }
        buf = buf.slice(parsed.used);
        const req = parsed.request;
        api.seen.push(req);
        const upgrade = req.headers.has('upgrade');
        if (upgrade && req.url.startsWith('/ws-accept')) {
          tunnel = true;
          queue = queue.then(() => {
            socket.write(
              'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
            );
            if (buf.length > 0) socket.write(buf, 'latin1');
          });
          return;
        }
        const text = `${req.method} ${req.url} ${req.body.length}`;
        let answer = `HTTP/1.1 200 OK\r\nContent-Length: ${text.length}\r\n\r\n${req.method === 'HEAD' ? '' : text}`;
        if (upgrade && req.url.startsWith('/ws-decline'))
          answer = `HTTP/1.1 403 Forbidden\r\nContent-Length: ${text.length}\r\n\r\n${text}`;
        if (req.method === 'HEAD' && req.url === '/head-body')
          answer = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nWRONG';
        const delay = req.url.includes('slow') ? 150 : 0;
        queue = queue.then(
          () =>
            new Promise<void>((resolve) =>
              setTimeout(() => {
                if (!socket.destroyed) socket.write(answer, 'latin1');
                resolve();
              }, delay),
            ),
        );
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  api.port = (server.address() as { port: number }).port;
  api.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return api;
}

/** One request from the front of `buf`; 'incomplete' to wait for more; another string: not HTTP. */
function parseRequest(buf: string): { request: SeenRequest; used: number } | 'incomplete' | string {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return buf.length > 65536 ? `head too long: ${buf.slice(0, 80)}` : 'incomplete';
  const lines = buf.slice(0, end).split('\r\n');
  const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(lines[0]!);
  if (!m) return `bad request line: ${JSON.stringify(lines[0])}`;
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return `bad header line: ${JSON.stringify(line)}`;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  let pos = end + 4;
  let body = '';
  const te = headers.get('transfer-encoding');
  const cl = headers.get('content-length');
  if (te && cl) return `both Transfer-Encoding and Content-Length: ${lines[0]}`;
  if (te) {
    for (;;) {
      const eol = buf.indexOf('\r\n', pos);
      if (eol < 0) return 'incomplete';
      const size = Number.parseInt(buf.slice(pos, eol), 16);
      if (!Number.isFinite(size)) return `bad chunk size: ${JSON.stringify(buf.slice(pos, eol))}`;
      pos = eol + 2;
      if (size === 0) {
        const trailerEnd = buf.indexOf('\r\n', pos);
        if (trailerEnd < 0) return 'incomplete';
        pos = trailerEnd + 2;
        break;
      }
      if (buf.length < pos + size + 2) return 'incomplete';
      body += buf.slice(pos, pos + size);
      pos += size + 2;
    }
  } else if (cl) {
    const n = Number(cl[0]);
    if (buf.length < pos + n) return 'incomplete';
    body = buf.slice(pos, pos + n);
    pos += n;
  }
  return { request: { method: m[1]!, url: m[2]!, headers, body }, used: pos };
}

export interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

export interface RawExchange {
  responses: RawResponse[];
  /** The router closed the connection. */
  closed: boolean;
  /** Bytes after a 101 (the tunnel). */
  tunnel: string;
}

/**
 * Sends `parts` (20 ms apart) on a new connection and collects responses until the router closes it, or
 * until `expected` final (or 101) answers have come and 50 ms passed without more bytes (extra answers
 * would show).
 * Never waits longer than 3 s.
 */
export function rawExchange(
  port: number,
  parts: string[],
  expected: number,
  /** The requests were HEAD: answers carry Content-Length but no body. */
  head = false,
  /** After a 101, also wait for this many tunnel bytes. */
  tunnelBytes = 0,
): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    let settleTimer: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      clearTimeout(settleTimer);
      clearTimeout(cap);
      socket.destroy();
      resolve({ ...splitResponses(text, head), closed });
    };
    const cap = setTimeout(() => finish(false), 3000);
    socket.on('error', () => {});
    socket.on('close', () => finish(true));
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      const split = splitResponses(text, head);
      const answers = split.responses.filter((r) => r.status >= 200 || r.status === 101);
      if (answers.length >= expected && split.tunnel.length >= tunnelBytes) {
        clearTimeout(settleTimer);
        settleTimer = setTimeout(() => finish(false), 50);
      }
    });
    socket.on('connect', async () => {
      for (const [i, part] of parts.entries()) {
        if (i > 0) await new Promise((r) => setTimeout(r, 20));
        if (!socket.destroyed) socket.write(part, 'latin1');
      }
    });
  });
}

/** Splits a response stream into responses (1xx included; a 101 ends it: the rest is the tunnel). */
export function splitResponses(text: string, head = false): { responses: RawResponse[]; tunnel: string } {
  const responses: RawResponse[] = [];
  let pos = 0;
  for (;;) {
    const end = text.indexOf('\r\n\r\n', pos);
    if (end < 0) return { responses, tunnel: '' };
    const lines = text.slice(pos, end).split('\r\n');
    const status = Number(lines[0]!.slice(9, 12));
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    pos = end + 4;
    if (status === 101) {
      responses.push({ status, headers, body: '' });
      return { responses, tunnel: text.slice(pos) };
    }
    let body = '';
    if (head) {
      // no body follows
    } else if (status >= 200 && headers.get('transfer-encoding') === 'chunked') {
      for (;;) {
        const eol = text.indexOf('\r\n', pos);
        if (eol < 0) return { responses, tunnel: '' };
        const size = Number.parseInt(text.slice(pos, eol), 16);
        if (text.length < eol + 2 + size + 2) return { responses, tunnel: '' };
        body += text.slice(eol + 2, eol + 2 + size);
        pos = eol + 2 + size + 2;
        if (size === 0) break;
      }
    } else if (status >= 200 && headers.has('content-length')) {
      const n = Number(headers.get('content-length'));
      if (text.length < pos + n) return { responses, tunnel: '' };
      body = text.slice(pos, pos + n);
      pos += n;
    }
    responses.push({ status, headers, body });
  }
}
