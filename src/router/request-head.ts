/**
 * The request head the router sends upstream, built in one pass over the client's raw headers:
 * hop-by-hop headers removed (for normal requests), framing and X-Forwarded-For/-Proto/-Host written by
 * the router itself, and what routing needs (force header, sticky cookie, body framing) read on the way.
 * A request whose framing or Host could be read two ways is refused here (`refusal`), before any
 * upstream sees a byte of it. Two variants: the hot request path, and upgrades (which keep
 * `Connection`/`Upgrade`, since the upstream must switch).
 */
import type http from 'node:http';
import { forceSetOf, stickyFromCookie } from './set-selection.js';

/** What reading a normal request fills in (the request exchange itself, so the hot path allocates nothing more). */
export interface ProxyRequestHead {
  /** Request line and headers, ready to write. */
  head: string;
  /** Set forced by the force header, or -1. */
  force: number;
  /** Set named by the sticky cookie (only read when the table is sticky), or -1. */
  stickySet: number;
  hasBody: boolean;
  /** The client sent a chunked body: it goes upstream re-chunked. */
  chunkedBody: boolean;
  /** Why the router refuses the request (see `refusalStatus`), or null. */
  refusal: string | null;
}

/** Refusal reasons (the `x-conveyor-error` value; all 400 but the version one). */
export const DUPLICATE_HOST = 'duplicate-host';
export const ABSOLUTE_FORM = 'absolute-form-target';
export const HTTP_VERSION = 'http-version-not-supported';
export const UPGRADE_CHUNKED = 'upgrade-with-chunked-body';
const LENGTH_AND_CHUNKED = 'content-length-with-transfer-encoding';

export function refusalStatus(reason: string): number {
  return reason === HTTP_VERSION ? 505 : 400;
}

/**
 * Reads a normal request into `into`. Only header names of a length that could matter are lower-cased
 * (and so allocate). `trusted`: the peer is a trusted proxy, so its forwarding headers are kept and
 * extended. `fallbackHost` is used when the client sent no Host.
 */
export function readProxyRequest(
  req: http.IncomingMessage,
  sticky: boolean,
  trusted: boolean,
  fallbackHost: string,
  into: ProxyRequestHead,
): void {
  const raw = req.rawHeaders;
  let lines = `${req.method} ${req.url} HTTP/1.1\r\n`;
  let refusal = requestLineRefusal(req);
  let force = -1;
  let stickySet = -1;
  let host: string | undefined;
  // A trusted proxy's forwarding headers (locals, not an object: this is the per-request hot path).
  let xff: string | undefined;
  let proto: string | undefined;
  let forwardedHost: string | undefined;
  let length: string | undefined;
  let chunked = false;
  let connectionTokens: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    switch (name.length) {
      case 2:
        if (name.toLowerCase() === 'te') continue;
        break;
      case 4:
        if (name.toLowerCase() === 'host') {
          if (host !== undefined) refusal = DUPLICATE_HOST;
          host = value;
        }
        break;
      case 6: {
        // Accept and Origin are common: look at the first letter before lower-casing.
        const first = name.charCodeAt(0) | 32;
        // Answered by the router itself (node sends the 100 Continue): never the upstream's business.
        if (first === 101 && name.toLowerCase() === 'expect') continue;
        if (sticky && first === 99 && name.toLowerCase() === 'cookie')
          stickySet = stickyFromCookie(value, stickySet);
        break;
      }
      case 7: {
        const lower = name.toLowerCase();
        if (lower === 'trailer' || lower === 'upgrade') continue;
        break;
      }
      case 9:
        if (isForwardingClaim(name) && !trusted) continue;
        break;
      case 10: {
        const lower = name.toLowerCase();
        if (lower === 'connection') {
          // The usual values name no extra hop-by-hop header: nothing to strip.
          if (value.length > 10 || (value !== 'keep-alive' && value !== 'close' && value !== 'Keep-Alive')) {
            connectionTokens = connectionTokens ? `${connectionTokens},${value}` : value;
          }
          continue;
        }
        if (lower === 'keep-alive') continue;
        break;
      }
      case 14:
        // Framing is written by the router below, from what node's parser accepted.
        if (name.toLowerCase() === 'content-length') {
          length = value;
          continue;
        }
        break;
      case 15:
        if (name.toLowerCase() === 'x-forwarded-for') {
          if (trusted) xff = xff === undefined ? value : `${xff}, ${value}`;
          continue;
        }
        break;
      case 16: {
        const lower = name.toLowerCase();
        if (lower === 'proxy-connection') continue;
        if (lower === 'x-forwarded-host') {
          if (trusted) forwardedHost ??= value;
          continue;
        }
        break;
      }
      case 17: {
        const lower = name.toLowerCase();
        if (lower === 'transfer-encoding') {
          chunked = true;
          continue;
        }
        if (lower === 'x-forwarded-proto') {
          if (trusted) proto ??= value;
          continue;
        }
        if (lower === 'x-conveyor-canary') {
          force = forceSetOf(value);
          continue;
        }
        break;
      }
      case 19:
        if (name.toLowerCase() === 'proxy-authorization') continue;
        break;
    }
    lines += `${name}: ${value}\r\n`;
  }
  let head = lines;
  if (connectionTokens !== undefined) {
    const names = hopByHopNames(connectionTokens);
    refusal = connectionRefusal(names) ?? refusal;
    head = stripHeaders(lines, names);
  }
  if (chunked && length !== undefined) refusal = LENGTH_AND_CHUNKED;
  head += forwardedHeaders(req, xff, proto, forwardedHost, host, fallbackHost);
  if (chunked) head += 'Transfer-Encoding: chunked\r\n\r\n';
  else if (length !== undefined) head += `Content-Length: ${length}\r\n\r\n`;
  else head += '\r\n';
  into.head = head;
  into.force = force;
  into.stickySet = stickySet;
  into.hasBody = chunked || (length !== undefined && length !== '0');
  into.chunkedBody = chunked;
  into.refusal = refusal;
}

