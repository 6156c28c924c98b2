/**
 * What the router's Prometheus metrics listener costs, measured so that the run shows its own noise
 * (`npm run bench gates`; the issue's target is "within 3%").
 *
 * Why this shape (the earlier best-of-N over two long-lived routers read −21.5% and −0.5% on the same
 * code, and two identical routers 8–10% apart):
 * - **CPU time per request of the router process** is the primary figure: on-CPU nanoseconds of all its
 *   threads (`/proc/<pid>/task/<tid>/schedstat`, so JIT and GC threads count, at ns resolution instead of
 *   10 ms ticks), divided by the requests answered. A neighbour on the machine takes CPU away from the
 *   router, which lowers its req/s but hardly its CPU per request. By default the load is a fixed request
 *   rate below what the router can serve, so both configurations work at the same load (the same
 *   batching per event-loop turn); `LISTENER_BENCH_RATE=0` measures closed-loop throughput instead.
 * - **Fresh router processes every round**: one process can be persistently a few % faster than another
 *   (its JIT's choices, heap and address layout). Started anew each round, that becomes round-to-round
 *   noise the median over rounds removes, instead of a bias that stays for the whole run.
 * - **The three routers of a round under load at the same time** (default), each from its own autocannon
 *   instance at the same fixed rate, all on cpu 1: whatever else runs on the machine hits them at the
 *   same moments, and which instance serves which router rotates each round. `LISTENER_BENCH_MODE=sequential`
 *   measures them one at a time instead, in **palindromic slots** (A B C C B A, the first configuration
 *   rotated each round, reversed every third) so a linear drift of the machine during a round cancels.
 * - **An A/A control** in every round: a second listener-off router treated exactly like the others.
 *   Its reading (control/off) is this run's noise; the verdict is judged against it. The on router is
 *   compared with both listener-off routers (their geometric mean), so on/off is a little less noisy than
 *   the control's reading: the control is the stricter of the two.
 * - **Median of per-round ratios** with a 95% bootstrap interval of that median, the IQR and min–max: a
 *   round disturbed by a neighbour moves one ratio, not the verdict.
 * - One long-lived load generator (autocannon, in its own node process) and the upstream pinned to cpu 0,
 *   the routers on cpu 1, this process on cpu 0 too; everything started from here inherits this process's
 *   nice value, printed with the figures.
 *
 * Env: LISTENER_BENCH_ROUNDS (default 16), LISTENER_BENCH_SECONDS measured per router and round (default 2;
 * sequential: per slot, two slots each), LISTENER_BENCH_WARMUP_SECONDS (default 1), LISTENER_BENCH_RATE
 * req/s per router (default 3000; 0 = closed loop over 50 connections, and req/s ratios are printed too),
 * LISTENER_BENCH_MODE (concurrent | sequential), LISTENER_BENCH_SCRAPE_MS (default 0: no scrapes during the
 * load, so on/off is the listener's cost per request; 250 scrapes the on router that often meanwhile, and its
 * renders count in on/off). A scrape's own CPU is measured apart each round, the router idle, and printed as
 * a share of this run's router CPU at 15 s, 1 s and 250 ms scrape intervals: a scrape every 250 ms over a
 * short slot at a low request rate is a cost per second, not per request, and would swamp the comparison.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/core/paths.js';
import { PrometheusCounters } from '../src/router/prometheus.js';
import {
  CONNECTIONS,
  CPU_LOAD,
  hasTaskset,
  killChildren,
  loadAverage,
  median,
  pinned,
  type RouterProcess,
  startNodeScript,
  startRouterProcess,
  UPSTREAM_JS,
} from './harness.js';

const ROUNDS = Number(process.env.LISTENER_BENCH_ROUNDS ?? 16);
const SECONDS = Number(process.env.LISTENER_BENCH_SECONDS ?? 2);
const WARMUP_SECONDS = Number(process.env.LISTENER_BENCH_WARMUP_SECONDS ?? 1);
const RATE = Number(process.env.LISTENER_BENCH_RATE ?? 3000);
const SCRAPE_MS = Number(process.env.LISTENER_BENCH_SCRAPE_MS ?? 0);
/** Scrapes per round whose CPU is measured on their own, the router idle. */
const SCRAPES_MEASURED = 20;
const CONCURRENT = process.env.LISTENER_BENCH_MODE !== 'sequential';

