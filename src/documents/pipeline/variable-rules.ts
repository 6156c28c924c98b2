/**
 * Namespace and variable rules: action namespaces unique and not reserved, and every `#{...}` reference
 * (in actions and stage condition rules) naming a declared pipeline variable, a reserved codepipeline
 * variable, or an output variable of an action that runs before it.
 */
import { isRecord, suggest } from '../report.js';
import type { PathSegment } from '../source.js';
import { type ActionInfo, actionLabel, runsBefore, str } from './action-info.js';
import {
  CODEPIPELINE_VARIABLES,
  emittedVariables,
  type VariableReference,
  variableReferences,
} from './output-variables.js';
import type { PipelineRuleInput } from './rule-input.js';

/** Something that reads variables: an action, or a stage condition's rule (e.g. VariableCheck). */
interface VariableConsumer {
  label: string;
  stage: number;
  /** Where in its stage it runs: a beforeEntry rule before every action (0), onSuccess/onFailure after all. */
  runOrder: number;
  refs: VariableReference[];
}

function variableConsumers(
  pipeline: Record<string, unknown>,
  actions: ActionInfo[],
  base: PathSegment[],
): VariableConsumer[] {
  const out: VariableConsumer[] = actions.map((a) => ({
    label: actionLabel(a),
    stage: a.stage,
    runOrder: a.runOrder,
    refs: variableReferences(a),
  }));
  // Stryker disable next-line ArrayDeclaration: equivalent, an entry that is not a mapping is skipped like no entry
  const stages = Array.isArray(pipeline.stages) ? pipeline.stages : [];
  stages.forEach((stage, s) => {
    if (!isRecord(stage)) return;
    for (const k of ['beforeEntry', 'onSuccess', 'onFailure'] as const) {
      const block = stage[k];
      if (!isRecord(block) || !Array.isArray(block.conditions)) continue;
      block.conditions.forEach((c, i) => {
        if (!isRecord(c) || !Array.isArray(c.rules)) return;
        c.rules.forEach((rule, j) => {
          if (!isRecord(rule)) return;
          out.push({
            label: `${str(stage.name) ?? `stage ${s + 1}`} ${k} rule ${str(rule.name) ?? j + 1}`,
            stage: s,
            runOrder: k === 'beforeEntry' ? 0 : Number.POSITIVE_INFINITY,
            refs: variableReferences({
              raw: rule,
              configuration: isRecord(rule.configuration) ? rule.configuration : {},
              path: [...base, 'stages', s, k, 'conditions', i, 'rules', j],
            }),
          });
        });
      });
    }
  });
  return out;
}

export function checkNamespacesAndVariables({ ctx, pipeline, actions, base }: PipelineRuleInput): void {
  const r = ctx.reporter;
  const artifactNames = new Set(actions.flatMap((a) => a.outputs));
  const namespaces = new Map<string, ActionInfo>();
  for (const a of actions) {
    if (!a.namespace) continue;
    const p = [...a.path, 'namespace'];
    const prev = namespaces.get(a.namespace);
    if (prev)
      r.report(
        'pipeline/namespace-conflict',
        p,
        `namespace \`${a.namespace}\` is already declared by ${actionLabel(prev)}; namespaces must be unique`,
      );
    else namespaces.set(a.namespace, a);
    if (artifactNames.has(a.namespace))
      r.report(
        'pipeline/namespace-conflict',
        p,
        `namespace \`${a.namespace}\` has the same name as an artifact; namespaces cannot match artifact names`,
      );
    if (a.namespace === 'codepipeline' || a.namespace === 'variables')
      r.report('pipeline/namespace-conflict', p, `namespace \`${a.namespace}\` is reserved by CodePipeline`);
  }
  const pipelineVars = Array.isArray(pipeline.variables)
    ? pipeline.variables.flatMap((v) => (isRecord(v) && typeof v.name === 'string' ? [v.name] : []))
    : [];
  const didYouMean = (key: string, names: readonly string[]) => {
    const guess = suggest(key, names);
    return guess ? { hint: `did you mean \`${guess}\`?` } : {};
  };
  for (const a of variableConsumers(pipeline, actions, base)) {
    for (const { ref, namespace: ns, key, path: p, occurrence } of a.refs) {
      const here = { within: { text: ref, occurrence } };
      if (ns === 'SecretsManager') continue;
      if (ns === 'codepipeline') {
        if (!CODEPIPELINE_VARIABLES.includes(key))
          r.report(
            'pipeline/unknown-output-variable',
            p,
            `${ref} in ${a.label} names \`${key}\`, which the reserved codepipeline namespace does not have (has: ${CODEPIPELINE_VARIABLES.join(', ')})`,
            { ...here, ...didYouMean(key, CODEPIPELINE_VARIABLES) },
          );
        continue;
      }
      if (ns === 'variables') {
        if (!pipelineVars.includes(key))
          r.report(
            'pipeline/unknown-variable',
            p,
            `${ref} names pipeline variable \`${key}\`, which \`variables\` does not declare${pipelineVars.length ? ` (declared: ${pipelineVars.join(', ')})` : ''}`,
            { ...here, ...didYouMean(key, pipelineVars) },
          );
        continue;
      }
      const producer = namespaces.get(ns);
      if (!producer) {
        r.report(
          'pipeline/unknown-variable',
          p,
          `${ref} uses namespace \`${ns}\`, which no action declares${namespaces.size ? `; declared: ${[...namespaces.keys()].join(', ')}` : ''}`,
          { ...here, ...didYouMean(ns, [...namespaces.keys()]) },
        );
        continue;
      }
      if (!runsBefore(producer, a)) {
        r.report(
          'pipeline/unknown-variable',
          p,
          `${ref} in ${a.label} reads namespace \`${ns}\` of ${actionLabel(producer)}, which does not run before it`,
          here,
        );
        continue;
      }
      const emitted = emittedVariables(producer);
      if (!emitted.known || emitted.names.includes(key)) continue;
      const listed = emitted.names.join(', ');
      r.report(
        'pipeline/unknown-output-variable',
        p,
        emitted.by === 'declared'
          ? `${ref} in ${a.label} reads \`${key}\`, but ${actionLabel(producer)} is a ${producer.provider} action, which exports only the variables its \`outputVariables\` lists (${listed || 'none'})`
          : `${ref} in ${a.label} reads \`${key}\`, but ${actionLabel(producer)} (${producer.owner}/${producer.category}/${producer.provider}) emits only ${listed}`,
        { ...here, ...didYouMean(key, emitted.names) },
      );
    }
  }
}
