/**
 * What a test starts dies with the test process. Routers, their supervisors, app instances and detached runners
 * are started detached on purpose (the data plane outlives the CLI), so a test process that is killed — Ctrl-C,
 * vitest stopping a worker, SIGKILL — never reaches its afterEach, and they ran on for hours (`ps aux | grep
 * conveyor-it`). Each temp folder a helper makes is registered with one small watchdog per test process, over a
 * pipe. When the test process ends, however it ends, the kernel closes its end of the pipe; the watchdog then kills
 * every process that runs in or names a registered folder (cwd, command line or environment, read from /proc:
 * whatever spawned it) and removes the folders. Folders are mkdtemp names, so no other process names them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { basename, isAbsolute } from 'node:path';

/** The watchdog, plain CommonJS for `node -e` so it starts in milliseconds. */
const WATCHDOG = String.raw`
const { readdirSync, readFileSync, readlinkSync, rmSync } = require('node:fs');
const dirs = new Set();
let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  pending += chunk;
  for (let i = pending.indexOf('\n'); i !== -1; i = pending.indexOf('\n')) {
    const dir = pending.slice(0, i);
    // Only a temp folder's own name: an empty or short line would match every process on the machine.
    if (/^\/.+\/[^/]{8,}$/.test(dir)) dirs.add(dir);
    pending = pending.slice(i + 1);
  }
});
const read = (f, how) => { try { return how === 'link' ? readlinkSync(f) : readFileSync(f, 'latin1'); } catch { return ''; } };
function users() {
  const found = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const p = '/proc/' + name;
    const text = read(p + '/cmdline') + '\0' + read(p + '/cwd', 'link') + '\0' + read(p + '/environ');
    for (const d of dirs) if (text.includes(d)) { found.push(Number(name)); break; }
  }
  return found;
}
function sweep() {
  // A supervisor may start its router again between two passes: repeat until nothing names a folder.
  for (let pass = 0; pass < 50; pass++) {
    const pids = users();
    if (pids.length === 0) break;
    for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch {} }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
  for (const d of dirs) { try { rmSync(d, { recursive: true, force: true }); } catch {} }
  process.exit(0);
}
process.stdin.on('end', sweep);
process.stdin.on('error', sweep);
`;

let watchdog: ChildProcess | undefined;

/**
 * Registers a temp folder of this test process: when the process ends, whatever still runs in or names the folder
 * is killed and the folder removed. Call it right after mkdtemp, before anything is started there.
 */
export function ownTempDir(dir: string): string {
  if (!isAbsolute(dir) || basename(dir).length < 8)
    throw new Error(`ownTempDir: not a temp folder's path: ${dir}`);
  if (!watchdog) {
    // Its own session: Ctrl-C at the terminal and vitest killing workers do not reach it.
    watchdog = spawn(process.execPath, ['-e', WATCHDOG], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    watchdog.on('error', () => {});
    watchdog.stdin?.on('error', () => {});
    // Neither the watchdog nor its pipe keeps this process alive.
    watchdog.unref();
    (watchdog.stdin as Socket | null)?.unref();
  }
  watchdog.stdin?.write(`${dir}\n`);
  return dir;
}

/** The watchdog's pid (for the test that kills its owner). */
export function watchdogPid(): number | undefined {
  return watchdog?.pid;
}
