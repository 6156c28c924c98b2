/**
 * Instance agent overhead: what running a hook through the agent costs over a bare spawn of the same script,
 * and the wall time of a whole in-place lifecycle with trivial hooks (the floor a deployment step pays).
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lifecycleSequence, SCRIPTABLE_EVENTS } from '../src/deploy/lifecycle-events.js';
import { runInstanceLifecycle } from '../src/providers/local/agent/instance-agent.js';
import { runHookScripts } from '../src/providers/local/agent/scripts.js';

const deployment = { id: 'd-BENCH', applicationName: 'bench', groupName: 'bench', groupId: 'bench' };

function bareSpawn(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, [], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', () => resolve());
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export default async function bench(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'conveyor-agent-bench-'));
  try {
    const revision = join(dir, 'revision');
    await mkdir(join(revision, 'scripts'), { recursive: true });
    await mkdir(join(revision, 'app'), { recursive: true });
    for (let i = 0; i < 20; i++) await writeFile(join(revision, 'app', `file-${i}.txt`), 'x'.repeat(1000));
    const script = join(revision, 'scripts', 'noop.sh');
    await writeFile(script, '#!/bin/sh\nexit 0\n');
    await chmod(script, 0o755);
    const hooks = SCRIPTABLE_EVENTS.map((e) => `  ${e}:\n    - location: scripts/noop.sh`).join('\n');
    await writeFile(
      join(revision, 'appspec.yml'),
      `version: 0.0\nos: linux\nfiles:\n  - source: app\n    destination: /srv/app\nfile_exists_behavior: OVERWRITE\nhooks:\n${hooks}\n`,
    );

    const runs = 30;
    const bare: number[] = [];
    const agent: number[] = [];
    for (let i = 0; i < runs; i++) {
      let t = performance.now();
      await bareSpawn(script);
      bare.push(performance.now() - t);
      t = performance.now();
      await runHookScripts({
        event: 'AfterInstall',
        scripts: [{ location: 'scripts/noop.sh' }],
        scriptRoot: revision,
        deployment,
        logFile: join(dir, 'logs', 'AfterInstall.log'),
      });
      agent.push(performance.now() - t);
    }
    const bareMs = median(bare);
    const agentMs = median(agent);
    console.log(
      `one hook script: bare spawn ${bareMs.toFixed(1)} ms, through the agent ${agentMs.toFixed(1)} ms ` +
        `(x${(agentMs / bareMs).toFixed(2)}, +${(agentMs - bareMs).toFixed(1)} ms), median of ${runs}`,
    );

    const instances = 3;
    const lifecycles: number[] = [];
    for (let round = 0; round < 5; round++) {
      const t = performance.now();
      await Promise.all(
        Array.from({ length: instances }, (_, i) =>
          runInstanceLifecycle({
            instance: { id: `i-${i}`, root: join(dir, `instance-${i}`), port: 0 },
            deployment: { ...deployment, id: `d-${round}` },
            newRevision: { dir: revision },
            events: lifecycleSequence({ deploymentType: 'in-place', withTraffic: true }),
            onTrafficEvent: async () => {},
          }).then((r) => {
            if (!r.ok) throw new Error(r.message);
          }),
        ),
      );
      lifecycles.push(performance.now() - t);
    }
    const lifecycleMs = median(lifecycles.slice(1));
    console.log(
      `in-place lifecycle, 13 events (9 no-op hooks, 20 files) on ${instances} instances in parallel: ` +
        `${lifecycleMs.toFixed(0)} ms wall (median of 4 after a warm-up), ` +
        `${(lifecycleMs / 13).toFixed(1)} ms per event on average`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
