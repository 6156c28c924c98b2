/**
 * The variable scope a stage resolves `#{Namespace.Variable}` against: the scope a new run starts with (pipeline
 * variables and the reserved `codepipeline` namespace), and the scope of an earlier run a rollback replays.
 */
import type { RunRecord } from '../run-store.js';
import type { PipelineDeclaration } from './model.js';
import type { VariableScope } from './variables.js';

/** Pipeline variables: declared defaults, overridden by --variable; an undeclared name is refused upfront by the CLI. */
export function newRunScope(
  pipeline: PipelineDeclaration,
  overrides: Record<string, string> | undefined,
  executionId: string,
): { scope: VariableScope; pipelineVariables: Record<string, string> } {
  const scope: VariableScope = new Map();
  const pipelineVariables: Record<string, string> = {};
  for (const v of pipeline.variables ?? [])
    if (v.defaultValue !== undefined) pipelineVariables[v.name] = v.defaultValue;
  Object.assign(pipelineVariables, overrides ?? {});
  scope.set('variables', pipelineVariables);
  scope.set('codepipeline', { PipelineExecutionId: executionId });
  return { scope, pipelineVariables };
}

/** The scope as it stood at the end of an earlier run: its actions' output variables under their namespaces. */
export function scopeOfEarlierRun(pipeline: PipelineDeclaration, previous: RunRecord): VariableScope {
  const prevScope: VariableScope = new Map();
  for (const s of previous.stages ?? []) {
    for (const a of s.actions) {
      const decl = pipeline.stages.find((x) => x.name === s.name)?.actions.find((x) => x.name === a.name);
      if (decl?.namespace && a.outputVariables) prevScope.set(decl.namespace, a.outputVariables);
    }
  }
  prevScope.set('variables', previous.variables ?? {});
  prevScope.set('codepipeline', { PipelineExecutionId: previous.executionId ?? '' });
  return prevScope;
}
