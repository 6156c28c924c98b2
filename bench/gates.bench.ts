/**
 * `npm run bench gates`: what `analysis.checks` add to a gate evaluation, per provider, and what the
 * router's Prometheus metrics listener costs in throughput.
 *
 * 1. One check measurement + verdict (measureCheck + evaluateCheck), median and p99 over N runs, for each
 *    provider against a loopback stand-in (Prometheus's query API, an HTTP endpoint, CloudWatch's JSON
 *    protocol via AWS_ENDPOINT_URL) or a real process (`command`: /bin/true), beside the router gate's own
 *    pure evaluation (evaluateAnalysis) for scale. Loopback round trips are most of it: a real server adds
 *    its own query time on top.
 * 2. Router throughput with the metrics listener on and off, side by side: two router processes over the
 *    same upstream, autocannon (50 keep-alive connections) against each in interleaved rounds, while a
 *    scraper reads /metrics of the one with the listener every 250 ms (as Prometheus would).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createCloudWatchClient } from '../src/aws/clients.js';
import { packageRoot } from '../src/core/paths.js';
import { evaluateAnalysis } from '../src/deploy/analysis.js';
import {
  type CheckContext,
  type CheckProvider,
  evaluateCheck,
  measureCheck,
} from '../src/deploy/checks/check.js';
import { cloudwatchProvider } from '../src/deploy/checks/cloudwatch.js';
import { commandProvider } from '../src/deploy/checks/command.js';
import { httpProvider } from '../src/deploy/checks/http.js';
import { prometheusProvider } from '../src/deploy/checks/prometheus.js';
import type { CheckSpec } from '../src/documents/deployment-group/checks-schema.js';
import { ensureRouter, readRouterPid, stopRouter } from '../src/router/launch.js';

const N = Number(process.env.GATES_BENCH_N ?? 300);
const ROUNDS = Number(process.env.GATES_BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.GATES_BENCH_SECONDS ?? 3);

const ctx: CheckContext = {
  canaryRevision: 'v2',
  stableRevision: 'v1',
  canarySet: 'canary',
  stableSet: 'stable',
  deploymentId: 'bench',
};

function stats(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(s.length * p) - 1)]!;
  return `median ${q(0.5).toFixed(3)} ms  p99 ${q(0.99).toFixed(3)} ms  (n=${s.length})`;
}

async function timeIt(n: number, fn: () => Promise<unknown> | unknown): Promise<number[]> {
  for (let i = 0; i < Math.min(20, n); i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

async function standIn(handler: http.RequestListener): Promise<{ url: string; close: () => void }> {
  const s = http.createServer(handler);
  s.keepAliveTimeout = 65_000;
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    close: () => {
      s.closeAllConnections();
      s.close();
    },
  };
}

async function evaluationCosts(): Promise<void> {
  const json =
    (body: unknown, type = 'application/json'): http.RequestListener =>
    (req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': type }).end(JSON.stringify(body)));
    };
  const prom = await standIn(
    json({
      status: 'success',
      data: { resultType: 'vector', result: [{ metric: {}, value: [0, '0.004'] }] },
    }),
  );
  const web = await standIn(json({ ok: true, rate: 0.01 }));
  const cw = await standIn(
    json({ MetricAlarms: [{ AlarmName: 'a', StateValue: 'OK' }] }, 'application/x-amz-json-1.0'),
  );
  const env = {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCH',
    AWS_SECRET_ACCESS_KEY: 'x',
    AWS_ENDPOINT_URL: cw.url,
    AWS_MAX_ATTEMPTS: '1',
  };
  const cases: [string, CheckProvider, CheckSpec, number][] = [
    [
      'prometheus',
      prometheusProvider,
      {
        name: 'p',
        provider: 'prometheus',
        address: prom.url,
        query: 'rate(x{revision="{{canaryRevision}}"}[1m])',
        condition: 'result < 0.01',
      },
      N,
    ],
    [
      'http',
      httpProvider,
      { name: 'h', provider: 'http', url: `${web.url}/ok`, condition: 'status == 200 && body.ok == true' },
      N,
    ],
    [
      'cloudwatch',
      cloudwatchProvider(() => createCloudWatchClient({ env })),
      { name: 'c', provider: 'cloudwatch', alarmName: 'a' },
      N,
    ],
    [
      'command',
      commandProvider,
      { name: 'x', provider: 'command', command: ['/bin/true'] },
      Math.min(N, 100),
    ],
  ];
  try {
    const snapshot = {
      stable: {
        requests: 100,
        errors: 0,
        errorRate: 0,
        requestsPerSecond: 100,
        latencyMs: { p50: 1, p90: 2, p99: 3 },
        inFlight: 0,
        windowMs: 1000,
        upgrades: { opened: 0, failed: 0, open: 0 },
      },
      canary: {
        requests: 100,
        errors: 1,
        errorRate: 0.01,
        requestsPerSecond: 100,
        latencyMs: { p50: 1, p90: 2, p99: 3 },
        inFlight: 0,
        windowMs: 1000,
        upgrades: { opened: 0, failed: 0, open: 0 },
      },
      total: {
        requests: 200,
        errors: 1,
        errorRate: 0.005,
        requestsPerSecond: 200,
        latencyMs: { p50: 1, p90: 2, p99: 3 },
        inFlight: 0,
        windowMs: 1000,
        upgrades: { opened: 0, failed: 0, open: 0 },
      },
    };
    const routerGate = await timeIt(N * 10, () =>
      evaluateAnalysis(undefined, snapshot, { maxErrorRate: 0.05, minRequests: 10 }),
    );
    console.log(`gate evaluation, router signals (pure)   ${stats(routerGate)}`);
    for (const [name, provider, spec, n] of cases) {
      let last = '';
      const ms = await timeIt(n, async () => {
        const v = evaluateCheck(undefined, await measureCheck(provider, spec, ctx), spec).verdict;
        last = v.result;
      });
      console.log(`gate evaluation + ${name.padEnd(10)} check     ${stats(ms)}  last verdict ${last}`);
    }
  } finally {
    prom.close();
    web.close();
    cw.close();
  }
}

const UPSTREAM_JS = `
const http = require('node:http');
const s = http.createServer((req, res) => { res.writeHead(200, { 'content-length': '2' }); res.end('ok'); });
s.keepAliveTimeout = 65000;
s.listen(0, '127.0.0.1', () => console.log('PORT ' + s.address().port));
`;

function autocannon(url: string, seconds: number): Promise<number> {
  const bin = join(packageRoot, 'node_modules', 'autocannon', 'autocannon.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, '-j', '-c', '50', '-d', String(seconds), url], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b));
    child.on('error', reject);
    child.on('close', () => {
      try {
        const j = JSON.parse(out) as { requests: { average: number }; errors: number; non2xx: number };
        if (j.errors + j.non2xx > 0) reject(new Error(`${j.errors + j.non2xx} failed requests`));
        resolve(j.requests.average);
      } catch (err) {
        reject(err);
      }
    });
  });
}

async function listenerCost(): Promise<void> {
  const up = spawn(process.execPath, ['-e', UPSTREAM_JS], { stdio: ['ignore', 'pipe', 'ignore'] });
  const dirs: string[] = [];
  let scraping = true;
  try {
    const port = await new Promise<number>((resolve) => {
      up.stdout.on('data', (b: Buffer) => {
        const m = /PORT (\d+)/.exec(String(b));
        if (m) resolve(Number(m[1]));
      });
    });
    const start = async (metrics: boolean) => {
      const stateDir = mkdtempSync(join(tmpdir(), 'cv-gates-bench-'));
      dirs.push(stateDir);
      const r = await ensureRouter({ stateDir, port: 0, ...(metrics ? { metricsPort: 0 } : {}) });
      await r.client.setRouting({
        stable: [{ id: 's', host: '127.0.0.1', port, revision: 'v1' }],
        canary: [{ id: 'c', host: '127.0.0.1', port, revision: 'v2' }],
        canaryWeight: 20,
      });
      const state = await r.client.getState();
      return {
        url: `http://127.0.0.1:${state.listen.port}/`,
        stateDir,
        metricsPort: readRouterPid(stateDir)?.metricsPort,
      };
    };
    const off = await start(false);
    const on = await start(true);
    let scrapes = 0;
    const scraper = (async () => {
      while (scraping) {
        const res = await fetch(`http://127.0.0.1:${on.metricsPort}/metrics`).catch(() => undefined);
        if (res) {
          await res.text();
          scrapes++;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    await autocannon(off.url, 1);
    await autocannon(on.url, 1);
    const rows: { off: number; on: number }[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      // Alternate which goes first, so neither always gets the quieter moment.
      if (i % 2 === 0)
        rows.push({ off: await autocannon(off.url, SECONDS), on: await autocannon(on.url, SECONDS) });
      else {
        const o = await autocannon(on.url, SECONDS);
        rows.push({ off: await autocannon(off.url, SECONDS), on: o });
      }
    }
    scraping = false;
    await scraper;
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    for (const [i, r] of rows.entries()) {
      console.log(
        `router throughput round ${i + 1}: metrics listener off ${r.off.toFixed(0)} req/s, on ${r.on.toFixed(0)} req/s`,
      );
    }
    const offMed = med(rows.map((r) => r.off));
    const onMed = med(rows.map((r) => r.on));
    console.log(
      `router throughput (median of ${ROUNDS}, 50 conns, ${SECONDS}s): listener off ${offMed.toFixed(0)} req/s, on ${onMed.toFixed(0)} req/s ` +
        `(${(((onMed - offMed) / offMed) * 100).toFixed(1)}%; target within 3%), ${scrapes} scrapes of /metrics meanwhile`,
    );
  } finally {
    scraping = false;
    for (const d of dirs) {
      await stopRouter(d, 3000).catch(() => {});
      rmSync(d, { recursive: true, force: true });
    }
    up.kill();
  }
}

export default async function bench(): Promise<void> {
  await evaluationCosts();
  await listenerCost();
}
