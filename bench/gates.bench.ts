/**
 * `npm run bench gates`: what `analysis.checks` add to a gate evaluation, per provider, and what the
 * router's Prometheus metrics listener costs in throughput.
 *
 * 1. One check measurement + verdict (measureCheck + evaluateCheck), median and p99 over N runs, for each
 *    provider against a loopback stand-in (Prometheus's query API, an HTTP endpoint, CloudWatch's JSON
 *    protocol via AWS_ENDPOINT_URL) or a real process (`command`: /bin/true), beside the router gate's own
 *    pure evaluation (evaluateAnalysis) for scale. Loopback round trips are most of it: a real server adds
 *    its own query time on top.
 * 2. Router throughput and CPU per request with the metrics listener on and off, side by side: two router
 *    processes over the same upstream, pinned and measured as in router.bench.ts (bench/harness.ts), while
 *    a scraper reads /metrics of the one with the listener every 250 ms (as Prometheus would).
 */
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
import {
  CONNECTIONS,
  CPU_LOAD,
  type Figures,
  interleavedRounds,
  killChildren,
  loadAverage,
  pairedRatio,
  startNodeScript,
  startRouterProcess,
  type Target,
  UPSTREAM_JS,
} from './harness.js';

const N = Number(process.env.GATES_BENCH_N ?? 300);
const ROUNDS = Number(process.env.GATES_BENCH_ROUNDS ?? 5);
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
    // One second of router signals per set: `requests` answered, `errors` of them failed.
    const set = (requests: number, errors: number) => ({
      requests,
      errors,
      errorRate: errors / requests,
      requestsPerSecond: requests,
      latencyMs: { p50: 1, p90: 2, p99: 3 },
      inFlight: 0,
      windowMs: 1000,
      upgrades: { opened: 0, failed: 0, open: 0 },
    });
    const snapshot = { stable: set(100, 0), canary: set(100, 1), total: set(200, 1) };
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

/**
 * Router throughput with the Prometheus listener off and on, measured like router.bench.ts: upstream and
 * load generator on cpu 0, both routers on cpu 1 (only the one under load is busy), a 1 s warm-up each,
 * interleaved rounds (order reversed every other round), best of N for req/s, lowest CPU per request of
 * the router process, and the median of per-round ratios (each pair taken at nearly the same moment).
 * A scraper reads /metrics of the listener every 250 ms throughout, as Prometheus would.
 */
