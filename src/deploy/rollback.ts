/**
 * Rollback: whether a failure rolls back (the group's rollback settings), and the rollback itself, automatic
 * or requested — traffic back to the original fleet for replacement strategies, a redeploy of the last good
 * revision in place otherwise — with the group's before/after rollback hooks around it.
 */
import { errorMessage } from '../core/errors.js';
import type { RevisionRef } from './events.js';
import {
  type RollbackTrigger,
  type RunnerContext,
  replacementInstances,
  revisionOf,
} from './runner-context.js';
import { runGroupScript } from './scripts.js';
import { type DeploymentState, lastGoodBefore } from './state.js';
import type { StepExecutor } from './step-execution.js';
import { ALLOW_TRAFFIC, BLOCK_TRAFFIC, IN_PLACE_INSTALL } from './strategies/events.js';
import type { TrafficChanges } from './traffic-changes.js';

export class RollbackExecutor {
  constructor(
    private readonly ctx: RunnerContext,
    private readonly traffic: TrafficChanges,
    private readonly steps: StepExecutor,
  ) {}

  private shouldRollback(trigger: RollbackTrigger): boolean {
    const cfg = this.ctx.deps.group.rollback ?? {};
    switch (trigger) {
      case 'failure':
        return cfg.onFailure ?? true;
      case 'gate':
        return cfg.onGateBreach ?? true;
      case 'health':
        return cfg.onHealthFailure ?? cfg.onFailure ?? true;
      default:
        return true;
    }
  }

  /** A step failed: roll back if the group's settings say so for this trigger, else end as Failed. */
  async handleFailure(reason: string, trigger: RollbackTrigger): Promise<DeploymentState> {
    if (this.shouldRollback(trigger)) return this.rollback(reason, trigger);
    // No automatic rollback: pull traffic off a failing canary anyway only if configured so; keep it simple:
    // the split stays as it is and the deployment is Failed (the user decides with `conveyor rollback`).
    return this.ctx.finish('Failed', 'failed', reason);
  }

  /**
   * Rollback. Replacement strategies: all traffic back to the original fleet in one router call (timed),
   * then the replacement's block-traffic events and stop. In-place: redeploy the last good revision
   * through the full lifecycle, as CodeDeploy does.
   */
  async rollback(reason: string, trigger: RollbackTrigger): Promise<DeploymentState> {
    let d = this.ctx.deployment();
    if (!d.rollback) d = this.ctx.record({ type: 'rollback-started', reason, trigger });
    const hooks = this.ctx.deps.group.rollback?.hooks;
    let ok = true;
    const problems: string[] = [];
    let trafficRestoredMs: number | undefined;
    const hookEnv = {
      CONVEYOR_ROLLBACK_REASON: reason,
      CONVEYOR_ROLLBACK_TRIGGER: trigger,
      DEPLOYMENT_ID: d.id,
      APPLICATION_NAME: this.ctx.deps.group.application,
      DEPLOYMENT_GROUP_NAME: this.ctx.deps.group.deploymentGroup,
      CONVEYOR_REVISION: d.revision.label,
    };
    const runHook = async (name: 'beforeRollback' | 'afterRollback') => {
      const script = hooks?.[name];
      if (!script) return;
      this.ctx.record({ type: 'hook', instance: 'group', event: name, status: 'started', script });
      const result = await runGroupScript(script, {
        cwd: this.ctx.deps.configDir,
        env: { ...hookEnv, LIFECYCLE_EVENT: name },
        timeoutMs: (hooks?.timeoutSeconds ?? 60) * 1000,
        ...(this.ctx.deps.checkEnv ? { runEnv: this.ctx.deps.checkEnv } : {}),
      });
      this.ctx.record({
        type: 'hook',
        instance: 'group',
        event: name,
        status: result.ok ? 'succeeded' : 'failed',
        script,
        durationMs: result.durationMs,
        message: result.message,
        ...(result.ok ? {} : { output: result.output }),
      });
      if (!result.ok) problems.push(`${name}: ${result.message}`);
    };
    try {
      const original = d.previous;
      const switched = d.plan.steps.some(
        (s, i) => s.kind === 'terminate' && i <= d.completedStep && d.plan.replacement,
      );
      if (d.plan.replacement && original && !switched) {
        // Fast path first: traffic back to the stable fleet before anything else (even before hooks).
        const group = this.ctx.groupState();
        const stableInstances =
          group.fleet && group.fleet.slot === original.slot
            ? group.fleet.instances
            : d.plan.steps.flatMap((s) => (s.kind === 'terminate' ? s.instances : []));
        await this.startStoppedFleet(d.id, original.revision, stableInstances);
        const started = this.ctx.clock.now();
        await this.ctx.deps.provider.route({
          stable: stableInstances,
          canary: [],
          canaryWeight: 0,
          revisions: { stable: original.revision.label },
        });
        trafficRestoredMs = this.ctx.clock.now() - started;
        this.ctx.record({
          type: 'traffic',
          table: { stable: stableInstances, canary: [], canaryWeight: 0 },
          revisions: { stable: original.revision.label },
        });
        this.ctx.record({
          type: 'fleet',
          slot: original.slot,
          revision: original.revision,
          instances: stableInstances,
        });
        await runHook('beforeRollback');
        const replacement = replacementInstances(d.plan);
        const outcomes = await this.ctx.deps.provider.runLifecycle({
          deploymentId: d.id,
          instances: replacement,
          role: 'original',
          events: BLOCK_TRAFFIC,
          revision: revisionOf(d.revision),
          ignoreApplicationStopFailures: true,
          onTrafficEvent: async () => {},
          onProgress: (p) => this.ctx.recordHook(p),
          signal: this.ctx.signal,
        });
        for (const o of outcomes)
          if (!o.ok) problems.push(`${o.instance}: ${o.failedEvent} ${o.message ?? ''}`.trim());
        await this.ctx.deps.provider.stopInstances(replacement);
      } else {
        await runHook('beforeRollback');
        const result = await this.redeployLastGood(d);
        ok = result.ok;
        if (!result.ok) problems.push(result.message);
        else if (result.message) problems.push(result.message);
      }
      await runHook('afterRollback');
    } catch (err) {
      ok = false;
      problems.push(errorMessage(err));
    }
    // Interrupted mid-rollback: the recorded rollback-started makes a resumed runner finish the job.
    if (this.ctx.signal.aborted) return this.ctx.deployment();
    const message = problems.length ? problems.join('; ') : undefined;
    this.ctx.record({
      type: 'rollback-finished',
      ok,
      ...(message ? { message } : {}),
      ...(trafficRestoredMs !== undefined ? { trafficRestoredMs } : {}),
    });
    if (!ok) return this.ctx.finish('Failed', 'failed', `${reason}; rollback failed: ${message}`);
    return this.ctx.finish('RolledBack', 'rolled-back', reason);
  }

