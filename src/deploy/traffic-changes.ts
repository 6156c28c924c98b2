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

  constructor(private readonly ctx: RunnerContext) {}

  /** The split in force: the deployment's own, else what serves per the group's ledger (nothing after `down`). */
  current(d: DeploymentState): TrafficTable {
    return d.traffic ?? servingTable(this.ctx.groupState());
  }

  /** Which revision each side serves while the deployment runs. */
  revisionsFor(d: DeploymentState): TrafficRevisions {
    return { stable: d.previous?.revision.label ?? d.revision.label, canary: d.revision.label };
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

  /** Serialized: instances of a batch run in parallel, but routing changes apply one at a time. */
  lifecycleEvent(
    d: DeploymentState,
    role: 'in-place' | 'replacement' | 'original',
    instance: string,
    event: 'BlockTraffic' | 'AllowTraffic',
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
        table = { ...current, stable: [...current.stable, instance].sort() };
      }
      await this.route(table, this.revisionsFor(d));
    });
    this.chain = next.catch(() => {});
    return next;
  }
}
