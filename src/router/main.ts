#!/usr/bin/env node
/**
 * Entry point of the router process (spawned detached by ensureRouter so it outlives the runner).
 *
 *   node dist/router/main.js --state-dir DIR --port N [--host 127.0.0.1]
 *     [--health-path /health] [--health-interval-ms 1000] [--health-timeout-ms 1000]
 *     [--unhealthy-threshold 2] [--healthy-threshold 1] [--drain-timeout-ms 30000]
 *     [--connect-timeout-ms 2000] [--upstream-timeout-ms 60000]
 *
 * Listens for users on host:port, for the runner on <state-dir>/router.sock, writes
 * <state-dir>/router.pid, and reloads <state-dir>/router-table.json if a previous router left one.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { createAdminServer, listenOwnerOnly } from './admin.js';
import type { HealthCheckConfig } from './api.js';
import { type RouterPidInfo, routerFiles } from './files.js';
import { RouterServer } from './server.js';
import { checkRoutingTable } from './table.js';

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} router[${process.pid}] ${line}\n`);
}

function fatal(message: string): never {
  log(`error: ${message}`);
  process.exit(1);
}

function num(values: Record<string, unknown>, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) fatal(`--${name} must be a non-negative number, got '${String(raw)}'`);
  return n;
}

/** True when something answers on the socket (another live router). */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'state-dir': { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string' },
      'health-path': { type: 'string' },
      'health-interval-ms': { type: 'string' },
      'health-timeout-ms': { type: 'string' },
      'unhealthy-threshold': { type: 'string' },
      'healthy-threshold': { type: 'string' },
      'drain-timeout-ms': { type: 'string' },
      'connect-timeout-ms': { type: 'string' },
      'upstream-timeout-ms': { type: 'string' },
    },
    strict: true,
  });
  const stateDir = values['state-dir'];
  if (!stateDir) fatal('--state-dir is required');
  const port = num(values, 'port');
  if (port === undefined || !Number.isInteger(port) || port > 65535)
    fatal('--port must be a port number (0 = any)');
  // Owner-only when created here (the files in it are created owner-only too, whatever the umask).
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const files = routerFiles(stateDir);

  if (existsSync(files.socket)) {
    if (await socketAnswers(files.socket)) fatal(`another router already answers on ${files.socket}`);
    rmSync(files.socket, { force: true });
  }

  const healthCheck: HealthCheckConfig = {};
  if (values['health-path'] !== undefined) healthCheck.path = values['health-path'];
  const hcNumbers = [
    ['health-interval-ms', 'intervalMs'],
    ['health-timeout-ms', 'timeoutMs'],
    ['unhealthy-threshold', 'unhealthyThreshold'],
    ['healthy-threshold', 'healthyThreshold'],
  ] as const;
  for (const [flag, key] of hcNumbers) {
    const n = num(values, flag);
    if (n !== undefined) healthCheck[key] = n;
  }

  const router = new RouterServer({
    host: values.host ?? '127.0.0.1',
    port,
    healthCheck,
    drainTimeoutMs: num(values, 'drain-timeout-ms'),
    connectTimeoutMs: num(values, 'connect-timeout-ms'),
    upstreamTimeoutMs: num(values, 'upstream-timeout-ms'),
    log,
    onTableApplied(table) {
      // Written before the admin call is answered (the runner may count on a restart restoring it),
      // after the new snapshot is already routing requests. Atomic: a crash never leaves half a table.
      const tmp = `${files.tableFile}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(table), { mode: 0o600 });
      renameSync(tmp, files.tableFile);
    },
  });

  if (existsSync(files.tableFile)) {
    try {
      const checked = checkRoutingTable(JSON.parse(readFileSync(files.tableFile, 'utf8')));
      if (checked.ok) router.applyTable(checked.table);
      else log(`ignoring ${files.tableFile}: ${checked.problems.join('; ')}`);
    } catch (err) {
      log(`ignoring ${files.tableFile}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  try {
    await router.listen();
  } catch (err) {
    fatal(`cannot listen on ${values.host}:${port}: ${err instanceof Error ? err.message : String(err)}`);
  }

  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    log(`stopping (${why}): draining in-flight requests`);
    admin.close();
    await router.close();
    rmSync(files.socket, { force: true });
    rmSync(files.pidFile, { force: true });
    log('stopped');
    process.exit(0);
  };

  const admin = createAdminServer(router, () => void stop('admin shutdown'));
  await listenOwnerOnly(admin, files.socket).catch((err: unknown) =>
    fatal(`cannot open admin socket ${files.socket}: ${err instanceof Error ? err.message : String(err)}`),
  );

  const info: RouterPidInfo = {
    pid: process.pid,
    host: router.listenHost,
    port: router.listenPort,
    socket: files.socket,
    startedAt: Date.now(),
  };
  writeFileSync(files.pidFile, JSON.stringify(info), { mode: 0o600 });
  log(`listening on ${router.listenHost}:${router.listenPort}, admin ${files.socket}`);

  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => fatal(err instanceof Error ? (err.stack ?? err.message) : String(err)));
