/** Deployment-group kind: schema (schema.ts), then the rules a schema cannot express (rules.ts). */
import { dirname, resolve } from 'node:path';
import type { KindContext, KindModule } from '../kind.js';
import { isRecord } from '../report.js';
import { reportSchemaErrors } from '../schema-report.js';
import { getValidator } from '../validators.js';
import { groupRules } from './rules.js';
import type { DeploymentGroup } from './schema.js';

function detect(value: unknown): number {
  if (!isRecord(value)) return 0;
  let score = 0;
  if (typeof value.deploymentGroup === 'string') score += 0.5;
  if (typeof value.application === 'string') score += 0.3;
  if (value.provider === 'local' || value.provider === 'codedeploy') score += 0.3;
  if (isRecord(value.strategy) || typeof value.strategy === 'string') score += 0.2;
  return Math.min(1, score);
}

function check(ctx: KindContext): void {
  const v = getValidator('deployment-group');
  if (!v(ctx.value)) {
    // A strategy step that is none of the three shapes: say which shapes exist and what was found.
    const badSteps = new Set<string>();
    for (const e of v.errors ?? []) {
      if (e.keyword !== 'anyOf' || !/^\/strategy\/steps\/\d+$/.test(e.instancePath)) continue;
      const deeper = (v.errors ?? []).some((x) => x.instancePath.startsWith(`${e.instancePath}/`));
      if (deeper) continue;
      badSteps.add(e.instancePath);
      const index = Number(e.instancePath.split('/').pop());
      const steps = (ctx.value as { strategy?: { steps?: unknown[] } }).strategy?.steps ?? [];
      const found = steps[index];
      const keys = isRecord(found)
        ? Object.keys(found).join(', ') || 'an empty mapping'
        : JSON.stringify(found);
      ctx.reporter.report(
        'deployment-group/invalid-value',
        ['strategy', 'steps', index],
        `strategy step ${index + 1} must be one of setWeight: N, pause: {seconds?}, analysis: {seconds?}; found ${keys}`,
      );
    }
    reportSchemaErrors(v.errors ?? [], ctx.reporter, {
      prefix: 'deployment-group',
      skip: (path) => badSteps.has(`/${path.join('/')}`),
    });
    return;
  }
  for (const f of ctx.groupChecks?.(ctx.value, ctx.source.file) ?? [])
    ctx.reporter.report('deployment-group/provider-refuses', f.path, f.message);
  const dir = dirname(resolve(ctx.source.file));
  for (const rule of groupRules) {
    for (const f of rule(ctx.value as DeploymentGroup, dir, ctx.fileExists)) {
      ctx.reporter.report(f.ruleId ?? 'deployment-group/invalid-value', f.path, f.message);
    }
  }
}

export const deploymentGroupKind: KindModule = { kind: 'deployment-group', detect, check };
