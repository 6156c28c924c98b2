/**
 * Upgrade requests (WebSocket, h2c). The router places them like any request (weight, sticky cookie,
 * force header, least-in-flight, health); each one then gets its own upstream socket (never a pooled
 * keep-alive one, since it may become a tunnel). When the upstream answers 101 the client's and the
 * upstream's sockets are joined byte for byte until either side closes. Any other answer is relayed as
 * a normal response and the client connection is closed after it.
 *
 * Upgrades are rare next to requests, so this path favours plain code (a timer per attempt, a header
 * object or two) over the allocation-free style of the request hot path.
 */
import { connect, type Socket } from 'node:net';
import { UPSTREAM_HEADER } from './api.js';
import { rawErrorResponse, upstreamFailure } from './error-answers.js';
import type { ExchangeHost, OpenUpgrade, UpstreamRuntime } from './upstream-runtime.js';

/** What the router must do for an upgrade exchange; implemented by RouterServer. */
export interface UpgradeHost extends ExchangeHost {
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  /** The instance now has this exchange (or tunnel) in flight. */
  acquire(ux: UpgradeExchange, u: UpstreamRuntime): void;
  /** The instance no longer has it in flight; `isError` counts against the instance. */
  releaseUpgrade(ux: UpgradeExchange, u: UpstreamRuntime, isError: boolean): void;
  /** The handshake is over (tunnel opened, answer relayed, router error sent, or client gone). Called once. */
  settled(ux: UpgradeExchange, outcome: UpgradeOutcome): void;
  /** A tunnel opened by this exchange has closed. */
  tunnelClosed(ux: UpgradeExchange): void;
}

/** 'opened': 101 relayed; 'answered': a non-101 answer relayed; 'failed': router error; 'gone': the client left first. */
export type UpgradeOutcome = { kind: 'opened' | 'answered' | 'failed' | 'gone'; isError: boolean };

type FailureKind = 'refused' | 'connect-timeout' | 'timeout' | 'reset' | 'protocol';

const CONNECTING = 0;
const WAITING = 1;
const RELAYING = 2;
const TUNNEL = 3;
const DONE = 4;

const CRLFCRLF = Buffer.from('\r\n\r\n');
const MAX_HEAD = 64 * 1024;
/** How long a closing side may take to flush before it is destroyed outright. */
const FLUSH_LIMIT_MS = 2000;

/** One upgrade request from the moment it is placed in a set until its connection is over. */
export class UpgradeExchange implements OpenUpgrade {
  upstream: UpstreamRuntime | null = null;
  attempts = 0;
  private upstreamSocket: Socket | null = null;
  private phase = CONNECTING;
  private settledOnce = false;
  private connectTimer: NodeJS.Timeout | undefined;
  private headParts: Buffer[] = [];
  private body: BodyEnd | null = null;
  private answerStatus = 0;
  /** Request body bytes still to pass on before the upstream answers. */
  private bodyLeft = 0;
  private readonly onClientBody = (chunk: Buffer) => this.forwardBody(chunk);

  constructor(
    private readonly host: UpgradeHost,
    readonly client: Socket,
    /** Bytes the client sent after its request head (node hands them over with the upgrade event). */
    private readonly early: Buffer,
    private readonly head: string,
    /** Request body bytes (Content-Length) after the head: the only client bytes sent before a 101. */
    private readonly bodyLength: number,
    readonly method: string,
    readonly setIndex: number,
    readonly startedAt: number,
    /** Set-Cookie value to add to the answer (sticky placement), or null. */
    private readonly stickyCookie: string | null,
  ) {
    client.pause();
    client.setNoDelay(true);
    // A keep-alive connection may carry the server's idle timeout from an earlier request: a tunnel has none.
    client.setTimeout(0);
    client.on('error', () => client.destroy());
    client.on('close', () => this.onClientClose());
  }

