/**
 * The answers the router writes itself when it cannot (or may no longer) relay an upstream's: the status
 * and reason for a failed upstream attempt, and writing them on a response or on a raw client socket.
 * Every such answer carries the reason in the error header and as the plain-text body.
 */
import type http from 'node:http';
import { ERROR_HEADER } from './api.js';

/** The router's status and reason for an upstream attempt that failed and is not retried. */
export function upstreamFailure(kind: string, id: string, code: string): { status: number; reason: string } {
  if (kind === 'timeout') return { status: 504, reason: `upstream-timeout ${id}` };
  if (kind === 'connect-timeout') return { status: 502, reason: `upstream-connect-timeout ${id}` };
  if (kind === 'refused') return { status: 502, reason: `upstream-refused ${id} ${code}` };
  return { status: 502, reason: `upstream-failed ${id} ${code}` };
}

/**
 * Answers `status` with `reason` on a normal response, keeping the client connection unless `close`;
 * once headers are out (or the response is gone) the only honest answer is to cut it.
 */
export function writeErrorResponse(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  status: number,
  reason: string,
  close = false,
): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  req.resume();
  res.writeHead(status, [
    ERROR_HEADER,
    reason,
    'Content-Type',
    'text/plain',
    'Connection',
    close ? 'close' : 'keep-alive',
  ]);
  res.end(`${reason}\n`);
}

/** A response the router writes itself on a raw client socket, then closes the connection. */
export function rawErrorResponse(status: number, reason: string): string {
  const body = `${reason}\n`;
  return (
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n${ERROR_HEADER}: ${reason}\r\n` +
    `Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
};
