/**
 * Starting and stopping the router process of a state folder.
 * The router runs detached (its own process group, logs to <stateDir>/router.log) so killing the
 * runner never drops traffic. One router per state folder: a live one is reused.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { distEntry } from '../core/paths.js';
import { processAlive } from '../core/process.js';
import type { HealthCheckConfig } from './api.js';
import { RouterClient } from './client.js';
import { type RouterPidInfo, routerFiles, supervisorPidFile } from './files.js';

export interface EnsureRouterOptions {
  stateDir: string;
  /** Where users send traffic; 0 picks a free port (read it back from getState().listen). */
  port: number;
  /** @default '127.0.0.1' */
  host?: string;
  healthCheck?: HealthCheckConfig;
  drainTimeoutMs?: number;
  connectTimeoutMs?: number;
  upstreamTimeoutMs?: number;
  /** How long to wait for a new router to answer. @default 5000 */
  startTimeoutMs?: number;
  /** Run it under a supervisor that starts it again when it is killed or crashes (src/router/supervisor-main.ts). */
  supervise?: boolean;
}

export interface EnsuredRouter {
  client: RouterClient;
  pid: number;
  /** True when a router already running for this state folder was kept. */
  reused: boolean;
}

/** Reads <stateDir>/router.pid, or undefined when absent or unreadable. */
export function readRouterPid(stateDir: string): RouterPidInfo | undefined {
  try {
    return JSON.parse(readFileSync(routerFiles(stateDir).pidFile, 'utf8')) as RouterPidInfo;
  } catch {
    return undefined;
  }
}

export async function ensureRouter(opts: EnsureRouterOptions): Promise<EnsuredRouter> {
  const files = routerFiles(opts.stateDir);
  mkdirSync(opts.stateDir, { recursive: true, mode: 0o700 });
  const client = new RouterClient(files.socket);
  const host = opts.host ?? '127.0.0.1';

  const existing = readRouterPid(opts.stateDir);
  if (existing && processAlive(existing.pid) && (await client.ping())) {
    if (opts.port !== 0 && (existing.port !== opts.port || existing.host !== host)) {
      throw new Error(
        `a router for ${opts.stateDir} already listens on ${existing.host}:${existing.port}, ` +
          `not ${host}:${opts.port}; stop it first (conveyor down)`,
      );
    }
    return { client, pid: existing.pid, reused: true };
  }
  // A supervisor already restarting its router: wait for that one rather than start a second.
  if (readSupervisorPid(opts.stateDir) !== undefined) {
    const until = Date.now() + 2000;
    while (Date.now() < until && readSupervisorPid(opts.stateDir) !== undefined) {
      const info = readRouterPid(opts.stateDir);
      if (info && processAlive(info.pid) && (await client.ping()))
        return { client, pid: info.pid, reused: true };
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  // Leftovers of a router that died: they would make the new one refuse to start or mislead callers.
  rmSync(files.pidFile, { force: true });
  if (existsSync(files.socket) && !(await client.ping())) rmSync(files.socket, { force: true });

  const args = [
    distEntry(opts.supervise ? 'router/supervisor-main.js' : 'router/main.js'),
    '--state-dir',
    opts.stateDir,
    '--port',
    String(opts.port),
    '--host',
    host,
  ];
  const hc = opts.healthCheck;
  if (hc?.path !== undefined) args.push('--health-path', hc.path);
  if (hc?.intervalMs !== undefined) args.push('--health-interval-ms', String(hc.intervalMs));
  if (hc?.timeoutMs !== undefined) args.push('--health-timeout-ms', String(hc.timeoutMs));
  if (hc?.unhealthyThreshold !== undefined) args.push('--unhealthy-threshold', String(hc.unhealthyThreshold));
  if (hc?.healthyThreshold !== undefined) args.push('--healthy-threshold', String(hc.healthyThreshold));
  if (opts.drainTimeoutMs !== undefined) args.push('--drain-timeout-ms', String(opts.drainTimeoutMs));
  if (opts.connectTimeoutMs !== undefined) args.push('--connect-timeout-ms', String(opts.connectTimeoutMs));
  if (opts.upstreamTimeoutMs !== undefined)
    args.push('--upstream-timeout-ms', String(opts.upstreamTimeoutMs));

  const logFd = openSync(files.log, 'a', 0o600);
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  child.unref();
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  child.once('error', () => {
    exited = -1;
  });

  const deadline = Date.now() + (opts.startTimeoutMs ?? 5000);
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      throw new Error(`router exited with code ${exited} while starting: ${lastLines(files.log)}`);
    }
    if (existsSync(files.pidFile) && (await client.ping())) {
      // Supervised, the router is the supervisor's child: its own pid is in its pid file.
      const pid = opts.supervise ? readRouterPid(opts.stateDir)?.pid : child.pid;
      return { client, pid: pid ?? child.pid ?? 0, reused: false };
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  if (child.pid) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  throw new Error(
    `router did not answer on ${files.socket} within ${opts.startTimeoutMs ?? 5000} ms: ${lastLines(files.log)}`,
  );
}

/**
 * Stops the router of a state folder: asks it to drain and exit, then waits for the process;
 * kills it when it does not go in time. Returns false when no router was running.
 */
export async function stopRouter(stateDir: string, timeoutMs = 10_000): Promise<boolean> {
  const files = routerFiles(stateDir);
  const info = readRouterPid(stateDir);
  const client = new RouterClient(files.socket, { timeoutMs: 2000 });
  let asked = false;
  try {
    await client.shutdown();
    asked = true;
  } catch {
    // not answering: fall back to the pid
  }
  const pid = info?.pid;
  const wasRunning = pid !== undefined && pid > 0 && processAlive(pid);
  // A supervisor stops its router and itself on SIGTERM; signalled first, it never starts the router again.
  const supervisor = readSupervisorPid(stateDir);
  const deadline = Date.now() + timeoutMs;
  if (supervisor !== undefined && !asked) safeKill(supervisor, 'SIGTERM');
  if (pid !== undefined && processAlive(pid)) {
    if (!asked && supervisor === undefined) safeKill(pid, 'SIGTERM');
    while (processAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (supervisor !== undefined && processAlive(supervisor)) safeKill(supervisor, 'SIGKILL');
    if (processAlive(pid)) safeKill(pid, 'SIGKILL');
  }
  if (supervisor !== undefined) {
    while (processAlive(supervisor) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (processAlive(supervisor)) safeKill(supervisor, 'SIGKILL');
    rmSync(supervisorPidFile(stateDir), { force: true });
  }
  rmSync(files.pidFile, { force: true });
  rmSync(files.socket, { force: true });
  return asked || wasRunning;
}

/** The pid of a live supervisor of this state folder's router, if one runs. */
export function readSupervisorPid(stateDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(supervisorPidFile(stateDir), 'utf8'));
    return Number.isInteger(pid) && pid > 0 && processAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function safeKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function lastLines(file: string, n = 5): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-n).join(' | ');
  } catch {
    return '(no log)';
  }
}
