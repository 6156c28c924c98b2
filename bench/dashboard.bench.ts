/**
 * Dashboard benchmark on a real canary (2 instances, router, hook scripts) under steady load, watched in chromium:
 * 1. time from a ledger event (each `traffic` event of a 20-step canary) to the updated DOM (the canary weight shown),
 *    median and p99 — target ≤ 250 ms p99 (issue #16);
 * 2. the dashboard process's CPU and memory (RSS) over the whole canary (about 50 s; the issue asks for 10 minutes,
 *    this run is shorter to fit a shared 2-core machine).
 * Skipped with a note when /usr/bin/chromium is missing.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { runCli } from '../src/cli/run-cli.js';
import { packageRoot } from '../src/core/paths.js';
import { openGroup } from '../src/deploy/group.js';

const CHROMIUM = process.env.CONVEYOR_CHROMIUM ?? '/usr/bin/chromium';
const STEPS = 20;
const BAKE_SECONDS = 2;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

/** utime + stime of a process in ms, and its resident set in MB (Linux /proc). */
function usage(pid: number): { cpuMs: number; rssMb: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return { cpuMs: ticks * 10, rssMb: Number(rss) / 1024 };
  } catch {
    return undefined;
  }
}

export default async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    console.log(`skipped: no chromium at ${CHROMIUM}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-bench-dashboard-'));
  for (const v of ['v1', 'v2'])
    cpSync(join(packageRoot, 'examples', 'hello-web', v), join(dir, v), { recursive: true });
  const steps = Array.from(
    { length: STEPS },
    (_, i) =>
      `    - setWeight: ${Math.round(((i + 1) * 100) / (STEPS + 1))}\n    - pause: {seconds: ${BAKE_SECONDS}}`,
  ).join('\n');
  const config = join(dir, 'group.yml');
  writeFileSync(
    config,
    `application: bench\ndeploymentGroup: dash\nprovider: local\nlocal:\n  instances: 2\n  routerPort: 0\nhealthCheck:\n  path: /health\n  intervalSeconds: 0.5\nstrategy:\n  type: canary\n  steps:\n${steps}\nanalysis:\n  intervalSeconds: 1\n  maxErrorRate: 0.05\n  minRequests: 5\n  noDataPolicy: pass\n`,
  );
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
      [join(packageRoot, 'dist/cli/main.js'), 'dashboard', '--port', '0', '--json'],
      {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      dashboard!.stdout!.on('data', (c) => {
        out += c;
        if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]!) as { url: string }).url);
      });
      dashboard!.on('exit', (code) => reject(new Error(`dashboard exited ${code}`)));
    });
    const page = await context.newPage();
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

    const before = usage(dashboard.pid!)!;
    const started = Date.now();
    let peakRss = before.rssMb;
    const sampler = setInterval(() => {
      const u = usage(dashboard!.pid!);
      if (u) peakRss = Math.max(peakRss, u.rssMb);
    }, 500);
    const code = await cli(['deploy', '--revision', join(dir, 'v2')]);
    clearInterval(sampler);
    const wall = Date.now() - started;
    const after = usage(dashboard.pid!)!;
    await new Promise((r) => setTimeout(r, 300));
    const seen =
      (await page.evaluate(() => (window as unknown as { seen: { at: number; text: string }[] }).seen)) ?? [];
    loading = false;
    await load;

    const deploymentId = group.ledger.read().events.findLast((e) => e.type === 'created')?.deploymentId;
    const traffic = group.ledger
      .read()
      .events.filter((e) => e.deploymentId === deploymentId && e.type === 'traffic')
      .map((e) =>
        e.type === 'traffic'
          ? { at: e.at, weight: e.table.canary.length ? e.table.canaryWeight : 0 }
          : undefined,
      )
      .filter((e) => e !== undefined);
    const latencies: number[] = [];
    for (const [i, t] of traffic.entries()) {
      if (i > 0 && traffic[i - 1]!.weight === t.weight) continue;
      const shown = seen.find((s) => s.at >= t.at - 5 && s.text === `${t.weight}%`);
      if (shown) latencies.push(shown.at - t.at);
    }
    latencies.sort((a, b) => a - b);
    console.log(
      `canary ${STEPS} weight steps x ${BAKE_SECONDS} s bake, 2 instances, ~${Math.round((sent / wall) * 1000)} req/s through the router (deploy exit ${code}); machine load average ${loadavg()[0]!.toFixed(1)}`,
    );
    console.log(
      `  ledger event -> DOM (canary weight shown)  n=${latencies.length}/${traffic.length}  median ${quantile(latencies, 0.5)} ms  p99 ${quantile(latencies, 0.99)} ms  max ${latencies[latencies.length - 1]} ms`,
    );
    console.log(
      `  dashboard process over ${(wall / 1000).toFixed(1)} s: CPU ${(after.cpuMs - before.cpuMs).toFixed(0)} ms (${(((after.cpuMs - before.cpuMs) / wall) * 100).toFixed(1)}% of one core), RSS ${before.rssMb.toFixed(1)} -> ${after.rssMb.toFixed(1)} MB (peak ${peakRss.toFixed(1)} MB)`,
    );
  } finally {
    loading = false;
    dashboard?.kill('SIGTERM');
    await context.close().catch(() => {});
    await cli(['down', '--force']).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}