  /** Sends the request to `u` on a new socket. */
  dispatch(u: UpstreamRuntime): void {
    this.upstream = u;
    this.attempts++;
    this.phase = CONNECTING;
    this.headParts = [];
    this.host.acquire(this, u);
    const socket = connect({ host: u.upstream.host, port: u.upstream.port, noDelay: true });
    this.upstreamSocket = socket;
    this.connectTimer = setTimeout(
      () => this.fail(socket, 'connect-timeout', 'ETIMEDOUT'),
      this.host.connectTimeoutMs,
    );
    socket.on('connect', () => this.onConnect(socket));
    socket.on('data', (chunk: Buffer) => this.onUpstreamData(socket, chunk));
    socket.on('timeout', () => this.fail(socket, 'timeout', 'ETIMEDOUT'));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'EUPSTREAM';
      this.fail(socket, code === 'ECONNREFUSED' ? 'refused' : 'reset', code);
    });
    socket.on('end', () => this.onUpstreamEnd(socket));
    socket.on('close', () => this.onUpstreamClose(socket));
  }

  /** Drain deadline or shutdown: the connection is closed whatever state it is in. */
  cut(): void {
    this.client.destroy();
    this.upstreamSocket?.destroy();
  }

  private onConnect(socket: Socket): void {
    if (socket !== this.upstreamSocket) return;
    clearTimeout(this.connectTimer);
    this.phase = WAITING;
    socket.setTimeout(this.host.responseTimeoutMs);
    socket.write(this.head, 'latin1');
    // Only the request body goes on now. Anything the client sends after it waits for the 101: an
    // upstream that declines the upgrade would read those bytes as requests the router never saw.
    this.bodyLeft = this.bodyLength;
    if (this.early.length > 0) this.forwardBody(this.early);
    if (this.bodyLeft > 0) {
      this.client.on('data', this.onClientBody);
      this.client.resume();
    }
  }

  /** Passes on the part of `chunk` that is request body; keeps the rest unread on the paused client. */
  private forwardBody(chunk: Buffer): void {
    const socket = this.upstreamSocket;
    if (socket === null) return;
    const n = Math.min(this.bodyLeft, chunk.length);
    this.bodyLeft -= n;
    if (n > 0 && !socket.write(n === chunk.length ? chunk : chunk.subarray(0, n)) && this.bodyLeft > 0) {
      this.client.pause();
      socket.once('drain', () => {
        if (this.phase === WAITING && this.bodyLeft > 0) this.client.resume();
      });
    }
    if (this.bodyLeft === 0) {
      this.stopBody();
      if (n < chunk.length) this.client.unshift(chunk.subarray(n));
    }
  }

  /** No more client bytes go upstream until a 101 (if ever). */
  private stopBody(): void {
    this.client.off('data', this.onClientBody);
    this.client.pause();
  }

  private onUpstreamData(socket: Socket, chunk: Buffer): void {
    if (socket !== this.upstreamSocket) return;
    if (this.phase === RELAYING) {
      this.relayBody(socket, chunk);
      return;
    }
    if (this.phase !== WAITING) return;
    this.headParts.push(chunk);
    const buf = this.headParts.length === 1 ? chunk : Buffer.concat(this.headParts);
    const end = buf.indexOf(CRLFCRLF);
    if (end < 0) {
      if (buf.length > MAX_HEAD) this.fail(socket, 'protocol', 'EPROTO');
      else this.headParts = [buf];
      return;
    }
    this.headParts = [];
    const text = buf.toString('latin1', 0, end);
    const rest = buf.subarray(end + 4);
    const status = Number.parseInt(text.slice(9, 12), 10);
    if (!text.startsWith('HTTP/1.') || !(status >= 100 && status < 600)) {
      this.fail(socket, 'protocol', 'EPROTO');
      return;
    }
    if (status < 200 && status !== 101) {
      // Interim answer (100 Continue, 103 Early Hints): pass it on and wait for the real one.
      this.client.write(buf.subarray(0, end + 4));
      if (rest.length > 0) this.onUpstreamData(socket, rest);
      return;
    }
    if (status === 101) this.openTunnel(socket, text, rest);
    else this.startAnswer(socket, status, text, rest);
  }

  private openTunnel(socket: Socket, text: string, rest: Buffer): void {
    const u = this.upstream!;
    this.phase = TUNNEL;
    socket.setTimeout(0);
    let head = `${text}\r\n${UPSTREAM_HEADER}: ${u.label}\r\n`;
    if (this.stickyCookie !== null) head += `Set-Cookie: ${this.stickyCookie}\r\n`;
    this.client.write(`${head}\r\n`, 'latin1');
    if (rest.length > 0) this.client.write(rest);
    socket.removeAllListeners('data');
    socket.pipe(this.client);
    // The upstream switched: from here the client's bytes (held ones first) are the new protocol's.
    this.client.off('data', this.onClientBody);
    this.client.pipe(socket);
    this.client.resume();
    this.settle({ kind: 'opened', isError: false });
  }

  /** A final answer other than 101: relayed as a normal response, then the connection is closed. */
  private startAnswer(socket: Socket, status: number, text: string, rest: Buffer): void {
    const u = this.upstream!;
    this.phase = RELAYING;
    this.answerStatus = status;
    const lines = text.split('\r\n');
    let head = `${lines[0]}\r\n`;
    let length = -1;
    let chunked = false;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'connection' || name === 'keep-alive') continue;
      if (name === 'content-length') length = Number.parseInt(value, 10);
      else if (name === 'transfer-encoding') chunked = value.toLowerCase().includes('chunked');
      head += `${line}\r\n`;
    }
    head += `${UPSTREAM_HEADER}: ${u.label}\r\nConnection: close\r\n`;
    if (this.stickyCookie !== null) head += `Set-Cookie: ${this.stickyCookie}\r\n`;
    this.client.write(`${head}\r\n`, 'latin1');
    const bodyless = this.method === 'HEAD' || status === 204 || status === 304;
    this.body = new BodyEnd(bodyless ? 0 : chunked ? CHUNKED : length >= 0 ? length : UNTIL_CLOSE);
    this.relayBody(socket, rest);
  }

  private relayBody(socket: Socket, chunk: Buffer): void {
    const body = this.body!;
    const n = body.take(chunk);
    if (n > 0 && !this.client.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
      socket.pause();
      this.client.once('drain', () => socket.resume());
    }
    if (body.complete) this.finishAnswer(socket, true);
  }

  private finishAnswer(socket: Socket, complete: boolean): void {
    if (this.phase !== RELAYING) return;
    this.phase = DONE;
    const isError = !complete || this.answerStatus >= 500;
    this.stopBody();
    socket.destroy();
    this.releaseUpstream(isError);
    if (complete) closeAfterFlush(this.client);
    else this.client.destroy();
    this.settle({ kind: 'answered', isError });
  }

  private onUpstreamEnd(socket: Socket): void {
    if (socket !== this.upstreamSocket) return;
    if (this.phase === RELAYING) this.finishAnswer(socket, this.body!.untilClose);
    else if (this.phase === WAITING || this.phase === CONNECTING) this.fail(socket, 'reset', 'ECONNRESET');
  }

  private onUpstreamClose(socket: Socket): void {
    if (socket !== this.upstreamSocket) return;
    if (this.phase === TUNNEL) {
      closeAfterFlush(this.client);
      this.closeTunnel();
    } else if (this.phase === RELAYING) this.finishAnswer(socket, this.body!.untilClose);
    else if (this.phase === WAITING || this.phase === CONNECTING) this.fail(socket, 'reset', 'ECONNRESET');
  }

  private onClientClose(): void {
    const socket = this.upstreamSocket;
    if (this.phase === TUNNEL) {
      if (socket) closeAfterFlush(socket);
      this.closeTunnel();
      return;
    }
    if (this.phase === DONE) return;
    // The client left before the handshake was over: stop the upstream side too.
    this.phase = DONE;
    clearTimeout(this.connectTimer);
    socket?.destroy();
    this.releaseUpstream(false);
    this.settle({ kind: 'gone', isError: false });
  }

  private closeTunnel(): void {
    this.phase = DONE;
    this.releaseUpstream(false);
    this.host.tunnelClosed(this);
  }

  private fail(socket: Socket, kind: FailureKind, code: string): void {
    if (socket !== this.upstreamSocket) return;
    if (this.phase === RELAYING) {
      this.finishAnswer(socket, false);
      return;
    }
    if (this.phase !== CONNECTING && this.phase !== WAITING) {
      socket.destroy();
      return;
    }
    const u = this.upstream!;
    clearTimeout(this.connectTimer);
    this.upstreamSocket = null;
    this.stopBody();
    socket.destroy();
    this.releaseUpstream(true);
    if (this.client.destroyed) return;
    if (kind === 'refused') this.host.eject(u, code);
    // Nothing reached the upstream (no connection was made): another instance may take it.
    if ((kind === 'refused' || kind === 'connect-timeout') && this.attempts < 3) {
      const next = this.host.nextUpstream(this.setIndex, u);
      if (next) {
        this.dispatch(next);
        return;
      }
    }
    const failure = upstreamFailure(kind, u.upstream.id, code);
    this.answerError(failure.status, failure.reason);
  }

  /** The router's own error answer (no upstream involved any more). */
  answerError(status: number, reason: string): void {
    this.phase = DONE;
    if (!this.client.destroyed) {
      this.client.write(rawErrorResponse(status, reason), 'latin1');
      closeAfterFlush(this.client);
    }
    this.settle({ kind: 'failed', isError: true });
  }

  private releaseUpstream(isError: boolean): void {
    const u = this.upstream;
    if (u === null) return;
    this.upstream = null;
    this.host.releaseUpgrade(this, u, isError);
  }

  private settle(outcome: UpgradeOutcome): void {
    if (this.settledOnce) return;
    this.settledOnce = true;
    this.host.settled(this, outcome);
  }
}

