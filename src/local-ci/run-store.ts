import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../core/errors.js';
import { ensureStateDir } from '../core/files.js';
import { processAlive } from '../core/process.js';
import type { Diagnostic } from '../documents/diagnostics.js';
import { withLockSync } from './lock.js';

/**
 * Run history under `.conveyor/runs/<id>/`: `run.json` (the record, rewritten atomically as the run progresses) beside
 * the run's logs and artifacts. A record still `InProgress` whose process is gone is shown as `Abandoned`.
 */
export type RunStatus =
  | 'Queued'
  | 'InProgress'
  | 'Succeeded'
  | 'Failed'
  | 'TimedOut'
  | 'Stopped'
  | 'Superseded'
  | 'Abandoned';

export interface RunTrigger {
  /** manual: a CLI call; push: a git hook; pipeline: an action of a pipeline run. */
  type: 'manual' | 'push' | 'pipeline';
  ref?: string;
  detail?: string;
  parentRunId?: string;
}

export interface PhaseRecord {
  name: string;
  status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'STOPPED' | 'SKIPPED' | 'IN_PROGRESS';
  startedAt?: string;
  durationMs?: number;
  /** CodeBuild's phase context: why it failed. */
  message?: string;
  commands?: { command: string; exitCode: number; durationMs: number }[];
}

export interface ActionRecord {
  name: string;
  provider: string;
  category: string;
  runOrder: number;
  status: 'Succeeded' | 'Failed' | 'InProgress' | 'Skipped' | 'Waiting' | 'Abandoned' | 'Stopped';
  startedAt?: string;
  durationMs?: number;
  message?: string;
  logPath?: string;
  buildRunId?: string;
  outputVariables?: Record<string, string>;
  outputArtifacts?: string[];
}

export interface StageRecord {
  name: string;
  status: 'Succeeded' | 'Failed' | 'InProgress' | 'Skipped' | 'RolledBack' | 'Stopped';
  startedAt?: string;
  durationMs?: number;
  message?: string;
  actions: ActionRecord[];
}

export interface RunRecord {
  id: string;
  kind: 'build' | 'pipeline';
  status: RunStatus;
  trigger: RunTrigger;
  commit?: string;
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  pid: number;
  logPath?: string;
  message?: string;
  /** Why a document could not be used (invalid buildspec or pipeline). */
  diagnostics?: Diagnostic[];
  // build
  project?: string;
  buildId?: string;
  buildNumber?: number;
  phases?: PhaseRecord[];
  artifacts?: { identifier: string; name?: string; files: number; folder: string; zip: string }[];
  reports?: { group: string; fileFormat: string; files: number; folder: string }[];
  exportedVariables?: Record<string, string>;
  // pipeline
  pipeline?: string;
  executionId?: string;
  executionMode?: string;
  stages?: StageRecord[];
  variables?: Record<string, string>;
}

export function runsDir(root: string): string {
  return join(root, '.conveyor', 'runs');
}

