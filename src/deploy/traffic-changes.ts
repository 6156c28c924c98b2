/**
 * Traffic changes: every weight and membership change of the router goes through here, one provider call
 * recorded as a `traffic` event, so status and a resumed runner know the split. Also owns the serialized
 * Block/AllowTraffic changes of a batch and the re-apply of the ledger's table after a crash.
 */
import type { TrafficTable } from './events.js';
import type { RunnerContext } from './runner-context.js';
import { reconcileRouter, servingTable } from './serving.js';
import type { DeploymentState } from './state.js';

export type TrafficRevisions = { stable?: string; canary?: string };

export class TrafficChanges {
  private chain: Promise<void> = Promise.resolve();
  private runs: Map<string, string> | undefined;

  constructor(private readonly ctx: RunnerContext) {}

  /** The split in force: the deployment's own, else what serves per the group's ledger (nothing after `down`). */
  current(d: DeploymentState): TrafficTable {
    return d.traffic ?? servingTable(this.ctx.groupState());
  }

  /**
   * Which revision each side of `table` serves. A replacement fleet is the canary side; in place, the stable set
   * holds what its instances run now (the old revision, the new one, or both while batches roll: `v1+v2`).
   */
  revisionsFor(d: DeploymentState, table: TrafficTable = this.current(d)): TrafficRevisions {
    const previous = d.previous?.revision.label;
    if (d.plan.replacement) return { stable: previous ?? d.revision.label, canary: d.revision.label };
    const runs = this.instanceRevisions(d);
    const labels = [...new Set(table.stable.map((id) => runs.get(id) ?? previous ?? d.revision.label))];
    return labels.length ? { stable: labels.sort().join('+') } : {};
  }

  /** In place: the revision each instance runs, from the plan's completed installs and the batches allowed since. */
  private instanceRevisions(d: DeploymentState): Map<string, string> {
    if (this.runs) return this.runs;
    const runs = new Map<string, string>();
    const previous = d.previous?.revision.label;
    if (previous) for (const id of this.ctx.groupState().fleet?.instances ?? []) runs.set(id, previous);
    d.plan.steps.forEach((s, i) => {
      if (i <= d.completedStep && s.kind === 'lifecycle' && s.events.includes('Install'))
        for (const id of s.instances) runs.set(id, d.revision.label);
    });
    this.runs = runs;
    return runs;
  }

  /** One router call; recorded so status and a resumed runner know the split. */
  async route(table: TrafficTable, revisions: TrafficRevisions): Promise<void> {
    await this.ctx.deps.provider.route({ ...table, revisions });
    this.ctx.record({ type: 'traffic', table, revisions });
  }

  /**
   * Before the runner acts (a start, a resume, a rollback): the router must route what the ledger says serves —
   * a router restarted after a crash, or one that reloaded a table `down` made stale, is set right first.
   */
  async reconcile(d: DeploymentState): Promise<void> {
    const revisions = d.traffic ? (d.trafficRevisions ?? {}) : this.groupRevisions();
    await reconcileRouter(this.ctx.deps.provider, this.current(d), (table) => this.route(table, revisions));
  }

  private groupRevisions(): TrafficRevisions {
    const fleet = this.ctx.groupState().fleet;
    return fleet ? { stable: fleet.revision.label } : {};
  }

  /**
   * Serialized: instances of a batch run in parallel, but routing changes apply one at a time. An instance allowed
   * back in place runs `runs` (the deployment's revision unless a rollback says otherwise).
   */
  lifecycleEvent(
    d: DeploymentState,
    role: 'in-place' | 'replacement' | 'original',
    instance: string,
    event: 'BlockTraffic' | 'AllowTraffic',
    runs: string = d.revision.label,
  ): Promise<void> {
    const next = this.chain.then(async () => {
      const current = this.current(this.ctx.deployment());
      const without = (ids: string[]) => ids.filter((id) => id !== instance);
      let table: TrafficTable;
      if (event === 'BlockTraffic') {
        if (!current.stable.includes(instance) && !current.canary.includes(instance)) return;
        table = { ...current, stable: without(current.stable), canary: without(current.canary) };
      } else {
        if (role !== 'in-place' || current.stable.includes(instance)) return;
        this.instanceRevisions(d).set(instance, runs);
        table = { ...current, stable: [...current.stable, instance].sort() };
      }
      await this.route(table, this.revisionsFor(d, table));
    });
    this.chain = next.catch(() => {});
    return next;
  }
}
