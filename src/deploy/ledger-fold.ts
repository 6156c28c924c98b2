/**
 * Keeps what a reader holds of a ledger bounded, however long the ledger: every event of the most recent
 * deployments, and for all older ones only what `reduce` still needs from them (the fleet, the last good
 * revision, the last routing table) in one `compacted` event in front. `reduce([compacted, ...kept])` gives the
 * same fleet, traffic and last good revision, and the same state for every kept deployment, as `reduce(all)`.
 * The same fold writes a compacted ledger file (ledger.ts `compact`).
 */
import type { LedgerEvent, RevisionRef } from './events.js';

export type CompactedEvent = Extract<LedgerEvent, { type: 'compacted' }>;

export class LedgerFold {
  private base: CompactedEvent | undefined;
  private events: LedgerEvent[] = [];
  /** Deployments whose events are kept, in creation order. */
  private kept: string[] = [];

  /** keep: deployments kept in full; up to twice as many are held between two folds. */
  constructor(private readonly keep: number) {}

  add(e: LedgerEvent): void {
    if (e.type === 'compacted') {
      // A compacted file starts with one; it replaces whatever was folded before (the reader starts over).
      this.base = e;
      return;
    }
    this.events.push(e);
    if (e.type === 'created') {
      this.kept.push(e.deploymentId);
      if (this.kept.length > 2 * this.keep) this.foldTo(this.keep);
    }
  }

  /** Folds all but the `keep` most recent deployments into the compacted event. */
  foldTo(keep: number): void {
    if (this.kept.length <= keep) return;
    const kept = new Set(this.kept.slice(this.kept.length - keep));
    this.kept = this.kept.slice(this.kept.length - keep);
    const base: CompactedEvent = this.base
      ? { ...this.base }
      : { type: 'compacted', deployments: 0, at: 0, deploymentId: '' };
    const revisions = new Map<string, RevisionRef>();
    const rest: LedgerEvent[] = [];
    for (const e of this.events) {
      if (kept.has(e.deploymentId)) {
        rest.push(e);
        continue;
      }
      base.at = Math.max(base.at, e.at);
      if (e.type === 'created') {
        base.deployments++;
        revisions.set(e.deploymentId, e.revision);
      } else if (e.type === 'fleet') {
        base.fleet = { slot: e.slot, revision: e.revision, instances: e.instances };
        delete base.stopped;
      } else if (e.type === 'traffic') {
        base.traffic = e.table;
      } else if (e.type === 'down') {
        base.stopped = true;
        base.traffic = { stable: [], canary: [], canaryWeight: 0 };
      } else if (e.type === 'up') {
        delete base.stopped;
      } else if (e.type === 'finished' && e.status === 'Succeeded') {
        const revision = revisions.get(e.deploymentId);
        if (revision) base.lastGood = revision;
      }
    }
    this.base = base;
    this.events = rest;
  }

  contents(): LedgerEvent[] {
    return this.base ? [this.base, ...this.events] : [...this.events];
  }
}
