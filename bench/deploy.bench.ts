/**
 * Deploy engine benchmarks on the real local fleet (3 instances, router, hook scripts):
 * 1. engine overhead of a 3-step canary with 1 s bakes: wall time minus configured bake time, per step;
 * 2. rollback latency: from the runner's decision (gate breach) to 100% of traffic on the stable fleet.
 * Targets (issue #3): < 1 s overhead per step; < 100 ms to restore traffic.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../src/cli/run-cli.js';
import { packageRoot } from '../src/core/paths.js';
import type { LedgerEvent } from '../src/deploy/events.js';
import { openGroup } from '../src/deploy/group.js';

function fixture(name: string, strategy: string, analysis: string) {
  const dir = mkdtempSync(join(tmpdir(), `conveyor-bench-${name}-`));
  for (const v of ['v1', 'v2', 'v3'])
    cpSync(join(packageRoot, 'examples', 'hello-web', v), join(dir, v), { recursive: true });
  const config = join(dir, 'group.yml');
  writeFileSync(
    config,
    `application: bench\ndeploymentGroup: ${name}\nprovider: local\nlocal:\n  instances: 3\n  routerPort: 0\nhealthCheck:\n  path: /health\n  intervalSeconds: 0.5\n${strategy}\n${analysis}\n`,
  );
  const quiet = { write: () => true };
  const cli = (args: string[]) =>
    runCli([...args, '--config', config], { stdout: quiet, stderr: quiet, cwd: dir });
  const events = () => openGroup(config, { cwd: dir }).ledger.read().events;
  const routerPort = () =>
    (
      JSON.parse(
        readFileSync(join(openGroup(config, { cwd: dir }).groupDir, 'router', 'router.pid'), 'utf8'),
      ) as { port: number }
    ).port;
  const cleanup = async () => {
    await cli(['down', '--force']);
    rmSync(dir, { recursive: true, force: true });
  };
  return { cli, events, routerPort, cleanup };
}

function of(events: LedgerEvent[], id: string) {
  return events.filter((e) => e.deploymentId === id);
}

async function overhead(): Promise<void> {
  const bakes = 3;
  const f = fixture(
    'overhead',
    'strategy:\n  type: canary\n  steps:\n    - setWeight: 10\n    - pause: { seconds: 1 }\n    - setWeight: 30\n    - pause: { seconds: 1 }\n    - setWeight: 60\n    - pause: { seconds: 1 }',
    '',
  );
  try {
    if ((await f.cli(['deploy', '--revision', 'v1'])) !== 0) throw new Error('v1 failed');
    const started = performance.now();
    if ((await f.cli(['deploy', '--revision', 'v2'])) !== 0) throw new Error('v2 failed');
    const wallMs = performance.now() - started;
    const all = f.events();
    const id = all.findLast((e) => e.type === 'created')!.deploymentId;
    const steps = of(all, id).filter((e) => e.type === 'step');
    let hooksMs = 0;
    let trafficStepsMs = 0;
    let bakeOverrunMs = 0;
    const created = all.findLast((e) => e.type === 'created');
    const plan = created && created.type === 'created' ? created.plan : undefined;
    for (const s of steps) {
      if (s.type !== 'step' || s.phase !== 'completed') continue;
      const start = steps.find((x) => x.type === 'step' && x.phase === 'started' && x.index === s.index);
      const ms = s.at - (start?.at ?? s.at);
      const step = plan?.steps[s.index];
      if (step?.kind === 'lifecycle' || step?.kind === 'healthCheck') hooksMs += ms;
      else if (step?.kind === 'pause') bakeOverrunMs += ms - (step.seconds ?? 0) * 1000;
      else trafficStepsMs += ms;
    }
    const configuredMs = bakes * 1000;
    const engineMs = wallMs - configuredMs - hooksMs;
    console.log(
      `canary 3 steps x 1 s bake, 3 instances: wall ${(wallMs / 1000).toFixed(2)} s, configured bake ${configuredMs / 1000} s`,
    );
    console.log(
      `  wall - bake                    ${(wallMs - configuredMs).toFixed(0)} ms (includes hook scripts and health checks: ${hooksMs} ms)`,
    );
    console.log(
      `  engine overhead (excl. hooks)  ${engineMs.toFixed(0)} ms total, ${(engineMs / bakes).toFixed(0)} ms per step`,
    );
    console.log(
      `    of which bake overrun ${bakeOverrunMs} ms, weight/switch/retire steps ${trafficStepsMs} ms`,
    );
    console.log(
      `  per-step engine overhead vs target 1000 ms: ${((engineMs / bakes / 1000) * 100).toFixed(1)}% of target` +
        ` | whole step minus bake ${((wallMs - configuredMs) / bakes).toFixed(0)} ms vs CodeDeploy's 60 s minimum step interval (${(60_000 / ((wallMs - configuredMs) / bakes)).toFixed(0)}x)`,
    );
  } finally {
    await f.cleanup();
  }
}

async function rollback(iterations = 3): Promise<void> {
  const f = fixture(
    'rollback',
    'strategy:\n  type: canary\n  steps:\n    - setWeight: 50\n    - pause: { seconds: 20 }',
    'analysis:\n  intervalSeconds: 0.5\n  maxErrorRate: 0.05\n  minRequests: 5\n  noDataPolicy: pass',
  );
  const decisionToTraffic: number[] = [];
  const routerCall: number[] = [];
  try {
    if ((await f.cli(['deploy', '--revision', 'v1'])) !== 0) throw new Error('v1 failed');
    const url = `http://127.0.0.1:${f.routerPort()}/`;
    for (let i = 0; i < iterations; i++) {
      let running = true;
      const load = (async () => {
        while (running) {
          await fetch(url)
            .then((r) => r.arrayBuffer())
            .catch(() => undefined);
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      await f.cli(['deploy', '--revision', 'v3']);
      running = false;
      await load;
      const all = f.events();
      const id = all.findLast((e) => e.type === 'created')!.deploymentId;
      const mine = of(all, id);
      const decided = mine.find((e) => e.type === 'rollback-started');
      const restored = mine.find(
        (e) => e.type === 'traffic' && e.at >= (decided?.at ?? 0) && e.table.canaryWeight === 0,
      );
      const finished = mine.find((e) => e.type === 'rollback-finished');
      if (!decided || !restored || !finished || finished.type !== 'rollback-finished')
        throw new Error('no rollback recorded');
      decisionToTraffic.push(restored.at - decided.at);
      routerCall.push(finished.trafficRestoredMs ?? Number.NaN);
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(`rollback (gate breach -> 100% traffic on stable), ${iterations} runs:`);
    console.log(
      `  decision -> traffic restored (ledger)  ${decisionToTraffic.join(', ')} ms; median ${med(decisionToTraffic)} ms`,
    );
    console.log(
      `  router call alone                      ${routerCall.join(', ')} ms; median ${med(routerCall)} ms`,
    );
    console.log(`  median vs target 100 ms: ${((med(decisionToTraffic) / 100) * 100).toFixed(0)}% of target`);
  } finally {
    await f.cleanup();
  }
}

export default async function bench(): Promise<void> {
  await overhead();
  await rollback();
}
