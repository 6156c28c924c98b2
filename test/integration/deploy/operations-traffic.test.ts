/**
 * Traffic during everyday operations (issue #12): a rollback with nothing in progress, an all-at-once deploy and a
 * blue/green ready wait — no request fails that need not, and traffic lines and `status` name what actually serves.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  killAndWait,
  routerState,
  routerTable,
  running,
  SLOW,
  sample,
  serverPid,
  status,
  underTraffic,
  useGroups,
  waitFor,
} from './helpers.js';

const group = useGroups(2);

describe('traffic during operations on the local fleet', () => {
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
    SLOW,
  );

  it(
    'an in-place deploy replaces a dead instance first: kill -9 of one, then one-at-a-time never leaves zero capacity (seed 5019)',
    async () => {
      const f = group('strategy: one-at-a-time');
      expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
      const pid = serverPid(f, 'a-2');
      process.kill(pid, 'SIGKILL');
      await waitFor('a-2 to die', async () => (running(pid) ? undefined : true));
      // The router notices too, so requests before the deploy do not count against it.
      await waitFor('the router to mark a-2 unhealthy', async () =>
        (await routerState(f)).upstreams.some((u) => u.id === 'a-2' && !u.healthy) ? true : undefined,
      );
      const { result, served, capacity } = await underTraffic(
        f,
        f.cli(['deploy', '--revision', f.rev('v2')]),
      );
      expect(result.code, result.stdout + result.stderr).toBe(0);
      // Before the fix a-1, the only healthy instance, went first: 503 no-healthy-upstream for seconds.
      expect(served.filter((s) => s.status !== 200)).toEqual([]);
      expect(served.length).toBeGreaterThan(10);
      expect(capacity.filter((c) => c.serving.length === 0)).toEqual([]);
      const batches = result.stdout.match(/in-place batch \d \[a-\d\]/g) ?? [];
      expect(batches[0]).toBe('in-place batch 1 [a-2]');
      expect(await sample(f, 10)).toEqual({ v2: 10 });
    },
    SLOW,
  );

  it(
    'after an all-at-once deploy, deploy and status name the revision the router serves, and where it answers',
    async () => {
      const f = group('strategy: all-at-once');
      expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
      // All at once takes every instance out together: the router says so, not that nothing was ever configured.
      const refusals: string[] = [];
      let deploying = true;
      const loop = (async () => {
        while (deploying) {
          const res = await fetch(`http://127.0.0.1:${f.routerPort()}/`).catch(() => undefined);
          if (res && res.status !== 200)
            refusals.push(`${res.status} ${res.headers.get('x-conveyor-error')}`);
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
    },
    SLOW,
  );

  it(
    'blue/green ready wait: the green fleet takes test traffic by header before the switch; status tells the truth',
    async () => {
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
    },
    SLOW,
  );

  it(
    'soak seed 12004: blue/green wait, kill -9 of the router and the runner, up refused, down, abort: blue starts again and serves',
    async () => {
      // The sequence `npm run soak -- --seed 12004 --count 1 --length 6` runs, on the seed's fleet of 2.
      const f = group('strategy: all-at-once');
      expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
      writeFileSync(
        f.config,
        readFileSync(f.config, 'utf8').replace(
          /^strategy:.*$/m,
          'strategy: { type: blue-green, readyWait: {}, terminateBlueAfterSeconds: 0 }',
        ),
      );
      const started = await f.cli(['deploy', '--revision', f.rev('v2'), '--detach', '--json']);
      expect(started.code, started.stderr).toBe(0);
      const { deploymentId, pid: runner } = JSON.parse(started.stdout.trim().split('\n').pop()!) as {
        deploymentId: string;
        pid: number;
      };
      await waitFor('the ready wait', async () =>
        (await status(f)).deployment.status === 'Paused' ? true : undefined,
      );

      // Blue keeps serving through a killed router (its supervisor starts it again), a killed runner and `up`.
      const crashes = await underTraffic(
        f,
        (async () => {
          const first = (await routerState(f)).pid;
          await killAndWait(first);
          await waitFor('the supervised router to come back', async () => {
            const s = await routerState(f).catch(() => undefined);
            return s && s.pid !== first ? true : undefined;
          });
          const backAt = Date.now();
          await killAndWait(runner);
          const up = await f.cli(['up']);
          return { backAt, up, answers: await sample(f, 10) };
        })(),
      );
      const { backAt, up, answers } = crashes.result;
      expect(answers).toEqual({ v1: 10 });
      // Only while no router ran may a request fail, and then only by a refused connection, never an answer.
      expect(crashes.served.filter((s) => s.status !== 200 && s.status !== 'error')).toEqual([]);
      const afterBack = crashes.served.filter((s) => s.at >= backAt);
      expect(afterBack.length).toBeGreaterThan(0);
      expect(afterBack.filter((s) => s.status !== 200 || s.revision !== 'v1')).toEqual([]);
      expect(up.code).toBe(2);
      expect(up.stderr).toMatch(
        new RegExp(`deployment ${deploymentId} \\(v2\\) is Paused and its runner is gone`),
      );
      const paused = await status(f);
      expect(paused.deployment.status).toBe('Paused');
      expect(paused.runner.alive).toBe(false);
      expect(paused.router).toEqual(await routerTable(f));

      // down stops both fleets: blue serving and green waiting (the runner that would have cleaned up is gone).
      const down = await f.cli(['down', '--json']);
      expect(down.code, down.stdout + down.stderr).toBe(0);
      expect(JSON.parse(down.stdout)).toEqual({
        stopped: ['router', 'instance a-1', 'instance a-2', 'instance b-1', 'instance b-2'],
      });

      const abort = await underTraffic(f, f.cli(['abort']));
      expect(abort.result.code, abort.result.stdout + abort.result.stderr).toBe(0);
      expect(abort.result.stdout).toContain(`${deploymentId} RolledBack: aborted by user`);
      // Nothing serves after down until the abort brings blue back; once it answers, it keeps answering.
      const firstOk = abort.served.findIndex((s) => s.status === 200);
      expect(abort.served.filter((s) => s.revision === 'v2')).toEqual([]);
      if (firstOk >= 0)
        expect(abort.served.slice(firstOk).filter((s) => s.status !== 200 || s.revision !== 'v1')).toEqual(
          [],
        );
      // Before the fix traffic went back to a-1, a-2 while neither ran: every request a 503 no-healthy-upstream.
      expect(await sample(f, 12)).toEqual({ v1: 12 });
      const s = await status(f);
      expect(s.deployment.status).toBe('RolledBack');
      expect(s.router).toEqual({ stable: ['a-1', 'a-2'], canary: [], canaryWeight: 0 });
      expect(s.router).toEqual(await routerTable(f));
      expect((await routerState(f)).upstreams.filter((u) => u.healthy).map((u) => u.id)).toEqual(
        expect.arrayContaining(['a-1', 'a-2']),
      );
      expect((await f.cli(['status'])).stdout).toMatch(/traffic +stable 100% v1 \[a-1, a-2\]/);
    },
    SLOW,
  );
});
