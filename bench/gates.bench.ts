import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createCloudWatchClient } from '../src/aws/clients.js';
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
import { listenerCost } from './listener-cost.js';

const N = Number(process.env.GATES_BENCH_N ?? 300);

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

/** GATES_BENCH_PART=evaluation or =listener runs only that half. */
export default async function bench(): Promise<void> {
  const part = process.env.GATES_BENCH_PART;
  if (part !== 'listener') await evaluationCosts();
  if (part !== 'evaluation') await listenerCost();
}
