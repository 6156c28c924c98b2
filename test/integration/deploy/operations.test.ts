/**
 * Everyday operator sequences outside the happy path (issue #12): stop the fleet and deploy again, roll back while
 * nothing runs, bring a stopped group back. Each checks what a user would: which revision answers, whether any
 * request failed, and whether `status` says what the router does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type GroupFixture,
  makeGroup,
  routerState,
  running,
  sample,
  status,
  underTraffic,
  waitFor,
} from './helpers.js';

const fixtures: GroupFixture[] = [];
afterEach(async () => {
  for (const f of fixtures.splice(0)) await f.cleanup();
});
function group(strategy: string, extra = '', instances = 2) {
  const f = makeGroup(strategy, extra, { instances });
  fixtures.push(f);
  return f;
}

const PAUSED_CANARY = 'strategy:\n  type: canary\n  steps:\n    - setWeight: 50\n    - pause: {}';

async function killAndWait(pid: number) {
  process.kill(pid, 'SIGKILL');
  await waitFor(`pid ${pid} to die`, async () => (running(pid) ? undefined : true));
}

/** The router's table as ids, sorted, to compare with what status reports. */
async function routerTable(f: GroupFixture) {
  const t = (await routerState(f)).table;
  return {
    stable: t.stable.map((u) => u.id).sort(),
    canary: t.canary.map((u) => u.id).sort(),
    canaryWeight: t.canaryWeight,
  };
}

