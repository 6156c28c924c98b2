/**
 * The admin endpoint: HTTP/1.1 on a unix socket in the state folder (never a TCP port, so it is
 * not reachable from other hosts), owner-only whatever the umask. Routes are listed in api.ts.
 */
import { chmodSync, statSync } from 'node:fs';
import http from 'node:http';
import type { RouterServer } from './server.js';
import { checkRoutingTable } from './table.js';

const MAX_BODY = 1 << 20;

export function createAdminServer(router: RouterServer, onShutdown: () => void): http.Server {
  return http.createServer((req, res) => {
    handleAdmin(router, req, res, onShutdown).catch((err: unknown) => {
      send(res, 500, { error: err instanceof Error ? err.message : String(err) });
    });
  });
}

/**
 * Listens on the unix socket `path` so that only this process's user can connect, whatever the umask:
 * the socket file is created under umask 077 (so it is never open to others, not even for an instant:
 * `listen` binds synchronously), then set to 0600 and checked before the first connection is accepted.
 * Whoever can connect can change the routing, so a socket that is not owner-only is an error.
 */
export function listenOwnerOnly(server: http.Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const umask = process.umask(0o077);
    try {
      server.listen(path, () => {
        server.off('error', reject);
        try {
          chmodSync(path, 0o600);
          const st = statSync(path);
          if ((st.mode & 0o077) !== 0 || st.uid !== process.getuid?.())
            throw new Error(
              `${path} is not owner-only (mode ${(st.mode & 0o777).toString(8)}, uid ${st.uid})`,
            );
          resolve();
        } catch (err) {
          server.close();
          reject(err);
        }
      });
    } finally {
      process.umask(umask);
    }
  });
}

async function handleAdmin(
  router: RouterServer,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  onShutdown: () => void,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://router');
  const route = `${req.method} ${url.pathname}`;
  switch (route) {
    case 'GET /state':
      return send(res, 200, router.state());
    case 'PUT /routing': {
      const body = await readJson(req);
      if (!body.ok) return send(res, 400, { error: body.error });
      const checked = checkRoutingTable(body.value);
      if (!checked.ok)
        return send(res, 400, { error: `invalid routing table: ${checked.problems.join('; ')}` });
      return send(res, 200, router.applyTable(checked.table));
    }
    case 'GET /metrics': {
      const windowMs = numberParam(url, 'windowMs', 10_000);
      if (windowMs === null)
        return send(res, 400, { error: 'windowMs must be a positive number of milliseconds' });
      return send(res, 200, router.metrics(windowMs));
    }
    case 'POST /metrics/reset':
      router.resetMetrics();
      return send(res, 200, { reset: true });
    case 'GET /drained': {
      const ids = (url.searchParams.get('ids') ?? '').split(',').filter((s) => s !== '');
      const waitMs = numberParam(url, 'waitMs', 0);
      if (waitMs === null) return send(res, 400, { error: 'waitMs must be a number of milliseconds' });
      const deadline = Date.now() + Math.min(waitMs, 600_000);
      let status = router.drainedStatus(ids);
      while (!status.drained && Date.now() < deadline && !res.destroyed) {
        await new Promise((r) => setTimeout(r, 10));
        status = router.drainedStatus(ids);
      }
      return send(res, 200, status);
    }
    case 'POST /shutdown':
      send(res, 200, { shuttingDown: true });
      res.once('finish', onShutdown);
      return;
    default:
      return send(res, 404, { error: `no admin route ${route}` });
  }
}

function numberParam(url: URL, name: string, fallback: number): number | null {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(
  req: http.IncomingMessage,
): Promise<{ ok: true; value: unknown } | { ok: false; error: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return { ok: false, error: 'body too large' };
    chunks.push(chunk);
  }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
  } catch (err) {
    return { ok: false, error: `body is not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
}
