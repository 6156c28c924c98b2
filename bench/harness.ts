/**
 * What the throughput benches share (router.bench.ts, gates.bench.ts): processes pinned with taskset
 * (load generator and upstreams on cpu 0, the process under test alone on cpu 1), autocannon runs, the
 * CPU time a process spent per request (from /proc), router processes started from a built checkout, and
 * interleaved best-of-N rounds over several targets.
 *
 * Why best-of-N interleaved: a noisy neighbour only ever makes a run slower, so the best round of each
 * target is its least disturbed one, and interleaving gives every target the same moments of the machine.
 * CPU microseconds per request of the process under test move far less with neighbours than req/s do.
 */
import { type ChildProcess, execFileSync, type StdioOptions, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { packageRoot } from '../src/core/paths.js';
import { RouterClient } from '../src/router/client.js';

export const CPU_LOAD = '0';
export const CPU_PROXY = '1';
export const CONNECTIONS = 50;

/** The tiny upstream every throughput bench proxies to: 200 "ok", keep-alive. Prints `PORT n`. */
export const UPSTREAM_JS = `
const http = require('node:http');
const body = Buffer.from('ok');
const s = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
  res.end(body);
});
s.keepAliveTimeout = 65000;
s.listen(0, '127.0.0.1', () => console.log('PORT ' + s.address().port));
`;

export interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  total: number;
  /** CPU the process under test spent per request, in microseconds (robust to a noisy neighbour). */
  cpuUsPerRequest?: number;
}

/** Every process started through this module; `killChildren` ends those still running. */
const children: ChildProcess[] = [];

export function commandExists(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const hasTaskset = commandExists('taskset');

export function pinned(
  cpu: string,
  cmd: string,
  args: string[],
  stdin: 'ignore' | 'pipe' = 'ignore',
): ChildProcess {
  const stdio: StdioOptions = [stdin, 'pipe', 'pipe'];
  const child = hasTaskset
    ? spawn('taskset', ['-c', cpu, cmd, ...args], { stdio })
    : spawn(cmd, args, { stdio });
  children.push(child);
  return child;
}

export function killChildren(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.length = 0;
}

export function portFrom(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before listening: ${out}`)));
  });
}

export async function startNodeScript(
  dir: string,
  name: string,
  source: string,
  cpu: string,
  args: string[] = [],
): Promise<{ child: ChildProcess; port: number }> {
  const file = join(dir, name);
  writeFileSync(file, source);
  const child = pinned(cpu, process.execPath, [file, ...args]);
  return { child, port: await portFrom(child) };
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      http
        .get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
          res.resume();
          resolve(true);
        })
        .on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing answered on port ${port}`);
}

