/**
 * Running one stage: its actions in runOrder groups (parallel within a group, a failure stops later groups), each
 * action's record and events kept up to date, and output variables published to the scope under their namespaces.
 */
import type { StageRecord } from '../run-store.js';
import { runAction } from './action-runner.js';
import { providerLabel, type StageDeclaration } from './model.js';
import { runOrderGroups } from './plan.js';
import type { ActionOutcome, RunContext } from './run-types.js';
import type { VariableScope } from './variables.js';

/** Runs a stage's runOrder groups; within a group actions run in parallel; a failure stops later groups. */
export async function runStage(
  ctx: RunContext,
  stage: StageDeclaration,
  stageRecord: StageRecord,
  scope: VariableScope,
  runDir: string,
  artifactsRunDir: string,
  onlyFailed = false,
): Promise<{ failed?: string }> {
  const { emit, log, save } = ctx;
  const { clock } = ctx.options;
  const stageStart = clock.now();
  stageRecord.status = 'InProgress';
  stageRecord.startedAt = new Date(stageStart).toISOString();
  stageRecord.message = undefined;
  emit({ type: 'stage-start', stage: stage.name });
  log(`stage ${stage.name} started`);
  void save();
  let failed: string | undefined;
  for (const group of runOrderGroups(stage)) {
    if (failed) break;
    const outcomes = await Promise.all(
      group.map(async (action) => {
        const actionRecord = stageRecord.actions.find((a) => a.name === action.name)!;
        if (onlyFailed && actionRecord.status === 'Succeeded') return { action, ok: true };
        const started = clock.now();
        actionRecord.status = 'InProgress';
        actionRecord.startedAt = new Date(started).toISOString();
        actionRecord.message = undefined;
        emit({
          type: 'action-start',
          stage: stage.name,
          action: action.name,
          provider: providerLabel(action),
        });
        log(`action ${stage.name}/${action.name} (${providerLabel(action)}) started`);
        void save();
        let outcome: ActionOutcome;
        try {
          outcome = await runAction(ctx, stage, action, actionRecord, scope, runDir, artifactsRunDir);
        } catch (err) {
          outcome = { status: 'Failed', message: `internal error: ${(err as Error).message}` };
        }
        actionRecord.status = outcome.status;
        actionRecord.durationMs = clock.now() - started;
        if (outcome.message) actionRecord.message = outcome.message;
        if (outcome.buildRunId) actionRecord.buildRunId = outcome.buildRunId;
        if (outcome.logPath) actionRecord.logPath = outcome.logPath;
        if (outcome.outputArtifacts) actionRecord.outputArtifacts = outcome.outputArtifacts;
        if (outcome.variables && Object.keys(outcome.variables).length > 0) {
          actionRecord.outputVariables = outcome.variables;
          if (action.namespace) scope.set(action.namespace, outcome.variables);
        }
        log(
          `action ${stage.name}/${action.name} ${outcome.status}${outcome.message ? `: ${outcome.message}` : ''}`,
        );
        emit({
          type: 'action-end',
          stage: stage.name,
          action: action.name,
          status: outcome.status,
          durationMs: actionRecord.durationMs,
          ...(outcome.message ? { message: outcome.message } : {}),
        });
        void save();
        return { action, ok: outcome.status === 'Succeeded', message: outcome.message };
      }),
    );
    const bad = outcomes.find((o) => !o.ok);
    if (bad)
      failed = `action ${bad.action.name} failed${'message' in bad && bad.message ? `: ${bad.message}` : ''}`;
  }
  stageRecord.durationMs = clock.now() - stageStart;
  stageRecord.status = failed ? 'Failed' : 'Succeeded';
  if (failed) stageRecord.message = failed;
  log(`stage ${stage.name} ${stageRecord.status}`);
  return failed ? { failed } : {};
}
