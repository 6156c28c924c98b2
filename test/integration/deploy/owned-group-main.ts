/**
 * Run as its own process by owned-processes.test.ts: a test helper's process with a group serving v1 (router,
 * its supervisor, one instance). Prints their pids as one JSON line, then waits to be killed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeGroup, routerState, serverPid } from './helpers.js';

const f = makeGroup('strategy: all-at-once');
const r = await f.cli(['deploy', '--revision', f.rev('v1')]);
if (r.code !== 0) {
  console.error(r.stdout + r.stderr);
  process.exit(1);
}
console.log(
  JSON.stringify({
    dir: f.dir,
    router: (await routerState(f)).pid,
    supervisor: Number(readFileSync(join(f.groupDir, 'router', 'router-supervisor.pid'), 'utf8')),
    instance: serverPid(f, 'a-1'),
  }),
);
setInterval(() => {}, 60_000);
