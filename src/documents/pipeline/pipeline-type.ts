/**
 * Which type CodePipeline gives a pipeline. The API documents no default value for `pipelineType`; it
 * says that "including V2 parameters … in the pipeline JSON when creating or updating a pipeline will
 * result in the pipeline having the V2 type", and a pipeline with none of them is created V1 (what
 * get-pipeline then returns). Validate, import and the drift check all read a missing type through
 * `effectivePipelineType`, so they agree.
 * @see https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_PipelineDeclaration.html
 */
import { isRecord } from '../report.js';
import type { PathSegment } from '../source.js';
import { PROVIDERS } from './providers.js';

export interface V2Feature {
  /** Path from the pipeline declaration. */
  path: PathSegment[];
  what: string;
}

/** The V2-only parameters a declaration uses, in document order; actions only when asked. */
export function v2Features(pipeline: Record<string, unknown>, opts: { actions?: boolean } = {}): V2Feature[] {
  const out: V2Feature[] = [];
  if (Array.isArray(pipeline.variables) && pipeline.variables.length > 0)
    out.push({ path: ['variables'], what: 'pipeline-level `variables`' });
  if (Array.isArray(pipeline.triggers) && pipeline.triggers.length > 0)
    out.push({ path: ['triggers'], what: '`triggers`' });
  if (pipeline.executionMode === 'QUEUED' || pipeline.executionMode === 'PARALLEL')
    out.push({ path: ['executionMode'], what: `executionMode ${pipeline.executionMode}` });
  const stages = Array.isArray(pipeline.stages) ? pipeline.stages : [];
  stages.forEach((stage, s) => {
    if (!isRecord(stage)) return;
    for (const k of ['beforeEntry', 'onSuccess', 'onFailure'] as const)
      if (stage[k] !== undefined) out.push({ path: ['stages', s, k], what: `stage \`${k}\`` });
    if (!opts.actions || !Array.isArray(stage.actions)) return;
    stage.actions.forEach((action, a) => {
      const id = isRecord(action) && isRecord(action.actionTypeId) ? action.actionTypeId : undefined;
      if (!id) return;
      const key = `${String(id.owner)}/${String(id.category)}/${String(id.provider)}`;
      if (PROVIDERS[key]?.v2Only)
        out.push({ path: ['stages', s, 'actions', a], what: `the ${String(id.provider)} action` });
    });
  });
  return out;
}

/** The type CodePipeline creates: the written one, else V2 when a V2-only parameter is used, else V1. */
export function effectivePipelineType(pipeline: unknown): 'V1' | 'V2' {
  if (!isRecord(pipeline)) return 'V1';
  if (pipeline.pipelineType === 'V1' || pipeline.pipelineType === 'V2') return pipeline.pipelineType;
  return v2Features(pipeline, { actions: true }).length > 0 ? 'V2' : 'V1';
}
