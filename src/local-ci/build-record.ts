/**
 * The run record of a local build: its phase list as CodeBuild names it, the record a build starts and
 * ends with, the background writer that keeps `run.json` current while it runs, and the record of a
 * build that could not start.
 */
import type { Clock } from '../core/clock.js';
import type { AttemptOutcome } from './build-types.js';
import { newRunId, type PhaseRecord, type RunRecord, type RunTrigger, writeRun } from './run-store.js';

/** Phases as CodeBuild names them in a build's phase list. */
export const recordedPhases = [
  'PROVISIONING',
  'INSTALL',
  'PRE_BUILD',
  'BUILD',
  'POST_BUILD',
  'UPLOAD_ARTIFACTS',
] as const;

/** Every recorded phase, none of them run yet. */
export function skippedPhases(): PhaseRecord[] {
  return recordedPhases.map((name) => ({ name, status: 'SKIPPED' }));
}

/** The record of a build that has just started (InProgress, every phase still SKIPPED). */
export function startedBuildRecord(start: {
  runId: string;
  trigger: RunTrigger | undefined;
  commit: string | undefined;
  startedAt: number;
  logPath: string;
  project: string;
  buildId: string;
  buildNumber: number;
}): RunRecord {
  const { commit } = start;
  return {
    id: start.runId,
    kind: 'build',
    status: 'InProgress',
    trigger: start.trigger ?? { type: 'manual' },
    ...(commit ? { commit } : {}),
    startedAt: new Date(start.startedAt).toISOString(),
    pid: process.pid,
    logPath: start.logPath,
    project: start.project,
    buildId: start.buildId,
    buildNumber: start.buildNumber,
    phases: skippedPhases(),
  };
}

/** Writes the last attempt's outcome (and how many attempts it took) into the build's record. */
export function recordOutcome(
  record: RunRecord,
  outcome: AttemptOutcome,
  attempts: number,
  startedAt: number,
  endedAt: number,
): void {
  record.status = outcome.status;
  record.phases = outcome.phases;
  record.endedAt = new Date(endedAt).toISOString();
  record.durationMs = endedAt - startedAt;
  if (outcome.message) record.message = outcome.message;
  if (attempts > 1)
    record.message = `${record.message ? `${record.message}; ` : ''}${attempts} attempts (on-failure RETRY)`;
  record.artifacts = outcome.artifacts.map((a) => ({
    identifier: a.identifier,
    ...(a.name ? { name: a.name } : {}),
    files: a.files.length,
    folder: a.folder,
    zip: a.zip,
  }));
  if (outcome.reports?.length) record.reports = outcome.reports;
  if (Object.keys(outcome.exported).length > 0) record.exportedVariables = outcome.exported;
}

/**
 * The run record while a build runs. Writes happen in the background, in order, so a phase never waits
 * for one (each ends in a rename the file system journals: about a millisecond here), and progress
 * reaches the record at most every PROGRESS_WRITE_MS (a short build changes phase several times within
 * a few milliseconds); `runs show` during a build lags by at most that interval. `finish` writes the
 * final record after every earlier write, and waits for it.
 */
export const PROGRESS_WRITE_MS = 200;

export class RecordWriter {
  private pending: RunRecord | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private last = Number.NEGATIVE_INFINITY;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (r: RunRecord) => Promise<void>,
    private readonly intervalMs: number,
  ) {}

  update(record: RunRecord): void {
    this.pending = structuredClone(record);
    if (this.timer) return;
    const wait = this.last + this.intervalMs - performance.now();
    if (wait <= 0) this.flush();
    else {
      this.timer = setTimeout(() => this.flush(), wait);
      // Never what keeps the process alive: the build's own work (or finish) decides that.
      this.timer.unref();
    }
  }

  /** Writes `record` after every earlier write, as the last one. */
  async finish(record: RunRecord): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    await this.chain;
    await this.write(record);
  }

  private flush(): void {
    this.timer = undefined;
    const record = this.pending;
    this.pending = undefined;
    if (!record) return;
    this.last = performance.now();
    // Progress only: a failed write is not the build's failure (finish() reports the final one's).
    this.chain = this.chain.then(() => this.write(record)).catch(() => undefined);
  }
}

/** Records a build that could not start because its buildspec is invalid (CodeBuild: YAML_FILE_ERROR). */
export async function recordInvalidBuild(options: {
  root: string;
  project: string;
  clock: Clock;
  trigger?: RunTrigger;
  message: string;
  diagnostics: RunRecord['diagnostics'];
  runId?: string;
}): Promise<RunRecord> {
  const now = options.clock.now();
  const record: RunRecord = {
    id: options.runId ?? newRunId('build', now),
    kind: 'build',
    status: 'Failed',
    trigger: options.trigger ?? { type: 'manual' },
    startedAt: new Date(now).toISOString(),
    endedAt: new Date(now).toISOString(),
    durationMs: 0,
    pid: process.pid,
    project: options.project,
    phases: recordedPhases.map((name) =>
      name === 'PROVISIONING'
        ? { name, status: 'FAILED' as const, durationMs: 0, message: options.message }
        : { name, status: 'SKIPPED' as const },
    ),
    message: options.message,
    diagnostics: options.diagnostics,
  };
  await writeRun(options.root, record);
  return record;
}
