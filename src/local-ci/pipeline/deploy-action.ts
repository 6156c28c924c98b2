/**
 * Deploy actions: a CodeDeploy action deploys its input artifact (the revision) to the mapped local deployment group
 * through the local fleet's deployer, one run at a time per group (the deploy lock).
 */
import { join } from 'node:path';
import { readLockOwner, tryLock } from '../lock.js';
import type { ActionRecord } from '../run-store.js';
import { artifactDir, copyArtifactFolder } from './artifacts.js';
import { cliDeployer } from './deployer.js';
import type { ActionDeclaration, StageDeclaration } from './model.js';
import type { ActionOutcome, RunContext } from './run-types.js';

/**
 * A CodeDeploy action: the input artifact is the revision, deployed to the mapped local deployment group. Local
 * runs deploying to the same group take turns through a deploy lock; a run that waits says whom it waits for.
 */
export async function runDeployAction(
  ctx: RunContext,
  stage: StageDeclaration,
  action: ActionDeclaration,
  groupFile: string,
  config: Record<string, string>,
  inputs: string[],
  work: string,
  artifactsRunDir: string,
  actionRecord: ActionRecord,
): Promise<ActionOutcome> {
  const { record, options, emit, save } = ctx;
  const input = inputs[0];
  if (!input)
    return { status: 'Failed', message: 'a CodeDeploy action needs one input artifact (the revision)' };
  const lockName = `${config.ApplicationName}--${config.DeploymentGroupName}`.replace(
    /[^A-Za-z0-9.@_-]/g,
    '_',
  );
  const lockDir = join(options.root, '.conveyor', 'locks', 'deploy', lockName);
  const deadline = Date.now() + (options.deployLockTimeoutMs ?? 30 * 60_000);
  let waitedFor: string | undefined;
  const waitStart = Date.now();
  let held = await tryLock(lockDir, { runId: record.id, action: `${stage.name}/${action.name}` });
  while (!held) {
    const owner = await readLockOwner(lockDir);
    // No owner while the holder is just taking or releasing the lock: keep the last one we knew.
    const holder = owner
      ? typeof owner.runId === 'string'
        ? owner.runId
        : `pid ${String(owner.pid)}`
      : (waitedFor ?? 'another run');
    if (waitedFor !== holder) {
      waitedFor = holder;
      actionRecord.message = `waiting for the deploy lock of ${config.ApplicationName}/${config.DeploymentGroupName}, held by ${holder}`;
      await save();
      emit({
        type: 'waiting',
        runId: record.id,
        what: `deploy lock ${config.ApplicationName}/${config.DeploymentGroupName}`,
        holder,
      });
    }
    if (Date.now() > deadline || options.signal?.aborted) {
      return {
        status: 'Failed',
        message: `deploy lock of ${config.ApplicationName}/${config.DeploymentGroupName} still held by ${holder} after ${Math.round((Date.now() - waitStart) / 1000)} s; nothing was deployed`,
      };
    }
    await new Promise((r) => setTimeout(r, 100));
    held = await tryLock(lockDir, { runId: record.id, action: `${stage.name}/${action.name}` });
  }
  try {
    const revisionDir = join(work, 'revision');
    await copyArtifactFolder(artifactDir(artifactsRunDir, input), revisionDir);
    const logPath = join(work, 'deploy.log');
    const deployer = options.deployer ?? cliDeployer;
    const result = await deployer.deploy({
      configFile: groupFile,
      revisionDir,
      cwd: options.root,
      logPath,
      env: options.baseEnv,
      masker: ctx.masker,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const waited = waitedFor
      ? ` (waited ${Math.round((Date.now() - waitStart) / 1000)} s for the deploy lock held by ${waitedFor})`
      : '';
    return {
      status: result.ok ? 'Succeeded' : 'Failed',
      message: `${result.message}${waited}`.trim(),
      logPath,
    };
  } finally {
    await held.release();
  }
}