describe('operator sequences on the local fleet', () => {
  it('down, then deploy again: a fresh fleet serves, status and the router agree (no canary against a stopped fleet)', async () => {
    const f = group(PAUSED_CANARY);
    {
      const r1 = await f.cli(['deploy', '--revision', f.rev('v1')]);
      expect(r1.code, r1.stdout + r1.stderr).toBe(0);
    }
    const v2 = await f.cli(['deploy', '--revision', f.rev('v2'), '--detach', '--json']);
    const { deploymentId } = JSON.parse(v2.stdout) as { deploymentId: string };
    await waitFor('Paused', async () =>
      (await status(f)).deployment.status === 'Paused' ? true : undefined,
    );
    expect((await f.cli(['promote', deploymentId, '--full'])).code).toBe(0);
    await waitFor('v2 Succeeded', async () =>
      (await status(f)).deployment.status === 'Succeeded' ? true : undefined,
    );
    const down = await f.cli(['down']);
    expect(down.code, down.stderr).toBe(0);
    const again = await f.cli(['deploy', '--revision', f.rev('v1'), '--detach', '--json']);
    expect(again.code, again.stderr).toBe(0);
    // Nothing serves after `down`, so there is nothing to canary against: the deployment installs and switches.
    const s = await waitFor(
      'the deployment after down to finish',
      async () => {
        const x = await status(f);
        return x.deployment.status === 'Succeeded' ? x : undefined;
      },
      20_000,
    );
    expect(s.router).toEqual(await routerTable(f));
    expect((s.deployment as unknown as { traffic: unknown }).traffic).toEqual(await routerTable(f));
    expect(await sample(f, 12)).toEqual({ v1: 12 });
    const text = (await f.cli(['status'])).stdout;
    expect(text).toMatch(/traffic +stable 100% v1 \[a-1, a-2\]/);
  });

  it.each([
    ['one-at-a-time', 'strategy: one-at-a-time'],
    ['canary', 'strategy: { type: canary, percent: 50, intervalSeconds: 1 }'],
  ])(
    'rollback with nothing in progress (%s) keeps serving throughout and labels traffic with the revision that runs',
    async (_name, strategy) => {
      const f = group(strategy);
      expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
      expect((await f.cli(['deploy', '--revision', f.rev('v2')])).code).toBe(0);
      const { result, served } = await underTraffic(f, f.cli(['rollback']));
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toMatch(/rolling back v2 \(d-\w+\) to v1/);
      expect(result.stdout).not.toMatch(/no instance in service/);
      expect(served.filter((s) => s.status !== 200)).toEqual([]);
      expect(served.length).toBeGreaterThan(10);
      expect(await sample(f, 10)).toEqual({ v1: 10 });
      // Every traffic line names what its instances run: v2 until a batch is back on v1, never v2 for a v1 instance.
      const lines = result.stdout.split('\n').filter((l) => l.includes('traffic: stable'));
      expect(lines[lines.length - 1]).toMatch(/stable 100% v1 \[/);
      if (strategy.includes('one-at-a-time')) {
        expect(lines).toContainEqual(expect.stringMatching(/stable 100% v1\+v2 \[a-1, a-2\]/));
        expect(lines.some((l) => /stable 100% v2 \[a-1, a-2\]/.test(l))).toBe(false);
      }
      const s = await f.cli(['status']);
      expect(s.stdout).toMatch(/traffic +stable 100% v1 \[/);
      // The newest good revision other than the serving one was v1; a second rollback has nowhere to go.
      const again = await f.cli(['rollback']);
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/no earlier successful revision/);
    },
  );

  it('down, then up: the last good fleet serves again from the recorded state; down lists only what ran', async () => {
    const f = group('strategy: { type: canary, percent: 50, intervalSeconds: 1 }');
    expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
    expect((await f.cli(['deploy', '--revision', f.rev('v2')])).code).toBe(0);
    const down = await f.cli(['down', '--json']);
    expect(JSON.parse(down.stdout)).toEqual({ stopped: ['router', 'instance b-1', 'instance b-2'] });
    expect((await f.cli(['status'])).stdout).toMatch(/traffic +no instance in service/);
    const again = await f.cli(['down', '--json']);
    expect(JSON.parse(again.stdout)).toEqual({ stopped: [] });
    const up = await f.cli(['up']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/up: v2 serves on \[b-1, b-2\] \(started b-1, b-2\)/);
    expect(up.stdout).toMatch(/serving at http:\/\/127\.0\.0\.1:\d+/);
    expect(await sample(f, 10)).toEqual({ v2: 10 });
    const s = await status(f);
    expect(s.router).toEqual(await routerTable(f));
    expect((await f.cli(['status'])).stdout).toMatch(/traffic +stable 100% v2 \[b-1, b-2\]/);
    expect((await f.cli(['history', '--json'])).stdout).not.toMatch(/"creator":"up"/);
  });

  it('a router killed with SIGKILL comes back by itself with its table; with its supervisor gone too, status gives the remedy and up restores it', async () => {
    const f = group('strategy: all-at-once', '', 1);
    expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
    const first = (await routerState(f)).pid;
    await killAndWait(first);
    const back = await waitFor('the supervised router to come back', async () => {
      const s = await routerState(f).catch(() => undefined);
      return s && s.pid !== first ? s : undefined;
    });
    expect(back.table.stable.map((u) => u.id)).toEqual(['a-1']);
    expect(await sample(f, 5)).toEqual({ v1: 5 });
    // A reboot, or both killed: nothing restarts it until `conveyor up`.
    const supervisor = Number(readFileSync(join(f.groupDir, 'router', 'router-supervisor.pid'), 'utf8'));
    await killAndWait(supervisor);
    await killAndWait(back.pid);
    const text = (await f.cli(['status'])).stdout;
    expect(text).toMatch(
      /router +NOT RUNNING: requests are refused; start it again with 'conveyor up --config /,
    );
    const up = await f.cli(['up', '--json']);
    expect(up.code, up.stderr).toBe(0);
    expect(JSON.parse(up.stdout)).toMatchObject({ revision: 'v1', instances: ['a-1'], started: [] });
    expect(await sample(f, 5)).toEqual({ v1: 5 });
  });

  it('after an all-at-once deploy, deploy and status name the revision the router serves, and where it answers', async () => {
    const f = group('strategy: all-at-once');
    expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
    // All at once takes every instance out together: the router says so, not that nothing was ever configured.
    const refusals: string[] = [];
    let deploying = true;
    const loop = (async () => {
      while (deploying) {
        const res = await fetch(`http://127.0.0.1:${f.routerPort()}/`).catch(() => undefined);
        if (res && res.status !== 200) refusals.push(`${res.status} ${res.headers.get('x-conveyor-error')}`);
        await res?.arrayBuffer();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const r = await f.cli(['deploy', '--revision', f.rev('v2')]).finally(() => (deploying = false));
    await loop;
    expect(r.code, r.stderr).toBe(0);
    expect(refusals.length).toBeGreaterThan(0);
    expect(new Set(refusals)).toEqual(new Set(['503 no-instance-in-service']));
    const traffic = r.stdout.split('\n').filter((l) => l.includes('traffic: stable'));
    expect(traffic[traffic.length - 1]).toMatch(/stable 100% v2 \[a-1, a-2\]$/);
    const url = `http://127.0.0.1:${f.routerPort()}`;
    expect(r.stdout).toContain(`serving at ${url}\n`);
    expect(await sample(f, 6)).toEqual({ v2: 6 });
    const text = (await f.cli(['status'])).stdout;
    expect(text).toMatch(/traffic +stable 100% v2 \[a-1, a-2\]/);
    expect(text).toMatch(/router +stable 100% v2 \[a-1, a-2\]/);
    expect(text).toContain(`url        ${url}`);
    const json = JSON.parse((await f.cli(['status', '--json'])).stdout);
    expect(json).toMatchObject({ url, routerRevisions: { stable: 'v2' } });
  });

  it('blue/green ready wait: the green fleet takes test traffic by header before the switch; status tells the truth', async () => {
    const f = group('strategy: { type: blue-green, readyWait: {} }', '', 1);
    expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
    const started = await f.cli(['deploy', '--revision', f.rev('v2'), '--detach', '--json']);
    expect(started.code, started.stderr).toBe(0);
    await waitFor('the ready wait', async () =>
      (await status(f)).deployment.status === 'Paused' ? true : undefined,
    );
    const url = `http://127.0.0.1:${f.routerPort()}/`;
    const forced = await fetch(url, { headers: { 'x-conveyor-canary': '1' } });
    expect(forced.status, await forced.text()).toBe(200);
    expect(forced.headers.get('x-revision')).toBe('v2');
    expect(await sample(f, 10)).toEqual({ v1: 10 });
    const text = (await f.cli(['status'])).stdout;
    expect(text).toMatch(
      /traffic +stable 100% v1 \[a-1\] · new 0% v2 \[b-1\] \(test traffic only: header x-conveyor-canary: 1\)/,
    );
    expect((await status(f)).router).toEqual(await routerTable(f));
    const aborted = await f.cli(['abort']);
    expect(aborted.code, aborted.stderr).toBe(0);
    await waitFor('RolledBack', async () =>
      (await status(f)).deployment.status === 'RolledBack' ? true : undefined,
    );
    expect(await sample(f, 10)).toEqual({ v1: 10 });
    expect(await routerTable(f)).toEqual({ stable: ['a-1'], canary: [], canaryWeight: 0 });
  });
});
