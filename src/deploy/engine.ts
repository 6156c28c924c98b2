/**
 * What the commands call: plan a deployment (no side effects), create it under the group's lock,
 * run it (in this process or a detached one), resume it, request promote/abort, roll back.
 */
import { spawn } from 'node:child_process';
import type { Clock } from '../core/clock.js';
import { errorMessage, STATE_HINT, storageFailure, UsageError, WorkFailedError } from '../core/errors.js';
import { ensureStateDir } from '../core/files.js';
import { distEntry } from '../core/paths.js';
import { processAlive } from '../core/process.js';
import type { DeployProvider } from '../providers/provider.js';
import { CheckProcessFiles, stopLeftoverCheckProcesses } from './checks/check-processes.js';
import { checkProvidersFor } from './checks/providers.js';
import type { DeploymentOptions, LedgerEvent, RevisionRef } from './events.js';
import { fleetSize, type GroupContext, providerFor, readGroupState, rememberGroupFile } from './group.js';
import { acquireLock, type LockInfo, readLock, releaseLock, transferLock } from './lock.js';
import { createNotifier } from './notify.js';
import { checkRevision, pruneRevisions, type RevisionTarget, storeRevision } from './revision.js';
import type { AwsOverrides, RunOptions } from './run-options.js';
import { createDeployment, newDeploymentId, Runner } from './runner.js';
import { currentFleet, servingFleet } from './serving.js';
import { type DeploymentState, findDeployment, type GroupState, isTerminal } from './state.js';
import { type CurrentFleet, type Plan, planDeployment } from './strategies/plan.js';
import { resolveStrategy, Strategies, type Strategy } from './strategies/strategy.js';

export interface PlannedDeployment {
  plan: Plan;
  strategy: Strategy;
  revision: { dir: string; label: string };
  current?: CurrentFleet;
  previous?: { slot: 'a' | 'b'; revision: RevisionRef };
}

export function isCodeDeploy(ctx: GroupContext): boolean {
  return ctx.loaded.group.provider === 'codedeploy';
}

/**
 * Provider-specific checks before anything is recorded: the local router starts (its port is free); CodeDeploy:
 * the live group, the config, the revision.
 */
export async function checkBeforeCreate(
  ctx: GroupContext,
  planned: PlannedDeployment,
  opts: {
    clock: Clock;
    env: Record<string, string | undefined>;
    aws?: AwsOverrides;
    skipAnalysis?: boolean;
    ignoreApplicationStopFailures?: boolean;
  },
): Promise<void> {
  if (!isCodeDeploy(ctx)) {
    // The data plane first: a router that cannot start (its port taken) refuses the deployment before anything
    // is recorded, instead of leaving a Failed deployment that never ran in the history.
    try {
      await (await providerFor(ctx)).prepare();
    } catch (err) {
      // A full disk is said as such (WorkFailedError from the provider), not as a router that would not start.
      if (err instanceof WorkFailedError) throw err;
      throw new UsageError(errorMessage(err), 'nothing was recorded; deploy again once the router can start');
    }
    return;
  }
  const { checkCodeDeployDeployment } = await import('./codedeploy-run.js');
  await checkCodeDeployDeployment(ctx, planned.revision, {
    clock: opts.clock,
    env: opts.env,
    ...(opts.aws ? { aws: opts.aws } : {}),
    strategy: planned.strategy,
    ...(opts.skipAnalysis ? { skipAnalysis: true } : {}),
    ...(opts.ignoreApplicationStopFailures ? { ignoreApplicationStopFailures: true } : {}),
  });
}

/** What the group's provider can run, for the revision check (CodeDeploy: its compute platform, when given). */
function revisionTarget(ctx: GroupContext): RevisionTarget {
  if (!isCodeDeploy(ctx)) return { provider: 'local' };
  const platform = ctx.loaded.group.codedeploy?.computePlatform;
  return platform ? { provider: 'codedeploy', computePlatform: platform } : { provider: 'codedeploy' };
}

/**
 * Instances of the serving fleet that do not answer their health check now (one probe each, read-only), so the
 * planner replaces them first. None for CodeDeploy groups (CodeDeploy orders its own batches) or after `down`.
 */
export async function unhealthyInstances(ctx: GroupContext): Promise<string[]> {
  if (isCodeDeploy(ctx)) return [];
  const fleet = servingFleet(readGroupState(ctx).state);
  if (!fleet?.instances.length) return [];
  const provider = await providerFor(ctx);
  const reports = await provider.checkHealth(fleet.instances, AbortSignal.timeout(10_000));
  return reports.filter((r) => !r.healthy).map((r) => r.instance);
}