/** The verdict rule, printed with the verdict. */
const TARGET = 0.03;
const NOISE_LIMIT = 0.015;

/**
 * On-CPU time of every thread of `pid`, in ns (scheduler accounting, user + system). Threads that exited
 * take their time with them here; the router's threads (main, libuv pool, V8 platform workers) live as
 * long as it does. Falls back to /proc/<pid>/stat ticks (10 ms) where schedstat is missing.
 */
export function cpuNs(pid: number): number {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended between the listing and the read
      }
    }
    return ns;
  } catch {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12])) * 10_000_000;
    } catch {
      return Number.NaN;
    }
  }
}

/**
 * autocannon kept running in one process: per stdin line, one run against each URL given, all at once;
 * their figures as one JSON line.
 */
const LOAD_JS = `
const autocannon = require(process.argv[2]);
const once = (opts) => new Promise((resolve, reject) =>
  autocannon(opts, (err, r) => (err ? reject(err) : resolve({ total: r.requests.total, errors: r.errors + r.non2xx + r.timeouts }))));
const rl = require('node:readline').createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const { urls, seconds, rate, connections } = JSON.parse(line);
  Promise.all(urls.map((url) => once({ url, duration: seconds, connections, ...(rate ? { overallRate: rate } : {}) })))
    .then((runs) => console.log(JSON.stringify({ runs })), (err) => console.log(JSON.stringify({ error: String(err) })));
});
console.log('PORT 0');
`;

interface LoadRun {
  total: number;
  errors: number;
  seconds: number;
}

class LoadGenerator {
  private pending: ((line: string) => void) | undefined;
  private buffered = '';
  constructor(private readonly child: ChildProcess) {
    child.stdout!.on('data', (d: Buffer) => {
      this.buffered += d.toString();
      let nl = this.buffered.indexOf('\n');
      while (nl >= 0) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        const p = this.pending;
        this.pending = undefined;
        if (line.startsWith('{')) p?.(line);
        nl = this.buffered.indexOf('\n');
      }
    });
  }

  /** One run per URL, all at the same time, each over its own connections. */
  run(urls: string[], seconds: number): Promise<LoadRun[]> {
    const connections = RATE > 0 ? 10 : CONNECTIONS;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('the load generator did not answer')),
        seconds * 1000 + 30_000,
      );
      const started = process.hrtime.bigint();
      this.pending = (line) => {
        clearTimeout(timer);
        const r = JSON.parse(line) as { runs?: { total: number; errors: number }[]; error?: string };
        const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
        if (!r.runs) reject(new Error(`load generator: ${r.error}`));
        else resolve(r.runs.map((x) => ({ ...x, seconds: elapsed })));
      };
      this.child.stdin!.write(`${JSON.stringify({ urls, seconds, rate: RATE, connections })}\n`);
    });
  }
}

type ConfigName = 'off' | 'on' | 'control';
const CONFIGS: ConfigName[] = ['off', 'on', 'control'];

interface Slot {
  requests: number;
  cpuNs: number;
  seconds: number;
  errors: number;
}

/** Each round's two slots per configuration. */
type Round = { order: ConfigName[]; scrapeNs: number } & Record<ConfigName, Slot[]>;

const perRequestUs = (slots: Slot[]) =>
  slots.reduce((s, x) => s + x.cpuNs, 0) / 1000 / slots.reduce((s, x) => s + x.requests, 0);
const perSecond = (slots: Slot[]) =>
  slots.reduce((s, x) => s + x.requests, 0) / slots.reduce((s, x) => s + x.seconds, 0);

