import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type GroupFixture, makeGroup, preloadCli, SLOW, sample, waitFor } from './helpers.js';

const fixtures: GroupFixture[] = [];
preloadCli();
afterEach(async () => {
  for (const f of fixtures.splice(0)) await f.cleanup();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('strategies on real processes', () => {
  // Two deployments of two instances, a promote and a 2 s termination wait: ~23 s alone at load 20+, and it
  // once passed 30 s in a full run there (SLOW bounds it all the same).
  it('blue/green waits for promote before the switch, keeps blue for the termination wait, then stops it', {
    timeout: SLOW,
  }, async () => {
    const f = makeGroup(
      'strategy:\n  type: blue-green\n  readyWait: {}\n  terminateBlueAfterSeconds: 2',
      '',
      { instances: 2 },
    );
    fixtures.push(f);
    expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
    const blue = [1, 2].map((n) =>
      Number(readFileSync(join(f.groupDir, 'instances', `a-${n}`, 'server.pid'), 'utf8')),
    );
    const started = await f.cli(['deploy', '--revision', f.rev('v2'), '--detach']);
    expect(started.code, started.stderr).toBe(0);
    const paused = await waitFor('the ready wait', async () => {
      const s = JSON.parse((await f.cli(['status', '--json'])).stdout);
      return s.deployment.status === 'Paused' ? s : undefined;
    });
    expect(paused.deployment.pausedReason).toBe('waiting for promote before the traffic switch');
    expect(await sample(f, 6)).toEqual({ v1: 6 });
    expect((await f.cli(['promote'])).code).toBe(0);
    await waitFor('the switch', async () => ((await sample(f, 1)).v2 ? true : undefined));
    // Blue is kept alive during the termination wait (looked at first: the wait is 2 s from the switch)...
    expect(blue.every(alive)).toBe(true);
    expect(await sample(f, 6)).toEqual({ v2: 6 });
    const watched = await f.cli(['status', '--watch']);
    expect(watched.code).toBe(0);
    // ...and stopped after it.
    await waitFor('blue to stop', async () => (blue.every((pid) => !alive(pid)) ? true : undefined), 5000);
  });

  it('--ignore-application-stop-failures gets past a previous revision whose ApplicationStop is broken, and says so', async () => {
    const f = makeGroup('strategy: all-at-once');
    fixtures.push(f);
    expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
    // v2 serves fine, but its ApplicationStop always fails: it blocks every later deployment.
    f.script('v2', 'stop.sh', 'echo "stop is broken" >&2; exit 1');
    expect((await f.cli(['deploy', '--revision', f.rev('v2')])).code).toBe(0);
    const blocked = await f.cli(['deploy', '--revision', f.rev('v3')]);
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toMatch(/ApplicationStop failed on a-1/);
    expect(await sample(f, 4)).toEqual({ v2: 4 });
    const forced = await f.cli(['deploy', '--revision', f.rev('v1'), '--ignore-application-stop-failures']);
    expect(forced.code, forced.stdout).toBe(0);
    expect(forced.stdout).toMatch(/override: ignoreApplicationStopFailures/);
    const s = JSON.parse((await f.cli(['status', '--json'])).stdout);
    expect(s.deployment.overrides).toContain('ignoreApplicationStopFailures');
    expect(await sample(f, 4)).toEqual({ v1: 4 });
  });

  it('rollback with nothing running redeploys the revision that was good before the current one', async () => {
    const f = makeGroup('strategy: canary\n', '');
    fixtures.push(f);
    expect((await f.cli(['deploy', '--revision', f.rev('v1'), '--strategy', 'all-at-once'])).code).toBe(0);
    expect((await f.cli(['deploy', '--revision', f.rev('v2'), '--strategy', 'all-at-once'])).code).toBe(0);
    const r = await f.cli(['rollback']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/rolling back v2 \(d-\w+\) to v1/);
    expect(await sample(f, 4)).toEqual({ v1: 4 });
    const history = JSON.parse((await f.cli(['history', '--json'])).stdout) as {
      revision: string;
      creator: string;
    }[];
    expect(history.map((h) => `${h.revision}:${h.creator}`)).toEqual(['v1:user', 'v2:user', 'v1:rollback']);
  });
});