export function runChild(cpu: string, cmd: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = pinned(cpu, cmd, args);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} exited ${code}: ${err}`));
    });
  });
}

/** CPU time (user + system) of processes, in ms, from /proc (0 where unavailable). */
export function cpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // not on Linux, or gone
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** The 1-minute load average ('?' where /proc is absent): print it beside figures taken on a shared machine. */
export function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ')[0]!;
  } catch {
    return '?';
  }
}

const autocannonBin = join(packageRoot, 'node_modules', 'autocannon', 'autocannon.js');

/** autocannon on the load cpu: closed loop over CONNECTIONS keep-alive connections, or `rate` req/s in total. */
export async function autocannon(url: string, seconds: number, rate?: number): Promise<Figures> {
  const args = [autocannonBin, '-j', '-c', String(rate ? 10 : CONNECTIONS), '-d', String(seconds)];
  if (rate) args.push('-R', String(rate));
  const out = await runChild(CPU_LOAD, process.execPath, [...args, url]);
  const j = JSON.parse(out) as {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number };
    errors: number;
    non2xx: number;
  };
  return {
    rps: j.requests.average,
    p50: j.latency.p50,
    p99: j.latency.p99,
    errors: j.errors + j.non2xx,
    total: j.requests.total,
  };
}

/** One autocannon run (after a 1 s warm-up when asked) with the CPU `pids` spent per request. */
export async function measure(
  url: string,
  pids: number[],
  seconds: number,
  warmUp: boolean,
): Promise<Figures> {
  if (warmUp) await autocannon(url, 1); // JIT, connection pools
  const before = cpuMs(pids);
  const f = await autocannon(url, seconds);
  const spent = cpuMs(pids) - before;
  if (spent > 0 && f.total > 0) f.cpuUsPerRequest = (spent * 1000) / f.total;
  return f;
}

export interface RouterProcess {
  client: RouterClient;
  port: number;
  pid: number;
  child: ChildProcess;
  /** The Prometheus listener's port, when started with `--metrics-port`. */
  metricsPort?: number;
}

/** A router process of the built checkout at `root` (dist/router/main.js) on the proxy cpu. */
export async function startRouterProcess(
  dir: string,
  root = packageRoot,
  name = 'router',
  extraArgs: string[] = [],
): Promise<RouterProcess> {
  const stateDir = join(dir, name);
  const child = pinned(CPU_PROXY, process.execPath, [
    join(root, 'dist', 'router', 'main.js'),
    '--state-dir',
    stateDir,
    '--port',
    '0',
    ...extraArgs,
  ]);
  const pidFile = join(stateDir, 'router.pid');
  // Generous: on a loaded 2-core machine a node process can take seconds to start.
  const deadline = Date.now() + 15_000;
  let info: { port: number; metricsPort?: number } | undefined;
  while (!info) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('router did not start');
    // Read until whole: the file can be seen between its creation and its write.
    try {
      if (existsSync(pidFile)) info = JSON.parse(readFileSync(pidFile, 'utf8'));
    } catch {}
    if (!info) await new Promise((r) => setTimeout(r, 20));
  }
  return {
    client: new RouterClient(join(stateDir, 'router.sock')),
    port: info.port,
    pid: child.pid!,
    child,
    ...(info.metricsPort !== undefined ? { metricsPort: info.metricsPort } : {}),
  };
}

/** Something measured in the rounds: its URL, the processes whose CPU counts, and steps around each run. */
export interface Target {
  name: string;
  url: string;
  pids: () => number[];
  before?: () => Promise<void>;
  after?: () => Promise<void>;
  /** Highest req/s of any round, with the lowest CPU per request of any round. */
  best?: Figures;
  /** Every round's figures, in round order. */
  runs: Figures[];
}

/**
 * Measures every target in turn, `rounds` times (a 1 s warm-up before each target's first run); the order
 * is reversed every other round so no target always follows the same one. Fills `best` and `runs`.
 */
export async function interleavedRounds(
  targets: Target[],
  rounds: number,
  seconds: number,
  onRound?: (round: number) => void,
): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const t of order) {
      await t.before?.();
      const f = await measure(t.url, t.pids(), seconds, round === 0);
      await t.after?.();
      t.runs.push(f);
      if (!t.best || f.rps > t.best.rps)
        t.best = { ...f, cpuUsPerRequest: t.best?.cpuUsPerRequest ?? f.cpuUsPerRequest };
      if (f.cpuUsPerRequest && (!t.best.cpuUsPerRequest || f.cpuUsPerRequest < t.best.cpuUsPerRequest)) {
        t.best.cpuUsPerRequest = f.cpuUsPerRequest;
      }
    }
    onRound?.(round);
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median over rounds of a/b, each round's pair taken at nearly the same moment (drift cancels out). */
export function pairedRatio(a: Figures[], b: Figures[], pick: (f: Figures) => number | undefined): number {
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = pick(a[i]!);
    const y = pick(b[i]!);
    if (x !== undefined && y !== undefined && y > 0) ratios.push(x / y);
  }
  return ratios.length > 0 ? median(ratios) : Number.NaN;
}