/** Ends a socket once its pending writes are out; destroys it if that does not happen soon. */
function closeAfterFlush(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.writableFinished) {
    socket.destroy();
    return;
  }
  socket.once('finish', () => socket.destroy());
  socket.end();
  setTimeout(() => socket.destroy(), FLUSH_LIMIT_MS).unref();
}

const CHUNKED = -1;
const UNTIL_CLOSE = -2;

const SIZE_LINE = 0;
const CHUNK_DATA = 1;
const CHUNK_CRLF = 2;
const TRAILER_LINE = 3;
const ENDED = 4;

/**
 * Finds where a relayed response body ends without decoding it: bytes pass through unchanged
 * (chunk framing included) and only the end is detected.
 */
export class BodyEnd {
  complete = false;
  readonly untilClose: boolean;
  private remaining: number;
  private state = SIZE_LINE;
  private line = '';
  private readonly chunked: boolean;

  /** `framing`: a byte count, CHUNKED, or UNTIL_CLOSE. */
  constructor(framing: number) {
    this.chunked = framing === CHUNKED;
    this.untilClose = framing === UNTIL_CLOSE;
    this.remaining = framing >= 0 ? framing : 0;
    if (framing === 0) this.complete = true;
  }

  /** How many bytes of `chunk` belong to the body (the rest, if any, is past its end). */
  take(chunk: Buffer): number {
    if (this.complete) return 0;
    if (this.untilClose) return chunk.length;
    if (!this.chunked) {
      const n = Math.min(this.remaining, chunk.length);
      this.remaining -= n;
      if (this.remaining === 0) this.complete = true;
      return n;
    }
    let i = 0;
    while (i < chunk.length && this.state !== ENDED) {
      switch (this.state) {
        case CHUNK_DATA: {
          const n = Math.min(this.remaining, chunk.length - i);
          i += n;
          this.remaining -= n;
          if (this.remaining === 0) {
            this.state = CHUNK_CRLF;
            this.remaining = 2;
          }
          break;
        }
        case CHUNK_CRLF: {
          const n = Math.min(this.remaining, chunk.length - i);
          i += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = SIZE_LINE;
          break;
        }
        default: {
          // SIZE_LINE or TRAILER_LINE: read up to the end of the line.
          const nl = chunk.indexOf(10, i);
          const stop = nl < 0 ? chunk.length : nl + 1;
          this.line += chunk.toString('latin1', i, stop);
          i = stop;
          if (nl < 0) break;
          const line = this.line.trim();
          this.line = '';
          if (this.state === TRAILER_LINE) {
            if (line === '') this.state = ENDED;
          } else {
            const size = Number.parseInt(line, 16);
            if (size === 0) this.state = TRAILER_LINE;
            else {
              this.remaining = Number.isFinite(size) && size > 0 ? size : 0;
              this.state = CHUNK_DATA;
            }
          }
        }
      }
    }
    if (this.state === ENDED) this.complete = true;
    return i;
  }
}

export const BODY_CHUNKED = CHUNKED;
export const BODY_UNTIL_CLOSE = UNTIL_CLOSE;