  /**
   * After `down` (or a reboot) the original fleet does not run: traffic sent back to it would find no healthy
   * upstream. When none of its instances answers, they start first (from ApplicationStop on, as `up` does); with
   * one healthy the fast path stays a single router call.
   */
  private async startStoppedFleet(id: string, revision: RevisionRef, instances: string[]): Promise<void> {
    const reports = await this.ctx.deps.provider.checkHealth(instances, this.ctx.signal);
    if (instances.length === 0 || reports.some((r) => r.healthy)) return;
    const events = IN_PLACE_INSTALL.slice(IN_PLACE_INSTALL.indexOf('ApplicationStop'));
    await this.ctx.deps.provider.runLifecycle({
      deploymentId: `${id}-rollback`,
      instances,
      role: 'in-place',
      events,
      revision: revisionOf(revision),
      lastRevision: revisionOf(revision),
      ignoreApplicationStopFailures: true,
      onTrafficEvent: async () => {},
      onProgress: (p) => this.ctx.recordHook(p),
      signal: this.ctx.signal,
    });
    await this.steps.healthCheck(instances);
  }

  private async redeployLastGood(d: DeploymentState): Promise<{ ok: boolean; message: string }> {
    const group = this.ctx.groupState();
    if (!d.previous) {
      // Nothing served when this deployment started (after `down`), but the ledger still knows the last good
      // revision: the fresh fleet goes back to it, whatever the strategy, as an in-place rollback does.
      const lastGood = lastGoodBefore(group, d.id);
      if (lastGood) {
        const slot = d.plan.targetSlot;
        const fresh = [
          ...new Set(d.plan.steps.flatMap((s) => (s.kind === 'lifecycle' ? s.instances : []))),
        ].filter((i) => i.startsWith(`${slot}-`));
        return this.restoreLastGood(d, lastGood, fresh, slot, fresh);
      }
    }
    const lastGood = d.previous?.revision;
    // Instances of the steps done and of the one under way; a next step that never started touched nothing.
    const began = (i: number) => i < d.step || (i === d.step && d.startedStep === i);
    const touched = [
      ...new Set(d.plan.steps.flatMap((s, i) => (s.kind === 'lifecycle' && began(i) ? s.instances : []))),
    ];
    const fleetInstances = group.fleet?.instances ?? [];
    if (!lastGood) {
      // No deployment of the group ever succeeded: nothing to go back to. Take the broken instances out and stop them.
      const table = this.traffic.current(d);
      await this.traffic.route(
        {
          stable: table.stable.filter((i) => !touched.includes(i)),
          canary: [],
          canaryWeight: 0,
        },
        {},
      );
      await this.ctx.deps.provider.stopInstances(touched);
      return {
        ok: false,
        message: 'no earlier successful revision to roll back to; the new instances were stopped',
      };
    }
    // Extra instances (rolling with additional batch) are retired; the fleet's own instances get the last good
    // revision first, while the extra batch still serves, so capacity stays at the fleet size during the rollback too.
    const extras = touched.filter((i) => !fleetInstances.includes(i));
    const targets = touched.filter((i) => fleetInstances.includes(i));
    const result =
      targets.length === 0
        ? { ok: true, message: '' }
        : await this.restoreLastGood(d, lastGood, targets, group.fleet?.slot ?? 'a', fleetInstances);
    if (extras.length) {
      const current = this.traffic.current(this.ctx.deployment());
      const table = { ...current, stable: current.stable.filter((i) => !extras.includes(i)) };
      await this.traffic.route(table, this.traffic.revisionsFor(d, table));
      await this.ctx.deps.provider.stopInstances(extras);
    }
    return result;
  }

