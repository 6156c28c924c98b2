/**
 * `npm run bench router`: the router against the same tiny upstream hit directly, through a plain
 * node http.request proxy, and through nginx (one worker, keep-alive upstream), side by side in one run.
 *
 * Placement on a 2-core machine (taskset): the load generator and the upstream(s) share cpu 0; the
 * proxy under test has cpu 1 to itself. For "direct", the upstream is alone on cpu 1. So every proxy
 * gets the same single core nginx gets with one worker.
 *
 * Figures: autocannon (closed loop, 50 keep-alive connections) for req/s and p50/p99; an open-loop
 * fixed-rate client (1,000 req/s, sub-ms timing) for the added p99, also autocannon `overallRate` for
 * reference; the time from an admin weight change to the first response routed by the new weight; and
 * WebSocket-style upgrades: handshake time and echo round trip on an open tunnel, direct and via the router.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { MetricsSnapshot } from '../src/router/api.js';
import type { RouterClient } from '../src/router/client.js';
import {
  autocannon,
  CONNECTIONS,
  CPU_LOAD,
  CPU_PROXY,
  childPids,
  commandExists,
  type Figures,
  freePort,
  hasTaskset,
  interleavedRounds,
  killChildren,
  loadAverage,
  pairedRatio,
  pinned,
  runChild,
  startNodeScript,
  startRouterProcess,
  type Target,
  UPSTREAM_JS,
  waitForPort,
} from './harness.js';

const DURATION_S = Number(process.env.ROUTER_BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.ROUTER_BENCH_ROUNDS ?? 3);
const RATE = 1000;
/**
 * Optional: the root of another built checkout of Conveyor (its dist/router/main.js), measured as one more
 * row in the same interleaved rounds, e.g. the commit before a change to the request path.
 */
const BASELINE = process.env.ROUTER_BENCH_BASELINE;

// The baseline: what a straightforward node proxy looks like (keep-alive agent, pipe both ways).
const PLAIN_PROXY_JS = `
const http = require('node:http');
const [host, port] = process.argv[2].split(':');
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const s = http.createServer((req, res) => {
  const up = http.request({ host, port: Number(port), method: req.method, path: req.url, headers: req.headers, agent }, (r) => {
    res.writeHead(r.statusCode, r.headers);
    r.pipe(res);
  });
  up.on('error', () => { res.statusCode = 502; res.end(); });
  req.pipe(up);
});
s.keepAliveTimeout = 65000;
s.listen(0, '127.0.0.1', () => console.log('PORT ' + s.address().port));
`;

// Upgrade upstream: answers 101 and echoes every byte on the tunnel.
const UPGRADE_UPSTREAM_JS = `
const http = require('node:http');
const s = http.createServer((req, res) => res.end('ok'));
s.on('upgrade', (req, socket) => {
  socket.on('error', () => socket.destroy());
  socket.write('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n\\r\\n');
  socket.on('data', (d) => socket.write(d));
});
s.listen(0, '127.0.0.1', () => console.log('PORT ' + s.address().port));
`;

// Open-loop client: sends at a fixed rate regardless of answers, alternating between two URLs (direct and
// through the router) so both see the same moments of a noisy machine; times each request with hrtime.
const RATE_CLIENT_JS = `
const http = require('node:http');
const [urls, rate, ms] = [process.argv[2].split(','), Number(process.argv[3]), Number(process.argv[4])];
const agents = urls.map(() => new http.Agent({ keepAlive: true, maxSockets: 64 }));
const lat = urls.map(() => []); let errors = 0; let sent = 0; let done = 0;
const start = performance.now();
function one(i) {
  sent++;
  const t = performance.now();
  http.get(urls[i], { agent: agents[i] }, (res) => { res.resume(); res.on('end', () => { lat[i].push(performance.now() - t); done++; }); })
    .on('error', () => { errors++; done++; });
}
function tick() {
  const now = performance.now();
  const due = Math.min(Math.floor(((now - start) * rate) / 1000), Math.floor((ms * rate) / 1000));
  while (sent < due) one(sent % urls.length);
  if (now - start < ms) setTimeout(tick, 1);
  else { const wait = () => (done >= sent ? report() : setTimeout(wait, 5)); wait(); }
}
function q(l, p) { return l[Math.min(l.length - 1, Math.floor(l.length * p))]; }
function report() {
  const out = lat.map((l) => { l.sort((a, b) => a - b); return { n: l.length, p50: q(l, 0.5), p90: q(l, 0.9), p99: q(l, 0.99), max: l[l.length - 1] }; });
  console.log(JSON.stringify({ sent, errors, results: out }));
  agents.forEach((a) => a.destroy());
}
setTimeout(tick, 1);
`;