/**
 * Pure with respect to the group: reads the ledger, writes nothing. Used by --dry-run too. `unhealthy`: instances
 * of the serving fleet found unhealthy (`unhealthyInstances`), which in-place batches take first.
 */
export function prepareDeployment(
  ctx: GroupContext,
  input: { revisionDir: string; strategy?: string; cwd: string; unhealthy?: readonly string[] },
): PlannedDeployment {
  const revision = checkRevision(input.revisionDir, input.cwd, revisionTarget(ctx));
  const strategy = resolveStrategy(input.strategy ?? ctx.loaded.group.strategy);
  const { state } = readGroupState(ctx);
  return planFrom(state, fleetSize(ctx), strategy, revision, input.unhealthy);
}

/** The plan from what serves now: the recorded fleet, or nothing after `down` (a fresh fleet is installed). */
function planFrom(
  state: GroupState,
  size: number,
  strategy: Strategy,
  revision: { dir: string; label: string },
  unhealthy: readonly string[] = [],
): PlannedDeployment {
  const serving = currentFleet(state);
  const current = serving && unhealthy.length ? { ...serving, unhealthy } : serving;
  const fleet = servingFleet(state);
  return {
    plan: planDeployment(size, current, strategy),
    strategy,
    revision,
    ...(current ? { current } : {}),
    ...(fleet ? { previous: { slot: fleet.slot, revision: fleet.revision } } : {}),
  };
}

function refusal(holder: LockInfo, state: GroupState): UsageError {
  const d = state.deployments.find((x) => x.id === holder.deploymentId);
  const what = d ? `${d.id} (${d.revision.label}, ${d.status})` : holder.deploymentId;
  return new UsageError(
    `deployment ${what} is already running on this group (pid ${holder.pid}); one deployment per group at a time`,
    `follow it with 'conveyor status ${holder.deploymentId} --watch', or stop it with 'conveyor abort ${holder.deploymentId}'`,
  );
}

/** Takes the group lock and writes the deployment's `created` event. Refuses while another one runs. */
export function createUnderLock(
  ctx: GroupContext,
  planned: PlannedDeployment,
  options: Omit<DeploymentOptions, 'creator'> & { creator?: DeploymentOptions['creator'] },
  clock: Clock,
): string {
  const id = newDeploymentId();
  const { state } = readGroupState(ctx);
  ensureStateDir(ctx.stateDir);
  const lock = acquireLock(ctx.groupDir, { pid: process.pid, deploymentId: id, since: clock.now() });
  if (!lock.ok) throw refusal(lock.holder, state);
  if (state.active) {
    releaseLock(ctx.groupDir);
    throw new UsageError(
      `deployment ${state.active.id} (${state.active.revision.label}) did not finish: its runner stopped while ${state.active.status}`,
      `resume it with 'conveyor deploy --resume --config ${ctx.loaded.file}' or undo it with 'conveyor rollback --config ${ctx.loaded.file}'`,
    );
  }
  try {
    rememberGroupFile(ctx);
    // No deployment runs now and the lock keeps new ones out: the moment to keep the ledger's size bounded.
    ctx.ledger.compact();
    pruneRevisions(
      ctx.groupDir,
      state.deployments.map((d) => d.id),
      // The serving revision, and the good ones `conveyor rollback` may go back to.
      [
        state.fleet?.revision.dir,
        state.lastGood?.dir,
        ...state.deployments
          .filter((d) => d.status === 'Succeeded')
          .slice(-3)
          .map((d) => d.revision.dir),
      ].filter((d): d is string => d !== undefined),
    );
    const revision = storeRevision(ctx.groupDir, id, planned.revision);
    createDeployment(ctx.ledger, clock, {
      id,
      revision,
      plan: planned.plan,
      options: {
        creator: 'user',
        ...options,
        // CodeDeploy's runner starts the deployment from this, not from the group file.
        ...(isCodeDeploy(ctx) ? { strategy: planned.strategy } : {}),
      },
      ...(planned.previous ? { previous: planned.previous } : {}),
    });
    return id;
  } catch (err) {
    releaseLock(ctx.groupDir);
    throw storageFailure(err, ctx.groupDir, STATE_HINT);
  }
}

