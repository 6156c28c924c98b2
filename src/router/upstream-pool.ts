/**
 * A lean HTTP/1.1 client for the proxy's upstream side: a pool of keep-alive sockets per upstream,
 * requests written as one head string, responses parsed by a small state machine that hands body
 * bytes straight through. It replaces node:http's ClientRequest/IncomingMessage/Agent, which cost
 * more than the rest of the proxy together (see docs/router.md, "Speed").
 *
 * Time limits are checked by one coarse sweep per pool instead of a timer per request.
 */
import { connect, type Socket } from 'node:net';

export interface ResponseHandler {
  /** Status line and headers (raw pairs, hop-by-hop removed). `body` is set when the whole body came with the head. */
  onHead(status: number, statusText: string, headers: string[], wholeBody: Buffer | null): void;
  /** A piece of the body; return false to ask for a pause (call resume() on the connection later). */
  onData(chunk: Buffer): boolean;
  onEnd(): void;
  /** The exchange failed. `answered`: response bytes were already received; `reused`: the socket had served before. */
  onError(err: UpstreamError): void;
}

export type UpstreamErrorKind = 'refused' | 'connect-timeout' | 'timeout' | 'reset' | 'protocol' | 'cut';

export class UpstreamError extends Error {
  constructor(
    readonly kind: UpstreamErrorKind,
    message: string,
    readonly code: string,
    /** Response bytes had arrived before the failure. */
    readonly answered: boolean,
    /** The socket had carried an earlier exchange (a keep-alive race is possible). */
    readonly reused: boolean,
  ) {
    super(message);
  }
}

const HEAD = 0;
const BODY_LENGTH = 1;
const CHUNK_SIZE = 2;
const CHUNK_DATA = 3;
const CHUNK_CRLF = 4;
const TRAILERS = 5;
const UNTIL_CLOSE = 6;
const IDLE = 7;

const CRLFCRLF = Buffer.from('\r\n\r\n');
const MAX_HEAD = 64 * 1024;

let coarseNow = Date.now();

export interface PoolOptions {
  host: string;
  port: number;
  connectTimeoutMs: number;
  /** No bytes from the upstream for this long during an exchange: the exchange fails with 'timeout'. */
  responseTimeoutMs: number;
  /** Idle keep-alive sockets are closed after this long (below node's default 5 s server keep-alive). */
  idleTimeoutMs?: number;
}

export class UpstreamPool {
  private readonly idle: UpstreamConnection[] = [];
  readonly all = new Set<UpstreamConnection>();
  private sweepTimer: NodeJS.Timeout | undefined;
  destroyed = false;

  constructor(readonly opts: PoolOptions) {}

  /** Sends one request; the handler hears about the response. Returns the connection (to abort or resume). */
  request(
    head: string,
    handler: ResponseHandler,
    expectBody: boolean,
    sendsBody = false,
  ): UpstreamConnection {
    let conn = this.idle.pop();
    if (conn === undefined) {
      conn = new UpstreamConnection(this);
      this.all.add(conn);
      this.ensureSweep();
    }
    conn.start(head, handler, expectBody, sendsBody);
    return conn;
  }

  release(conn: UpstreamConnection): void {
    if (this.destroyed) {
      conn.close();
      return;
    }
    this.idle.push(conn);
  }

  forget(conn: UpstreamConnection): void {
    this.all.delete(conn);
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
  }

  /** Closes every socket; exchanges in progress fail with 'cut'. */
  destroy(): void {
    this.destroyed = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const conn of [...this.all]) conn.cut('upstream connections closed (drain deadline or shutdown)');
    this.idle.length = 0;
  }

  private ensureSweep(): void {
    coarseNow = Date.now();
    if (this.sweepTimer || this.destroyed) return;
    this.sweepTimer = setInterval(() => this.sweep(), 100);
    this.sweepTimer.unref();
  }

  private sweep(): void {
    coarseNow = Date.now();
    const idleLimit = this.opts.idleTimeoutMs ?? 4000;
    for (const conn of this.all) {
      const quiet = coarseNow - conn.lastActivity;
      if (conn.handler === null) {
        if (quiet > idleLimit) conn.close();
      } else if (conn.connecting) {
        if (quiet > this.opts.connectTimeoutMs)
          conn.fail('connect-timeout', 'upstream connect timed out', 'ETIMEDOUT');
      } else if (quiet > this.opts.responseTimeoutMs) {
        conn.fail('timeout', 'upstream sent nothing in time', 'ETIMEDOUT');
      }
    }
    if (this.all.size === 0 && this.sweepTimer) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
    }
  }
}

export class UpstreamConnection {
  readonly socket: Socket;
  handler: ResponseHandler | null = null;
  connecting = true;
  lastActivity = coarseNow;
  private served = 0;
  private state = IDLE;
  private answered = false;
  private headParts: Buffer[] = [];
  private headBytes = 0;
  private remaining = 0;
  private sizeLine = '';
  private keepAlive = true;
  private expectBody = true;
  /** False while a request body is still being written: an early answer must not free the socket then. */
  private requestDone = true;
  private closed = false;

