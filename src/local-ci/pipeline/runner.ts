/**
 * The entry of the local CodePipeline runner: `runPipeline` takes a run from start to end. It owns the stage
 * sequence: the execution-mode gate, beforeEntry / onSuccess conditions, onFailure RETRY and ROLLBACK, and the run's
 * final status. Stages, actions, artifacts and the run record live in the modules imported below.
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SecretMasker } from '../../core/secret-mask.js';
import { newRunId, type RunRecord } from '../run-store.js';
import { type ExecutionMode, executionGate } from './execution-mode.js';
import { newPipelineRunRecord, runJournal } from './run-record.js';
import type { PipelineRunOptions, RunContext } from './run-types.js';
import { resolveSourceCommit } from './source-action.js';
import { checkConditions } from './stage-conditions.js';
import { rollbackStage } from './stage-rollback.js';
import { runStage } from './stage-runner.js';
import { newRunScope } from './variable-scope.js';

export type { PipelineEvent, PipelineRunOptions } from './run-types.js';

/** Runs a pipeline locally, stage by stage; records the run under `.conveyor/runs/`. Never throws for a failure. */
export async function runPipeline(options: PipelineRunOptions): Promise<RunRecord> {
  const { pipeline, clock, root } = options;
  const startedAt = clock.now();
  const runId = options.runId ?? newRunId('pipeline', startedAt);
  const runDir = join(root, '.conveyor', 'runs', runId);
  const executionId = randomUUID();
  const mode: ExecutionMode = pipeline.executionMode ?? 'SUPERSEDED';
  await mkdir(runDir, { recursive: true });
  const record = newPipelineRunRecord({
    runId,
    runDir,
    pipeline,
    trigger: options.trigger,
    startedAt,
    executionId,
    mode,
  });
  const masker = new SecretMasker();
  const { save, log, emit, finish } = runJournal(root, record, clock, startedAt, options.onEvent, masker);
  const ctx: RunContext = { record, options, emit, log, save, masker };
  const { scope, pipelineVariables } = newRunScope(pipeline, options.variables, executionId);
  record.variables = pipelineVariables;

  const commit = options.commit ?? (await resolveSourceCommit(options));
  if (commit) record.commit = commit;
  await save();
  emit({
    type: 'run-start',
    runId,
    pipeline: pipeline.name,
    executionId,
    executionMode: mode,
    ...(commit ? { commit } : {}),
  });
  log(`run ${runId} of ${pipeline.name} (execution ${executionId}, ${mode})${commit ? ` at ${commit}` : ''}`);

  const gate = executionGate({
    root,
    pipeline: pipeline.name,
    mode,
    runId,
    startedAt,
    ...(options.signal ? { signal: options.signal } : {}),
    onWaiting: (what, holder) => {
      const text = `waiting: ${what === 'execution' ? 'QUEUED behind an earlier execution' : `stage ${what.replace(/^stage-/, '')} is held`}${holder ? ` (run ${holder})` : ''}`;
      log(text);
      emit({ type: 'waiting', runId, what, ...(holder ? { holder } : {}) });
      record.message = text;
      void save();
    },
  });
  try {
    const started = await gate.start();
    if (!started.go) return await finish('Superseded', `superseded by run ${started.supersededBy}`);
    record.message = undefined;
    let failed: string | undefined;
    for (const [index, stage] of pipeline.stages.entries()) {
      const stageRecord = record.stages![index]!;
      if (failed) continue;
      if (options.signal?.aborted) {
        failed = 'stopped';
        break;
      }
      const entered = await gate.enterStage(stage.name);
      if (!entered.go) {
        await gate.finish();
        return await finish(
          'Superseded',
          `superseded by run ${entered.supersededBy} before stage ${stage.name}`,
        );
      }
      const entry = checkConditions(stage.beforeEntry?.conditions, scope);
      if (!entry.met) {
        const result = stage.beforeEntry?.conditions[0]?.result ?? 'FAIL';
        stageRecord.message = `beforeEntry condition not met: ${entry.reason}`;
        stageRecord.status = result === 'SKIP' ? 'Skipped' : 'Failed';
        log(`stage ${stage.name}: ${stageRecord.message} -> ${result}`);
        emit({
          type: 'stage-end',
          stage: stage.name,
          status: stageRecord.status,
          durationMs: 0,
          message: stageRecord.message,
        });
        await gate.leaveStage(stage.name);
        if (result !== 'SKIP') failed = `stage ${stage.name}: ${stageRecord.message}`;
        continue;
      }
      let outcome = await runStage(ctx, stage, stageRecord, scope, runDir, runDir);
      if (outcome.failed && stage.onFailure?.result === 'RETRY') {
        const retryMode = stage.onFailure.retryConfiguration?.retryMode ?? 'FAILED_ACTIONS';
        log(`stage ${stage.name}: onFailure RETRY (${retryMode})`);
        outcome = await runStage(
          ctx,
          stage,
          stageRecord,
          scope,
          runDir,
          runDir,
          retryMode === 'FAILED_ACTIONS',
        );
      }
      const onSuccess = outcome.failed
        ? { met: true, reason: '' }
        : checkConditions(stage.onSuccess?.conditions, scope);
      if (!onSuccess.met) {
        outcome = { failed: `onSuccess condition not met: ${onSuccess.reason}` };
        stageRecord.status = 'Failed';
        stageRecord.message = outcome.failed;
      }
      if (outcome.failed) {
        const result = !onSuccess.met
          ? (stage.onSuccess?.conditions[0]?.result ?? 'FAIL')
          : (stage.onFailure?.result ?? 'FAIL');
        if (result === 'ROLLBACK') {
          const rollback = await rollbackStage(ctx, stage, stageRecord);
          stageRecord.status = rollback.ok ? 'RolledBack' : 'Failed';
          stageRecord.message = `${outcome.failed}; ${rollback.message}`;
        }
        emit({
          type: 'stage-end',
          stage: stage.name,
          status: stageRecord.status,
          durationMs: stageRecord.durationMs ?? 0,
          message: stageRecord.message,
        });
        failed = `stage ${stage.name} ${stageRecord.status === 'RolledBack' ? 'failed and was rolled back' : 'failed'}: ${outcome.failed}`;
      } else {
        emit({
          type: 'stage-end',
          stage: stage.name,
          status: 'Succeeded',
          durationMs: stageRecord.durationMs ?? 0,
        });
      }
      await gate.leaveStage(stage.name);
      await save();
    }
    await gate.finish();
    if (options.signal?.aborted) return await finish('Stopped', 'run stopped');
    return await finish(failed ? 'Failed' : 'Succeeded', failed);
  } catch (err) {
    await gate.finish();
    if (options.signal?.aborted) return await finish('Stopped', 'run stopped');
    return await finish('Failed', `internal error: ${(err as Error).message}`);
  }
}