async function listenerCost(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cv-gates-bench-'));
  let scraping = true;
  let scraper: Promise<void> = Promise.resolve();
  try {
    const up = await startNodeScript(dir, 'upstream.cjs', UPSTREAM_JS, CPU_LOAD);
    const table = {
      stable: [{ id: 's', host: '127.0.0.1', port: up.port, revision: 'v1' }],
      canary: [{ id: 'c', host: '127.0.0.1', port: up.port, revision: 'v2' }],
      canaryWeight: 20,
    };
    const off = await startRouterProcess(dir, packageRoot, 'router-off');
    const on = await startRouterProcess(dir, packageRoot, 'router-on', ['--metrics-port', '0']);
    // A second router with the listener off: off vs control is what this method reads between two
    // identical routers, the smallest on/off difference the run can tell from noise.
    const control = await startRouterProcess(dir, packageRoot, 'router-control');
    if (on.metricsPort === undefined)
      throw new Error('the router started with --metrics-port named no metrics port');
    await off.client.setRouting(table);
    await on.client.setRouting(table);
    await control.client.setRouting(table);
    let scrapes = 0;
    let lastScrape = '';
    scraper = (async () => {
      while (scraping) {
        const res = await fetch(`http://127.0.0.1:${on.metricsPort}/metrics`).catch(() => undefined);
        if (res) {
          lastScrape = await res.text();
          scrapes++;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const targets: Target[] = [
      { name: 'off', url: `http://127.0.0.1:${off.port}/`, pids: () => [off.pid], runs: [] },
      { name: 'on', url: `http://127.0.0.1:${on.port}/`, pids: () => [on.pid], runs: [] },
      { name: 'control', url: `http://127.0.0.1:${control.port}/`, pids: () => [control.pid], runs: [] },
    ];
    const loadBefore = loadAverage();
    await interleavedRounds(targets, ROUNDS, SECONDS);
    scraping = false;
    await scraper;
    const [o, n, c] = targets as [Target, Target, Target];
    for (let i = 0; i < ROUNDS; i++) {
      const a = o.runs[i]!;
      const b = n.runs[i]!;
      console.log(
        `router round ${i + 1}: metrics listener off ${a.rps.toFixed(0)} req/s ${cpu(a)}, ` +
          `on ${b.rps.toFixed(0)} req/s ${cpu(b)}, control (off) ${c.runs[i]!.rps.toFixed(0)} req/s ${cpu(c.runs[i]!)}`,
      );
    }
    const errors = [...o.runs, ...n.runs, ...c.runs].reduce((sum, f) => sum + f.errors, 0);
    const counted = /conveyor_router_requests_total\{set="stable",revision="v1"\} (\d+)/.exec(
      lastScrape,
    )?.[1];
    console.log(
      `router with metrics listener off (best of ${ROUNDS} interleaved ${SECONDS} s runs, ${CONNECTIONS} conns): ` +
        `${o.best!.rps.toFixed(0)} req/s, ${cpu(o.best!)}`,
    );
    console.log(
      `router with metrics listener on  (best of ${ROUNDS} interleaved ${SECONDS} s runs, ${CONNECTIONS} conns): ` +
        `${n.best!.rps.toFixed(0)} req/s, ${cpu(n.best!)}; ${scrapes} scrapes of /metrics meanwhile ` +
        `(last: ${counted ?? '?'} stable requests counted)`,
    );
    const pct = (r: number) => `${((r - 1) * 100).toFixed(1)}%`;
    const rpsBest = n.best!.rps / o.best!.rps;
    const cpuBest = (n.best!.cpuUsPerRequest ?? Number.NaN) / (o.best!.cpuUsPerRequest ?? Number.NaN);
    const rpsPaired = pairedRatio(n.runs, o.runs, (f) => f.rps);
    const cpuPaired = pairedRatio(n.runs, o.runs, (f) => f.cpuUsPerRequest);
    // The listener may cost at most 3%: throughput on/off at least 0.97, CPU per request on/off at most 1.03.
    const atLeast = (r: number) => (r >= 0.97 ? 'OK' : 'MISSED');
    const atMost = (r: number) => (r <= 1.03 ? 'OK' : 'MISSED');
    console.log(
      `metrics listener on vs off: throughput ${pct(rpsBest)} (best rounds), ${pct(rpsPaired)} (median of per-round ratios); ` +
        `CPU per request ${pct(cpuBest)} (lowest rounds), ${pct(cpuPaired)} (median of per-round ratios); ` +
        `listener costs at most 3%: throughput ${atLeast(rpsBest)}, CPU per request ${atMost(cpuBest)}; load average ${loadBefore} before, ${loadAverage()} after` +
        (errors ? `; ${errors} failed requests` : ''),
    );
    const rpsNoise = pairedRatio(c.runs, o.runs, (f) => f.rps);
    const cpuNoise = pairedRatio(c.runs, o.runs, (f) => f.cpuUsPerRequest);
    console.log(
      `control: two identical routers, listener off in both: throughput ${pct(c.best!.rps / o.best!.rps)} (best rounds), ` +
        `${pct(rpsNoise)} (median of per-round ratios); CPU per request ${pct(cpuNoise)} (median of per-round ratios): ` +
        `on/off differences smaller than these are noise in this run`,
    );
  } finally {
    scraping = false;
    await scraper;
    killChildren();
    rmSync(dir, { recursive: true, force: true });
  }
}

function cpu(f: Figures): string {
  return f.cpuUsPerRequest ? `cpu ${f.cpuUsPerRequest.toFixed(1)} us/req` : 'cpu ?';
}

export default async function bench(): Promise<void> {
  await evaluationCosts();
  await listenerCost();
}