function makeRunner(ctx: GroupContext, id: string, provider: DeployProvider, opts: RunOptions): Runner {
  const notifier = createNotifier(ctx.loaded.group.notifications ?? [], {
    cwd: ctx.loaded.dir,
    ...(opts.env ? { runEnv: opts.env } : {}),
    onFailure: (target, message) => {
      const event: LedgerEvent = {
        type: 'notification-failed',
        target,
        message,
        at: opts.clock.now(),
        deploymentId: id,
      };
      ctx.ledger.append(event);
      const d = findDeployment(readGroupState(ctx).state, id);
      if (d) opts.onEvent?.(event, d);
    },
  });
  return new Runner(
    {
      ledger: ctx.ledger,
      provider,
      clock: opts.clock,
      group: ctx.loaded.group,
      configDir: ctx.loaded.dir,
      notifier,
      signal: opts.signal,
      checkProviders: checkProvidersFor(opts.env ?? process.env, opts.aws),
      checkEnv: opts.env ?? process.env,
      checkProcesses: new CheckProcessFiles(ctx.groupDir, id),
      ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
      ...(opts.evaluateGate ? { evaluateGate: opts.evaluateGate } : {}),
      ...(opts.pollMs ? { pollMs: opts.pollMs } : {}),
    },
    id,
  );
}

/** Runs (or resumes) a deployment this process holds the lock for; releases the lock when it ends. */
export async function runHeld(ctx: GroupContext, id: string, opts: RunOptions): Promise<DeploymentState> {
  if (isCodeDeploy(ctx) && !opts.provider) {
    // CodeDeploy runs the whole deployment itself; its runner records what CodeDeploy reports.
    const { runCodeDeployHeld } = await import('./codedeploy-run.js');
    return runCodeDeployHeld(ctx, id, opts);
  }
  try {
    // A runner killed with -9 left its check's processes running: they go before this one runs checks again.
    await stopLeftoverCheckProcesses(ctx.groupDir);
    const provider = opts.provider ?? (await providerFor(ctx));
    return await makeRunner(ctx, id, provider, opts).run();
  } finally {
    releaseLock(ctx.groupDir);
  }
}

/**
 * Starts the runner as a detached process and hands it the lock; returns its pid. The runner gets what the
 * command would have run with in process: the group, the state folder, `--region` / `--profile` and the
 * environment.
 */
export function spawnDetachedRunner(
  ctx: GroupContext,
  id: string,
  opts: {
    stateDirArg?: string | undefined;
    aws?: AwsOverrides;
    env?: Record<string, string | undefined>;
  } = {},
): number {
  const args = [distEntry('deploy/runner-main.js'), '--config', ctx.loaded.file, '--id', id];
  if (opts.stateDirArg) args.push('--state-dir', ctx.stateDir);
  if (opts.aws?.region) args.push('--region', opts.aws.region);
  if (opts.aws?.profile) args.push('--profile', opts.aws.profile);
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: 'ignore',
    ...(opts.env ? { env: opts.env } : {}),
  });
  child.unref();
  if (!child.pid) throw new WorkFailedError('could not start the detached runner');
  transferLock(ctx.groupDir, { pid: child.pid, deploymentId: id, since: Date.now() });
  return child.pid;
}

export function runnerAlive(ctx: GroupContext, d: DeploymentState): { alive: boolean; pid?: number } {
  const lock = readLock(ctx.groupDir);
  if (lock && lock.deploymentId === d.id) return { alive: processAlive(lock.pid), pid: lock.pid };
  return { alive: false, ...(d.runnerPid ? { pid: d.runnerPid } : {}) };
}

/** Resume an unfinished deployment whose runner died. */
export async function resume(ctx: GroupContext, opts: RunOptions): Promise<DeploymentState> {
  const { state } = readGroupState(ctx);
  const d = state.active;
  if (!d) throw new UsageError('no unfinished deployment to resume on this group');
  const lock = acquireLock(ctx.groupDir, { pid: process.pid, deploymentId: d.id, since: opts.clock.now() });
  if (!lock.ok) throw refusal(lock.holder, state);
  return runHeld(ctx, d.id, opts);
}

export function requestPromote(ctx: GroupContext, id: string | undefined, full: boolean, clock: Clock) {
  const { state } = readGroupState(ctx);
  const d = findDeployment(state, id);
  if (!d) throw new UsageError(id ? `no deployment ${id} in this group` : 'no deployment in this group yet');
  if (isTerminal(d.status))
    throw new UsageError(`deployment ${d.id} is already ${d.status}; nothing to promote`);
  ctx.ledger.append({ type: 'promote-requested', full, at: clock.now(), deploymentId: d.id });
  return { deployment: d, runner: runnerAlive(ctx, d) };
}