/** The request head for the upstream plus what routing needs from it. */
export interface UpgradeRequestHead {
  head: string;
  /** Value of the force header, if sent (it is not passed on). */
  force: string | undefined;
  cookie: string | undefined;
  /** Bytes of request body (Content-Length) that follow the head; the router passes on exactly these. */
  bodyLength: number;
  refusal: string | null;
}

/**
 * Builds the upstream request head of an upgrade request. Unlike the normal path, `Connection`,
 * `Upgrade` and the headers `Connection` names (`Sec-WebSocket-*`, `HTTP2-Settings`) are kept: the
 * upstream needs them to switch protocols. X-Forwarded-* are set as for any request. A chunked body is
 * refused: the router passes the body on unparsed, so it must know where it ends by its length alone.
 */
export function readUpgradeRequest(
  req: http.IncomingMessage,
  forceHeader: string,
  trusted: boolean,
  fallbackHost: string,
): UpgradeRequestHead {
  const raw = req.rawHeaders;
  let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
  let refusal = requestLineRefusal(req);
  let force: string | undefined;
  let cookie: string | undefined;
  let host: string | undefined;
  let bodyLength = 0;
  let xff: string | undefined;
  let proto: string | undefined;
  let forwardedHost: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const lower = name.toLowerCase();
    if (lower === forceHeader) {
      force = value;
      continue;
    }
    if (lower === 'x-forwarded-for') {
      if (trusted) xff = xff === undefined ? value : `${xff}, ${value}`;
      continue;
    }
    if (lower === 'x-forwarded-proto') {
      if (trusted) proto ??= value;
      continue;
    }
    if (lower === 'x-forwarded-host') {
      if (trusted) forwardedHost ??= value;
      continue;
    }
    if (lower === 'proxy-connection' || lower === 'proxy-authorization' || lower === 'keep-alive') continue;
    if (name.length === 9 && isForwardingClaim(name) && !trusted) continue;
    if (lower === 'host') {
      if (host !== undefined) refusal = DUPLICATE_HOST;
      host = value;
    } else if (lower === 'cookie') cookie = cookie ? `${cookie}; ${value}` : value;
    else if (lower === 'connection') refusal = connectionRefusal(hopByHopNames(value)) ?? refusal;
    else if (lower === 'transfer-encoding') refusal = UPGRADE_CHUNKED;
    else if (lower === 'content-length') bodyLength = Number(value);
    head += `${name}: ${value}\r\n`;
  }
  head += forwardedHeaders(req, xff, proto, forwardedHost, host, fallbackHost);
  return { head: `${head}\r\n`, force, cookie, bodyLength, refusal };
}

/**
 * X-Forwarded-For (a trusted proxy's list plus the peer address, else the peer address alone),
 * -Proto (a trusted proxy's, else `http`: the router speaks plain HTTP), -Host (a trusted proxy's,
 * else the Host the request came with), and Host when the client sent none. `xff`, `proto` and
 * `forwardedHost` are what a trusted proxy sent (always undefined for anyone else).
 */
function forwardedHeaders(
  req: http.IncomingMessage,
  xff: string | undefined,
  proto: string | undefined,
  forwardedHost: string | undefined,
  host: string | undefined,
  fallbackHost: string,
): string {
  const ip = req.socket.remoteAddress ?? '';
  let lines = `X-Forwarded-For: ${xff === undefined ? ip : `${xff}, ${ip}`}\r\n`;
  lines += `X-Forwarded-Proto: ${proto ?? 'http'}\r\n`;
  if (host === undefined) lines += `Host: ${fallbackHost}\r\n`;
  lines += `X-Forwarded-Host: ${forwardedHost ?? host ?? fallbackHost}\r\n`;
  return lines;
}

/** `Forwarded` and `X-Real-IP`: claims about earlier hops, kept only from trusted proxies. */
function isForwardingClaim(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === 'forwarded' || lower === 'x-real-ip';
}

/** HTTP/1.x only, and only origin-form targets (`/path`, or `*` for OPTIONS): the router is no forward proxy. */
function requestLineRefusal(req: http.IncomingMessage): string | null {
  if (req.httpVersionMajor !== 1) return HTTP_VERSION;
  const url = req.url ?? '';
  if (url.charCodeAt(0) !== 47 && !(url === '*' && req.method === 'OPTIONS')) return ABSOLUTE_FORM;
  return null;
}

/** Header names listed in `Connection: a, b` (hop-by-hop for this hop only). Rare path. */
function hopByHopNames(tokens: string): Set<string> {
  return new Set(
    tokens
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t !== '' && t !== 'close' && t !== 'keep-alive'),
  );
}

/**
 * Framing headers and Host are never hop-by-hop: a `Connection` header naming one would have the router
 * drop the body's framing (the body would reach the upstream as a request of its own) or the Host.
 */
function connectionRefusal(names: Set<string>): string | null {
  for (const name of ['content-length', 'transfer-encoding', 'host']) {
    if (names.has(name)) return `connection-names-${name}`;
  }
  return null;
}

/** Removes the header lines named in `names`. */
function stripHeaders(lines: string, names: Set<string>): string {
  if (names.size === 0) return lines;
  return lines
    .split('\r\n')
    .filter((line, i) => i === 0 || !names.has(line.slice(0, line.indexOf(':')).toLowerCase()))
    .join('\r\n');
}
