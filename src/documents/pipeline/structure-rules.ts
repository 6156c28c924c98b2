/**
 * Pipeline structure rules: how many stages and actions it has, unique stage and action names, and
 * source actions in the first stage only.
 */
import { isRecord } from '../report.js';
import { type ActionInfo, actionLabel } from './action-info.js';
import type { PipelineRuleInput } from './rule-input.js';

export const MAX_STAGES = 50;
export const MAX_ACTIONS_PER_PIPELINE = 500;

/** At least two stages; at most MAX_ACTIONS_PER_PIPELINE actions. */
export function checkPipelineSize({ ctx, pipeline, stages, actions, base }: PipelineRuleInput): void {
  const r = ctx.reporter;
  if (Array.isArray(pipeline.stages) && stages.length < 2) {
    r.report(
      'pipeline/min-stages',
      [...base, 'stages'],
      `the pipeline has ${stages.length} stage${stages.length === 1 ? '' : 's'}; a pipeline needs at least 2 (a source stage and one more)`,
    );
  }
  if (actions.length > MAX_ACTIONS_PER_PIPELINE) {
    r.report(
      'pipeline/action-limit',
      [...base, 'stages'],
      `the pipeline has ${actions.length} actions; at most ${MAX_ACTIONS_PER_PIPELINE} are allowed`,
    );
  }
}

/** Stage names unique; action names unique per stage. */
export function checkUniqueNames({ ctx, stages, actions, base }: PipelineRuleInput): void {
  const r = ctx.reporter;
  const stageNames = new Map<string, number>();
  stages.forEach((stage, s) => {
    if (!isRecord(stage) || typeof stage.name !== 'string') return;
    const prev = stageNames.get(stage.name);
    if (prev !== undefined) {
      r.report(
        'pipeline/duplicate-stage-name',
        [...base, 'stages', s, 'name'],
        `stage name \`${stage.name}\` is already used by stage ${prev + 1}; stage names must be unique`,
      );
    } else stageNames.set(stage.name, s);
  });
  const seenActions = new Map<string, ActionInfo>();
  for (const a of actions) {
    const key = `${a.stage}\u0000${a.name}`;
    const prev = seenActions.get(key);
    if (prev) {
      r.report(
        'pipeline/duplicate-action-name',
        [...a.path, 'name'],
        `action name \`${a.name}\` is used twice in stage ${a.stageName}; action names must be unique within a stage`,
      );
    } else seenActions.set(key, a);
  }
}

/** Source actions: all in the first stage, and the first stage holds only sources. */
export function checkSourceStage({ ctx, actions, base }: PipelineRuleInput): void {
  const r = ctx.reporter;
  const first = actions.filter((a) => a.stage === 0);
  // A first stage without actions is the schema's finding (`actions` has 0 entries), not this one.
  if (first.length > 0 && !first.some((a) => a.category === 'Source')) {
    r.report(
      'pipeline/first-stage-source',
      [...base, 'stages', 0],
      `the first stage (${first[0]!.stageName}) has no source action; a pipeline starts with a stage of source actions`,
    );
  }
  for (const a of actions) {
    if (
      a.stage === 0 &&
      a.category &&
      a.category !== 'Source' &&
      first.some((f) => f.category === 'Source')
    ) {
      r.report(
        'pipeline/first-stage-source',
        [...a.path, 'actionTypeId', 'category'],
        `action ${actionLabel(a)} is a ${a.category} action in the first stage, which may hold only source actions`,
      );
    }
    if (a.stage > 0 && a.category === 'Source') {
      r.report(
        'pipeline/source-not-first',
        [...a.path, 'actionTypeId', 'category'],
        `source action ${actionLabel(a)} is in stage ${a.stage + 1}; source actions may only be in the first stage`,
      );
    }
  }
}