interface RateFigures {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

async function fixedRate(dir: string, urls: string[]) {
  const file = join(dir, 'rate-client.cjs');
  writeFileSync(file, RATE_CLIENT_JS);
  const list = urls.join(',');
  await runChild(CPU_LOAD, process.execPath, [file, list, String(RATE), '1000']); // warm-up
  const out = await runChild(CPU_LOAD, process.execPath, [
    file,
    list,
    String(RATE),
    String(DURATION_S * 1000),
  ]);
  return JSON.parse(out) as { sent: number; errors: number; results: RateFigures[] };
}

async function startNginx(
  dir: string,
  upstreamPort: number,
): Promise<{ port: number; master: ChildProcess }> {
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/nginx-body;
  proxy_temp_path ${dir}/nginx-proxy;
  fastcgi_temp_path ${dir}/nginx-fastcgi;
  uwsgi_temp_path ${dir}/nginx-uwsgi;
  scgi_temp_path ${dir}/nginx-scgi;
  upstream app { server 127.0.0.1:${upstreamPort}; keepalive 256; }
  server {
    listen 127.0.0.1:${port};
    keepalive_requests 1000000;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`,
  );
  const nginx = pinned(CPU_PROXY, 'nginx', ['-p', dir, '-c', conf]);
  if (process.env.BENCH_DEBUG) nginx.stderr!.pipe(process.stderr);
  await waitForPort(port);
  return { port, master: nginx };
}

/**
 * Admin weight change (0 → 100) under a steady request loop, 20 times. Three figures per change:
 * admin call issued → first request the router routed under the new table (from the router's own
 * timestamps; both processes read the same clock), → first response from the canary, and the admin
 * call's round trip alone.
 */
async function weightSwitchLatency(client: RouterClient, port: number, stable: number, canary: number) {
  const up = (id: string, p: number) => ({ id, host: '127.0.0.1', port: p });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const routed: number[] = [];
  const answered: number[] = [];
  const adminOnly: number[] = [];
  const now = () => performance.timeOrigin + performance.now();
  for (let trial = 0; trial < 20; trial++) {
    await client.setRouting({ stable: [up('s', stable)], canary: [up('c', canary)], canaryWeight: 0 });
    let changedAt = 0;
    let firstNew = 0;
    let running = true;
    const loop = async () => {
      while (running) {
        const tag = await new Promise<string>((resolve) => {
          http
            .get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
              res.resume();
              res.on('end', () => resolve(String(res.headers['x-conveyor-upstream'])));
            })
            .on('error', () => resolve('error'));
        });
        if (changedAt > 0 && firstNew === 0 && tag.startsWith('canary/')) {
          firstNew = now();
          running = false;
        }
      }
    };
    const loops = [loop(), loop(), loop(), loop()];
    await new Promise((r) => setTimeout(r, 30));
    changedAt = now();
    await client.setRouting({ stable: [up('s', stable)], canary: [up('c', canary)], canaryWeight: 100 });
    adminOnly.push(now() - changedAt);
    await Promise.race([Promise.all(loops), new Promise((r) => setTimeout(r, 1000))]);
    running = false;
    await Promise.all(loops);
    const state = await client.getState();
    routed.push(state.firstRequestAt ? state.firstRequestAt - changedAt : Number.POSITIVE_INFINITY);
    answered.push(firstNew > 0 ? firstNew - changedAt : Number.POSITIVE_INFINITY);
  }
  agent.destroy();
  const stats = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return { median: sorted[Math.floor(sorted.length / 2)]!, max: sorted[sorted.length - 1]! };
  };
  return { routed: stats(routed), answered: stats(answered), admin: stats(adminOnly) };
}

const UPGRADE_REQUEST =
  'GET /ws HTTP/1.1\r\nHost: bench\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

/** Opens an upgraded connection; resolves with the socket once the 101 head has arrived. */
function openTunnel(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (head.startsWith('HTTP/1.1 101')) resolve(socket);
      else reject(new Error(`upgrade answered ${head.slice(0, 20)}`));
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(UPGRADE_REQUEST);
  });
}

function echoOnce(socket: Socket, message: Buffer): Promise<void> {
  return new Promise((resolve) => {
    let got = 0;
    const onData = (d: Buffer) => {
      got += d.length;
      if (got >= message.length) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
    socket.write(message);
  });
}

/** Handshake time (fresh connection to 101) and echo round trip on one open tunnel, alternating direct/router. */
async function upgradeFigures(directPort: number, routerPort: number) {
  const quantiles = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return { p50: sorted[Math.floor(sorted.length * 0.5)]!, p99: sorted[Math.floor(sorted.length * 0.99)]! };
  };
  const handshakes: [number[], number[]] = [[], []];
  for (let i = 0; i < 200; i++) {
    for (const [k, port] of [directPort, routerPort].entries()) {
      const t0 = performance.now();
      const socket = await openTunnel(port);
      handshakes[k]!.push(performance.now() - t0);
      socket.destroy();
    }
  }
  const tunnels = [await openTunnel(directPort), await openTunnel(routerPort)];
  const message = Buffer.alloc(64, 'x');
  const echoes: [number[], number[]] = [[], []];
  for (let i = 0; i < 2000; i++) {
    for (const [k, socket] of tunnels.entries()) {
      const t0 = performance.now();
      await echoOnce(socket, message);
      echoes[k]!.push(performance.now() - t0);
    }
  }
  for (const t of tunnels) t.destroy();
  return {
    handshake: [quantiles(handshakes[0]), quantiles(handshakes[1])] as const,
    echo: [quantiles(echoes[0]), quantiles(echoes[1])] as const,
  };
}

function row(name: string, f: Figures, direct: Figures, nginx: Figures | undefined): string {
  const vsDirect = (f.rps / direct.rps).toFixed(2);
  const vsNginx = nginx ? (f.rps / nginx.rps).toFixed(2) : '-';
  return (
    `${name.padEnd(30)} ${Math.round(f.rps).toString().padStart(8)} req/s  p50 ${f.p50.toFixed(1).padStart(5)} ms` +
    `  p99 ${f.p99.toFixed(1).padStart(5)} ms  x${vsDirect} direct  x${vsNginx} nginx` +
    (f.cpuUsPerRequest ? `  cpu ${f.cpuUsPerRequest.toFixed(1)} us/req` : '') +
    (f.errors ? `  errors ${f.errors}` : '')
  );
}

export default async function routerBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'router-bench-'));
  const hasNginx = commandExists('nginx');
  console.log(
    `machine: ${hasTaskset ? '' : 'NO taskset (processes not pinned); '}load generator autocannon (${CONNECTIONS} keep-alive ` +
      `connections, best of ${ROUNDS} interleaved ${DURATION_S} s runs after a 1 s warm-up) and upstream(s) on cpu ${CPU_LOAD}; ` +
      `the proxy under test on cpu ${CPU_PROXY} (idle proxies wait there too)` +
      `; "direct" = upstream alone on cpu ${CPU_PROXY}. Tiny response (2 bytes).`,
  );
  try {
    // Everything runs at once; targets are measured in turn, ROUNDS times, and each keeps its best
    // round: a noisy neighbour only ever makes a run slower, so the best round is the least disturbed.
    const directUp = await startNodeScript(dir, 'upstream.cjs', UPSTREAM_JS, CPU_PROXY);
    const upA = await startNodeScript(dir, 'upstream.cjs', UPSTREAM_JS, CPU_LOAD);
    const upB = await startNodeScript(dir, 'upstream.cjs', UPSTREAM_JS, CPU_LOAD);
    let ng: { port: number; master: ChildProcess } | undefined;
    if (hasNginx) ng = await startNginx(dir, upA.port);
    else
      console.log(
        'nginx is absent: its row is skipped. To compare, install it: apt-get install -y nginx-light',
      );
    const plain = await startNodeScript(dir, 'plain-proxy.cjs', PLAIN_PROXY_JS, CPU_PROXY, [
      `127.0.0.1:${upA.port}`,
    ]);
    const router = await startRouterProcess(dir);
    const baseline = BASELINE ? await startRouterProcess(dir, BASELINE, 'router-baseline') : undefined;
    const up = (id: string, port: number) => ({ id, host: '127.0.0.1', port });
    const routerUrl = `http://127.0.0.1:${router.port}/`;
    const stableTable = { stable: [up('a', upA.port)], canary: [], canaryWeight: 0 };
    const splitTable = { stable: [up('a', upA.port)], canary: [up('b', upB.port)], canaryWeight: 50 };
    let splitMetrics: MetricsSnapshot | undefined;

    const targets: Target[] = [
      {
        name: 'direct',
        url: `http://127.0.0.1:${directUp.port}/`,
        pids: () => [directUp.child.pid!],
        runs: [],
      },
      ...(ng
        ? [
            {
              name: 'nginx',
              url: `http://127.0.0.1:${ng.port}/`,
              pids: () => [ng!.master.pid!, ...childPids(ng!.master.pid!)],
              runs: [],
            },
          ]
        : []),
      { name: 'plain', url: `http://127.0.0.1:${plain.port}/`, pids: () => [plain.child.pid!], runs: [] },
      {
        name: 'router',
        url: routerUrl,
        pids: () => [router.pid],
        runs: [],
        before: async () => {
          await router.client.setRouting(stableTable);
        },
      },
      ...(baseline
        ? [
            {
              name: 'baseline',
              url: `http://127.0.0.1:${baseline.port}/`,
              pids: () => [baseline.pid],
              runs: [],
              before: async () => {
                await baseline.client.setRouting(stableTable);
              },
            },
          ]
        : []),
      {
        name: 'split',
        url: routerUrl,
        pids: () => [router.pid],
        runs: [],
        before: async () => {
          await router.client.setRouting(splitTable);
          await router.client.resetMetrics();
        },
        after: async () => {
          splitMetrics = await router.client.metrics(60_000);
          await router.client.setRouting(stableTable);
        },
      },
    ];
    const loadBefore = loadAverage();
    await interleavedRounds(targets, ROUNDS, DURATION_S);
    const get = (name: string) => targets.find((t) => t.name === name)?.best;
    const runsOf = (name: string) => targets.find((t) => t.name === name)?.runs ?? [];
    const direct = get('direct')!;
    const nginx = get('nginx');
    const plainFigures = get('plain')!;
    const stableOnly = get('router')!;
    const split = get('split')!;
    const m = splitMetrics!;
    await router.client.setRouting(stableTable);
    if (ng) {
      // SIGTERM lets the master take its worker down; a killed master would orphan it.
      const master = ng.master;
      const gone = new Promise((r) => master.once('exit', r));
      master.kill('SIGTERM');
      await gone;
    }

    console.log(row('direct (upstream on cpu 1)', direct, direct, nginx));
    if (nginx) console.log(row('nginx 1 worker, keepalive', nginx, direct, nginx));
    console.log(row('plain node http.request proxy', plainFigures, direct, nginx));
    console.log(row('router, stable only', stableOnly, direct, nginx));
    console.log(row('router, 50/50 stable/canary', split, direct, nginx));
    const base = get('baseline');
    if (base) {
      console.log(row('router (baseline build), stable only', base, direct, nginx));
      console.log(
        `router/baseline build (${BASELINE}): throughput ${(stableOnly.rps / base.rps).toFixed(3)}, ` +
          `CPU per request ${((stableOnly.cpuUsPerRequest ?? 0) / (base.cpuUsPerRequest ?? 1)).toFixed(3)} (best rounds); ` +
          `median of per-round ratios: throughput ${pairedRatio(runsOf('router'), runsOf('baseline'), (f) => f.rps).toFixed(3)}, ` +
          `CPU per request ${pairedRatio(runsOf('router'), runsOf('baseline'), (f) => f.cpuUsPerRequest).toFixed(3)}; ` +
          `load average ${loadBefore} before, ${loadAverage()} after`,
      );
    }
    console.log(
      `router split check: canary share ${((m.canary.requests / Math.max(1, m.total.requests)) * 100).toFixed(1)}% of ` +
        `${m.total.requests} requests of the last split run, errors ${m.total.errors}`,
    );
    if (nginx) {
      const ratio = stableOnly.rps / nginx.rps;
      console.log(
        `router/nginx throughput: ${ratio.toFixed(2)} (target >= 0.40) ${ratio >= 0.4 ? 'OK' : 'MISSED'}`,
      );
    }
    console.log(
      `router/plain-proxy throughput: ${(stableOnly.rps / plainFigures.rps).toFixed(2)}; ` +
        `router/direct: ${(stableOnly.rps / direct.rps).toFixed(2)}`,
    );
    const cpu = (f: Figures | undefined) => f?.cpuUsPerRequest;
    if (cpu(stableOnly) && cpu(plainFigures)) {
      const r = cpu(stableOnly)!;
      const parts = [`router ${r.toFixed(1)} us`, `plain proxy ${cpu(plainFigures)!.toFixed(1)} us`];
      if (cpu(nginx)) parts.push(`nginx ${cpu(nginx)!.toFixed(1)} us`);
      console.log(
        `CPU per request of the process under test (best round): ${parts.join(', ')}; ` +
          `router/plain-proxy efficiency ${(cpu(plainFigures)! / r).toFixed(2)}` +
          (cpu(nginx) ? `, router/nginx efficiency ${(cpu(nginx)! / r).toFixed(2)} (target >= 0.40)` : ''),
      );
    }

    // Added latency at a fixed 1,000 req/s in total: requests alternate between the upstream (cpu 0)
    // directly and the router (cpu 1) in front of the same upstream.
    const rate = await fixedRate(dir, [`http://127.0.0.1:${upA.port}/`, routerUrl]);
    const [d, r] = rate.results as [RateFigures, RateFigures];
    const added = r.p99 - d.p99;
    console.log(
      `fixed ${RATE} req/s open loop (${DURATION_S} s, alternating direct/router): ` +
        `direct p50 ${d.p50.toFixed(2)} p90 ${d.p90.toFixed(2)} p99 ${d.p99.toFixed(2)} ms; ` +
        `router p50 ${r.p50.toFixed(2)} p90 ${r.p90.toFixed(2)} p99 ${r.p99.toFixed(2)} ms; ` +
        `added p50 ${(r.p50 - d.p50).toFixed(2)} ms, added p99 ${added.toFixed(2)} ms (target < 2 ms) ` +
        `${added < 2 ? 'OK' : 'MISSED'}; errors ${rate.errors}`,
    );
    const acDirect = await autocannon(`http://127.0.0.1:${upA.port}/`, DURATION_S, RATE);
    const acRouter = await autocannon(routerUrl, DURATION_S, RATE);
    console.log(
      `autocannon overallRate ${RATE} (1 ms resolution, includes its own batching): direct p99 ${acDirect.p99} ms, ` +
        `router p99 ${acRouter.p99} ms, added ${(acRouter.p99 - acDirect.p99).toFixed(0)} ms`,
    );

    const sw = await weightSwitchLatency(router.client, router.port, upA.port, upB.port);
    console.log(
      `weight change -> first request routed by the new weight: median ${sw.routed.median.toFixed(2)} ms, ` +
        `max ${sw.routed.max.toFixed(2)} ms over 20 changes (target < 10 ms) ${sw.routed.max < 10 ? 'OK' : 'MISSED'}; ` +
        `-> first response from it: median ${sw.answered.median.toFixed(2)} ms, max ${sw.answered.max.toFixed(2)} ms; ` +
        `admin call alone: median ${sw.admin.median.toFixed(2)} ms`,
    );

    const wsUp = await startNodeScript(dir, 'upgrade-upstream.cjs', UPGRADE_UPSTREAM_JS, CPU_LOAD);
    await router.client.setRouting({ stable: [up('ws', wsUp.port)], canary: [], canaryWeight: 0 });
    const ug = await upgradeFigures(wsUp.port, router.port);
    const ms = (q: { p50: number; p99: number }) => `p50 ${q.p50.toFixed(2)} p99 ${q.p99.toFixed(2)} ms`;
    console.log(
      `upgrade handshake (200 sequential, new connection to 101): direct ${ms(ug.handshake[0])}; ` +
        `router ${ms(ug.handshake[1])}; added p50 ${(ug.handshake[1].p50 - ug.handshake[0].p50).toFixed(2)} ms`,
    );
    console.log(
      `upgraded tunnel echo (2000 x 64 B round trips on one open connection): direct ${ms(ug.echo[0])}; ` +
        `router ${ms(ug.echo[1])}; added p50 ${(ug.echo[1].p50 - ug.echo[0].p50).toFixed(3)} ms`,
    );
  } finally {
    killChildren();
    rmSync(dir, { recursive: true, force: true });
  }
}
