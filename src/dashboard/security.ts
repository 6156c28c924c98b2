/**
 * Who may use the dashboard: the holder of the per-session token printed at start. The token travels once in the
 * URL, is swapped for a `SameSite=Strict; HttpOnly` cookie, and every API call must carry it. Writes (promote,
 * abort, rollback, approvals) are also refused when the browser says the request comes from another site
 * (`Origin`, `Sec-Fetch-Site`), so a page open in the same browser cannot trigger them, and every request must
 * name this server in `Host` (a DNS-rebinding page names its own host).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export const COOKIE_NAME = 'conveyor_dashboard';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * The session token kept in `file` (mode 0600), so a restarted dashboard keeps it and open pages reconnect;
 * `fresh` replaces it (every page open with the old one is then refused).
 */
export function sessionToken(file: string, fresh: boolean): string {
  if (!fresh) {
    try {
      const kept = readFileSync(file, 'utf8').trim();
      if (/^[A-Za-z0-9_-]{32}$/.test(kept)) return kept;
    } catch {
      // none yet
    }
  }
  const token = newToken();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return token;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export interface RequestFacts {
  method: string;
  host?: string;
  origin?: string;
  secFetchSite?: string;
  cookie?: string;
  authorization?: string;
  contentType?: string;
}

export type Refusal = { status: 400 | 401 | 403 | 415; reason: string };

/** The host names this server answers to (loopback names with its port, or the bound address). */
export function allowedHosts(host: string, port: number): Set<string> {
  const names = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  names.add(host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
  return names;
}

/** Whether a request may reach the API; undefined when it may. Pure, so every rule is unit-tested. */
export function refuse(
  req: RequestFacts,
  opts: { token: string; hosts: Set<string>; write: boolean },
): Refusal | undefined {
  if (!req.host || !opts.hosts.has(req.host.toLowerCase())) {
    return {
      status: 403,
      reason: `unknown Host '${req.host ?? ''}': open the dashboard by the URL it printed`,
    };
  }
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.authorization ?? '')?.[1];
  const presented = bearer ?? cookieValue(req.cookie, COOKIE_NAME);
  if (!presented || !same(presented, opts.token)) {
    return {
      status: 401,
      reason: 'missing or wrong session token: open the URL printed by conveyor dashboard',
    };
  }
  if (!opts.write) return undefined;
  if (req.secFetchSite && req.secFetchSite !== 'same-origin' && req.secFetchSite !== 'none') {
    return { status: 403, reason: `cross-origin request refused (Sec-Fetch-Site: ${req.secFetchSite})` };
  }
  if (req.origin !== undefined) {
    let host: string | undefined;
    try {
      const url = new URL(req.origin);
      host = url.protocol === 'http:' ? url.host : undefined;
    } catch {
      host = undefined;
    }
    if (!host || !opts.hosts.has(host) || host !== req.host.toLowerCase()) {
      return { status: 403, reason: `cross-origin request refused (Origin: ${req.origin})` };
    }
  }
  // A JSON body cannot be sent cross-site without a CORS preflight, which this server never grants.
  if (!/^application\/json\b/i.test(req.contentType ?? '')) {
    return { status: 415, reason: 'actions take a JSON body (Content-Type: application/json)' };
  }
  return undefined;
}
