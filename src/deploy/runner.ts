/**
 * The runner: executes a deployment's plan one step at a time through the provider, writing every
 * transition to the ledger first-class. State is always rebuilt from the ledger, so a runner started on
 * a half-done deployment (after a crash) continues from the recorded step and the recorded bake deadline.
 * Manual requests (promote, abort) are ledger events written by other processes; the runner polls for them.
 *
 * This file keeps the entry points (creating a deployment, the step loop, a requested rollback); the parts
 * live beside it: step-execution.ts and step-waits.ts (one step), traffic-changes.ts (the router),
 * rollback.ts (failure handling and rollback), runner-context.ts (ledger access and notifications).
 */
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { CheckGates } from './check-gates.js';
import type { DeploymentOptions, RevisionRef } from './events.js';
import type { Ledger } from './ledger.js';
import { RollbackExecutor } from './rollback.js';
import {
  type RollbackTrigger,
  RunnerContext,
  type RunnerDeps,
  replacementInstances,
} from './runner-context.js';
import type { DeploymentState, GroupState } from './state.js';
import { StepExecutor } from './step-execution.js';
import { StepWaits } from './step-waits.js';
import { describeStep, type Step } from './steps.js';
import type { Plan } from './strategies/plan.js';
import { TrafficChanges } from './traffic-changes.js';

export type { RollbackTrigger, RunnerDeps } from './runner-context.js';

export function newDeploymentId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let id = 'd-';
  for (let i = 0; i < 9; i++) id += alphabet[Math.floor(Math.random() * alphabet.length)];
  return id;
}

/** Writes the `created` event (and overrides) for a new deployment; returns its id. */
export function createDeployment(
  ledger: Ledger,
  clock: Clock,
  input: {
    revision: RevisionRef;
    plan: Plan;
    options: DeploymentOptions;
    previous?: { slot: 'a' | 'b'; revision: RevisionRef };
    id?: string;
  },
): string {
  const deploymentId = input.id ?? newDeploymentId();
  const at = clock.now();
  ledger.append({
    type: 'created',
    deploymentId,
    at,
    revision: input.revision,
    plan: input.plan,
    options: input.options,
    ...(input.previous ? { previous: input.previous } : {}),
  });
  if (input.options.ignoreApplicationStopFailures) {
    ledger.append({
      type: 'override',
      deploymentId,
      at,
      what: 'ignoreApplicationStopFailures',
      note: 'ApplicationStop failures of the previous revision will be ignored',
    });
  }
  if (input.options.skipAnalysis) {
    ledger.append({
      type: 'override',
      deploymentId,
      at,
      what: 'skipAnalysis',
      note: 'gates are not evaluated for this deployment (emergency override)',
    });
  }
  return deploymentId;
}
/** The deployment point a step starts: the first traffic to the new revision, or its promotion to all of it. */
function pointBefore(step: Step): 'pre-rollout' | 'confirm-promotion' | undefined {
  if (step.kind === 'promoteReplacement') return 'confirm-promotion';
  if (step.kind === 'setWeight' && step.percent >= 100) return 'confirm-promotion';
  if (step.kind === 'setWeight' && step.percent > 0) return 'pre-rollout';
  return undefined;
}

export class Runner {
  private readonly ctx: RunnerContext;
  private readonly traffic: TrafficChanges;
  private readonly steps: StepExecutor;
  private readonly rollbacks: RollbackExecutor;
  /** `analysis.checks` at deployment points (pre-rollout, confirm-promotion, post-rollout, rollback). */
  private readonly pointChecks: CheckGates | undefined;
  private pointChecksRun = new Set<string>();

  constructor(
    deps: RunnerDeps,
    readonly deploymentId: string,
  ) {
    this.ctx = new RunnerContext(deps, deploymentId);
    this.traffic = new TrafficChanges(this.ctx);
    this.steps = new StepExecutor(this.ctx, this.traffic, new StepWaits(this.ctx));
    this.rollbacks = new RollbackExecutor(this.ctx, this.traffic, this.steps);
    const checks = deps.group.analysis?.checks;
    if (checks?.some((c) => (c.at ?? []).some((p) => p !== 'rollout'))) {
      this.pointChecks = new CheckGates(this.ctx, checks, 1000);
    }
  }

  /** Runs a deployment point's checks once per runner; skipped with --skip-analysis. */
  private async atPoint(
    index: number,
    point: 'pre-rollout' | 'confirm-promotion' | 'post-rollout' | 'rollback',
  ) {
    if (!this.pointChecks || this.pointChecksRun.has(point)) return undefined;
    if (this.ctx.deployment().options.skipAnalysis) return undefined;
    this.pointChecksRun.add(point);
    return this.pointChecks.runAt(index, point);
  }

  /** Rolls back, then runs the `rollback` point's checks (recorded, they change nothing). */
  private async failed(reason: string, trigger: RollbackTrigger): Promise<DeploymentState> {
    const d = await this.rollbacks.handleFailure(reason, trigger);
    await this.atPoint(d.step, 'rollback').catch(() => undefined);
    return this.ctx.deployment();
  }

