/**
 * What an operator sees when an `analysis.checks` command check has no data during a canary, on a real fleet:
 * the deployment pauses at the canary's weight and holds past its bake, `status` says why and what to type, and
 * each way out works — `promote` (on to 100%), `abort` (back to the old revision, rollback hooks run), the check
 * passing again (it resumes by itself), and a runner killed with -9 while paused (`up` and `status` say so,
 * `abort` still rolls back). The check is a script that reads a file the test writes: `pass`, or anything else
 * for no data (the script kills itself: a failed read, which the no-data policy's default turns into a pause).
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LedgerEvent } from '../../../src/deploy/events.js';
import {
  type GroupFixture,
  killAndWait,
  routerTable,
  running,
  SLOW,
  sample,
  status,
  useGroups,
  waitFor,
} from './helpers.js';

const group = useGroups(1);

/** 25% on the new revision for a 3 s bake, then all of it. */
const CANARY = 'strategy: { type: canary, percent: 25, intervalSeconds: 3 }';
const ROLLBACK_HOOKS = 'rollback:\n  hooks:\n    beforeRollback: before.sh\n    afterRollback: after.sh\n';
const NO_DATA = /^check smoke inconclusive: smoke: measurement failed: killed by SIGKILL$/;

const SMOKE = `#!/bin/sh
# The operator's smoke test: judges the canary only once there is something to judge.
mode=$(cat "$(dirname "$0")/smoke-mode" 2>/dev/null)
if [ "$mode" = pass ]; then echo "smoke: 12 of 12 orders for $CONVEYOR_CANARY_REVISION"; exit 0; fi
echo "smoke: no orders yet for $CONVEYOR_CANARY_REVISION"
kill -9 $$
`;

/** A canary group whose only check is the smoke script (its mode file starts at `pass`), with rollback hooks. */
function checkedGroup(
  { errorLimit }: { errorLimit?: number } = { errorLimit: 1000 },
): GroupFixture & { mode(m: 'pass' | 'no-data'): void; rollbackLog(): string[] } {
  const f = group(CANARY, ROLLBACK_HOOKS);
  const script = join(f.dir, 'smoke.sh');
  writeFileSync(script, SMOKE);
  chmodSync(script, 0o755);
  for (const name of ['before', 'after']) {
    writeFileSync(
      join(f.dir, `${name}.sh`),
      `#!/bin/sh\necho "${name} $CONVEYOR_ROLLBACK_TRIGGER: $CONVEYOR_ROLLBACK_REASON" >> "$(dirname "$0")/rollback.log"\n`,
    );
    chmodSync(join(f.dir, `${name}.sh`), 0o755);
  }
  writeFileSync(
    f.config,
    readFileSync(f.config, 'utf8').replace(
      '  noDataPolicy: pass\n',
      [
        '  noDataPolicy: pass',
        '  checks:',
        '    - name: smoke',
        '      provider: command',
        // argv, no shell: a shell between would report the script's SIGKILL as its own exit code 137.
        `      command: [${JSON.stringify(script)}]`,
        '      intervalSeconds: 0.5',
        '      timeoutSeconds: 5',
        // Failed reads in a row would fail the check after 3 (the default): this pause is for a person.
        ...(errorLimit === undefined ? [] : [`      measurementErrorLimit: ${errorLimit}`]),
        '',
      ].join('\n'),
    ),
  );
  const mode = (m: 'pass' | 'no-data') => writeFileSync(join(f.dir, 'smoke-mode'), `${m}\n`);
  mode('pass');
  const rollbackLog = () => {
    const file = join(f.dir, 'rollback.log');
    return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
  };
  return Object.assign(f, { mode, rollbackLog });
}

interface Paused {
  id: string;
  runnerPid: number;
  bakeUntil: number;
}

/** v1 serves; v2 is deployed detached while the smoke check has no data, and the test waits for its pause. */
async function pausedCanary(f: ReturnType<typeof checkedGroup>): Promise<Paused> {
  const v1 = await f.cli(['deploy', '--revision', f.rev('v1')]);
  expect(v1.code, v1.stdout + v1.stderr).toBe(0);
  f.mode('no-data');
  const started = await f.cli(['deploy', '--revision', f.rev('v2'), '--detach', '--json']);
  expect(started.code, started.stderr).toBe(0);
  const { deploymentId: id, pid: runnerPid } = JSON.parse(started.stdout.trim().split('\n').pop()!) as {
    deploymentId: string;
    pid: number;
  };
  const s = await waitFor(
    'the check to pause the deployment',
    async () => {
      const x = await status(f);
      if (x.deployment.status === 'RolledBack' || x.deployment.status === 'Succeeded')
        throw new Error(
          `the deployment ended ${x.deployment.status} instead of pausing: ${x.deployment.reason}`,
        );
      return x.deployment.status === 'Paused' ? x : undefined;
    },
    45_000,
  );
  expect(s.deployment.id).toBe(id);
  expect((s.deployment as { pausedReason?: string }).pausedReason).toMatch(NO_DATA);
  expect(s.runner).toEqual({ alive: true, pid: runnerPid });
  return { id, runnerPid, bakeUntil: s.deployment.bakeUntil! };
}

