/**
 * Traffic during everyday operations (issue #12): a rollback with nothing in progress, an all-at-once deploy and a
 * blue/green ready wait — no request fails that need not, and traffic lines and `status` name what actually serves.
 */
import { describe, expect, it } from 'vitest';
import { routerTable, SLOW, sample, status, underTraffic, useGroups, waitFor } from './helpers.js';

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
});
