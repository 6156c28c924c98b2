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

  /**
   * Before an in-place batch leaves service (CodeDeploy's minimum healthy hosts): the healthy instances that stay in
   * service must number at least the plan's minimum, unless the batch takes no healthy instance out — replacing an
   * instance that serves nothing costs no capacity. A fail outcome when the minimum cannot be kept; nothing was
   * touched yet.
   */
  async keepsMinimumHealthy(step: Step): Promise<StepOutcome | undefined> {
    const d = this.ctx.deployment();
    const floor = d.plan.minimumHealthyHosts;
    if (!floor || step.kind !== 'lifecycle' || step.role !== 'in-place' || step.extraBatch) return undefined;
    if (!step.events.includes('Install')) return undefined;
    const table = this.traffic.current(d);
    const inService = [...new Set([...table.stable, ...(table.canaryWeight > 0 ? table.canary : [])])];
    const leaving = inService.filter((i) => step.instances.includes(i));
    if (leaving.length === 0) return undefined;
    // A probe that times out once on a loaded machine is not a dead instance: the unhealthy ones get two more tries.
    let reports = await this.ctx.deps.provider.checkHealth(inService, this.ctx.signal);
    for (let tries = 0; tries < 2 && reports.some((r) => !r.healthy) && !this.ctx.signal.aborted; tries++) {
      await this.ctx.clock.sleep(200, this.ctx.signal).catch(() => {});
      const again = await this.ctx.deps.provider.checkHealth(
        reports.filter((r) => !r.healthy).map((r) => r.instance),
        this.ctx.signal,
      );
      reports = reports.map((r) => again.find((a) => a.instance === r.instance) ?? r);
    }
    const healthy = (ids: string[]) => ids.filter((i) => reports.some((r) => r.instance === i && r.healthy));
    const staying = inService.filter((i) => !step.instances.includes(i));
    if (healthy(leaving).length === 0 || healthy(staying).length >= floor) return undefined;
    const down = reports.filter((r) => !r.healthy && staying.includes(r.instance));
    return {
      kind: 'fail',
      trigger: 'health',
      reason:
        `minimum healthy hosts not met: taking batch ${step.batch ?? ''} [${leaving.join(', ')}] out of service would leave ` +
        `${healthy(staying).length} healthy instance(s) in service, the strategy keeps at least ${floor}` +
        (down.length ? ` (${down.map((r) => `${r.instance} ${r.detail}`).join('; ')})` : ''),
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
