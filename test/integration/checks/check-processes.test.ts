/**
 * The record of running command checks, with real processes: a command check records its process group while it
 * runs and forgets it when it ends; the sweep kills a recorded group whose leader runs with the recorded start time
 * (all of it: the leader and what it started), and leaves a process whose pid matches but whose start time does
 * not; a record that cannot be written stops the check instead of leaving it unrecorded.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processStartTime } from '../../../src/core/process.js';
import {
  type CheckContext,
  type CheckProcessRecorder,
  measureCheck,
} from '../../../src/deploy/checks/check.js';
import {
  CheckProcessFiles,
  checkProcessesDir,
  readCheckProcesses,
  stopLeftoverCheckProcesses,
} from '../../../src/deploy/checks/check-processes.js';
import { commandProvider } from '../../../src/deploy/checks/command.js';
import type { CheckSpec } from '../../../src/documents/deployment-group/checks-schema.js';
import { running, waitFor } from '../deploy/helpers.js';
import { ownTempDir } from '../owned-processes.js';

let dir: string;
const started: ChildProcess[] = [];

beforeEach(() => {
  dir = ownTempDir(mkdtempSync(join(tmpdir(), 'conveyor-checkproc-')));
});

afterEach(() => {
  // What a test started dies with it, also when an assertion failed before its own cleanup.
  for (const child of started.splice(0)) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** A detached shell (its own process group, as a command check's) running `sleep 600` in the background. */
async function sleepingGroup(name: string): Promise<{ leader: number; sleeper: number }> {
  const pids = join(dir, `${name}.pid`);
  const child = spawn('/bin/sh', ['-c', `sleep 600 & echo $! > "${pids}"; wait`], {
    detached: true,
    stdio: 'ignore',
  });
  started.push(child);
  child.unref();
  const sleeper = await waitFor(`${name}'s sleep`, async () =>
    existsSync(pids) && readFileSync(pids, 'utf8').endsWith('\n')
      ? Number(readFileSync(pids, 'utf8'))
      : undefined,
  );
  return { leader: child.pid!, sleeper };
}

describe('processStartTime', () => {
  it("reads field 22 past a command name with spaces and a parenthesis, between its neighbours' start times", async () => {
    const before = processStartTime(process.pid)!;
    expect(before).toBeGreaterThan(0);
    // The command name in /proc/<pid>/stat is the file's name: `x) y z` would shift a naive split by two.
    const odd = join(dir, 'x) y z');
    symlinkSync('/bin/sleep', odd);
    const child = spawn(odd, ['600'], { argv0: 'sleep', detached: true, stdio: 'ignore' });
    started.push(child);
    await waitFor('the odd name in /proc', async () =>
      readFileSync(`/proc/${child.pid}/stat`, 'utf8').includes('(x) y z)') ? true : undefined,
    );
    const after = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
    started.push(after);
    const oddStart = processStartTime(child.pid!)!;
    expect(oddStart).toBeGreaterThanOrEqual(before);
    expect(oddStart).toBeLessThanOrEqual(processStartTime(after.pid!)!);
    expect(processStartTime(2 ** 22 + 1)).toBeUndefined();
  });
});

describe('stopLeftoverCheckProcesses', () => {
  it('kills a recorded group whose leader started when recorded, and leaves a pid whose start time differs', async () => {
    const ours = await sleepingGroup('ours');
    const reused = await sleepingGroup('reused');
    new CheckProcessFiles(dir, 'd-1').started(ours.leader, 'smoke');
    // The same pid started at another time: what a reused pid looks like to the sweep.
    const files = new CheckProcessFiles(dir, 'd-1');
    files.started(reused.leader, 'smoke');
    const reusedFile = join(checkProcessesDir(dir), `d-1-${reused.leader}.json`);
    const record = JSON.parse(readFileSync(reusedFile, 'utf8')) as { startTime: number };
    expect(record.startTime).toBe(processStartTime(reused.leader));
    writeFileSync(reusedFile, JSON.stringify({ ...record, startTime: record.startTime - 1 }));

    const stopped = await stopLeftoverCheckProcesses(dir);
    expect(stopped.map((r) => r.pid)).toEqual([ours.leader]);
    // The whole group, at once: the shell and the sleep it waits on.
    expect(running(ours.leader)).toBe(false);
    expect(running(ours.sleeper)).toBe(false);
    expect(running(reused.leader)).toBe(true);
    expect(running(reused.sleeper)).toBe(true);
    // Both records are forgotten: the one that was not ours names nothing to kill later either.
    expect(readCheckProcesses(dir)).toEqual([]);
  });

  it('leaves the groups of a deployment whose runner is alive (`keep`), and their records', async () => {
    const live = await sleepingGroup('live');
    new CheckProcessFiles(dir, 'd-live').started(live.leader, 'smoke');
    expect(await stopLeftoverCheckProcesses(dir, { keep: 'd-live' })).toEqual([]);
    expect(running(live.leader)).toBe(true);
    expect(readCheckProcesses(dir)).toEqual([expect.objectContaining({ pid: live.leader, check: 'smoke' })]);
  });

  it('a group that is gone, or no record at all, is nothing to kill', async () => {
    expect(await stopLeftoverCheckProcesses(dir)).toEqual([]);
    const gone = await sleepingGroup('gone');
    new CheckProcessFiles(dir, 'd-1').started(gone.leader, 'smoke');
    process.kill(-gone.leader, 'SIGKILL');
    await waitFor('the group to die', async () => (running(gone.leader) ? undefined : true));
    expect(await stopLeftoverCheckProcesses(dir)).toEqual([]);
    expect(readCheckProcesses(dir)).toEqual([]);
  });
});

const ctx: CheckContext = {
  canaryRevision: 'v2',
  stableRevision: 'v1',
  canarySet: 'canary',
  stableSet: 'stable',
  deploymentId: 'd-1',
};
const cmd = (command: string): CheckSpec =>
  ({ name: 'smoke', provider: 'command', command, timeoutSeconds: 5 }) as CheckSpec;

describe('a command check records its process group while it runs', () => {
  it('recorded (with its start time) before it is waited on, forgotten when it ends', async () => {
    const files = new CheckProcessFiles(dir, 'd-1');
    const seen: unknown[] = [];
    const recorder: CheckProcessRecorder = {
      started(pid, check) {
        files.started(pid, check);
        seen.push(...readCheckProcesses(dir));
      },
      ended: (pid) => files.ended(pid),
    };
    const pidFile = join(dir, 'check.pid');
    const reading = await measureCheck(commandProvider, cmd(`echo $$ > "${pidFile}"; sleep 0.3`), {
      ...ctx,
      processes: recorder,
    });
    expect(reading).toMatchObject({ vars: { exitCode: 0 } });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(seen).toEqual([
      {
        pid,
        startTime: expect.any(Number),
        check: 'smoke',
        deploymentId: 'd-1',
        recordedAt: expect.any(Number),
      },
    ]);
    expect(readCheckProcesses(dir)).toEqual([]);
  });

  it('a record that cannot be written stops the check: it fails unmeasured and leaves nothing running', async () => {
    let pid = 0;
    const reading = await measureCheck(commandProvider, cmd('sleep 600'), {
      ...ctx,
      processes: {
        started(spawned) {
          pid = spawned;
          throw new Error('ENOSPC: no space left on device');
        },
        ended() {},
      },
    });
    expect(reading).toMatchObject({
      error: "cannot record its process in the group's state: ENOSPC: no space left on device",
    });
    expect(pid).toBeGreaterThan(0);
    expect(running(pid)).toBe(false);
  });
});
