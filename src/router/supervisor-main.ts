#!/usr/bin/env node
/**
 * The router's supervisor: a small detached process that runs `router/main.js` with the arguments it was given and
 * starts it again when it dies after it was serving (killed, crashed), so a killed router comes back by itself
 * with its last table (it reloads `router-table.json`). A clean stop (admin shutdown, SIGTERM: exit 0) ends the
 * supervisor too; a router that fails while starting (its port taken) is not retried, and its exit code is the
 * supervisor's, so the launcher reports why. At most MAX_RESTARTS restarts within RESTART_WINDOW_MS.
 *
 *   node dist/router/supervisor-main.js --state-dir DIR [router arguments...]
 *
 * Writes <state-dir>/router-supervisor.pid; SIGTERM to it stops the router and then the supervisor.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { distEntry } from '../core/paths.js';
import { routerFiles, supervisorPidFile } from './files.js';

const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;
const RESTART_DELAY_MS = 100;

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} supervisor[${process.pid}] ${line}\n`);
}

const args = process.argv.slice(2);
const stateDir = args[args.indexOf('--state-dir') + 1];
if (!stateDir || args.indexOf('--state-dir') < 0) {
  log('error: --state-dir is required');
  process.exit(2);
}
const files = routerFiles(stateDir);
const pidFile = supervisorPidFile(stateDir);
writeFileSync(pidFile, String(process.pid));

let child: ChildProcess | undefined;
let stopping = false;
const restarts: number[] = [];

/** The router wrote its pid file: it was serving (a failure while starting never gets that far). */
function wasServing(pid: number | undefined): boolean {
  try {
    return (JSON.parse(readFileSync(files.pidFile, 'utf8')) as { pid: number }).pid === pid;
  } catch {
    return false;
  }
}

function finish(code: number): never {
  rmSync(pidFile, { force: true });
  process.exit(code);
}

function start(): void {
  const router = spawn(process.execPath, [distEntry('router/main.js'), ...args], { stdio: 'inherit' });
  child = router;
  router.once('exit', (code, signal) => {
    if (stopping || code === 0) finish(0);
    if (!wasServing(router.pid)) finish(code ?? 1);
    const now = Date.now();
    while (restarts.length && now - restarts[0]! > RESTART_WINDOW_MS) restarts.shift();
    if (restarts.length >= MAX_RESTARTS) {
      log(
        `router died ${MAX_RESTARTS} times within ${RESTART_WINDOW_MS / 1000}s; giving up ('conveyor up' starts it)`,
      );
      finish(1);
    }
    restarts.push(now);
    log(`router pid ${router.pid} died (${signal ?? `exit ${code}`}); starting it again with its last table`);
    setTimeout(start, RESTART_DELAY_MS);
  });
}

const stop = (signal: NodeJS.Signals) => {
  stopping = true;
  if (child?.exitCode === null && child.signalCode === null) child.kill(signal);
  else finish(0);
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGTERM'));
start();