  /**
   * The full in-place lifecycle of the last good revision on `targets`, in the plan's own batches (the batch that
   * failed first, it is already out of traffic), so the rollback keeps the strategy's minimum healthy hosts as
   * CodeDeploy's does; then the fleet is recorded as serving it.
   */
  private async restoreLastGood(
    d: DeploymentState,
    lastGood: RevisionRef,
    targets: string[],
    slot: 'a' | 'b',
    fleetInstances: string[],
  ): Promise<{ ok: boolean; message: string }> {
    this.ctx.record({
      type: 'override',
      what: 'ignoreApplicationStopFailures',
      note: 'rollback ignores ApplicationStop failures of the failed revision',
    });
    // CodeDeploy rolls back as a new deployment with its own id; instances keep one archive per id.
    const rollbackId = `${d.id}-rollback`;
    const run = async (instances: string[], events: string[]) =>
      this.ctx.deps.provider.runLifecycle({
        deploymentId: rollbackId,
        instances,
        role: 'in-place',
        events,
        revision: revisionOf(lastGood),
        lastRevision: revisionOf(d.revision),
        ignoreApplicationStopFailures: true,
        onTrafficEvent: (instance, event) =>
          this.traffic.lifecycleEvent(d, 'in-place', instance, event, lastGood.label),
        onProgress: (p) => this.ctx.recordHook(p),
        signal: this.ctx.signal,
      });
    const planned = d.plan.steps
      .flatMap((s) =>
        s.kind === 'lifecycle' && s.role === 'in-place' && s.events.includes('Install')
          ? [s.instances.filter((i) => targets.includes(i))]
          : [],
      )
      .filter((batch) => batch.length > 0)
      .reverse();
    const leftover = targets.filter((i) => !planned.some((batch) => batch.includes(i)));
    const batches = leftover.length ? [leftover, ...planned] : planned;
    for (const batch of batches) {
      const install = await run(batch, IN_PLACE_INSTALL);
      const bad = install.filter((o) => !o.ok);
      if (bad.length) {
        return {
          ok: false,
          message: `redeploying ${lastGood.label} failed: ${bad.map((o) => `${o.instance} ${o.failedEvent}: ${o.message}`).join('; ')}`,
        };
      }
      const health = await this.steps.healthCheck(batch);
      if (health.kind !== 'ok') {
        return { ok: false, message: health.kind === 'fail' ? health.reason : 'interrupted' };
      }
      const allow = await run(batch, ALLOW_TRAFFIC);
      const notAllowed = allow.filter((o) => !o.ok);
      if (notAllowed.length) {
        return {
          ok: false,
          message: notAllowed.map((o) => `${o.instance} ${o.failedEvent}: ${o.message}`).join('; '),
        };
      }
    }
    this.ctx.record({ type: 'fleet', slot, revision: lastGood, instances: fleetInstances });
    return { ok: true, message: '' };
  }
}
