/**
 * The pipeline run's record and its reporting: the initial record (every action Skipped until it runs), saving it
 * under `.conveyor/runs/`, the lines of `pipeline.log`, events for the caller, and closing the run with a status.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../core/clock.js';
import type { SecretMasker } from '../../core/secret-mask.js';
import { type ActionRecord, type RunRecord, type RunTrigger, writeRun } from '../run-store.js';
import type { ExecutionMode } from './execution-mode.js';
import type { PipelineDeclaration, StageDeclaration } from './model.js';
import type { PipelineEvent, RunReporting } from './run-types.js';

/** A stage's actions as recorded before any of them runs. */
export function skippedActionRecords(stage: StageDeclaration): ActionRecord[] {
  return stage.actions.map((a) => ({
    name: a.name,
    provider: a.actionTypeId.provider,
    category: a.actionTypeId.category,
    runOrder: a.runOrder ?? 1,
    status: 'Skipped',
  }));
}

export function newPipelineRunRecord(args: {
  runId: string;
  runDir: string;
  pipeline: PipelineDeclaration;
  trigger: RunTrigger | undefined;
  startedAt: number;
  executionId: string;
  mode: ExecutionMode;
}): RunRecord {
  const { pipeline } = args;
  return {
    id: args.runId,
    kind: 'pipeline',
    status: 'InProgress',
    trigger: args.trigger ?? { type: 'manual' },
    startedAt: new Date(args.startedAt).toISOString(),
    pid: process.pid,
    logPath: join(args.runDir, 'pipeline.log'),
    pipeline: pipeline.name,
    executionId: args.executionId,
    executionMode: args.mode,
    stages: pipeline.stages.map((s) => ({
      name: s.name,
      status: 'Skipped',
      actions: skippedActionRecords(s),
    })),
  };
}

export interface RunJournal extends RunReporting {
  /** Closes the run: status, end time and duration on the record, `pipeline.log` written, `run-end` emitted. */
  finish: (status: RunRecord['status'], message?: string) => Promise<RunRecord>;
}

/**
 * The run's reporting. Secret values the run's builds resolved (and output variables derived from them) are
 * masked in everything it writes or emits: `masker` learns them as each build ends.
 */
export function runJournal(
  root: string,
  record: RunRecord,
  clock: Clock,
  startedAt: number,
  onEvent: ((e: PipelineEvent) => void) | undefined,
  masker: SecretMasker,
): RunJournal {
  let saving = Promise.resolve();
  const save = () => {
    saving = saving.then(() => writeRun(root, masker.maskDeep(record))).catch(() => {});
    return saving;
  };
  const logLines: string[] = [];
  const log = (line: string) => {
    logLines.push(`${new Date(clock.now()).toISOString()} ${line}`);
  };
  const emit = (e: PipelineEvent) => onEvent?.(masker.maskDeep(e));
  const finish = async (status: RunRecord['status'], message?: string) => {
    record.status = status;
    if (message) record.message = message;
    record.endedAt = new Date(clock.now()).toISOString();
    record.durationMs = clock.now() - startedAt;
    log(`run ${status}${message ? `: ${message}` : ''}`);
    await writeFile(record.logPath!, masker.mask(`${logLines.join('\n')}\n`));
    await save();
    const shown = masker.maskDeep(record);
    emit({ type: 'run-end', record: shown });
    return shown;
  };
  return { save, log, emit, finish };
}
