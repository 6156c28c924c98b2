/**
 * The request path once a request is placed in a set: one `ProxyExchange` per request sends it to an
 * instance over a pooled keep-alive connection, streams the body both ways with backpressure, retries
 * on another instance when that is safe, and answers the router's own error when it is not.
 */
import type http from 'node:http';
import { UPSTREAM_HEADER } from './api.js';
import { upstreamFailure, writeErrorResponse } from './error-answers.js';
import type { ProxyRequestHead } from './request-head.js';
import { SET_NONE } from './set-selection.js';
import type { ResponseHandler, UpstreamConnection, UpstreamError } from './upstream-pool.js';
import type { ExchangeHost, UpstreamRuntime } from './upstream-runtime.js';

/** What the router must do for a request exchange; implemented by RouterServer. */
export interface RequestHost extends ExchangeHost {
  /** The instance no longer has this request in flight; `isError` counts against the instance. */
  releaseRequest(u: UpstreamRuntime, isError: boolean): void;
  /** The client's response is over (answered, failed or abandoned). Called once. */
  requestClosed(ex: ProxyExchange): void;
}

/** Methods that may be sent again after a stale keep-alive socket was reset under them. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** Per-request state and the upstream response handler: one object instead of a handful of closures. */
export class ProxyExchange implements ResponseHandler, ProxyRequestHead {
  upstream: UpstreamRuntime | null = null;
  /** The last instance the request was sent to (kept after release: the metrics name its revision). */
  sentTo: UpstreamRuntime | null = null;
  conn: UpstreamConnection | null = null;
  setIndex = SET_NONE;
  attempts = 0;
  done = false;
  isError = false;
  ended = false;
  stickyCookie: string | null = null;
  head = '';
  force = -1;
  stickySet = -1;
  hasBody = false;
  chunkedBody = false;
  refusal: string | null = null;
  private resumeUpstream: (() => void) | null = null;

  constructor(
    private readonly host: RequestHost,
    readonly req: http.IncomingMessage,
    readonly res: http.ServerResponse,
    readonly startedAt: number,
  ) {}

  /** Sends the request to `u`; null (no instance left) answers 502. */
  dispatch(u: UpstreamRuntime | null): void {
    if (u === null) {
      this.fail(502, 'no-upstream-left-to-retry');
      return;
    }
    this.upstream = u;
    this.sentTo = u;
    this.attempts++;
    u.inFlight++;
    u.requests++;
    const conn = u.pool.request(this.head, this, this.req.method !== 'HEAD', this.hasBody);
    this.conn = conn;
    if (this.hasBody) this.streamBody(conn);
  }

  /** The router's own answer: the exchange counts as an error. */
  fail(status: number, reason: string): void {
    this.isError = true;
    writeErrorResponse(this.req, this.res, status, reason);
  }

  /**
   * The router refuses the request (its framing or Host could be read two ways): answered with the
   * connection closed, so no byte after it is read as a request. A client error, not the revision's.
   */
  refuse(status: number, reason: string): void {
    writeErrorResponse(this.req, this.res, status, reason, true);
  }

  onHead(status: number, statusText: string, headers: string[], wholeBody: Buffer | null): void {
    const res = this.res;
    if (this.done || res.destroyed) return;
    if (status >= 500) this.isError = true;
    headers.push(UPSTREAM_HEADER, this.upstream!.label);
    if (this.stickyCookie !== null) headers.push('Set-Cookie', this.stickyCookie);
    res.writeHead(status, statusText, headers);
    if (wholeBody !== null) {
      this.ended = true;
      res.end(wholeBody);
    }
  }

  onData(chunk: Buffer): boolean {
    if (this.res.write(chunk)) return true;
    // Only slow clients pay for this closure.
    this.resumeUpstream ??= () => this.conn?.resume();
    this.res.once('drain', this.resumeUpstream);
    return false;
  }

  onEnd(): void {
    this.conn = null;
    this.release();
    if (!this.ended) {
      this.ended = true;
      this.res.end();
    }
  }

  onError(err: UpstreamError): void {
    this.conn = null;
    const u = this.upstream;
    if (u === null) return;
    this.release();
    if (this.done) return;
    if (this.res.headersSent) {
      this.isError = true;
      this.res.destroy();
      return;
    }
    const refused = err.kind === 'refused';
    if (refused) this.host.eject(u, err.code);
    // Safe to resend: the request never reached the upstream (refused, connect timeout), or a reused
    // keep-alive connection was closed under us before any answer (the idle race) and the method is idempotent.
    const neverSent = refused || err.kind === 'connect-timeout';
    const staleSocket =
      err.kind === 'reset' && err.reused && !err.answered && IDEMPOTENT.has(this.req.method ?? '');
    if (!this.hasBody && this.attempts < 3 && (neverSent || staleSocket)) {
      const next = staleSocket ? u : this.host.nextUpstream(this.setIndex, u);
      if (next) {
        this.dispatch(next);
        return;
      }
    }
    const failure = upstreamFailure(err.kind, u.upstream.id, err.code);
    this.fail(failure.status, failure.reason);
  }

  /** The client's response closed: stop upstream work it no longer waits for, then settle the metrics. */
  onClientClose(): void {
    if (this.done) return;
    this.done = true;
    const finished = this.res.writableFinished;
    if (!finished && this.upstream) {
      // Client went away: stop the upstream work too.
      this.conn?.abort();
      this.conn = null;
      this.release();
    }
    this.host.requestClosed(this);
  }

  /** Request body to the upstream as it arrives, with backpressure; re-chunked when the client sent chunks. */
  private streamBody(conn: UpstreamConnection): void {
    const req = this.req;
    const resume = () => req.resume();
    req.on('data', (chunk: Buffer) => {
      if (this.conn !== conn) return;
      let ok: boolean;
      if (this.chunkedBody) {
        conn.write(`${chunk.length.toString(16)}\r\n`);
        conn.write(chunk);
        ok = conn.write('\r\n');
      } else ok = conn.write(chunk);
      if (!ok) {
        req.pause();
        conn.socket.once('drain', resume);
      }
    });
    req.on('end', () => {
      if (this.conn !== conn) return;
      if (this.chunkedBody) conn.write('0\r\n\r\n');
      conn.endRequest();
    });
  }

  /** Marks one upstream attempt finished (in-flight bookkeeping, drain completion). */
  private release(): void {
    const u = this.upstream;
    if (u === null) return;
    this.upstream = null;
    this.host.releaseRequest(u, this.isError);
  }
}
