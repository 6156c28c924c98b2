/**
 * Dashboard benchmark on a real canary (2 instances, router, hook scripts) under steady load, watched in chromium
 * (issue #16). Its length is DASHBOARD_BENCH_MINUTES (default 1; the run is 10):
 *   DASHBOARD_BENCH_MINUTES=10 npm run bench dashboard
 * 1. time from a ledger event (each `traffic` event of the canary) to the updated DOM (the canary weight shown),
 *    median and p99 — target ≤ 250 ms p99 — split into ledger event -> stream message in the page and
 *    message -> DOM;
 * 2. the dashboard process's CPU (user and system seconds, % of one core) and memory (RSS and JS heap at start,
 *    peak and end, RSS over the run, and its growth after the warm-up: bounded memory means it flattens);
 * 3. the page's main thread (busy time, script time) and JS heap, from chromium's own counters.
 * Skipped with a note when /usr/bin/chromium is missing.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { runCli } from '../src/cli/run-cli.js';
import { packageRoot } from '../src/core/paths.js';
import { openGroup } from '../src/deploy/group.js';

const CHROMIUM = process.env.CONVEYOR_CHROMIUM ?? '/usr/bin/chromium';
const MINUTES = Number(process.env.DASHBOARD_BENCH_MINUTES ?? '1');
const BAKE_SECONDS = 3;
const TICKS_PER_SECOND = 100;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

interface Usage {
  at: number;
  userMs: number;
  sysMs: number;
  rssMb: number;
  heapMb?: number;
}

/** utime and stime of a process in ms, and its resident set in MB (Linux /proc). */
function procUsage(pid: number): Omit<Usage, 'at'> | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return {
      userMs: (Number(fields[11]) * 1000) / TICKS_PER_SECOND,
      sysMs: (Number(fields[12]) * 1000) / TICKS_PER_SECOND,
      rssMb: Number(rss) / 1024,
    };
  } catch {
    return undefined;
  }
}

/** Loaded into the dashboard process with --import: answers 'memory' over the IPC channel, keeps nothing alive. */
const PROBE = `
if (process.send) {
  process.on('message', (m) => {
    if (m === 'memory') process.send({ heapUsed: process.memoryUsage().heapUsed });
  });
  process.channel?.unref();
}
`;

/** Least-squares slope of y over x. */
function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return den ? num / den : Number.NaN;
}

const mb = (n: number | undefined) => (n === undefined ? '?' : n.toFixed(1));

