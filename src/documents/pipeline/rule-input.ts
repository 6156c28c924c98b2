/** What every pipeline rule family reads: the document's context, the declaration, and its actions flattened. */
import type { KindContext } from '../kind.js';
import type { PathSegment } from '../source.js';
import type { ActionInfo } from './action-info.js';

export interface PipelineRuleInput {
  ctx: KindContext;
  /** The `pipeline` map of the document. */
  pipeline: Record<string, unknown>;
  /** `pipeline.stages`, or none when it is not a list. */
  stages: unknown[];
  actions: ActionInfo[];
  /** Where the pipeline sits in the document. */
  base: PathSegment[];
  /** `pipelineType: V1` is written out (V2-only features are then reported). */
  explicitV1: boolean;
}
