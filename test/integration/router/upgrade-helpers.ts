/**
 * Fixtures for upgrade (WebSocket-style) tests: upstreams that switch protocols and echo bytes, and a
 * raw-socket client that sends an upgrade request and reads the answer. Plain node, loopback only,
 * every wait bounded, every socket tracked so a test's afterEach can close it.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import type { Upstream } from '../../../src/router/api.js';

export type UpgradeBehaviour =
  /** 101, then every byte received is sent back. */
  | 'echo'
  /** Like echo, but `hi from <name>` follows the 101 head in the same write. */
  | 'greet'
  /** A normal 403 answer with a body (the upstream declines to switch). */
  | 'decline'
  /** A 403 with a chunked body sent in pieces, and the connection left open (keep-alive). */
  | 'decline-chunked'
  /** Reads the request and never answers. */
  | 'silent'
  /** Closes the connection as soon as the request arrives. */
  | 'hangup';

export interface UpgradeUpstream {
  name: string;
  port: number;
  upstream(id?: string): Upstream;
  behaviour: UpgradeBehaviour;
  /** Upgrade requests received, with their headers. */
  seen: http.IncomingHttpHeaders[];
  /** Tunnels open on this upstream now. */
  open: Set<Socket>;
  close(): Promise<void>;
}

export async function startUpgradeUpstream(
  name: string,
  behaviour: UpgradeBehaviour = 'echo',
): Promise<UpgradeUpstream> {
  const sockets = new Set<Socket>();
  const open = new Set<Socket>();
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((_req, res) => res.end(name));
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Socket) => {
    seen.push(req.headers);
    socket.on('error', () => socket.destroy());
    switch (api.behaviour) {
      case 'echo':
      case 'greet': {
        const key = req.headers['sec-websocket-key'];
        const accept =
          typeof key === 'string'
            ? createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64')
            : '';
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade}\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Accept: ${accept}\r\nx-served-by: ${name}\r\n\r\n` +
            (api.behaviour === 'greet' ? `hi from ${name}` : ''),
        );
        open.add(socket);
        socket.on('close', () => open.delete(socket));
        socket.on('data', (d: Buffer) => socket.write(d));
        socket.on('end', () => socket.end());
        return;
      }
      case 'decline':
        socket.end(
          `HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 8\r\n\r\n${name} no`,
        );
        return;
      case 'decline-chunked':
        socket.write('HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nno, \r\n');
        setTimeout(() => socket.write(`${name.length.toString(16)}\r\n${name}\r\n0\r\n\r\n`), 50);
        return;
      case 'silent':
        return;
      case 'hangup':
        socket.destroy();
        return;
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const api: UpgradeUpstream = {
    name,
    port,
    behaviour,
    seen,
    open,
    upstream: (id = name) => ({ id, host: '127.0.0.1', port, revision: name }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return api;
}

/** A loopback port with nothing listening on it. */
export async function deadPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export interface UpgradeReply {
  status: number;
  headers: Record<string, string>;
  /** The connection, still open after a 101. */
  socket: Socket;
  /** For a non-101 answer: the body, read until the router closed the connection. */
  body: string;
  /** Resolves when the connection has closed (either side). */
  closed: Promise<void>;
  /** After a 101: every byte received on the tunnel so far (including any that came with the head). */
  received(): string;
  /** Resolves once `received()` is at least `length` long (bounded). */
  waitFor(length: number, timeoutMs?: number): Promise<string>;
}

const clients = new Set<Socket>();

/** afterEach: closes every client connection a test opened. */
export function closeAllClients(): void {
  for (const s of clients) s.destroy();
  clients.clear();
}

/** Sends a WebSocket-style upgrade request and reads the answer head (bounded: rejects after `timeoutMs`). */
export function openUpgrade(
  port: number,
  headers: Record<string, string> = {},
  timeoutMs = 3000,
): Promise<UpgradeReply> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    clients.add(socket);
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('close', () => clients.delete(socket));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer to the upgrade request within ${timeoutMs} ms`));
    }, timeoutMs);
    let buf = Buffer.alloc(0);
    let head: { status: number; headers: Record<string, string> } | undefined;
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (head) return;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = buf.toString('latin1', 0, end).split('\r\n');
      const parsed: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        parsed[name] = parsed[name] ? `${parsed[name]}, ${value}` : value;
      }
      head = { status: Number(lines[0]!.split(' ')[1]), headers: parsed };
      buf = buf.subarray(end + 4);
      if (head.status === 101) {
        clearTimeout(timer);
        socket.off('data', onData);
        let received = buf.toString('utf8');
        const waiters = new Set<() => void>();
        socket.on('data', (d: Buffer) => {
          received += d.toString('utf8');
          for (const w of waiters) w();
        });
        const waitFor = (length: number, waitMs = 2000) =>
          new Promise<string>((resolveWait, rejectWait) => {
            const check = () => {
              if (received.length < length) return;
              waiters.delete(check);
              clearTimeout(late);
              resolveWait(received);
            };
            const late = setTimeout(() => {
              waiters.delete(check);
              rejectWait(new Error(`only ${received.length} of ${length} bytes within ${waitMs} ms`));
            }, waitMs);
            waiters.add(check);
            check();
          });
        resolve({ ...head, socket, body: '', closed, received: () => received, waitFor });
      }
    };
    socket.on('data', onData);
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('end', () => {
      clearTimeout(timer);
      if (head && head.status !== 101)
        resolve({
          ...head,
          socket,
          body: buf.toString('utf8'),
          closed,
          received: () => '',
          waitFor: () => Promise.reject(new Error('no tunnel: the answer was not 101')),
        });
      else if (!head) reject(new Error('connection closed before an answer'));
    });
    // Defaults of a WebSocket handshake; `headers` adds to them or replaces them (case-insensitive).
    const all: Record<string, string> = {
      Host: `127.0.0.1:${port}`,
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Version': '13',
    };
    for (const [name, value] of Object.entries(headers)) {
      for (const known of Object.keys(all)) if (known.toLowerCase() === name.toLowerCase()) delete all[known];
      all[name] = value;
    }
    const lines = Object.entries(all)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.write(`GET /chat HTTP/1.1\r\n${lines}\r\n`);
  });
}

/** Resolves with `promise`, or rejects when it takes longer than `ms` (so a failing test fails fast). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Writes `text` on an open tunnel and resolves with what came back for it (bounded). */
export async function roundTrip(reply: UpgradeReply, text: string, timeoutMs = 2000): Promise<string> {
  const before = reply.received().length;
  reply.socket.write(text);
  const all = await reply.waitFor(before + text.length, timeoutMs);
  return all.slice(before);
}
