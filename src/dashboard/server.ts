/**
 * The dashboard's HTTP server (loopback by default): the page and its bundled assets, a snapshot, the live stream
 * (Server-Sent Events), log streams, and the actions. Every API call needs the session token (security.ts).
 */
import { existsSync, readFileSync, watch } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Clock } from '../core/clock.js';
import { errorMessage, UsageError } from '../core/errors.js';
import { packageRoot } from '../core/paths.js';
import { approveLocalAction } from '../local-ci/approvals.js';
import { ACTIONS, performAction } from './actions.js';
import { type LiveMessage, LiveModel } from './live.js';
import { pageHtml, refusedHtml } from './page.js';
import type { ActionName, ActionRequest, ApprovalRequest } from './protocol.js';
import { logFileOf, readFrom } from './runs.js';
import { allowedHosts, COOKIE_NAME, refuse } from './security.js';

export interface DashboardOptions {
  cwd: string;
  configs: string[];
  host: string;
  port: number;
  token: string;
  clock: Clock;
  env: Record<string, string | undefined>;
  signal: AbortSignal;
  log: (line: string) => void;
  sampleMs?: number;
}

export interface RunningDashboard {
  url: string;
  port: number;
  live: LiveModel;
  close(): Promise<void>;
}

const ASSETS: Record<string, { file: string; type: string }> = {
  '/assets/app.js': { file: 'dist/dashboard/app.js', type: 'text/javascript; charset=utf-8' },
  '/assets/app.css': { file: 'dist/dashboard/app.css', type: 'text/css; charset=utf-8' },
};

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, ...extra });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

async function readBody(req: IncomingMessage, max = 16 * 1024): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) throw new UsageError('request body too large');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new UsageError('the request body is not JSON');
  }
}