  constructor(private readonly pool: UpstreamPool) {
    const socket = connect({ host: pool.opts.host, port: pool.opts.port, noDelay: true });
    this.socket = socket;
    socket.on('connect', () => {
      this.connecting = false;
      this.lastActivity = coarseNow;
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('error', (err: NodeJS.ErrnoException) => this.onSocketError(err));
    socket.on('close', () => this.onClose());
  }

  start(head: string, handler: ResponseHandler, expectBody: boolean, sendsBody: boolean): void {
    this.handler = handler;
    this.requestDone = !sendsBody;
    this.state = HEAD;
    this.answered = false;
    this.expectBody = expectBody;
    this.keepAlive = true;
    this.lastActivity = coarseNow;
    this.socket.write(head, 'latin1');
  }

  /** Writes request body bytes; false means the socket buffer is full (wait for 'drain'). */
  write(chunk: Buffer | string): boolean {
    this.lastActivity = coarseNow;
    return this.socket.write(chunk);
  }

  /** The request body has been written completely. */
  endRequest(): void {
    this.requestDone = true;
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.lastActivity = coarseNow;
    this.socket.resume();
  }

  /** The client went away mid-exchange: this socket cannot be reused. */
  abort(): void {
    this.handler = null;
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pool.forget(this);
    this.socket.destroy();
  }

  cut(message: string): void {
    if (this.handler) this.fail('cut', message, 'ECONNABORTED');
    else this.close();
  }

  fail(kind: UpstreamErrorKind, message: string, code: string): void {
    const h = this.handler;
    this.handler = null;
    this.close();
    h?.onError(new UpstreamError(kind, message, code, this.answered, this.served > 0));
  }

  private onSocketError(err: NodeJS.ErrnoException): void {
    const code = err.code ?? 'EUPSTREAM';
    const kind: UpstreamErrorKind = code === 'ECONNREFUSED' ? 'refused' : 'reset';
    this.fail(kind, err.message, code);
  }

  private onEnd(): void {
    if (this.handler !== null && this.state === UNTIL_CLOSE) {
      this.finish(false);
      return;
    }
    if (this.handler !== null) {
      this.fail('reset', 'upstream closed the connection before the response was complete', 'ECONNRESET');
      return;
    }
    this.close();
  }

  private onClose(): void {
    this.closed = true;
    this.pool.forget(this);
    if (this.handler !== null) {
      this.fail('reset', 'upstream connection closed', 'ECONNRESET');
    }
  }

  private finish(reusable: boolean): void {
    const h = this.handler!;
    this.handler = null;
    this.served++;
    this.state = IDLE;
    if (reusable && this.keepAlive && this.requestDone && !this.closed) {
      // It may have been paused for a slow client; an idle socket must keep reading (to see a close).
      if (this.socket.isPaused()) this.socket.resume();
      this.pool.release(this);
    } else this.close();
    h.onEnd();
  }

  private onData(chunk: Buffer): void {
    this.lastActivity = coarseNow;
    if (this.handler === null) {
      // Bytes nobody asked for (or after an abort): this socket is out of step.
      this.close();
      return;
    }
    this.answered = true;
    let buf = chunk;
    while (buf.length > 0 && this.handler !== null) {
      switch (this.state) {
        case HEAD: {
          const rest = this.readHead(buf);
          if (rest === null) return;
          buf = rest;
          break;
        }
        case BODY_LENGTH: {
          if (buf.length <= this.remaining) {
            this.remaining -= buf.length;
            const done = this.remaining === 0;
            if (!this.handler.onData(buf)) this.pause();
            if (done) this.finish(true);
            return;
          }
          const part = buf.subarray(0, this.remaining);
          buf = buf.subarray(this.remaining);
          this.remaining = 0;
          this.handler.onData(part);
          this.finish(true);
          if (buf.length > 0) this.close(); // pipelined junk after the response
          return;
        }
        case CHUNK_SIZE: {
          const nl = buf.indexOf(10);
          if (nl < 0) {
            this.sizeLine += buf.toString('latin1');
            if (this.sizeLine.length > 1024) this.fail('protocol', 'chunk size line too long', 'EPROTO');
            return;
          }
          const line = (this.sizeLine + buf.toString('latin1', 0, nl)).trim();
          this.sizeLine = '';
          buf = buf.subarray(nl + 1);
          const semi = line.indexOf(';');
          const size = Number.parseInt(semi >= 0 ? line.slice(0, semi) : line, 16);
          if (!Number.isFinite(size) || size < 0) {
            this.fail('protocol', `bad chunk size '${line}'`, 'EPROTO');
            return;
          }
          if (size === 0) this.state = TRAILERS;
          else {
            this.remaining = size;
            this.state = CHUNK_DATA;
          }
          break;
        }
        case CHUNK_DATA: {
          const n = Math.min(this.remaining, buf.length);
          const part = n === buf.length ? buf : buf.subarray(0, n);
          buf = buf.subarray(n);
          this.remaining -= n;
          if (this.remaining === 0) {
            this.state = CHUNK_CRLF;
            this.remaining = 2;
          }
          if (!this.handler.onData(part)) this.pause();
          break;
        }
        case CHUNK_CRLF: {
          const n = Math.min(this.remaining, buf.length);
          buf = buf.subarray(n);
          this.remaining -= n;
          if (this.remaining === 0) this.state = CHUNK_SIZE;
          break;
        }
        case TRAILERS: {
          // Trailer lines are dropped; the blank line ends the message.
          const nl = buf.indexOf(10);
          if (nl < 0) {
            this.sizeLine += buf.toString('latin1');
            return;
          }
          const line = (this.sizeLine + buf.toString('latin1', 0, nl)).trim();
          this.sizeLine = '';
          buf = buf.subarray(nl + 1);
          if (line === '') {
            this.finish(true);
            if (buf.length > 0) this.close();
            return;
          }
          break;
        }
        case UNTIL_CLOSE:
          if (!this.handler.onData(buf)) this.pause();
          return;
        default:
          this.close();
          return;
      }
    }
  }

  /** Collects the head; once complete, parses it and returns the bytes after it (or null to wait). */
  private readHead(chunk: Buffer): Buffer | null {
    let buf = chunk;
    if (this.headParts.length > 0) {
      this.headParts.push(chunk);
      buf = Buffer.concat(this.headParts);
    }
    const end = buf.indexOf(CRLFCRLF);
    if (end < 0) {
      if (this.headParts.length === 0) this.headParts.push(chunk);
      this.headBytes = buf.length;
      if (this.headBytes > MAX_HEAD) this.fail('protocol', 'response head too large', 'EPROTO');
      return null;
    }
    this.headParts = [];
    this.headBytes = 0;
    const text = buf.toString('latin1', 0, end);
    const rest = buf.subarray(end + 4);
    // Status line: HTTP/1.x NNN text
    const sp1 = text.indexOf(' ');
    const status = Number.parseInt(text.slice(sp1 + 1, sp1 + 4), 10);
    if (sp1 < 0 || !(status >= 100 && status < 600)) {
      this.fail('protocol', `bad status line '${text.slice(0, 40)}'`, 'EPROTO');
      return null;
    }
    const firstNl = text.indexOf('\r\n');
    const statusLine = firstNl < 0 ? text : text.slice(0, firstNl);
    const statusText = statusLine.slice(sp1 + 5);
    const http10 = statusLine.startsWith('HTTP/1.0');
    if (status >= 100 && status < 200 && status !== 101) {
      // Interim answer (100 Continue): the real head follows.
      this.state = HEAD;
      return rest;
    }
    const headers: string[] = [];
    let contentLength = -1;
    let chunked = false;
    let connection: string | undefined;
    let pos = firstNl < 0 ? text.length : firstNl + 2;
    while (pos < text.length) {
      let eol = text.indexOf('\r\n', pos);
      if (eol < 0) eol = text.length;
      const colon = text.indexOf(':', pos);
      if (colon > pos && colon < eol) {
        const name = text.slice(pos, colon);
        const value = text.slice(colon + 1, eol).trim();
        let keep = true;
        switch (name.length) {
          case 7: {
            const lower = name.toLowerCase();
            if (lower === 'trailer' || lower === 'upgrade') keep = false;
            break;
          }
          case 10: {
            const lower = name.toLowerCase();
            if (lower === 'connection') {
              connection = value.toLowerCase();
              keep = false;
            } else if (lower === 'keep-alive') keep = false;
            break;
          }
          case 14:
            if (name.toLowerCase() === 'content-length') contentLength = Number.parseInt(value, 10);
            break;
          case 17:
            if (name.toLowerCase() === 'transfer-encoding') {
              chunked = value.toLowerCase().includes('chunked');
              keep = false;
            }
            break;
          case 18:
            if (name.toLowerCase() === 'proxy-authenticate') keep = false;
            break;
        }
        if (keep) headers.push(name, value);
      }
      pos = eol + 2;
    }
    this.keepAlive = http10 ? connection === 'keep-alive' : connection !== 'close';
    const h = this.handler!;
    const bodyless = !this.expectBody || status === 204 || status === 304;
    if (bodyless || (!chunked && contentLength === 0)) {
      h.onHead(status, statusText, headers, EMPTY);
      if (this.handler === h) this.finish(true);
      if (rest.length > 0) this.close();
      return null;
    }
    if (chunked) {
      this.state = CHUNK_SIZE;
      h.onHead(status, statusText, headers, null);
      return rest;
    }
    if (contentLength > 0) {
      if (rest.length === contentLength) {
        // The usual small answer: head and whole body in one read, passed on in one go.
        h.onHead(status, statusText, headers, rest);
        if (this.handler === h) this.finish(true);
        return null;
      }
      this.state = BODY_LENGTH;
      this.remaining = contentLength;
      h.onHead(status, statusText, headers, null);
      return rest;
    }
    this.state = UNTIL_CLOSE;
    this.keepAlive = false;
    h.onHead(status, statusText, headers, null);
    return rest;
  }
}

const EMPTY = Buffer.alloc(0);
