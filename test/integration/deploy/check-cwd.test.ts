/**
 * A command check's relative paths are the group file's, as a rollback hook's: `./check.sh` beside the group file
 * passes whichever folder the runner started in. This process's own working folder (the repository) is not the
 * group's, and the in-process CLI is told the group's folder only as an option, never by a chdir; so the
 * in-process runner, a detached one (started by `deploy --detach` from here) and a resumed one after the
 * detached runner was killed with -9 (`deploy --resume`) all run the check away from the script.
 */
import { chmodSync, existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LedgerEvent } from '../../../src/deploy/events.js';
import { killAndWait, routerTable, SLOW, status, useGroups, waitFor } from './helpers.js';

const group = useGroups(1);

const CHECKS = [
  '  noDataPolicy: pass',
  '  checks:',
  '    - name: shell',
  '      provider: command',
  '      command: ./check.sh shell',
  '      at: [pre-rollout, confirm-promotion, post-rollout]',
  '      timeoutSeconds: 10',
  '    - name: argv',
  '      provider: command',
  '      command: [./check.sh, argv]',
  '      at: [pre-rollout, confirm-promotion, post-rollout]',
  '      timeoutSeconds: 10',
  '',
].join('\n');

/** Notes in check.log (beside itself) which form ran it, in which folder, for which revision. */
const CHECK = `#!/bin/sh
echo "$1 $(pwd -P) $CONVEYOR_CANARY_REVISION" >> "$(dirname "$0")/check.log"
echo "$1 checked $CONVEYOR_CANARY_REVISION"
`;

type Verdict = Extract<LedgerEvent, { type: 'verdict' }>;

async function verdicts(f: { cli(args: string[]): Promise<{ stdout: string }> }, id: string) {
  const { events } = JSON.parse((await f.cli(['status', '--json'])).stdout) as { events: LedgerEvent[] };
  // The router gate's verdicts (no check name) are not these checks'.
  return events
    .filter((e): e is Verdict => e.type === 'verdict' && e.deploymentId === id && e.check !== undefined)
    .map((e) => `${e.check} ${e.point} ${e.result}`);
}

describe("command checks run in the group file's folder", () => {
  it(
    'in process, detached, and resumed after the detached runner was killed: ./check.sh passes in both forms',
    async () => {
      // 50% on v2 for a 6 s bake, then all of it: time to kill the detached runner mid-bake.
      const f = group('strategy: { type: canary, percent: 50, intervalSeconds: 6 }');
      const dir = realpathSync(f.dir);
      expect(realpathSync(process.cwd())).not.toBe(dir);
      writeFileSync(f.config, readFileSync(f.config, 'utf8').replace('  noDataPolicy: pass\n', CHECKS));
      writeFileSync(join(f.dir, 'check.sh'), CHECK);
      chmodSync(join(f.dir, 'check.sh'), 0o755);
      const log = () =>
        existsSync(join(f.dir, 'check.log'))
          ? readFileSync(join(f.dir, 'check.log'), 'utf8').trim().split('\n')
          : [];

      // In process: the runner is this process, whose cwd is the repository.
      const v1 = await f.cli(['deploy', '--revision', f.rev('v1'), '--json']);
      const s1 = await status(f);
      expect(s1.deployment.status, `${s1.deployment.reason}\n${v1.stderr}`).toBe('Succeeded');
      // The first deployment gives v1 all traffic in one step: confirmed before it, not pre-rolled.
      expect(await verdicts(f, s1.deployment.id)).toEqual([
        'shell confirm-promotion pass',
        'argv confirm-promotion pass',
        'shell post-rollout pass',
        'argv post-rollout pass',
      ]);
      expect(log()).toEqual([`shell ${dir} v1`, `argv ${dir} v1`, `shell ${dir} v1`, `argv ${dir} v1`]);

      // Detached (started from here, so with this cwd), killed mid-bake, then resumed in process.
      const started = await f.cli(['deploy', '--revision', f.rev('v2'), '--detach', '--json']);
      expect(started.code, started.stderr).toBe(0);
      const { deploymentId: id, pid } = JSON.parse(started.stdout.trim().split('\n').pop()!) as {
        deploymentId: string;
        pid: number;
      };
      // Killed before the ledger records the 50% step as done (the router moves first, the step's
      // completion is written after it), the resumed runner redoes that step and its pre-rollout checks.
      // So wait for the next step (the bake) to have started: the 50% step is then on record.
      await waitFor(
        'the canary at 50% and its step on record',
        async () => {
          if ((await routerTable(f)).canaryWeight !== 50) return undefined;
          const { events } = JSON.parse((await f.cli(['status', '--json'])).stdout) as {
            events: LedgerEvent[];
          };
          const moved = events.findIndex((e) => e.type === 'traffic' && e.table.canaryWeight === 50);
          return moved >= 0 && events.slice(moved).some((e) => e.type === 'step' && e.phase === 'started')
            ? true
            : undefined;
        },
        45_000,
      );
      await killAndWait(pid);
      expect(await verdicts(f, id)).toEqual(['shell pre-rollout pass', 'argv pre-rollout pass']);
      const resumed = await f.cli(['deploy', '--resume']);
      const s2 = await status(f);
      expect(s2.deployment.id).toBe(id);
      expect(s2.deployment.status, `${s2.deployment.reason}\n${resumed.stderr}`).toBe('Succeeded');
      expect(await verdicts(f, id)).toEqual([
        'shell pre-rollout pass',
        'argv pre-rollout pass',
        'shell confirm-promotion pass',
        'argv confirm-promotion pass',
        'shell post-rollout pass',
        'argv post-rollout pass',
      ]);
      expect(log().slice(4)).toEqual([
        `shell ${dir} v2`,
        `argv ${dir} v2`,
        `shell ${dir} v2`,
        `argv ${dir} v2`,
        `shell ${dir} v2`,
        `argv ${dir} v2`,
      ]);
    },
    SLOW,
  );
});
