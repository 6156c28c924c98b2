/**
 * What serves: the one place the deploy core learns which set takes traffic. The ledger's reduced state says
 * what should serve (the fleet, the last table, nothing after `down`); the router says what it does. Every path
 * that changes traffic — a deployment starting or resuming, promote, abort, rollback, `down`, `up` — reads the
 * split from here and, before it acts, makes the router agree with the ledger.
 */
import type { DeployProvider, ProviderTraffic } from '../providers/provider.js';
import type { TrafficTable } from './events.js';
import type { GroupState } from './state.js';
import type { CurrentFleet } from './strategies/plan.js';

export const NO_TRAFFIC: TrafficTable = { stable: [], canary: [], canaryWeight: 0 };

/**
 * The fleet a new deployment replaces or updates: the recorded fleet unless the group was stopped by `down`
 * (then nothing serves, and a deployment installs a fresh fleet as the first one does).
 */
export function servingFleet(state: GroupState): GroupState['fleet'] {
  return state.stopped ? undefined : state.fleet;
}

/** The fleet as the planner wants it (slot and label), undefined when nothing serves. */
export function currentFleet(state: GroupState): CurrentFleet | undefined {
  const fleet = servingFleet(state);
  return fleet ? { slot: fleet.slot, revision: fleet.revision.label } : undefined;
}

/** The table in force per the ledger: the last one written, else the whole serving fleet on stable. */
export function servingTable(state: GroupState): TrafficTable {
  if (state.stopped) return NO_TRAFFIC;
  return state.traffic ?? { stable: servingFleet(state)?.instances ?? [], canary: [], canaryWeight: 0 };
}

/** Equal splits; no table at all (no router, or one that never got a table) equals an empty one. */
export function sameTable(a: ProviderTraffic | TrafficTable | undefined, b: TrafficTable): boolean {
  if (a === undefined) return b.stable.length === 0 && b.canary.length === 0;
  return (
    a.canaryWeight === b.canaryWeight &&
    [...a.stable].sort().join() === [...b.stable].sort().join() &&
    [...a.canary].sort().join() === [...b.canary].sort().join()
  );
}

/**
 * Makes the router agree with the ledger: re-applies `table` only when the router's own table differs (a router
 * restarted without its table file, or one that reloaded a table `down` made stale). Returns true when it did.
 */
export async function reconcileRouter(
  provider: DeployProvider,
  table: TrafficTable,
  apply: (table: TrafficTable) => Promise<void>,
): Promise<boolean> {
  const observed = await provider.observeTraffic();
  if (sameTable(observed, table)) return false;
  await apply(table);
  return true;
}
