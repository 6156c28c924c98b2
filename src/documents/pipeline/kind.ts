import type { KindContext, KindModule } from '../kind.js';
import { isRecord } from '../report.js';
import { reportSchemaErrors } from '../schema-report.js';
import { getValidator } from '../validators.js';
import { detectPipeline } from './detect.js';
import { checkPipelineRules } from './rules.js';

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

export const pipelineKind: KindModule = { kind: 'pipeline', detect: detectPipeline, check };
