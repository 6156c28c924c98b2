import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  QUEUED_RUN_PID_FILE,
  type RunRecord,
  readRun,
  withLiveness,
  writeRun,
} from '../../../src/local-ci/run-store.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop() as string, { recursive: true, force: true });
});

/** A pid that is certainly not running: a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(r.stdout);
}

function queued(pid: number): RunRecord {
  return {
    id: 'p-20261122-000000-abcdef',
    kind: 'pipeline',
    status: 'Queued',
    trigger: { type: 'push', ref: 'refs/heads/main' },
    startedAt: new Date(0).toISOString(),
    pid,
    pipeline: 'release',
  } as RunRecord;
}

describe('a Queued run record (queued by a git hook that has since exited)', () => {
  async function project(record: RunRecord, runPid?: number) {
    const root = mkdtempSync(join(tmpdir(), 'conveyor-runs-'));
    dirs.push(root);
    await writeRun(root, record);
    if (runPid !== undefined)
      writeFileSync(join(root, '.conveyor/runs', record.id, QUEUED_RUN_PID_FILE), String(runPid));
    return root;
  }

  it('stays Queued while the process started to run it is alive', async () => {
    const root = await project(queued(deadPid()), process.pid);
    expect((await readRun(root, 'p-20261122-000000-abcdef'))?.status).toBe('Queued');
  });

  it('reads as Abandoned once that process is gone too, or when none was started', async () => {
    const gone = await project(queued(deadPid()), deadPid());
    expect((await readRun(gone, 'p-20261122-000000-abcdef'))?.status).toBe('Abandoned');
    const never = await project(queued(deadPid()));
    expect((await readRun(never, 'p-20261122-000000-abcdef'))?.status).toBe('Abandoned');
  });

  it('a finished record is never changed by the pid file', async () => {
    const root = await project({ ...queued(deadPid()), status: 'Failed' }, process.pid);
    expect((await readRun(root, 'p-20261122-000000-abcdef'))?.status).toBe('Failed');
  });
});

describe('a run whose process is gone', () => {
  const inProgress = (pid: number): RunRecord => ({ ...queued(pid), status: 'InProgress' }) as RunRecord;

  it('is the finished record when the process finished it after the first read (its last write, then exit)', () => {
    const pid = deadPid();
    const finished = { ...inProgress(pid), status: 'Succeeded' } as RunRecord;
    expect(withLiveness(inProgress(pid), '/nonexistent', () => finished)).toEqual(finished);
  });

  it('is Abandoned when the record on disk is still unfinished, or gone', () => {
    const pid = deadPid();
    for (const reread of [() => inProgress(pid), () => undefined]) {
      const seen = withLiveness(inProgress(pid), '/nonexistent', reread);
      expect(seen.status).toBe('Abandoned');
      expect(seen.message).toBe(`process ${pid} ended without finishing the run`);
    }
  });

  it('is read from disk again by readRun: a record finished on disk reads as finished', async () => {
    const root = mkdtempSync(join(tmpdir(), 'conveyor-runs-'));
    dirs.push(root);
    const pid = deadPid();
    await writeRun(root, { ...inProgress(pid), status: 'Succeeded' } as RunRecord);
    expect((await readRun(root, inProgress(pid).id))?.status).toBe('Succeeded');
  });
});
