/**
 * Running one action: its local executor, its configuration with variables resolved, its input artifacts checked,
 * a fresh work folder; then the action family's module (source, approval, build, deploy) does the work.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ActionRecord } from '../run-store.js';
import { runApprovalAction } from './approval-action.js';
import { artifactDir } from './artifacts.js';
import { runBuildAction } from './build-action.js';
import { runDeployAction } from './deploy-action.js';
import { type ActionDeclaration, actionKey, type StageDeclaration } from './model.js';
import type { ActionOutcome, RunContext } from './run-types.js';
import { runSourceAction } from './source-action.js';
import { resolveConfiguration, type VariableScope } from './variables.js';

/** Runs one action; a failure is an outcome, and a thrown error is left to the stage, which records it. */
export async function runAction(
  ctx: RunContext,
  stage: StageDeclaration,
  action: ActionDeclaration,
  actionRecord: ActionRecord,
  scope: VariableScope,
  runDir: string,
  artifactsRunDir: string,
): Promise<ActionOutcome> {
  const { options } = ctx;
  const key = actionKey(stage.name, action.name);
  const executor = options.executors.get(key);
  if (!executor) return { status: 'Failed', message: `${key} has no local runner` };
  const resolved = resolveConfiguration(action.configuration, scope);
  if (resolved.missing.length > 0) {
    return {
      status: 'Failed',
      message: `unresolved variable reference ${[...new Set(resolved.missing)].join(', ')}: no earlier action, pipeline variable or reserved namespace provides it`,
    };
  }
  const config = resolved.configuration;
  const inputs = (action.inputArtifacts ?? []).map((a) => a.name);
  const outputs = (action.outputArtifacts ?? []).map((a) => a.name);
  for (const name of inputs) {
    if (!existsSync(artifactDir(artifactsRunDir, name))) {
      return { status: 'Failed', message: `input artifact ${name} was not produced by an earlier action` };
    }
  }
  const work = join(runDir, 'work', `${stage.name}--${action.name}`.replace(/[^A-Za-z0-9.@_-]/g, '_'));
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  switch (executor.kind) {
    case 'source':
      return runSourceAction(ctx, action, config, outputs, runDir);
    case 'manual':
      return runApprovalAction(ctx, stage, action, actionRecord, config, runDir);
    case 'codebuild':
    case 'commands':
    case 'local-command':
      return runBuildAction(
        ctx,
        stage,
        action,
        executor,
        config,
        inputs,
        outputs,
        work,
        runDir,
        artifactsRunDir,
      );
    case 'codedeploy':
      return runDeployAction(
        ctx,
        stage,
        action,
        executor.groupFile,
        config,
        inputs,
        work,
        artifactsRunDir,
        actionRecord,
      );
  }
}