/** Quantile of sorted values, linear between ranks. */
function quantile(sorted: number[], p: number): number {
  const i = (sorted.length - 1) * p;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (i - lo);
}

const pct = (r: number) => `${r >= 1 ? '+' : '−'}${(Math.abs(r - 1) * 100).toFixed(1)}%`;

/** A 95% bootstrap interval of the median (seeded: the same rounds print the same interval). */
function medianInterval(sorted: number[]): [number, number] {
  let seed = 0x2545f491;
  const random = () => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const medians: number[] = [];
  for (let b = 0; b < 2000; b++) {
    medians.push(median(sorted.map(() => sorted[Math.floor(random() * sorted.length)]!)));
  }
  medians.sort((a, b) => a - b);
  return [quantile(medians, 0.025), quantile(medians, 0.975)];
}

/** "median +0.4% (95% CI −0.3%..+1.0%; IQR −0.6%..+1.2%, min–max −2.0%..+2.9%, n=12)" over per-round ratios. */
interface Reading {
  median: number;
  /** The 95% bootstrap interval of the median. */
  lo: number;
  hi: number;
  text: string;
}

function spread(ratios: number[]): Reading {
  const s = ratios.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return { median: Number.NaN, lo: Number.NaN, hi: Number.NaN, text: 'no rounds' };
  const m = median(s);
  const [lo, hi] = medianInterval(s);
  return {
    median: m,
    lo,
    hi,
    text:
      `median ${pct(m)} (95% CI of the median ${pct(lo)}..${pct(hi)}; IQR ${pct(quantile(s, 0.25))}..${pct(quantile(s, 0.75))}, ` +
      `min–max ${pct(s[0]!)}..${pct(s.at(-1)!)}, n=${s.length})`,
  };
}

/** A round's on/off: the listener-on router against both listener-off ones (geometric mean of off and control). */
const onOff = (r: Round, f: (s: Slot[]) => number) => f(r.on) / Math.sqrt(f(r.off) * f(r.control));

/**
 * The verdict of one run: the on/off reading judged against the A/A control's. The control must read
 * near zero (its median within NOISE_LIMIT, its interval containing zero: no bias between two identical
 * routers); then the on/off interval decides, inside ±TARGET (OK), wholly outside (MISSED), or across it.
 */
export function listenerVerdict(onOff: Reading, control: Reading): 'OK' | 'MISSED' | 'INCONCLUSIVE' {
  if (!(Math.abs(control.median - 1) < NOISE_LIMIT) || !(control.lo <= 1 && control.hi >= 1)) {
    return 'INCONCLUSIVE';
  }
  if (onOff.lo > 1 - TARGET && onOff.hi < 1 + TARGET) return 'OK';
  if (onOff.lo >= 1 + TARGET || onOff.hi <= 1 - TARGET) return 'MISSED';
  return 'INCONCLUSIVE';
}

async function stopRouter(r: RouterProcess): Promise<void> {
  if (r.child.exitCode !== null || r.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => r.child.once('exit', () => resolve()));
  r.child.kill('SIGKILL');
  await exited;
}

/**
 * The listener's cost by its code path, for when the end-to-end comparison cannot resolve 3% (its A/A control
 * reads more than that on a 2-core machine). Listener on or off, a router does the same per-request work for
 * its gates; the listener adds exactly one call per request, `PrometheusCounters.record` (a few increments),
 * plus the renders of scrapes (measured apart). This times that call in a loop, with latencies and sets that
 * vary as a router's do, so the added work can be set against the router's measured CPU per request.
 */
function recordCallNs(): number {
  const counters = new PrometheusCounters();
  counters.setRevisions('v1', 'v2');
  const served = [counters.seriesFor('stable', 'v1'), counters.seriesFor('canary', 'v2'), null];
  const latencies = Float64Array.from({ length: 1024 }, (_, i) => (i * 7.3) % 120);
  const CALLS = 2_000_000;
  const runs: number[] = [];
  for (let run = 0; run < 9; run++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) {
      const set = i % 10 === 0 ? 1 : 0;
      counters.record(set, latencies[i & 1023]!, (i & 63) === 0, served[i % 3 === 2 ? 2 : set]);
    }
    runs.push(Number(process.hrtime.bigint() - start) / CALLS);
  }
  return median(runs);
}