  groupState(): GroupState {
    return this.ctx.groupState();
  }

  deployment(): DeploymentState {
    return this.ctx.deployment();
  }

  /** Runs (or resumes) the deployment to a terminal status and returns the final state. */
  async run(): Promise<DeploymentState> {
    let d = this.ctx.deployment();
    const pid = this.ctx.deps.pid ?? process.pid;
    if (d.status === 'Created') {
      // Show what was recorded before the runner started (the plan's creation, overrides).
      for (const e of this.ctx.deps.ledger.read().events)
        if (e.deploymentId === this.ctx.deploymentId) this.ctx.deps.onEvent?.(e, d);
      d = this.ctx.record({ type: 'started', pid });
      this.ctx.notify('started', d);
    } else {
      d = this.ctx.record({ type: 'runner', pid, note: `runner resumed at step ${d.step + 1}` });
    }
    try {
      await this.ctx.deps.provider.prepare();
    } catch (err) {
      // Nothing was changed yet: the deployment fails without a rollback, and says why.
      const failed = this.ctx.finish('Failed', 'failed', errorMessage(err));
      await this.ctx.notifier.flush();
      return failed;
    }
    try {
      // The router routes what the ledger says serves before any step acts (after a crash, a restart, `down`).
      await this.traffic.reconcile(d);
      if (d.pendingAbort !== undefined || d.rollback) {
        return await this.rollbacks.rollback(d.rollback?.reason ?? d.pendingAbort ?? 'aborted', 'abort');
      }
      while (d.step < d.plan.steps.length) {
        if (this.ctx.signal.aborted) return this.ctx.deployment();
        // An abort written while a long step ran is honoured before the next step starts.
        if (d.pendingAbort !== undefined) return await this.rollbacks.rollback(d.pendingAbort, 'abort');
        const index = d.step;
        const step = d.plan.steps[index] as Step;
        if (d.startedStep !== index) {
          // An in-place batch never takes healthy capacity below the strategy's minimum (it has not started yet).
          const short = await this.steps.keepsMinimumHealthy(step);
          if (short?.kind === 'fail') return await this.failed(short.reason, short.trigger);
          this.ctx.record({ type: 'step', index, phase: 'started', description: describeStep(step) });
        }
        const point = pointBefore(step);
        const gate = point ? await this.atPoint(index, point) : undefined;
        const outcome = gate ?? (await this.steps.execute(index, step));
        d = this.ctx.deployment();
        // Interrupted (Ctrl-C, SIGTERM): leave everything as it is for `deploy --resume` or `rollback`;
        // a step cut short by the interruption is not a failure to roll back from.
        if (outcome.kind === 'interrupted' || this.ctx.signal.aborted) return d;
        if (outcome.kind === 'fail') return await this.failed(outcome.reason, outcome.trigger);
        if (outcome.kind === 'stop') return await this.stop(outcome.reason);
        this.ctx.record({ type: 'step', index, phase: 'completed', description: describeStep(step) });
        if (outcome.kind === 'jump') {
          // promote --full: go straight to the switch, skipping the remaining weights and bakes.
          for (let skipped = index + 1; skipped < outcome.to; skipped++) {
            this.ctx.record({
              type: 'step',
              index: skipped,
              phase: 'completed',
              description: `skipped by promote --full: ${describeStep(d.plan.steps[skipped] as Step)}`,
            });
          }
        }
        d = this.ctx.deployment();
        this.ctx.notify('step', d, { step: index });
      }
      if (!d.plan.steps.some((s) => s.kind === 'promoteReplacement')) {
        // In-place: the same slot now runs the new revision.
        const slot = d.plan.targetSlot;
        const instances = [
          ...new Set(
            d.plan.steps.flatMap((s) => (s.kind === 'lifecycle' && s.role === 'in-place' ? s.instances : [])),
          ),
        ].filter((id) => id.startsWith(`${slot}-`));
        this.ctx.record({ type: 'fleet', slot, revision: d.revision, instances });
      }
      // Post-rollout checks are recorded before the finish; like Flagger's, they cannot undo a promotion.
      await this.atPoint(d.step, 'post-rollout');
      d = this.ctx.record({ type: 'finished', status: 'Succeeded' });
      this.ctx.notify('succeeded', d);
      return d;
    } catch (err) {
      if (this.ctx.signal.aborted) return this.ctx.deployment();
      return await this.failed(`provider error: ${errorMessage(err)}`, 'failure');
    } finally {
      await this.ctx.notifier.flush();
    }
  }

  /** A requested rollback (`conveyor rollback`); how it is done is RollbackExecutor's business. */
  async rollback(reason: string, trigger: RollbackTrigger): Promise<DeploymentState> {
    await this.traffic.reconcile(this.ctx.deployment());
    return this.rollbacks.rollback(reason, trigger);
  }

  private async stop(reason: string): Promise<DeploymentState> {
    const d = this.ctx.deployment();
    const replacement = replacementInstances(d.plan);
    if (d.plan.replacement && replacement.length) await this.ctx.deps.provider.stopInstances(replacement);
    return this.ctx.finish('Stopped', 'stopped', reason);
  }
}