function sse(res: ServerResponse): (event: string, data: unknown) => void {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': 'text/event-stream; charset=utf-8',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  // The page reconnects a second after the stream drops (a dashboard restart).
  res.write('retry: 1000\n\n');
  return (event, data) => {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
}

export async function startDashboard(opts: DashboardOptions): Promise<RunningDashboard> {
  const live = new LiveModel({
    cwd: opts.cwd,
    configs: opts.configs,
    clock: opts.clock,
    ...(opts.sampleMs ? { sampleMs: opts.sampleMs } : {}),
  });
  await live.start();
  const streams = new Set<ServerResponse>();
  let hosts = new Set<string>();

  const facts = (req: IncomingMessage) => ({
    method: req.method ?? 'GET',
    ...(req.headers.host ? { host: req.headers.host } : {}),
    ...(req.headers.origin ? { origin: req.headers.origin } : {}),
    ...(typeof req.headers['sec-fetch-site'] === 'string'
      ? { secFetchSite: req.headers['sec-fetch-site'] }
      : {}),
    ...(req.headers.cookie ? { cookie: req.headers.cookie } : {}),
    ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}),
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const method = req.method ?? 'GET';
    const asset = ASSETS[url.pathname];
    if (asset && method === 'GET') {
      const hostOk = req.headers.host && hosts.has(req.headers.host.toLowerCase());
      if (!hostOk) return send(res, 403, 'text/plain', 'unknown Host\n');
      const file = join(packageRoot, asset.file);
      if (!existsSync(file))
        return send(res, 500, 'text/plain', `${asset.file} is missing: run 'npm run build'\n`);
      return send(res, 200, asset.type, readFileSync(file));
    }
    if (url.pathname === '/favicon.ico') return send(res, 204, 'text/plain', '');
    if (url.pathname === '/' && method === 'GET') {
      const fromUrl = url.searchParams.get('token');
      if (fromUrl !== null) {
        const bad = refuse(
          { ...facts(req), authorization: `Bearer ${fromUrl}` },
          { token: opts.token, hosts, write: false },
        );
        if (bad) return send(res, bad.status, 'text/html; charset=utf-8', refusedHtml(bad.reason));
        // The token leaves the address bar (and history) at once: from here on the cookie carries it.
        return send(res, 303, 'text/plain', 'see /\n', {
          location: '/',
          'set-cookie': `${COOKIE_NAME}=${opts.token}; Path=/; HttpOnly; SameSite=Strict`,
        });
      }
      const bad = refuse(facts(req), { token: opts.token, hosts, write: false });
      if (bad) return send(res, bad.status, 'text/html; charset=utf-8', refusedHtml(bad.reason));
      return send(res, 200, 'text/html; charset=utf-8', pageHtml());
    }
    if (!url.pathname.startsWith('/api/')) return sendJson(res, 404, { error: 'not found' });
    const write = method !== 'GET';
    const bad = refuse(facts(req), { token: opts.token, hosts, write });
    if (bad) return sendJson(res, bad.status, { error: bad.reason });

    if (method === 'GET' && url.pathname === '/api/snapshot') return sendJson(res, 200, live.snapshot());
    if (method === 'GET' && url.pathname === '/api/events') {
      const emit = sse(res);
      emit('snapshot', live.snapshot());
      const unsubscribe = live.subscribe((m: LiveMessage) => emit(m.type, m));
      const beat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      streams.add(res);
      res.on('close', () => {
        clearInterval(beat);
        unsubscribe();
        streams.delete(res);
      });
      return;
    }
    if (method === 'GET' && url.pathname === '/api/log') return streamLog(url, req, res);
    if (method === 'POST' && url.pathname === '/api/action') {
      const body = (await readBody(req)) as Partial<ActionRequest>;
      if (!ACTIONS.includes(body.action as ActionName) || typeof body.group !== 'string') {
        return sendJson(res, 400, { error: `action must be one of ${ACTIONS.join(', ')}, with a group` });
      }
      const ctx = live.group(body.group);
      if (!ctx) return sendJson(res, 404, { error: `no group ${body.group}` });
      const message = await performAction(ctx, body.action as ActionName, body.deploymentId, {
        clock: opts.clock,
        signal: opts.signal,
        env: opts.env,
        log: opts.log,
      });
      opts.log(`${body.group}: ${message}`);
      return sendJson(res, 200, { ok: true, message });
    }
    if (method === 'POST' && url.pathname === '/api/approval') {
      const body = (await readBody(req)) as Partial<ApprovalRequest>;
      const { pipeline, stage, action, decision } = body;
      if (
        typeof pipeline !== 'string' ||
        typeof stage !== 'string' ||
        typeof action !== 'string' ||
        (decision !== 'Approved' && decision !== 'Rejected')
      ) {
        return sendJson(res, 400, {
          error: 'pipeline, stage, action and decision (Approved|Rejected) are required',
        });
      }
      const found = await approveLocalAction({
        cwd: live.runRoot,
        pipeline,
        stage,
        action,
        decision,
        summary: typeof body.summary === 'string' ? body.summary : 'from conveyor dashboard',
      });
      if (!found) return sendJson(res, 409, { error: `no run of ${pipeline} waits for ${stage}/${action}` });
      opts.log(`${pipeline}: ${stage}/${action} ${decision}`);
      return sendJson(res, 200, { ok: true, message: `${stage}/${action} ${decision.toLowerCase()}` });
    }
    return sendJson(res, 404, { error: 'not found' });
  };

  /** A run's log (or one action's) as Server-Sent Events: what is there, then what is appended. */
  const streamLog = async (url: URL, req: IncomingMessage, res: ServerResponse) => {
    const file = await logFileOf(
      live.runRoot,
      url.searchParams.get('run') ?? '',
      url.searchParams.get('stage') ?? undefined,
      url.searchParams.get('action') ?? undefined,
    );
    if (!file) return sendJson(res, 404, { error: 'no such log' });
    const emit = sse(res);
    let offset = 0;
    const pump = () => {
      const { text, next } = readFrom(file, offset);
      offset = next;
      if (text) emit('log', { text });
    };
    pump();
    let watcher: ReturnType<typeof watch> | undefined;
    try {
      watcher = watch(file, pump);
    } catch {
      watcher = undefined;
    }
    const timer = setInterval(pump, 1000);
    streams.add(res);
    req.on('close', () => {
      watcher?.close();
      clearInterval(timer);
      streams.delete(res);
    });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      const status = err instanceof UsageError ? 409 : 500;
      if (status === 500) opts.log(`internal error: ${errorMessage(err)}`);
      if (!res.headersSent) sendJson(res, status, { error: errorMessage(err) });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      live.close();
      reject(
        err.code === 'EADDRINUSE'
          ? new UsageError(`port ${opts.port} is in use`, 'pick another with --port N (0 picks a free one)')
          : err,
      );
    });
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  hosts = allowedHosts(opts.host, port);
  const shown = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${shown}:${port}/`,
    port,
    live,
    async close() {
      live.close();
      for (const s of streams) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