export function requestAbort(
  ctx: GroupContext,
  id: string | undefined,
  clock: Clock,
  reason = 'aborted by user',
) {
  const { state } = readGroupState(ctx);
  const d = findDeployment(state, id);
  if (!d) throw new UsageError(id ? `no deployment ${id} in this group` : 'no deployment in this group yet');
  if (isTerminal(d.status))
    throw new UsageError(`deployment ${d.id} is already ${d.status}; nothing to abort`);
  ctx.ledger.append({ type: 'abort-requested', reason, at: clock.now(), deploymentId: d.id });
  return { deployment: d, runner: runnerAlive(ctx, d) };
}

/**
 * Rolls back a deployment whose runner is gone: this process takes the lock and does it. A deployment whose abort
 * was requested (`conveyor abort`, the dashboard's abort) rolls back as an abort, as its runner would have: the
 * trigger (`status`, the rollback hooks' CONVEYOR_ROLLBACK_TRIGGER) says what the person asked for, not whether
 * the runner was still alive to do it. Otherwise (`conveyor rollback`) it is manual.
 */
export async function rollbackOrphan(
  ctx: GroupContext,
  d: DeploymentState,
  reason: string,
  opts: RunOptions,
): Promise<DeploymentState> {
  const { state } = readGroupState(ctx);
  const lock = acquireLock(ctx.groupDir, { pid: process.pid, deploymentId: d.id, since: opts.clock.now() });
  if (!lock.ok) throw refusal(lock.holder, state);
  if (isCodeDeploy(ctx) && !opts.provider) {
    // CodeDeploy rolls back itself: ask it to stop with rollback and follow the deployment to its end.
    if (d.pendingAbort === undefined) requestAbort(ctx, d.id, opts.clock, reason);
    return runHeld(ctx, d.id, opts);
  }
  try {
    // The dead runner's check processes go first: the rollback runs its own checks and hooks.
    await stopLeftoverCheckProcesses(ctx.groupDir);
    const provider = opts.provider ?? (await providerFor(ctx));
    await provider.prepare();
    const aborted = findDeployment(state, d.id)?.pendingAbort !== undefined;
    return await makeRunner(ctx, d.id, provider, opts).rollback(reason, aborted ? 'abort' : 'manual');
  } finally {
    releaseLock(ctx.groupDir);
  }
}

/**
 * How `conveyor rollback` redeploys when nothing runs: the group's own in-place batches (all at once only when the
 * group asks for all-at-once), or — for replacement strategies — a replacement fleet and one switch with no
 * waits, so serving capacity never drops and no manual pause holds the rollback.
 */
export function rollbackStrategy(groupStrategy: Strategy): Strategy {
  if (groupStrategy.kind === 'in-place' || groupStrategy.kind === 'rolling-with-additional-batch')
    return groupStrategy;
  return Strategies.blueGreen({ terminateBlueAfterSeconds: 0 });
}

/**
 * `conveyor rollback` when nothing is running: redeploy the newest good revision other than the one serving,
 * skipping deployments a later rollback already undid (so a second rollback never flips back to them).
 */
export function planRedeployPrevious(
  ctx: GroupContext,
  unhealthy: readonly string[] = [],
): {
  planned: PlannedDeployment;
  target: RevisionRef;
  of: DeploymentState;
} {
  const { state } = readGroupState(ctx);
  const succeeded = state.deployments.filter((d) => d.status === 'Succeeded');
  const serving = (state.fleet?.revision ?? state.lastGood)?.label;
  const of = succeeded.findLast((d) => d.revision.label === serving) ?? succeeded[succeeded.length - 1];
  const undone = new Set(succeeded.map((d) => d.options.rollbackOf).filter((id) => id !== undefined));
  const target = succeeded.findLast((d) => !undone.has(d.id) && d.revision.label !== serving)?.revision;
  if (!of || !target) {
    throw new UsageError('no earlier successful revision to roll back to in this group');
  }
  const strategy = rollbackStrategy(resolveStrategy(ctx.loaded.group.strategy));
  return {
    planned: planFrom(state, fleetSize(ctx), strategy, { dir: target.dir, label: target.label }, unhealthy),
    target,
    of,
  };
}
