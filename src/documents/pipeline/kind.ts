import type { KindContext, KindModule } from '../kind.js';
import { isRecord } from '../report.js';
import { reportSchemaErrors } from '../schema-report.js';
import { getValidator } from '../validators.js';
import { checkPipelineRules } from './rules.js';

function detect(value: unknown): number {
  if (!isRecord(value)) return 0;
  const inner = value.pipeline;
  if (isRecord(inner)) {
    let score = 0.5;
    if (Array.isArray(inner.stages)) score += 0.4;
    if ('roleArn' in inner || 'artifactStore' in inner || 'artifactStores' in inner) score += 0.2;
    return Math.min(1, score);
  }
  // A bare declaration (without the `pipeline` wrapper) is still recognisably a pipeline.
  if (Array.isArray(value.stages) && ('roleArn' in value || 'artifactStore' in value)) return 0.6;
  return 0;
}

function check(ctx: KindContext): void {
  const value = ctx.value;
  if (isRecord(value) && value.pipeline === undefined && Array.isArray(value.stages)) {
    ctx.reporter.report(
      'pipeline/missing-key',
      [],
      'this is a bare pipeline declaration; create-pipeline and update-pipeline take it wrapped as `{"pipeline": {...}}`',
    );
    return;
  }
  const v = getValidator('pipeline');
  if (!v(value))
    reportSchemaErrors(v.errors ?? [], ctx.reporter, {
      prefix: 'pipeline',
      // A list-shaped artifactStores gets its own message from the artifact-store rule (the real cause).
      skip: (path, e) =>
        path[path.length - 1] === 'artifactStores' && e.keyword === 'type' && Array.isArray(e.data),
    });
  checkPipelineRules(ctx);
}

export const pipelineKind: KindModule = { kind: 'pipeline', detect, check };
