/**
 * V2 pipeline rules: features only V2 pipelines have (pipeline variables, triggers, QUEUED/PARALLEL
 * execution, stage conditions), git triggers and their filters, and stage conditions' results and rules.
 */
import { isRecord } from '../report.js';
import type { PathSegment } from '../source.js';
import { v2Features } from './pipeline-type.js';
import { CONDITION_RULE_PROVIDERS } from './providers.js';
import type { PipelineRuleInput } from './rule-input.js';

/**
 * A V1 pipeline cannot use V2 parameters (error). A pipeline that does not say its type and uses one
 * becomes V2 on AWS, with V2 pricing: accepted, so a warning that asks to write it down.
 */
export function checkV2Features({ ctx, pipeline, base, explicitV1 }: PipelineRuleInput): void {
  const r = ctx.reporter;
  if (explicitV1) {
    for (const f of v2Features(pipeline)) {
      const mode = f.path[0] === 'executionMode';
      r.report(
        'pipeline/v2-only',
        [...base, ...f.path],
        mode
          ? `${f.what} needs a V2 pipeline; V1 pipelines run SUPERSEDED`
          : `${f.what} needs a V2 pipeline; this pipeline is V1`,
        { ...(mode ? {} : { part: 'key' as const }), hint: 'set `pipelineType: V2`' },
      );
    }
    return;
  }
  if (pipeline.pipelineType !== undefined) return;
  const first = v2Features(pipeline, { actions: true })[0];
  if (!first) return;
  r.report(
    'pipeline/implicit-v2',
    [...base, ...first.path],
    `pipelineType is not set, and ${first.what} makes CodePipeline create this pipeline as V2 (with V2 pricing)`,
    { part: 'key', hint: 'write `pipelineType: V2` so the file says what AWS creates' },
  );
}

export function checkTriggers({ ctx, pipeline, actions, base }: PipelineRuleInput): void {
  if (!Array.isArray(pipeline.triggers)) return;
  const r = ctx.reporter;
  const used = new Map<string, number>();
  pipeline.triggers.forEach((t, i) => {
    if (!isRecord(t) || !isRecord(t.gitConfiguration)) return;
    const git = t.gitConfiguration;
    const p: PathSegment[] = [...base, 'triggers', i, 'gitConfiguration'];
    const name = git.sourceActionName;
    if (typeof name === 'string') {
      const action = actions.find((a) => a.name === name && a.category === 'Source');
      const connections = actions.filter((a) => a.provider === 'CodeStarSourceConnection').map((a) => a.name);
      if (!action) {
        r.report(
          'pipeline/trigger-source-action',
          [...p, 'sourceActionName'],
          `trigger names source action \`${name}\`, which is not a source action of this pipeline; CodeStarSourceConnection actions: ${connections.join(', ') || 'none'}`,
        );
      } else if (action.provider !== 'CodeStarSourceConnection') {
        r.report(
          'pipeline/trigger-source-action',
          [...p, 'sourceActionName'],
          `trigger names \`${name}\`, a ${action.provider} action; triggers work only with CodeStarSourceConnection source actions`,
        );
      }
      const prev = used.get(name);
      if (prev !== undefined)
        r.report(
          'pipeline/trigger-source-action',
          [...p, 'sourceActionName'],
          `source action \`${name}\` already has trigger ${prev + 1}; each source action takes one trigger`,
        );
      else used.set(name, i);
    }
    for (const kind of ['push', 'pullRequest'] as const) {
      const filters = git[kind];
      if (!Array.isArray(filters)) continue;
      filters.forEach((f, j) => {
        if (!isRecord(f)) return;
        if (f.filePaths !== undefined && f.branches === undefined) {
          r.report(
            'pipeline/trigger-filter',
            [...p, kind, j, 'filePaths'],
            `a ${kind} filter with filePaths also needs branches (valid: ${kind === 'push' ? 'tags, branches, or branches + filePaths' : 'branches, or branches + filePaths'})`,
            { part: 'key' },
          );
        }
        if (
          kind === 'push' &&
          f.tags !== undefined &&
          (f.branches !== undefined || f.filePaths !== undefined)
        ) {
          r.report(
            'pipeline/trigger-filter',
            [...p, kind, j, 'tags'],
            'a push filter on tags cannot also filter branches or file paths (valid: tags, branches, or branches + filePaths)',
            { part: 'key' },
          );
        }
        if (kind === 'push' && f.tags === undefined && f.branches === undefined) {
          r.report('pipeline/trigger-filter', [...p, kind, j], 'a push filter needs tags or branches');
        }
        if (kind === 'pullRequest' && f.branches === undefined) {
          r.report('pipeline/trigger-filter', [...p, kind, j], 'a pullRequest filter needs branches');
        }
      });
    }
  });
}

const CONDITION_RESULTS: Record<string, readonly string[]> = {
  beforeEntry: ['FAIL', 'SKIP'],
  onSuccess: ['ROLLBACK', 'FAIL'],
  onFailure: ['ROLLBACK', 'RETRY'],
};

export function checkConditions({ ctx, stages, base }: PipelineRuleInput): void {
  const r = ctx.reporter;
  stages.forEach((stage, s) => {
    if (!isRecord(stage)) return;
    for (const k of ['beforeEntry', 'onSuccess', 'onFailure'] as const) {
      const block = stage[k];
      if (!isRecord(block)) continue;
      const p: PathSegment[] = [...base, 'stages', s, k];
      const allowed = CONDITION_RESULTS[k]!;
      if (k === 'onFailure' && typeof block.result === 'string' && !allowed.includes(block.result)) {
        r.report(
          'pipeline/condition-result',
          [...p, 'result'],
          `onFailure result is ${block.result}; allowed: ${allowed.join(', ')}`,
        );
      }
      if (!Array.isArray(block.conditions)) continue;
      block.conditions.forEach((c, i) => {
        if (!isRecord(c)) return;
        if (typeof c.result === 'string' && !allowed.includes(c.result)) {
          r.report(
            'pipeline/condition-result',
            [...p, 'conditions', i, 'result'],
            `${k === 'beforeEntry' ? 'a' : 'an'} ${k} condition result is ${c.result}; allowed: ${allowed.join(', ')}`,
          );
        }
        if (!Array.isArray(c.rules)) return;
        c.rules.forEach((rule, j) => {
          if (!isRecord(rule) || !isRecord(rule.ruleTypeId)) return;
          const provider = rule.ruleTypeId.provider;
          if (typeof provider !== 'string') return;
          const rp = [...p, 'conditions', i, 'rules', j, 'ruleTypeId', 'provider'];
          if (!CONDITION_RULE_PROVIDERS.includes(provider)) {
            r.report(
              'pipeline/condition-rule',
              rp,
              `rule provider \`${provider}\` is not a known condition rule; known: ${CONDITION_RULE_PROVIDERS.join(', ')}`,
            );
          } else if (
            k === 'beforeEntry' &&
            c.result === 'SKIP' &&
            provider !== 'LambdaInvoke' &&
            provider !== 'VariableCheck'
          ) {
            r.report(
              'pipeline/condition-rule',
              rp,
              `a beforeEntry condition with result SKIP allows only LambdaInvoke and VariableCheck rules, found ${provider}`,
            );
          }
        });
      });
    }
  });
}
