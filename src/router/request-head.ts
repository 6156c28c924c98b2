/**
 * The request head the router sends upstream, built in one pass over the client's raw headers:
 * hop-by-hop headers removed (for normal requests), X-Forwarded-For/-Proto/-Host added, and what
 * routing needs (force header, sticky cookie, body framing) read on the way. Two variants: the hot
 * request path, and upgrades (which keep `Connection`/`Upgrade`, since the upstream must switch).
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
  /** The client sent a body without Content-Length: it goes upstream re-chunked. */
  chunkedBody: boolean;
}

/**
 * Reads a normal request into `into`. Only header names of a length that could matter are lower-cased
 * (and so allocate). `fallbackHost` is used when the client sent no Host.
 */
export function readProxyRequest(
  req: http.IncomingMessage,
  sticky: boolean,
  fallbackHost: string,
  into: ProxyRequestHead,
): void {
  const raw = req.rawHeaders;
  let lines = `${req.method} ${req.url} HTTP/1.1\r\n`;
  let force = -1;
  let stickySet = -1;
  let host: string | undefined;
  let xff: string | undefined;
  let hasProto = false;
  let hasForwardedHost = false;
  let hasBody = false;
  let hasLength = false;
  let connectionTokens: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    switch (name.length) {
      case 2:
        if (name.toLowerCase() === 'te') continue;
        break;
      case 4:
        if (name.toLowerCase() === 'host') host = value;
        break;
      case 6:
        if (sticky && name.toLowerCase() === 'cookie') stickySet = stickyFromCookie(value, stickySet);
        break;
      case 7: {
        const lower = name.toLowerCase();
        if (lower === 'trailer' || lower === 'upgrade') continue;
        break;
      }
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
        if (name.toLowerCase() === 'content-length') {
          hasLength = true;
          if (value !== '0') hasBody = true;
        }
        break;
      case 15:
        if (name.toLowerCase() === 'x-forwarded-for') {
          xff = xff ? `${xff}, ${value}` : value;
          continue;
        }
        break;
      case 16: {
        const lower = name.toLowerCase();
        if (lower === 'proxy-connection') continue;
        if (lower === 'x-forwarded-host') hasForwardedHost = true;
        break;
      }
      case 17: {
        const lower = name.toLowerCase();
        if (lower === 'transfer-encoding') {
          hasBody = true;
          continue;
        }
        if (lower === 'x-forwarded-proto') hasProto = true;
        else if (lower === 'x-conveyor-canary') {
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
  let head = connectionTokens ? stripConnectionTokens(lines, connectionTokens) : lines;
  head += forwardedHeaders(req, xff, hasProto, host, hasForwardedHost, fallbackHost);
  const chunkedBody = hasBody && !hasLength;
  head += chunkedBody ? 'Transfer-Encoding: chunked\r\n\r\n' : '\r\n';
  into.head = head;
  into.force = force;
  into.stickySet = stickySet;
  into.hasBody = hasBody;
  into.chunkedBody = chunkedBody;
}

/** The request head for the upstream plus what routing needs from it. */
export interface UpgradeRequestHead {
  head: string;
  /** Value of the force header, if sent (it is not passed on). */
  force: string | undefined;
  cookie: string | undefined;
}

/**
 * Builds the upstream request head of an upgrade request. Unlike the normal path, `Connection`,
 * `Upgrade` and the headers `Connection` names (`Sec-WebSocket-*`, `HTTP2-Settings`) are kept: the
 * upstream needs them to switch protocols. X-Forwarded-* are added as for any request.
 */
export function readUpgradeRequest(
  req: http.IncomingMessage,
  forceHeader: string,
  fallbackHost: string,
): UpgradeRequestHead {
  const raw = req.rawHeaders;
  let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
  let force: string | undefined;
  let cookie: string | undefined;
  let host: string | undefined;
  let xff: string | undefined;
  let hasProto = false;
  let hasForwardedHost = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const lower = name.toLowerCase();
    if (lower === forceHeader) {
      force = value;
      continue;
    }
    if (lower === 'x-forwarded-for') {
      xff = xff ? `${xff}, ${value}` : value;
      continue;
    }
    if (lower === 'proxy-connection' || lower === 'proxy-authorization' || lower === 'keep-alive') continue;
    if (lower === 'host') host = value;
    else if (lower === 'cookie') cookie = cookie ? `${cookie}; ${value}` : value;
    else if (lower === 'x-forwarded-proto') hasProto = true;
    else if (lower === 'x-forwarded-host') hasForwardedHost = true;
    head += `${name}: ${value}\r\n`;
  }
  head += forwardedHeaders(req, xff, hasProto, host, hasForwardedHost, fallbackHost);
  return { head: `${head}\r\n`, force, cookie };
}

/** X-Forwarded-For (the client's list plus its address), -Proto unless sent, and Host or X-Forwarded-Host. */
function forwardedHeaders(
  req: http.IncomingMessage,
  xff: string | undefined,
  hasProto: boolean,
  host: string | undefined,
  hasForwardedHost: boolean,
  fallbackHost: string,
): string {
  const ip = req.socket.remoteAddress ?? '';
  let lines = `X-Forwarded-For: ${xff ? `${xff}, ${ip}` : ip}\r\n`;
  if (!hasProto) lines += 'X-Forwarded-Proto: http\r\n';
  if (host === undefined) lines += `Host: ${fallbackHost}\r\n`;
  else if (!hasForwardedHost) lines += `X-Forwarded-Host: ${host}\r\n`;
  return lines;
}

/** Removes header lines named in `Connection: a, b` (they are hop-by-hop for this hop only). Rare path. */
function stripConnectionTokens(lines: string, tokens: string): string {
  const names = new Set(
    tokens
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t !== '' && t !== 'close' && t !== 'keep-alive'),
  );
  if (names.size === 0) return lines;
  return lines
    .split('\r\n')
    .filter((line, i) => i === 0 || !names.has(line.slice(0, line.indexOf(':')).toLowerCase()))
    .join('\r\n');
}
