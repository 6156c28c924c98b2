/**
 * Traffic changes: every weight and membership change of the router goes through here, one provider call
 * recorded as a `traffic` event, so status and a resumed runner know the split. Also owns the serialized
 * Block/AllowTraffic changes of a batch and the re-apply of the ledger's table after a crash.
 */
import type { TrafficTable } from './events.js';
import type { RunnerContext } from './runner-context.js';
import type { DeploymentState } from './state.js';

export type TrafficRevisions = { stable?: string; canary?: string };

export class TrafficChanges {
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: RunnerContext) {}

  /** The split in force: the deployment's own, else the group's, else the whole fleet on stable. */
  current(d: DeploymentState): TrafficTable {
    const group = this.ctx.groupState();
    return (
      d.traffic ?? group.traffic ?? { stable: group.fleet?.instances ?? [], canary: [], canaryWeight: 0 }
    );
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

  /** After a crash the router is the truth for what serves; re-apply the ledger's table only if it drifted. */
  async reconcile(table: TrafficTable, revisions: TrafficRevisions): Promise<void> {
    const observed = await this.ctx.deps.provider.observeTraffic();
    const same =
      observed &&
      observed.canaryWeight === table.canaryWeight &&
      observed.stable.join() === table.stable.join() &&
      observed.canary.join() === table.canary.join();
    if (!same) await this.route(table, revisions);
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