/** The canary's split, read by requests through the router: both revisions answer, nothing fails. */
async function expectCanarySplit(f: GroupFixture): Promise<void> {
  expect(await routerTable(f)).toEqual({ stable: ['a-1'], canary: ['b-1'], canaryWeight: 25 });
  const seen = await sample(f, 40);
  expect(Object.keys(seen).sort()).toEqual(['v1', 'v2']);
  // The router splits by smooth weights: 10 of 40 at 25%; a margin for requests the router retried elsewhere.
  expect(seen.v2).toBeGreaterThanOrEqual(6);
  expect(seen.v2).toBeLessThanOrEqual(14);
}

async function events(f: GroupFixture): Promise<LedgerEvent[]> {
  return (JSON.parse((await f.cli(['status', '--json'])).stdout) as { events: LedgerEvent[] }).events;
}

async function until(f: GroupFixture, wanted: string, timeoutMs = 30_000) {
  return waitFor(
    `the deployment to end ${wanted}`,
    async () => {
      const x = await status(f);
      return x.deployment.status === wanted ? x : undefined;
    },
    timeoutMs,
  );
}

describe('a command check with no data pauses a canary on the local fleet', () => {
  it(
    'holds 25% past the bake, status says why and what to type; promote takes it to 100% of v2',
    async () => {
      const f = checkedGroup();
      const p = await pausedCanary(f);
      // Past the bake's deadline it still holds: the pause is the check's, not the bake's.
      await new Promise((r) => setTimeout(r, Math.max(0, p.bakeUntil - Date.now()) + 1500));
      const held = await status(f);
      expect(held.deployment.status).toBe('Paused');
      expect(held.router).toEqual(await routerTable(f));
      await expectCanarySplit(f);

      const text = (await f.cli(['status'])).stdout;
      expect(text).toMatch(new RegExp(`^deployment ${p.id} {2}Paused$`, 'm'));
      expect(text).toMatch(/^ {2}step +4\/8 bake for 3s$/m);
      expect(text).toMatch(/^ {2}traffic +stable 75% v1 \[a-1\] · new 25% v2 \[b-1\]$/m);
      expect(text).toMatch(
        /^ {2}paused +check smoke inconclusive: smoke: measurement failed: killed by SIGKILL$/m,
      );
      expect(text).toMatch(/^ {2}check +smoke inconclusive: /m);
      // What to type next, however many readings the check made since it paused.
      expect(text).toContain(
        [
          `  runner     running (pid ${p.runnerPid})`,
          `  next       conveyor promote ${p.id} --config group.yml  (--full: to the end)`,
          `             conveyor abort ${p.id} --config group.yml  (roll back)`,
        ].join('\n'),
      );

      const promote = await f.cli(['promote', p.id]);
      expect(promote.code, promote.stderr).toBe(0);
      expect(promote.stdout).toBe(`promote requested for ${p.id} (Paused)\n`);
      expect(promote.stderr).toBe('');
      const done = await until(f, 'Succeeded');
      expect(done.router).toEqual(await routerTable(f));
      expect(await routerTable(f)).toEqual({ stable: ['b-1'], canary: [], canaryWeight: 0 });
      expect(await sample(f, 12)).toEqual({ v2: 12 });
      const resumed = (await events(f)).filter((e) => e.type === 'resumed');
      expect(resumed).toEqual([expect.objectContaining({ by: 'promote' })]);
      expect(f.rollbackLog()).toEqual([]);
      expect(running(p.runnerPid)).toBe(false);
    },
    SLOW,
  );

  it(
    'abort from the pause: all traffic back on v1 at once, the rollback hooks run with the reason',
    async () => {
      const f = checkedGroup();
      const p = await pausedCanary(f);
      await expectCanarySplit(f);
      const abort = await f.cli(['abort', p.id]);
      expect(abort.code, abort.stdout + abort.stderr).toBe(0);
      expect(abort.stdout).toBe(`${p.id} RolledBack: aborted by user\n`);
      expect(await sample(f, 12)).toEqual({ v1: 12 });
      expect(await routerTable(f)).toEqual({ stable: ['a-1'], canary: [], canaryWeight: 0 });
      const s = await status(f);
      expect(s.deployment.status).toBe('RolledBack');
      expect(s.router).toEqual(await routerTable(f));
      expect(f.rollbackLog()).toEqual(['before abort: aborted by user', 'after abort: aborted by user']);
      await waitFor('the runner to exit', async () => (running(p.runnerPid) ? undefined : true));
    },
    SLOW,
  );

  it(
    'the check passes again: the deployment resumes by itself and finishes on v2, no one promoted it',
    async () => {
      const f = checkedGroup();
      const p = await pausedCanary(f);
      await expectCanarySplit(f);
      f.mode('pass');
      const done = await until(f, 'Succeeded');
      expect(done.router).toEqual(await routerTable(f));
      expect(await sample(f, 12)).toEqual({ v2: 12 });
      const all = await events(f);
      expect(all.filter((e) => e.type === 'resumed')).toEqual([expect.objectContaining({ by: 'gate' })]);
      expect(all.filter((e) => e.type === 'promote-requested' || e.type === 'promoted')).toEqual([]);
      // The pass that resumed it is recorded with the script's own words.
      expect(all).toContainEqual(
        expect.objectContaining({
          type: 'verdict',
          check: 'smoke',
          result: 'pass',
          output: 'smoke: 12 of 12 orders for v2\n',
        }),
      );
      const text = (await f.cli(['status'])).stdout;
      expect(text).toMatch(new RegExp(`^deployment ${p.id} {2}Succeeded$`, 'm'));
      expect(f.rollbackLog()).toEqual([]);
    },
    SLOW,
  );

  it(
    'kill -9 of the runner while paused: traffic stays at 25%, up and status say the runner is gone, abort rolls back',
    async () => {
      const f = checkedGroup();
      const p = await pausedCanary(f);
      await killAndWait(p.runnerPid);
      // The data plane outlives the runner: the canary's split still serves, without errors.
      await expectCanarySplit(f);
      const s = await status(f);
      expect(s.deployment.status).toBe('Paused');
      expect(s.runner).toEqual({ alive: false, pid: p.runnerPid });
      const text = (await f.cli(['status'])).stdout;
      expect(text).toMatch(/^ {2}paused +check smoke inconclusive: /m);
      expect(text).toContain(
        `runner     NOT RUNNING (pid ${p.runnerPid} is gone): traffic stays as the router has it; resume with 'conveyor deploy --resume --config group.yml' or undo with 'conveyor rollback --config group.yml'`,
      );
      const up = await f.cli(['up']);
      expect(up.code).toBe(2);
      expect(up.stderr).toMatch(new RegExp(`deployment ${p.id} \\(v2\\) is Paused and its runner is gone`));
      expect(await routerTable(f)).toEqual({ stable: ['a-1'], canary: ['b-1'], canaryWeight: 25 });

      const abort = await f.cli(['abort']);
      expect(abort.code, abort.stdout + abort.stderr).toBe(0);
      expect(abort.stdout).toContain(`${p.id} RolledBack: aborted by user`);
      expect(await sample(f, 12)).toEqual({ v1: 12 });
      expect(await routerTable(f)).toEqual({ stable: ['a-1'], canary: [], canaryWeight: 0 });
      const after = await status(f);
      expect(after.deployment.status).toBe('RolledBack');
      expect(f.rollbackLog()).toEqual(['before abort: aborted by user', 'after abort: aborted by user']);
    },
    SLOW,
  );

  it(
    'with the default measurementErrorLimit the pause lasts two readings: the third failed read rolls back to v1',
    async () => {
      const f = checkedGroup({});
      expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
      f.mode('no-data');
      const r = await f.cli(['deploy', '--revision', f.rev('v2')], { signal: AbortSignal.timeout(30_000) });
      expect(r.code, r.stdout + r.stderr).toBe(1);
      // The operator saw the pause and why, then the rollback and why: the same check, three reads in a row.
      expect(r.stdout).toMatch(
        /paused: check smoke inconclusive: smoke: measurement failed: killed by SIGKILL \(continue with 'conveyor promote', undo with 'conveyor abort'\)/,
      );
      const s = await status(f);
      expect(s.deployment.status).toBe('RolledBack');
      expect(s.deployment.reason).toBe(
        'check smoke failed: smoke: measurement failed: killed by SIGKILL (3 in a row)',
      );
      expect(await sample(f, 12)).toEqual({ v1: 12 });
      expect(f.rollbackLog()).toEqual([
        `before gate: ${s.deployment.reason}`,
        `after gate: ${s.deployment.reason}`,
      ]);
    },
    SLOW,
  );
});
