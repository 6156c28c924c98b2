/** Deployment-group kind (minimal, see schema.ts; the deploy helper extends it). */
import type { KindContext, KindModule } from '../kind.js';
import { isRecord } from '../report.js';
import { reportSchemaErrors } from '../schema-report.js';
import { getValidator } from '../validators.js';

function detect(value: unknown): number {
  if (!isRecord(value)) return 0;
  let score = 0;
  if (typeof value.deploymentGroup === 'string') score += 0.5;
  if (typeof value.application === 'string') score += 0.3;
  if (value.provider === 'local' || value.provider === 'codedeploy') score += 0.3;
  if (isRecord(value.strategy)) score += 0.2;
  return Math.min(1, score);
}

function check(ctx: KindContext): void {
  const v = getValidator('deployment-group');
  if (!v(ctx.value)) reportSchemaErrors(v.errors ?? [], ctx.reporter, { prefix: 'deployment-group' });
}

export const deploymentGroupKind: KindModule = { kind: 'deployment-group', detect, check };
