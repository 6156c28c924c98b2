/**
 * Step execution: carries out one plan step through the provider — lifecycle events on a batch, the
 * start-up health check, a traffic weight, the waits (delegated to StepWaits), the switch to the replacement
 * fleet and the termination of the original — and says how it went as a StepOutcome.
 */
import { type RunnerContext, replacementInstances, revisionOf, type StepOutcome } from './runner-context.js';
import type { DeploymentState } from './state.js';
import type { StepWaits } from './step-waits.js';
import type { Step } from './steps.js';
import type { TrafficChanges } from './traffic-changes.js';

export class StepExecutor {
  constructor(
    private readonly ctx: RunnerContext,
    private readonly traffic: TrafficChanges,
    private readonly waits: StepWaits,
  ) {}

  async execute(index: number, step: Step): Promise<StepOutcome> {
    const d = this.ctx.deployment();
    switch (step.kind) {
      case 'lifecycle':
        return this.lifecycle(d, step);
      case 'healthCheck':
        return this.healthCheck(step.instances);
      case 'setWeight': {
        const current = this.traffic.current(d);
        await this.traffic.route(
          { stable: current.stable, canary: replacementInstances(d.plan), canaryWeight: step.percent },
          this.traffic.revisionsFor(d),
        );
        if (this.ctx.deps.group.analysis && !d.options.skipAnalysis)
          await this.ctx.deps.provider.resetMetrics();
        this.waits.resetGates();
        return { kind: 'ok' };
      }
      case 'pause':
        return this.waits.wait(index, step.seconds, 'bake');
      case 'analysis':
        return this.waits.wait(
          index,
          step.seconds ?? this.ctx.deps.group.analysis?.intervalSeconds ?? 1,
          'analysis',
        );
      case 'waitReady': {
        // The replacement fleet joins the table at weight 0: users stay on the original fleet, while test traffic
        // (the x-conveyor-canary: 1 header) reaches it before the switch — CodeDeploy's test listener.
        const current = this.traffic.current(d);
        await this.traffic.route(
          { stable: current.stable, canary: replacementInstances(d.plan), canaryWeight: 0 },
          this.traffic.revisionsFor(d),
        );
        const outcome = await this.waits.wait(index, step.seconds, 'ready');
        if (outcome.kind === 'ok' && step.seconds !== undefined && !this.promotedDuring(index)) {
          if (step.actionOnTimeout === 'stop') {
            return { kind: 'stop', reason: `nobody promoted within the ready wait of ${step.seconds}s` };
          }
        }
        return outcome;
      }
      case 'promoteReplacement': {
        await this.traffic.route(
          { stable: step.instances, canary: [], canaryWeight: 0 },
          { stable: d.revision.label },
        );
        this.ctx.record({
          type: 'fleet',
          slot: d.plan.targetSlot,
          revision: d.revision,
          instances: step.instances,
        });
        return { kind: 'ok' };
      }
      case 'terminate': {
        if (step.waitSeconds > 0) {
          const outcome = await this.waits.wait(index, step.waitSeconds, 'termination');
          if (outcome.kind !== 'ok' && outcome.kind !== 'jump') return outcome;
        }
        await this.ctx.deps.provider.stopInstances(step.instances);
        return { kind: 'ok' };
      }
    }
  }

  /**
   * Waits until every instance reports healthy, within the group's start-up budget; records the result.
   * Used after an install, and by the rollback after each redeployed batch.
   */
  async healthCheck(instances: string[]): Promise<StepOutcome> {
    const { ctx } = this;
    const budgetMs = (ctx.deps.group.healthCheck?.startupSeconds ?? 10) * 1000;
    const deadline = ctx.clock.now() + budgetMs;
    let reports = await ctx.deps.provider.checkHealth(instances, ctx.signal);
    while (reports.some((r) => !r.healthy) && ctx.clock.now() < deadline && !ctx.signal.aborted) {
      await ctx.clock.sleep(100, ctx.signal).catch(() => {});
      reports = await ctx.deps.provider.checkHealth(instances, ctx.signal);
    }
    const ok = reports.every((r) => r.healthy);
    ctx.record({ type: 'health', instances, ok, details: reports.map((r) => `${r.instance}: ${r.detail}`) });
    if (ctx.signal.aborted) return { kind: 'interrupted' };
    if (ok) return { kind: 'ok' };
    const bad = reports.filter((r) => !r.healthy);
    return {
      kind: 'fail',
      reason: `health check failed within ${budgetMs / 1000}s: ${bad.map((r) => `${r.instance} ${r.detail}`).join('; ')}`,
      trigger: 'health',
    };
  }

  private promotedDuring(index: number): boolean {
    return this.ctx.deps.ledger
      .read()
      .events.some(
        (e) => e.deploymentId === this.ctx.deploymentId && e.type === 'promoted' && e.index === index,
      );
  }

  private async lifecycle(
    d: DeploymentState,
    step: Extract<Step, { kind: 'lifecycle' }>,
  ): Promise<StepOutcome> {
    const newRevision = revisionOf(d.revision);
    const previous = d.previous ? revisionOf(d.previous.revision) : undefined;
    // Original instances run the block-traffic events from the revision they serve.
    const revision = step.role === 'original' && previous ? previous : newRevision;
    const lastRevision = step.role === 'in-place' ? previous : undefined;
    const outcomes = await this.ctx.deps.provider.runLifecycle({
      deploymentId: d.id,
      instances: step.instances,
      role: step.role,
      events: step.events,
      revision,
      ...(lastRevision ? { lastRevision } : {}),
      ignoreApplicationStopFailures: d.options.ignoreApplicationStopFailures,
      onTrafficEvent: (instance, event) => this.traffic.lifecycleEvent(d, step.role, instance, event),
      onProgress: (p) => this.ctx.recordHook(p),
      signal: this.ctx.signal,
    });
    const failed = outcomes.filter((o) => !o.ok);
    if (failed.length === 0) return { kind: 'ok' };
    const first = failed[0]!;
    return {
      kind: 'fail',
      reason: `${first.failedEvent ?? 'lifecycle'} failed on ${first.instance}: ${first.message ?? 'unknown error'}`,
      trigger: 'failure',
    };
  }
}