export default async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    console.log(`skipped: no chromium at ${CHROMIUM}`);
    return;
  }
  if (!(MINUTES > 0)) throw new Error(`DASHBOARD_BENCH_MINUTES must be a positive number (got ${MINUTES})`);
  const steps = Math.max(10, Math.round((MINUTES * 60) / BAKE_SECONDS));
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-bench-dashboard-'));
  for (const v of ['v1', 'v2'])
    cpSync(join(packageRoot, 'examples', 'hello-web', v), join(dir, v), { recursive: true });
  // Weights 5, 10, … 95 and round again: every step changes the weight shown, however many steps there are.
  const plan = Array.from(
    { length: steps },
    (_, i) => `    - setWeight: ${((i % 19) + 1) * 5}\n    - pause: {seconds: ${BAKE_SECONDS}}`,
  ).join('\n');
  const config = join(dir, 'group.yml');
  writeFileSync(
    config,
    `application: bench\ndeploymentGroup: dash\nprovider: local\nlocal:\n  instances: 2\n  routerPort: 0\nhealthCheck:\n  path: /health\n  intervalSeconds: 0.5\nstrategy:\n  type: canary\n  steps:\n${plan}\nanalysis:\n  intervalSeconds: 1\n  maxErrorRate: 0.05\n  minRequests: 5\n  noDataPolicy: pass\n`,
  );
  const probe = join(dir, 'probe.mjs');
  writeFileSync(probe, PROBE);
  const quiet = { write: () => true };
  const cli = (args: string[]) =>
    runCli([...args, '--config', config], { stdout: quiet, stderr: quiet, cwd: dir });
  const group = openGroup(config, { cwd: dir });
  let dashboard: ReturnType<typeof spawn> | undefined;
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'conveyor-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  let loading = true;
  let sampler: NodeJS.Timeout | undefined;
  try {
    if ((await cli(['deploy', '--revision', join(dir, 'v1')])) !== 0) throw new Error('v1 did not deploy');
    const port = (
      JSON.parse(readFileSync(join(group.groupDir, 'router', 'router.pid'), 'utf8')) as { port: number }
    ).port;
    // Steady load, about 100 requests/s over 4 connections.
    let sent = 0;
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (loading) {
          const t = Date.now();
          await fetch(`http://127.0.0.1:${port}/`).then(
            (r) => r.arrayBuffer(),
            () => undefined,
          );
          sent += 1;
          await new Promise((r) => setTimeout(r, Math.max(0, 40 - (Date.now() - t))));
        }
      }),
    );

    dashboard = spawn(
      process.execPath,
      ['--import', probe, join(packageRoot, 'dist/cli/main.js'), 'dashboard', '--port', '0', '--json'],
      { cwd: dir, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] },
    );
    const child = dashboard;
    const pid = child.pid!;
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (c) => {
        out += c;
        if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]!) as { url: string }).url);
      });
      child.on('exit', (code) => reject(new Error(`dashboard exited ${code}`)));
    });
    let heapMb: number | undefined;
    child.on('message', (m: { heapUsed: number }) => {
      heapMb = m.heapUsed / 2 ** 20;
    });
    const page = await context.newPage();
    // Each stream message that carries a traffic table, with the time the page received it.
    await page.addInitScript(() => {
      const got: { at: number; data: string }[] = [];
      // And the size of every group message (model or patch), as numbers only: what the stream costs the page.
      const stream = { messages: 0, bytes: 0, largest: 0 };
      (window as unknown as { got: typeof got; stream: typeof stream }).got = got;
      (window as unknown as { stream: typeof stream }).stream = stream;
      const Native = window.EventSource;
      window.EventSource = class extends Native {
        constructor(u: string | URL, init?: EventSourceInit) {
          super(u, init);
          for (const type of ['patch', 'group'])
            this.addEventListener(type, (e) => {
              const data = (e as MessageEvent<string>).data;
              if (data.includes('"traffic"')) got.push({ at: Date.now(), data });
              stream.messages += 1;
              stream.bytes += data.length;
              stream.largest = Math.max(stream.largest, data.length);
            });
        }
      };
    });
    await page.goto(url);
    await page.waitForSelector('[data-testid="canary-weight"]');
    // Every change of the weight shown, with the time it reached the DOM.
    await page.evaluate(() => {
      const seen: { at: number; text: string }[] = [];
      (window as unknown as { seen: typeof seen }).seen = seen;
      new MutationObserver(() => {
        const text = document.querySelector('[data-testid="canary-weight"]')?.textContent ?? '';
        if (seen[seen.length - 1]?.text !== text) seen.push({ at: Date.now(), text });
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    // After a full collection: the heap and DOM nodes the page keeps, not garbage waiting to be collected. Nodes
    // counts every node alive, in the document or not; the ones in the document are counted too, so nodes kept
    // alive after they left it (a leak) show as the difference.
    const pageMetrics = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      const metrics = Object.fromEntries(
        (await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]),
      ) as Record<string, number>;
      metrics.inDocument = await page.evaluate(() => {
        let n = 1;
        const walker = document.createTreeWalker(document, NodeFilter.SHOW_ALL);
        while (walker.nextNode()) n++;
        return n;
      });
      return metrics;
    };

    const samples: Usage[] = [];
    const loads: number[] = [];
    const take = () => {
      const u = procUsage(pid);
      if (u) samples.push({ at: Date.now(), ...u, ...(heapMb !== undefined ? { heapMb } : {}) });
      loads.push(loadavg()[0]!);
      if (child.connected) child.send('memory');
    };
    child.send('memory');
    await new Promise((r) => setTimeout(r, 200));
    const pageBefore = await pageMetrics();
    take();
    const started = Date.now();
    sampler = setInterval(take, 1000);
    const code = await cli(['deploy', '--revision', join(dir, 'v2')]);
    clearInterval(sampler);
    take();
    const wall = Date.now() - started;
    const pageAfter = await pageMetrics();
    await new Promise((r) => setTimeout(r, 300));
    const seen = await page.evaluate(
      () => (window as unknown as { seen: { at: number; text: string }[] }).seen,
    );
    const stream = await page.evaluate(
      () => (window as unknown as { stream: { messages: number; bytes: number; largest: number } }).stream,
    );
    const got = await page.evaluate(() =>
      (window as unknown as { got: { at: number; data: string }[] }).got.map(({ at, data }) => {
        const m = JSON.parse(data) as {
          group?: { current?: { traffic?: { canary: string[]; canaryWeight: number } } };
          patch?: { current: { set: { traffic?: { canary: string[]; canaryWeight: number } } } };
        };
        const t = m.patch ? m.patch.current.set.traffic : m.group?.current?.traffic;
        return { at, weight: t ? (t.canary.length ? t.canaryWeight : 0) : -1 };
      }),
    );
    loading = false;
    await load;

    const events = group.ledger.read().events;
    const deploymentId = events.findLast((e) => e.type === 'created')?.deploymentId;
    const traffic = events.flatMap((e) =>
      e.deploymentId === deploymentId && e.type === 'traffic'
        ? [{ at: e.at, weight: e.table.canary.length ? e.table.canaryWeight : 0 }]
        : [],
    );
    const toDom: number[] = [];
    const toPage: number[] = [];
    const pageToDom: number[] = [];
    for (const [i, t] of traffic.entries()) {
      if (i > 0 && traffic[i - 1]!.weight === t.weight) continue;
      const shown = seen.find((s) => s.at >= t.at - 5 && s.text === `${t.weight}%`);
      const received = got.find((g) => g.at >= t.at - 5 && g.weight === t.weight);
      if (shown) toDom.push(shown.at - t.at);
      if (received) toPage.push(received.at - t.at);
      if (shown && received) pageToDom.push(shown.at - received.at);
    }
    const figures = (list: number[]) => {
      list.sort((a, b) => a - b);
      return `median ${quantile(list, 0.5)} ms  p99 ${quantile(list, 0.99)} ms  max ${list[list.length - 1]} ms`;
    };

    const first = samples[0]!;
    const last = samples[samples.length - 1]!;
    const userS = (last.userMs - first.userMs) / 1000;
    const sysS = (last.sysMs - first.sysMs) / 1000;
    const peak = (f: (u: Usage) => number | undefined) =>
      Math.max(...samples.map(f).filter((n): n is number => n !== undefined));
    // Warm-up: the first fifth of the run, at most a minute; bounded memory means no growth after it.
    const warm = started + Math.min(60_000, wall / 5);
    const settled = samples.filter((s) => s.at >= warm);
    const perMinute = (f: (u: Usage) => number | undefined) =>
      slope(
        settled.flatMap((s) => {
          const y = f(s);
          return y === undefined ? [] : [{ x: (s.at - started) / 60_000, y }];
        }),
      );
    const tenths = Array.from({ length: 10 }, (_, i) => {
      const from = started + (wall * i) / 10;
      const to = started + (wall * (i + 1)) / 10;
      const inside = samples.filter((s) => s.at >= from && s.at <= to);
      return inside.length ? Math.max(...inside.map((s) => s.rssMb)) : Number.NaN;
    });
    const load1 = loads.reduce((s, n) => s + n, 0) / loads.length;

    console.log(
      `canary ${steps} weight steps x ${BAKE_SECONDS} s bake (${(wall / 60_000).toFixed(1)} min), 2 instances, ~${Math.round((sent / wall) * 1000)} req/s through the router (deploy exit ${code}); load average (1 min) mean ${load1.toFixed(1)}, max ${Math.max(...loads).toFixed(1)}, on ${availableParallelism()} cores`,
    );
    console.log(
      `  ledger event -> DOM (canary weight shown)  n=${toDom.length}/${traffic.length}  ${figures(toDom)}`,
    );
    console.log(`    ledger event -> stream message in the page  n=${toPage.length}  ${figures(toPage)}`);
    console.log(
      `    stream message -> DOM                        n=${pageToDom.length}  ${figures(pageToDom)}`,
    );
    console.log(
      `  dashboard CPU over ${(wall / 1000).toFixed(1)} s: user ${userS.toFixed(2)} s + sys ${sysS.toFixed(2)} s = ${(userS + sysS).toFixed(2)} s (${((((userS + sysS) * 1000) / wall) * 100).toFixed(1)}% of one core)`,
    );
    console.log(
      `  dashboard memory: RSS start ${mb(first.rssMb)} MB, peak ${mb(peak((s) => s.rssMb))} MB, end ${mb(last.rssMb)} MB; JS heap used start ${mb(first.heapMb)} MB, peak ${mb(peak((s) => s.heapMb))} MB, end ${mb(last.heapMb)} MB`,
    );
    console.log(`  dashboard RSS, max of each tenth of the run (MB): ${tenths.map((n) => mb(n)).join(' ')}`);
    console.log(
      `  after the warm-up (${((warm - started) / 1000).toFixed(0)} s, ${settled.length} samples): RSS ${mb(Math.min(...settled.map((s) => s.rssMb)))}-${mb(Math.max(...settled.map((s) => s.rssMb)))} MB, trend ${perMinute((s) => s.rssMb).toFixed(2)} MB/min; JS heap trend ${perMinute((s) => s.heapMb).toFixed(2)} MB/min`,
    );
    const busy = (k: string) => (pageAfter[k] ?? 0) - (pageBefore[k] ?? 0);
    console.log(
      `  page (chromium): main thread busy ${busy('TaskDuration').toFixed(1)} s (script ${busy('ScriptDuration').toFixed(1)} s, layout ${busy('LayoutDuration').toFixed(1)} s), JS heap after GC ${mb((pageBefore.JSHeapUsedSize ?? 0) / 2 ** 20)} -> ${mb((pageAfter.JSHeapUsedSize ?? 0) / 2 ** 20)} MB, DOM nodes ${pageBefore.Nodes} -> ${pageAfter.Nodes} (in the document ${pageBefore.inDocument} -> ${pageAfter.inDocument})`,
    );
    console.log(
      `  page (chromium): ${stream.messages} group messages (models and patches), ${mb(stream.bytes / 2 ** 20)} MB in all, largest ${(stream.largest / 1024).toFixed(1)} kB`,
    );
  } finally {
    loading = false;
    clearInterval(sampler);
    dashboard?.kill('SIGTERM');
    await context.close().catch(() => {});
    await cli(['down', '--force']).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}
