/**
 * Semantic rules for a pipeline document (`{pipeline: {...}}`), run in a fixed order. Each rule family
 * has its own file: structure-rules.ts, artifact-rules.ts, variable-rules.ts, action-rules.ts and
 * v2-rules.ts; action-info.ts flattens the actions they all read.
 */
import type { KindContext } from '../kind.js';
import { isRecord } from '../report.js';
import type { PathSegment } from '../source.js';
import { collectActions } from './action-info.js';
import { checkAction } from './action-rules.js';
import { checkArtifactStores, checkArtifacts } from './artifact-rules.js';
import type { PipelineRuleInput } from './rule-input.js';
import { checkPipelineSize, checkSourceStage, checkUniqueNames } from './structure-rules.js';
import { checkConditions, checkTriggers, checkV2Features } from './v2-rules.js';
import { checkNamespacesAndVariables } from './variable-rules.js';

export { type ActionInfo, collectActions } from './action-info.js';
export { MAX_ACTIONS_PER_PIPELINE, MAX_STAGES } from './structure-rules.js';

/** Semantic rules for a pipeline document (`{pipeline: {...}}`). */
export function checkPipelineRules(ctx: KindContext): void {
  const doc = ctx.value;
  if (!isRecord(doc) || !isRecord(doc.pipeline)) return;
  const pipeline = doc.pipeline;
  const base: PathSegment[] = ['pipeline'];
  const actions = collectActions(pipeline, base);
  const input: PipelineRuleInput = {
    ctx,
    pipeline,
    // Stryker disable next-line ArrayDeclaration: equivalent, an entry that is not a mapping is skipped like no entry
    stages: Array.isArray(pipeline.stages) ? pipeline.stages : [],
    actions,
    base,
    // Only a pipeline that says V1 is held to V1 (an unset pipelineType is not reported).
    explicitV1: pipeline.pipelineType === 'V1',
  };
  checkPipelineSize(input);
  checkArtifactStores(input);
  checkUniqueNames(input);
  checkSourceStage(input);
  checkArtifacts(input);
  checkNamespacesAndVariables(input);
  for (const a of actions) checkAction(ctx, a, input.explicitV1);
  checkV2Features(input);
  checkTriggers(input);
  checkConditions(input);
}
