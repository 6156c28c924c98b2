/**
 * Everyday operator sequences outside the happy path (issue #12): stop the fleet and deploy again, survive
 * a killed router, bring a stopped group back. Each checks what a user would: which revision answers and whether
 * `status` says what the router does (traffic during rollbacks and switches: operations-traffic.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  killAndWait,
  routerState,
  routerTable,
  SLOW,
  sample,
  status,
  useGroups,
  waitFor,
} from './helpers.js';

const group = useGroups(2);

const PAUSED_CANARY = 'strategy:\n  type: canary\n  steps:\n    - setWeight: 50\n    - pause: {}';

describe('operator sequences on the local fleet', () => {
  it(
    'down, then deploy again: a fresh fleet serves, status and the router agree (no canary against a stopped fleet)',
    async () => {
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
        45_000,
      );
      expect(s.router).toEqual(await routerTable(f));
      expect((s.deployment as unknown as { traffic: unknown }).traffic).toEqual(await routerTable(f));
      expect(await sample(f, 12)).toEqual({ v1: 12 });
      const text = (await f.cli(['status'])).stdout;
      expect(text).toMatch(/traffic +stable 100% v1 \[a-1, a-2\]/);
    },
    SLOW,
  );

  it(
    'down, then up: the last good fleet serves again from the recorded state; down lists only what ran',
    async () => {
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
    },
    SLOW,
  );

  it(
    'a router killed with SIGKILL comes back by itself with its table; with its supervisor gone too, status gives the remedy and up restores it',
    async () => {
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
    },
    SLOW,
  );
});
