/**
 * A detached runner killed with -9 while a command check runs cannot kill the check's process group: the smoke test
 * (here a shell waiting on `sleep 600`) would live on, holding ports and files, after the deployment was resumed or
 * undone. The runner records the group while it waits on it; whoever takes the group over next kills it first:
 * `deploy --resume`, `abort` (which rolls back itself, the runner being gone) and `down`.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readCheckProcesses } from '../../../src/deploy/checks/check-processes.js';
import { type GroupFixture, killAndWait, running, SLOW, status, useGroups, waitFor } from './helpers.js';

const group = useGroups(1);

/** Passes at once, except the one time the test asks it to hang (a `hang` file beside it). */
const SMOKE = `#!/bin/sh
d=$(dirname "$0")
if [ ! -e "$d/hang" ]; then echo "smoke: ok"; exit 0; fi
rm -f "$d/hang"
sleep 600 &
echo "$$ $!" > "$d/check.pids"
wait
`;

const CHECK = [
  '  noDataPolicy: pass',
  '  checks:',
  '    - name: smoke',
  '      provider: command',
  '      command: [./smoke.sh]',
  '      at: [pre-rollout]',
  // Long enough that only the runner's death could end it within the test.
  '      timeoutSeconds: 600',
  '',
].join('\n');

/** The check's processes: the shell (its group's leader) and the sleep it waits on. */
interface CheckProcesses {
  leader: number;
  sleeper: number;
}

const leftovers: CheckProcesses[] = [];
afterEach(() => {
  // Killed by the test itself when the code under test did not (the old code never did): nothing outlives a test.
  for (const p of leftovers.splice(0)) {
    try {
      process.kill(-p.leader, 'SIGKILL');
    } catch {
      // Gone, as it should be.
    }
  }
});

/**
 * v1 serves; v2 is deployed by a detached runner whose pre-rollout check hangs; the runner is killed with -9 while
 * it waits on the check. Returns the deployment and the check's processes, still running.
 */
async function runnerKilledMidCheck(f: GroupFixture): Promise<{ id: string } & CheckProcesses> {
  writeFileSync(join(f.dir, 'smoke.sh'), SMOKE);
  chmodSync(join(f.dir, 'smoke.sh'), 0o755);
  writeFileSync(f.config, readFileSync(f.config, 'utf8').replace('  noDataPolicy: pass\n', CHECK));
  const v1 = await f.cli(['deploy', '--revision', f.rev('v1')]);
  expect(v1.code, v1.stdout + v1.stderr).toBe(0);

  writeFileSync(join(f.dir, 'hang'), '');
  const started = await f.cli(['deploy', '--revision', f.rev('v2'), '--detach', '--json']);
  expect(started.code, started.stderr).toBe(0);
  const { deploymentId: id, pid: runnerPid } = JSON.parse(started.stdout.trim().split('\n').pop()!) as {
    deploymentId: string;
    pid: number;
  };
  const pidsFile = join(f.dir, 'check.pids');
  const [leader, sleeper] = await waitFor(
    'the pre-rollout check to hang',
    async () => {
      const text = existsSync(pidsFile) ? readFileSync(pidsFile, 'utf8') : '';
      return text.endsWith('\n') ? text.trim().split(' ').map(Number) : undefined;
    },
    45_000,
  );
  const check = { leader: leader!, sleeper: sleeper! };
  leftovers.push(check);
  await killAndWait(runnerPid);
  // The runner's death alone does not end its check: that is what the next taker has to do.
  expect(running(check.leader) && running(check.sleeper)).toBe(true);
  return { id, ...check };
}

/** The check's processes are gone within a bounded time, and so is their record. */
async function expectCheckStopped(f: GroupFixture, check: CheckProcesses): Promise<void> {
  await waitFor(
    `the check's processes (${check.leader}, ${check.sleeper}) to be killed`,
    async () => (running(check.leader) || running(check.sleeper) ? undefined : true),
    5000,
  );
  expect(readCheckProcesses(f.groupDir)).toEqual([]);
}

describe('a command check whose runner was killed with -9', () => {
  it(
    'deploy --resume kills it before running the checks again, and finishes the deployment',
    async () => {
      const f = group('strategy: { type: canary, percent: 50, intervalSeconds: 1 }');
      const check = await runnerKilledMidCheck(f);
      const resumed = await f.cli(['deploy', '--resume']);
      const s = await status(f);
      expect(s.deployment.id).toBe(check.id);
      expect(s.deployment.status, `${s.deployment.reason}\n${resumed.stderr}`).toBe('Succeeded');
      await expectCheckStopped(f, check);
    },
    SLOW,
  );

  it(
    'abort kills it and rolls back',
    async () => {
      const f = group('strategy: { type: canary, percent: 50, intervalSeconds: 1 }');
      const check = await runnerKilledMidCheck(f);
      const abort = await f.cli(['abort']);
      expect(abort.stdout, abort.stderr).toContain(`${check.id} RolledBack: aborted by user`);
      await expectCheckStopped(f, check);
    },
    SLOW,
  );

  it(
    'down kills it and lists it with what it stopped',
    async () => {
      const f = group('strategy: { type: canary, percent: 50, intervalSeconds: 1 }');
      const check = await runnerKilledMidCheck(f);
      const down = await f.cli(['down']);
      expect(down.code, down.stderr).toBe(0);
      expect(down.stdout).toMatch(new RegExp(`^stopped .*, check smoke \\(pid ${check.leader}\\)\\n$`));
      await expectCheckStopped(f, check);
    },
    SLOW,
  );
});