export async function listenerCost(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cv-listener-bench-'));
  // This process (scrapes, admin calls) shares cpu 0 with the load, never the router's cpu 1; its own
  // affinity is put back afterwards for the benches that follow.
  const affinity = hasTaskset
    ? execFileSync('taskset', ['-c', '-p', String(process.pid)], { encoding: 'utf8' })
        .split(': ')[1]
        ?.trim()
    : undefined;
  if (affinity)
    execFileSync('taskset', ['-a', '-c', '-p', CPU_LOAD, String(process.pid)], { stdio: 'ignore' });
  let scrapeTarget: number | undefined;
  const stopScraping = new AbortController();
  let scrapes = 0;
  let lastScrape = '';
  // Its wait ends at once when stopped, however long the interval.
  const pause = () =>
    new Promise<void>((r) => {
      const stop = () => {
        clearTimeout(t);
        r();
      };
      const t = setTimeout(() => {
        stopScraping.signal.removeEventListener('abort', stop);
        r();
      }, SCRAPE_MS);
      stopScraping.signal.addEventListener('abort', stop, { once: true });
    });
  const scraper = (async () => {
    while (SCRAPE_MS > 0 && !stopScraping.signal.aborted) {
      if (scrapeTarget !== undefined) {
        const res = await fetch(`http://127.0.0.1:${scrapeTarget}/metrics`).catch(() => undefined);
        if (res?.ok) {
          lastScrape = await res.text();
          scrapes++;
        }
      }
      await pause();
    }
  })();
  try {
    const up = await startNodeScript(dir, 'upstream.cjs', UPSTREAM_JS, CPU_LOAD);
    const loadFile = join(dir, 'load.cjs');
    writeFileSync(loadFile, LOAD_JS);
    const loadChild = pinned(
      CPU_LOAD,
      process.execPath,
      [loadFile, join(packageRoot, 'node_modules', 'autocannon')],
      'pipe',
    );
    await new Promise<void>((resolve, reject) => {
      loadChild.stdout!.once('data', () => resolve());
      loadChild.once('exit', (code) => reject(new Error(`the load generator exited (${code})`)));
    });
    const load = new LoadGenerator(loadChild);
    const table = {
      stable: [{ id: 's', host: '127.0.0.1', port: up.port, revision: 'v1' }],
      canary: [{ id: 'c', host: '127.0.0.1', port: up.port, revision: 'v2' }],
      canaryWeight: 20,
    };
    const loadBefore = loadAverage();
    const rounds: Round[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const started = await Promise.all(
        CONFIGS.map(async (name) => {
          const r = await startRouterProcess(
            dir,
            packageRoot,
            `r${round}-${name}`,
            name === 'on' ? ['--metrics-port', '0'] : [],
          );
          await r.client.setRouting(table);
          return [name, r] as const;
        }),
      );
      const routers = Object.fromEntries(started) as Record<ConfigName, RouterProcess>;
      try {
        if (routers.on.metricsPort === undefined)
          throw new Error('the router started with --metrics-port named no metrics port');
        scrapeTarget = routers.on.metricsPort;
        const url = (n: ConfigName) => `http://127.0.0.1:${routers[n].port}/`;
        const pid = (n: ConfigName) => routers[n].pid;
        let r: Round;
        if (CONCURRENT) {
          // All three under load at once on cpu 1: whatever else runs there hits them at the same moments.
          if (WARMUP_SECONDS > 0) await load.run(CONFIGS.map(url), WARMUP_SECONDS);
          // Which autocannon instance and which connection order serve which router changes each round.
          const order = CONFIGS.map((_, i) => CONFIGS[(i + round) % CONFIGS.length]!);
          r = { order, scrapeNs: Number.NaN, off: [], on: [], control: [] };
          const before = order.map((n) => cpuNs(pid(n)));
          const runs = await load.run(order.map(url), SECONDS);
          order.forEach((n, i) => {
            const run = runs[i]!;
            r[n].push({
              requests: run.total,
              cpuNs: cpuNs(pid(n)) - before[i]!,
              seconds: run.seconds,
              errors: run.errors,
            });
          });
        } else {
          for (const n of CONFIGS) if (WARMUP_SECONDS > 0) await load.run([url(n)], WARMUP_SECONDS);
          // Rotate which configuration goes first, reverse every third round, then play it back (palindrome).
          const rotated = CONFIGS.map((_, i) => CONFIGS[(i + round) % CONFIGS.length]!);
          const half = Math.floor(round / CONFIGS.length) % 2 === 1 ? rotated.reverse() : rotated;
          const order = [...half, ...[...half].reverse()];
          r = { order, scrapeNs: Number.NaN, off: [], on: [], control: [] };
          for (const n of order) {
            const before = cpuNs(pid(n));
            const [run] = await load.run([url(n)], SECONDS);
            r[n].push({
              requests: run!.total,
              cpuNs: cpuNs(pid(n)) - before,
              seconds: run!.seconds,
              errors: run!.errors,
            });
          }
        }
        // What one scrape costs the router on its own (no traffic): the render and its HTTP exchange.
        const scrapeUrl = `http://127.0.0.1:${routers.on.metricsPort}/metrics`;
        await (await fetch(scrapeUrl)).text(); // the connection, and a first render
        const beforeScrapes = cpuNs(pid('on'));
        for (let i = 0; i < SCRAPES_MEASURED; i++) lastScrape = await (await fetch(scrapeUrl)).text();
        r.scrapeNs = (cpuNs(pid('on')) - beforeScrapes) / SCRAPES_MEASURED;
        rounds.push(r);
        console.log(
          `listener round ${String(round + 1).padStart(2)} (${r.order.join(' ')}): cpu per request ` +
            CONFIGS.map((n) => `${n} ${perRequestUs(r[n]).toFixed(2)} us`).join(', ') +
            `; on/off ${pct(onOff(r, perRequestUs))}, control/off ${pct(perRequestUs(r.control) / perRequestUs(r.off))}` +
            (RATE > 0
              ? ''
              : `; req/s ${CONFIGS.map((n) => `${n} ${perSecond(r[n]).toFixed(0)}`).join(', ')}`),
        );
      } finally {
        scrapeTarget = undefined;
        await Promise.all(CONFIGS.map((n) => stopRouter(routers[n])));
      }
    }
    stopScraping.abort();
    await scraper;
    const aa = (f: (s: Slot[]) => number) => rounds.map((r) => f(r.control) / f(r.off));
    const cpuOn = spread(rounds.map((r) => onOff(r, perRequestUs)));
    const cpuControl = spread(aa(perRequestUs));
    const achieved = CONFIGS.map((n) => `${n} ${median(rounds.map((r) => perSecond(r[n]))).toFixed(0)}`);
    // A scrape's share of the router's CPU at this run's load, for a given scrape interval.
    const scrapeUs = median(rounds.map((r) => r.scrapeNs)) / 1000;
    const onCpuPerSecondUs = median(rounds.map((r) => perRequestUs(r.on) * perSecond(r.on)));
    const scrapeShare = (intervalS: number) =>
      `${((scrapeUs / intervalS / onCpuPerSecondUs) * 100).toFixed(2)}%`;
    const series = lastScrape.split('\n').filter((l) => l && !l.startsWith('#')).length;
    const errors = rounds.reduce(
      (s, r) => s + CONFIGS.reduce((t, n) => t + r[n].reduce((u, x) => u + x.errors, 0), 0),
      0,
    );
    const counted = /conveyor_router_requests_total\{set="stable",revision="v1"\} (\d+)/.exec(
      lastScrape,
    )?.[1];
    const loadShape =
      RATE > 0
        ? `${RATE} req/s fixed rate over 10 connections`
        : `closed loop over ${CONNECTIONS} connections`;
    console.log(
      `listener method: ${ROUNDS} rounds of 3 fresh routers (off, on, control), ` +
        (CONCURRENT
          ? `all 3 under load at once for ${SECONDS} s (${loadShape} each)`
          : `one at a time in slots A B C C B A of ${SECONDS} s (${loadShape})`) +
        ` after ${WARMUP_SECONDS} s warm-up; routers on cpu 1, load and upstream on cpu 0; nice ${getPriority()}; ` +
        (SCRAPE_MS > 0
          ? `${scrapes} scrapes of /metrics every ${SCRAPE_MS} ms (last: ${counted ?? '?'} stable requests counted); `
          : 'no scrapes (the listener idle); ') +
        `req/s served per router, median of rounds: ${achieved.join(', ')}`,
    );
    // "off" in on/off is the geometric mean of the two listener-off routers: less noise than either alone.
    console.log(`listener on/off, router CPU per request:  ${cpuOn.text}`);
    console.log(`A/A control/off (both listener off):      ${cpuControl.text}`);
    if (RATE === 0) {
      console.log(
        `listener on/off, throughput (req/s):      ${spread(rounds.map((r) => onOff(r, perSecond))).text}`,
      );
      console.log(`A/A control/off, throughput (req/s):      ${spread(aa(perSecond)).text}`);
    }
    console.log(
      `a scrape of /metrics (${series} samples) costs the router ${scrapeUs.toFixed(0)} us of CPU (median of rounds, ${SCRAPES_MEASURED} each, no traffic); ` +
        `at this run's load that adds ${scrapeShare(15)} at a 15 s scrape interval, ${scrapeShare(1)} at 1 s, ${scrapeShare(0.25)} at 250 ms` +
        (SCRAPE_MS > 0
          ? ' (scrapes during the load are already in on/off above)'
          : ' (none of it in on/off above)'),
    );
    const pctAbs = (x: number) => `${(x * 100).toFixed(1)}%`;
    // The bound by code path: the one call per request the listener adds, plus a scrape every 15 s.
    const recordNs = recordCallNs();
    const offPerRequestUs = median(rounds.map((r) => perRequestUs(r.off)));
    const recordShare = recordNs / 1000 / offPerRequestUs;
    const scrapeShare15 = scrapeUs / 15 / onCpuPerSecondUs;
    const bound = recordShare + scrapeShare15;
    console.log(
      `listener cost by code path: the per-request call it adds (PrometheusCounters.record) takes ${recordNs.toFixed(1)} ns ` +
        `(median of 9 runs of 2,000,000 calls, warm) = ${(recordShare * 100).toFixed(2)}% of the off router's ${offPerRequestUs.toFixed(1)} us CPU per request in this run; ` +
        `with a scrape every 15 s: ${(bound * 100).toFixed(2)}% (target ${pctAbs(TARGET)}) ${bound < TARGET ? 'OK' : 'MISSED'}`,
    );
    console.log(
      `listener verdict: ${listenerVerdict(cpuOn, cpuControl)} ` +
        `(rule, on CPU per request, off = both listener-off routers: INCONCLUSIVE unless the A/A control's median is within ±${pctAbs(NOISE_LIMIT)} ` +
        `and its 95% CI contains 0; then OK if the on/off 95% CI lies inside ±${pctAbs(TARGET)}, MISSED if it lies wholly outside, INCONCLUSIVE if it straddles ±${pctAbs(TARGET)}); ` +
        `load average ${loadBefore} before, ${loadAverage()} after` +
        (errors ? `; ${errors} failed requests` : ''),
    );
  } finally {
    stopScraping.abort();
    await scraper;
    killChildren();
    if (affinity)
      execFileSync('taskset', ['-a', '-c', '-p', affinity, String(process.pid)], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}
