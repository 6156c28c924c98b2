/**
 * `npm run demo`: a real end-to-end run on this machine, in well under a minute.
 * Deploys examples/hello-web v1 to a fresh 3-instance local fleet, then v2 by canary while steady traffic
 * flows through the router, then the broken v3 (half its answers are 500s) which the gates catch and roll
 * back; prints a summary of what the traffic saw, and stops everything.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../src/cli/run-cli.js';
import { packageRoot } from '../src/core/paths.js';
import { openGroup, readGroupState } from '../src/deploy/group.js';

const work = mkdtempSync(join(tmpdir(), 'conveyor-demo-'));
const app = join(work, 'hello-web');
cpSync(join(packageRoot, 'examples', 'hello-web'), app, { recursive: true });
const config = join(app, 'demo.yml');
writeFileSync(
  config,
  `application: hello
deploymentGroup: demo
provider: local
local:
  instances: 3
  routerPort: 0   # a free port; printed below
healthCheck:
  path: /health
  intervalSeconds: 0.5
  unhealthyThreshold: 2
strategy:
  type: canary
  steps:
    - setWeight: 20
    - pause: { seconds: 3 }
    - setWeight: 50
    - pause: { seconds: 3 }
analysis:
  intervalSeconds: 1
  maxErrorRate: 0.05
  maxP99LatencyMs: 500
  minRequests: 10
  noDataPolicy: pause
rollback:
  onFailure: true
  onGateBreach: true
  hooks:
    beforeRollback: scripts/before-rollback.sh
    afterRollback: scripts/after-rollback.sh
`,
);
process.env.ROLLBACK_LOG = join(work, 'rollback.log');

const out = { write: (s: string) => process.stdout.write(s), isTTY: process.stdout.isTTY };
const cli = (args: string[]) =>
  runCli([...args, '--config', config], { stdout: out, stderr: process.stderr, cwd: app });

function banner(text: string) {
  // Bold only on a terminal: a piped or logged demo stays plain text.
  console.log(process.stdout.isTTY ? `\n\x1b[1m== ${text}\x1b[0m` : `\n== ${text}`);
}

/** Steady traffic through the router, tallied per revision (from the x-revision header). */
class Traffic {
  sent = 0;
  failed = 0;
  byRevision = new Map<string, { ok: number; failed: number }>();
  networkErrors = 0;
  private running = false;
  private workers: Promise<void>[] = [];

  constructor(private readonly url: string) {}

  start(concurrency = 4, pauseMs = 15) {
    this.running = true;
    for (let i = 0; i < concurrency; i++) this.workers.push(this.loop(pauseMs));
  }

  private async loop(pauseMs: number) {
    while (this.running) {
      this.sent += 1;
      try {
        const res = await fetch(this.url, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        const rev = res.headers.get('x-revision') ?? `router ${res.status}`;
        const row = this.byRevision.get(rev) ?? { ok: 0, failed: 0 };
        if (res.ok) row.ok += 1;
        else {
          row.failed += 1;
          this.failed += 1;
        }
        this.byRevision.set(rev, row);
      } catch {
        this.failed += 1;
        this.networkErrors += 1;
      }
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  }

  async stop() {
    this.running = false;
    await Promise.all(this.workers);
  }
}

const timings: [string, number][] = [];
async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await fn();
  } finally {
    timings.push([label, Date.now() - started]);
  }
}

const demoStarted = Date.now();
let traffic: Traffic | undefined;
let exitCode = 0;
try {
  banner('1/3  deploy v1 to a fresh fleet of 3 instances');
  const v1 = await timed('v1 (first deploy)', () => cli(['deploy', '--revision', join(app, 'v1')]));
  if (v1 !== 0) throw new Error('v1 did not deploy');

  const group = openGroup(config, { cwd: app });
  const routerInfo = JSON.parse(readFileSync(join(group.groupDir, 'router', 'router.pid'), 'utf8')) as {
    port: number;
  };
  const url = `http://127.0.0.1:${routerInfo.port}/`;
  console.log(`\nrouter: ${url}  (try: curl ${url})`);
  traffic = new Traffic(url);
  traffic.start();

  banner('2/3  deploy v2 by canary (20% → 50% → 100%) under steady traffic');
  const v2 = await timed('v2 (canary)', () => cli(['deploy', '--revision', join(app, 'v2')]));
  if (v2 !== 0) throw new Error('v2 did not deploy');

  banner('3/3  deploy the broken v3: the gates catch its errors and roll it back');
  const v3 = await timed('v3 (canary, rolled back)', () => cli(['deploy', '--revision', join(app, 'v3')]));
  await new Promise((r) => setTimeout(r, 500));
  await traffic.stop();

  const { state } = readGroupState(group);
  const last = state.deployments[state.deployments.length - 1]!;
  banner('summary');
  await cli(['history']);
  console.log('');
  console.log(`requests sent      ${traffic.sent}`);
  console.log(`requests failed    ${traffic.failed} (${traffic.networkErrors} connection errors)`);
  for (const [rev, row] of [...traffic.byRevision.entries()].sort()) {
    console.log(
      `  served by ${rev.padEnd(8)} ${String(row.ok).padStart(6)} ok  ${String(row.failed).padStart(5)} failed`,
    );
  }
  console.log(`v3 ended           ${last.status}${last.reason ? `: ${last.reason}` : ''}`);
  if (last.rollback?.trafficRestoredMs !== undefined) {
    console.log(
      `rollback           100% of traffic back on v2 in ${last.rollback.trafficRestoredMs} ms (one router call)`,
    );
  }
  console.log(`serving now        ${state.fleet?.revision.label ?? 'nothing'}`);
  for (const [label, ms] of timings) console.log(`time ${label.padEnd(26)} ${(ms / 1000).toFixed(1)} s`);
  console.log(`demo total         ${((Date.now() - demoStarted) / 1000).toFixed(1)} s`);
  const okEnding = v3 !== 0 && last.status === 'RolledBack' && state.fleet?.revision.label === 'v2';
  if (!okEnding) {
    console.error('demo: expected v3 to be rolled back to v2');
    exitCode = 1;
  }
} catch (err) {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  exitCode = 1;
} finally {
  await traffic?.stop();
  banner('down');
  await cli(['down', '--force']);
  if (!process.env.CONVEYOR_DEMO_KEEP) rmSync(work, { recursive: true, force: true });
}
process.exit(exitCode);
