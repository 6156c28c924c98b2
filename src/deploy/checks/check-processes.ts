/**
 * The process groups command checks run now, recorded in the group's state folder
 * (`check-processes/<deployment>-<pid>.json`, one file per check, written whole by a rename) while the runner waits
 * on them. A runner killed with -9 (the OOM killer, `kill -9`) cannot kill its check's group: the smoke test, its
 * `sleep 600`, would live on holding ports and files. Whoever takes the group over next — a resumed runner,
 * `abort` or `rollback` of a runner that is gone, `down` — stops the recorded groups first and forgets them.
 *
 * A record names the group's leader by pid and start time (/proc/<pid>/stat field 22): a pid the kernel gave to
 * another program since is never signalled, as that program started later.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasProcFs, processAlive, processStartTime } from '../../core/process.js';
import type { CheckProcessRecorder } from './check.js';

export interface CheckProcessRecord {
  /** The check's process, leader of its own process group (spawned detached): its pid is the group's id. */
  pid: number;
  /** Its start time in clock ticks after boot; absent where there is no /proc. */
  startTime?: number;
  check: string;
  deploymentId: string;
  recordedAt: number;
}

export function checkProcessesDir(groupDir: string): string {
  return join(groupDir, 'check-processes');
}

/** The record kept for one deployment's runner: written when a check's process starts, removed when it ends. */
export class CheckProcessFiles implements CheckProcessRecorder {
  constructor(
    private readonly groupDir: string,
    private readonly deploymentId: string,
    private readonly now: () => number = Date.now,
  ) {}

  private file(pid: number): string {
    return join(checkProcessesDir(this.groupDir), `${this.deploymentId}-${pid}.json`);
  }

  started(pid: number, check: string): void {
    const startTime = processStartTime(pid);
    const record: CheckProcessRecord = {
      pid,
      ...(startTime !== undefined ? { startTime } : {}),
      check,
      deploymentId: this.deploymentId,
      recordedAt: this.now(),
    };
    const file = this.file(pid);
    // Renamed into place: a runner killed mid-write leaves a whole record or none, never a torn one.
    const next = `${file}.${process.pid}.tmp`;
    try {
      mkdirSync(checkProcessesDir(this.groupDir), { recursive: true });
      writeFileSync(next, JSON.stringify(record));
      renameSync(next, file);
    } catch (err) {
      rmSync(next, { force: true });
      throw err;
    }
  }

  ended(pid: number): void {
    rmSync(this.file(pid), { force: true });
  }
}

/** How the sweep sees processes; unit tests pass their own. */
export interface ProcessProbe {
  alive(pid: number): boolean;
  /** Undefined when the process is gone or start times cannot be read. */
  startTime(pid: number): number | undefined;
  /** False where there is no /proc (macOS): there is no start time to compare. */
  comparesStartTimes: boolean;
}

export const systemProcessProbe: ProcessProbe = {
  alive: processAlive,
  startTime: processStartTime,
  get comparesStartTimes() {
    return hasProcFs();
  },
};

/** Whether the recorded check process still runs: its pid is alive and started when the record says. */
export function isRecordedProcess(
  record: CheckProcessRecord,
  probe: ProcessProbe = systemProcessProbe,
): boolean {
  if (!probe.alive(record.pid)) return false;
  // Without /proc (macOS) no start time was recorded and none can be read: a recorded pid that runs is taken for
  // the check's. Only pids this group's deployments recorded are ever killed, but one reused since is not told apart.
  if (!probe.comparesStartTimes) return true;
  return record.startTime !== undefined && probe.startTime(record.pid) === record.startTime;
}

/** The records in the group's state, torn or unreadable ones left out. */
export function readCheckProcesses(groupDir: string): CheckProcessRecord[] {
  return recordFiles(groupDir).map((f) => f.record);
}

function recordFiles(groupDir: string): { file: string; record: CheckProcessRecord }[] {
  const dir = checkProcessesDir(groupDir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const found: { file: string; record: CheckProcessRecord }[] = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const file = join(dir, name);
    try {
      const record = JSON.parse(readFileSync(file, 'utf8')) as CheckProcessRecord;
      if (Number.isInteger(record.pid) && record.pid > 0 && typeof record.deploymentId === 'string')
        found.push({ file, record });
    } catch {
      // Removed while we read it: its check ended.
    }
  }
  return found;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Kills the process group of every recorded check process that still runs (SIGKILL, as the check's timeout does),
 * waits (bounded) until they are gone, so the ports and files they held are free, and forgets the records.
 * Call it holding the group, before anything runs checks again. `keep`: a deployment whose runner is alive and
 * owns its checks (`down --force` while it runs). Returns the records whose groups were killed.
 */
export async function stopLeftoverCheckProcesses(
  groupDir: string,
  options: { keep?: string; probe?: ProcessProbe; waitMs?: number } = {},
): Promise<CheckProcessRecord[]> {
  const probe = options.probe ?? systemProcessProbe;
  const records = recordFiles(groupDir).filter((f) => f.record.deploymentId !== options.keep);
  const leftover = records.map((f) => f.record).filter((r) => isRecordedProcess(r, probe));
  for (const r of leftover) {
    try {
      process.kill(-r.pid, 'SIGKILL');
    } catch {
      // Gone since.
    }
  }
  const deadline = Date.now() + (options.waitMs ?? 2000);
  while (leftover.some((r) => probe.alive(r.pid)) && Date.now() < deadline) await sleep(20);
  for (const { file } of records) rmSync(file, { force: true });
  return leftover;
}