export function newRunId(kind: 'build' | 'pipeline', now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${kind === 'build' ? 'b' : 'p'}-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Run folders this process has made: a record is rewritten at every phase, the folder made once. */
const madeRunDirs = new Set<string>();

/**
 * Replaces the run's record atomically (temporary file, then rename). Synchronous on purpose: a record
 * is a few hundred bytes, written at every phase of a build, and three thread-pool round trips per
 * write cost more than the write (start-up and phase changes are build overhead users wait for).
 */
export async function writeRun(root: string, record: RunRecord): Promise<void> {
  writeRunSync(root, record);
}

export function writeRunSync(root: string, record: RunRecord): void {
  const dir = join(runsDir(root), record.id);
  if (!madeRunDirs.has(dir)) {
    ensureStateDir(join(root, '.conveyor'));
    mkdirSync(dir, { recursive: true });
    madeRunDirs.add(dir);
  }
  const tmp = join(dir, `run.json.${process.pid}.${randomBytes(3).toString('hex')}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(tmp, join(dir, 'run.json'));
}

/** As writeRunSync, off the main thread: for writes nothing waits on (a build's progress). */
export async function writeRunInBackground(root: string, record: RunRecord): Promise<void> {
  const dir = join(runsDir(root), record.id);
  if (!madeRunDirs.has(dir)) {
    ensureStateDir(join(root, '.conveyor'));
    await mkdir(dir, { recursive: true });
    madeRunDirs.add(dir);
  }
  const tmp = join(dir, `run.json.${process.pid}.${randomBytes(3).toString('hex')}.tmp`);
  await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`);
  await rename(tmp, join(dir, 'run.json'));
}

export async function readRun(root: string, id: string): Promise<RunRecord | undefined> {
  const found = await readRunRecord(root, id);
  return 'record' in found ? found.record : undefined;
}

/** A run's record, or why it is missing or cannot be used (so `runs show` can tell a damaged record from none). */
export async function readRunRecord(
  root: string,
  id: string,
): Promise<{ record: RunRecord } | { missing: true } | { unreadable: string; path: string }> {
  const path = join(runsDir(root), id, 'run.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { missing: true };
    return { unreadable: `cannot read it (${code ?? errorMessage(err)})`, path };
  }
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch (err) {
    return { unreadable: `not valid JSON (${errorMessage(err)})`, path };
  }
  if (!record || typeof record !== 'object' || typeof (record as RunRecord).id !== 'string') {
    return { unreadable: 'not a run record (no run id)', path };
  }
  return { record: withLiveness(record as RunRecord, join(runsDir(root), id), () => rereadRecord(path)) };
}

/** The record as it is on disk now, when it is still a sound one. */
function rereadRecord(path: string): RunRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(path, 'utf8')) as RunRecord;
    return record && typeof record === 'object' && typeof record.id === 'string' ? record : undefined;
  } catch {
    return undefined;
  }
}

/** Beside a Queued record: the pid of the process started to run it (a git hook queues, then starts it). */
export const QUEUED_RUN_PID_FILE = 'queued-run.pid';

function queuedRunAlive(runDir: string): boolean {
  try {
    const pid = Number(readFileSync(join(runDir, QUEUED_RUN_PID_FILE), 'utf8'));
    return Number.isInteger(pid) && pid > 0 && processAlive(pid);
  } catch {
    return false;
  }
}

/**
 * A record left Queued or InProgress by a process that is gone is Abandoned, unless that process finished it
 * after the record was read: its last write (a rename) comes before it exits, so a record read again after
 * seeing it gone is its last word. Without the second look, `runs` read during a run's final moments showed
 * a run that succeeded as abandoned.
 */
export function withLiveness(
  record: RunRecord,
  runDir: string,
  reread: () => RunRecord | undefined,
): RunRecord {
  if (record.status === 'Queued' && !processAlive(record.pid) && queuedRunAlive(runDir)) return record;
  if ((record.status === 'InProgress' || record.status === 'Queued') && !processAlive(record.pid)) {
    const now = reread();
    if (now && now.id === record.id && now.status !== 'InProgress' && now.status !== 'Queued') return now;
    return {
      ...record,
      status: 'Abandoned',
      message: record.message ?? `process ${record.pid} ended without finishing the run`,
    };
  }
  return record;
}

/** Every recorded run, newest first. */
export async function listRuns(root: string): Promise<RunRecord[]> {
  let names: string[];
  try {
    names = await readdir(runsDir(root));
  } catch {
    return [];
  }
  const records: RunRecord[] = [];
  for (const name of names) {
    if (!/^[bp]-/.test(name)) continue;
    const r = await readRun(root, name);
    if (r) records.push(r);
  }
  return records.sort((a, b) =>
    a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : a.id < b.id ? 1 : -1,
  );
}

/** CODEBUILD_BUILD_NUMBER: one counter per project, kept in `.conveyor/build-numbers.json`. */
export async function nextBuildNumber(root: string, project: string): Promise<number> {
  const dir = join(root, '.conveyor');
  ensureStateDir(dir);
  // A few bytes under a lock held for well under a millisecond: synchronous (see writeRun).
  return withLockSync(join(dir, 'locks', 'build-numbers'), () => {
    const file = join(dir, 'build-numbers.json');
    let numbers: Record<string, number> = {};
    try {
      numbers = JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>;
    } catch {
      numbers = {};
    }
    const next = (numbers[project] ?? 0) + 1;
    numbers[project] = next;
    writeFileSync(file, `${JSON.stringify(numbers, null, 2)}\n`);
    return next;
  });
}
