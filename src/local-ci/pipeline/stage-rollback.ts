/** Stage rollback (onFailure ROLLBACK): finding the execution to roll back to and replaying the stage with its state. */
import { join } from 'node:path';
import { listRuns, type StageRecord } from '../run-store.js';
import type { StageDeclaration } from './model.js';
import { skippedActionRecords } from './run-record.js';
import type { RunContext } from './run-types.js';
import { runStage } from './stage-runner.js';
import { scopeOfEarlierRun } from './variable-scope.js';

/**
 * Stage rollback (onFailure ROLLBACK): re-runs the stage with the artifacts of the most recent earlier execution in
 * which this stage succeeded, as CodePipeline rolls a stage back to its last successful execution.
 */
export async function rollbackStage(
  ctx: RunContext,
  stage: StageDeclaration,
  stageRecord: StageRecord,
): Promise<{ ok: boolean; message: string }> {
  const { record, options, log } = ctx;
  const previous = (await listRuns(options.root)).find(
    (r) =>
      r.kind === 'pipeline' &&
      r.pipeline === record.pipeline &&
      r.id !== record.id &&
      r.stages?.some((s) => s.name === stage.name && s.status === 'Succeeded'),
  );
  if (!previous)
    return { ok: false, message: 'rollback: no earlier successful execution of this stage to roll back to' };
  const prevRunDir = join(options.root, '.conveyor', 'runs', previous.id);
  log(`stage ${stage.name}: rolling back to execution ${previous.executionId} (run ${previous.id})`);
  const rollbackRecord: StageRecord = {
    name: stage.name,
    status: 'InProgress',
    actions: skippedActionRecords(stage),
  };
  const prevScope = scopeOfEarlierRun(options.pipeline, previous);
  const runDir = join(options.root, '.conveyor', 'runs', record.id, 'rollback');
  // The stage's actions see the earlier run's commit; the record saved stays this run's.
  const rollbackCtx: RunContext = { ...ctx, record: { ...record, commit: previous.commit ?? '' } };
  const again = await runStage(rollbackCtx, stage, rollbackRecord, prevScope, runDir, prevRunDir);
  stageRecord.actions.push(...rollbackRecord.actions.map((a) => ({ ...a, name: `${a.name} (rollback)` })));
  return again.failed
    ? { ok: false, message: `rollback to run ${previous.id} failed: ${again.failed}` }
    : {
        ok: true,
        message: `rolled back to run ${previous.id} (commit ${previous.commit?.slice(0, 12) ?? '?'})`,
      };
}
