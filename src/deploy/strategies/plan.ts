/**
 * planDeployment: pure, no I/O. Given the fleet as it is and the strategy, the steps that take it to the new revision.
 * Instance ids are `<slot>-<n>`: the stable fleet lives in one slot (a or b), a replacement fleet in the other.
 */
import { UsageError } from '../../core/errors.js';
import type { Step } from '../steps.js';
import {
  ALLOW_TRAFFIC,
  BLOCK_TRAFFIC,
  EXTRA_BATCH_INSTALL,
  IN_PLACE_INSTALL,
  REPLACEMENT_AFTER_ALLOW,
  REPLACEMENT_INSTALL,
} from './events.js';
import { type MinimumHealthyHosts, type Strategy, strategyName } from './strategy.js';

export type Slot = 'a' | 'b';

/** The fleet serving now. Undefined before the first deployment. */
export interface CurrentFleet {
  slot: Slot;
  revision: string;
  /**
   * Instances of the fleet that did not answer their health check when the deployment was planned. In-place
   * batches take them first: they serve nothing, so replacing them costs no capacity.
   */
  unhealthy?: readonly string[];
}

export interface Plan {
  strategy: string;
  steps: Step[];
  /** Slot that serves once the plan completes. */
  targetSlot: Slot;
  /** Index of the step `promote --full` jumps to (the switch to 100 %), when traffic is shifted. */
  fullIndex?: number;
  /** True when a replacement fleet takes traffic gradually: rollback is a router call, not a redeploy. */
  replacement: boolean;
  /**
   * In-place plans over a serving fleet: how many healthy instances must stay in service while a batch is out
   * (the strategy's minimum healthy hosts as a host count). The runner checks it before each batch.
   */
  minimumHealthyHosts?: number;
}

export function instanceIds(slot: Slot, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${slot}-${i + 1}`);
}

export function otherSlot(slot: Slot): Slot {
  return slot === 'a' ? 'b' : 'a';
}

/**
 * CodeDeploy batch sizing: the floor is converted to a host count rounding up; each batch takes
 * the rest of the fleet out of service. One-at-a-time always uses batches of one.
 */
export function inPlaceBatchSize(
  fleetSize: number,
  floor: MinimumHealthyHosts,
  preset?: 'one' | 'half',
): number {
  if (preset === 'one') return 1;
  const healthy = 'count' in floor ? floor.count : Math.ceil((fleetSize * floor.percent) / 100);
  const batch = fleetSize - healthy;
  // Stryker disable next-line ConditionalExpression: equivalent, with no floor the batch below is the whole fleet too
  if (healthy === 0) return fleetSize;
  // Stryker disable next-line EqualityOperator: equivalent, a batch of exactly 1 is 1 either way
  if (batch < 1 && preset === 'half') return 1;
  if (batch < 1) {
    const what =
      'count' in floor ? `${floor.count} hosts` : `${floor.percent}% of ${fleetSize} instances (${healthy})`;
    throw new UsageError(
      `minimum healthy hosts ${what} leaves no instance to deploy to at a time on a fleet of ${fleetSize}`,
      'lower minimumHealthyHosts or add instances',
    );
  }
  return batch;
}

/** The fleet's instances with the unhealthy ones first, each group in its own order. */
export function unhealthyFirst(instances: string[], unhealthy: readonly string[] = []): string[] {
  return [
    ...instances.filter((i) => unhealthy.includes(i)),
    ...instances.filter((i) => !unhealthy.includes(i)),
  ];
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function inPlaceBatches(instances: string[], size: number, firstBatch = 1): Step[] {
  return chunk(instances, size).flatMap((batch, i): Step[] => [
    {
      kind: 'lifecycle',
      role: 'in-place',
      instances: batch,
      events: IN_PLACE_INSTALL,
      batch: firstBatch + i,
    },
    { kind: 'healthCheck', instances: batch },
    { kind: 'lifecycle', role: 'in-place', instances: batch, events: ALLOW_TRAFFIC, batch: firstBatch + i },
  ]);
}

/** Install, validate and health-check a replacement fleet (no traffic yet). */
function replacementInstall(instances: string[]): Step[] {
  return [
    { kind: 'lifecycle', role: 'replacement', instances, events: REPLACEMENT_INSTALL },
    { kind: 'healthCheck', instances },
  ];
}

/** After the switch: AfterAllowTraffic on the new fleet, block-traffic events on the old one, then stop it. */
function retireOriginal(replacement: string[], original: string[], waitSeconds: number): Step[] {
  return [
    { kind: 'lifecycle', role: 'replacement', instances: replacement, events: REPLACEMENT_AFTER_ALLOW },
    { kind: 'lifecycle', role: 'original', instances: original, events: BLOCK_TRAFFIC },
    { kind: 'terminate', instances: original, waitSeconds },
  ];
}

export function planDeployment(
  fleetSize: number,
  current: CurrentFleet | undefined,
  strategy: Strategy,
): Plan {
  if (!Number.isInteger(fleetSize) || fleetSize < 1)
    throw new UsageError(`fleet size must be at least 1, got ${fleetSize}`);
  const name = strategyName(strategy);
  // First deployment: nothing serves yet, so every strategy installs a fleet and switches to it.
  if (!current) {
    const fresh = instanceIds('a', fleetSize);
    if (strategy.kind === 'in-place') {
      return { strategy: name, steps: inPlaceBatches(fresh, fleetSize), targetSlot: 'a', replacement: false };
    }
    return {
      strategy: name,
      steps: [
        ...replacementInstall(fresh),
        { kind: 'promoteReplacement', instances: fresh },
        {
          kind: 'lifecycle',
          role: 'replacement',
          instances: fresh,
          events: REPLACEMENT_AFTER_ALLOW,
        },
      ],
      targetSlot: 'a',
      replacement: false,
    };
  }
  const original = instanceIds(current.slot, fleetSize);
  const nextSlot = otherSlot(current.slot);
  const fresh = instanceIds(nextSlot, fleetSize);
  switch (strategy.kind) {
    case 'in-place': {
      const size = inPlaceBatchSize(fleetSize, strategy.minimumHealthyHosts, strategy.preset);
      return {
        strategy: name,
        steps: inPlaceBatches(unhealthyFirst(original, current.unhealthy), size),
        targetSlot: current.slot,
        replacement: false,
        minimumHealthyHosts: fleetSize - size,
      };
    }
    case 'rolling-with-additional-batch': {
      // The extra batch lives in the other slot and joins the stable set, then the originals roll in batches;
      // at the end the extra instances are retired, as Elastic Beanstalk does.
      const size = Math.min(strategy.batchSize, fleetSize);
      const extra = instanceIds(nextSlot, size);
      return {
        strategy: name,
        steps: [
          {
            kind: 'lifecycle',
            role: 'replacement',
            instances: extra,
            events: EXTRA_BATCH_INSTALL,
            extraBatch: true,
          },
          { kind: 'healthCheck', instances: extra },
          {
            kind: 'lifecycle',
            role: 'in-place',
            instances: extra,
            events: ALLOW_TRAFFIC,
            batch: 0,
            extraBatch: true,
          },
          ...inPlaceBatches(unhealthyFirst(original, current.unhealthy), size),
          { kind: 'lifecycle', role: 'original', instances: extra, events: BLOCK_TRAFFIC, extraBatch: true },
          { kind: 'terminate', instances: extra, waitSeconds: 0, extraBatch: true },
        ],
        targetSlot: current.slot,
        replacement: false,
        minimumHealthyHosts: fleetSize - size,
      };
    }
    case 'immutable': {
      const steps: Step[] = [
        ...replacementInstall(fresh),
        // Both fleets serve side by side before the old one goes (Elastic Beanstalk's immutable update), for one
        // analysis interval: the gates must pass on the new fleet's share before it takes all the traffic.
        { kind: 'setWeight', percent: 50 },
        { kind: 'analysis' },
        { kind: 'promoteReplacement', instances: fresh },
        ...retireOriginal(fresh, original, 0),
      ];
      return { strategy: name, steps, targetSlot: nextSlot, fullIndex: 4, replacement: true };
    }
    case 'blue-green': {
      const steps: Step[] = [...replacementInstall(fresh)];
      if (strategy.readyWait) steps.push({ kind: 'waitReady', ...strategy.readyWait });
      const fullIndex = steps.length;
      steps.push(
        { kind: 'promoteReplacement', instances: fresh },
        ...retireOriginal(fresh, original, strategy.terminateBlueAfterSeconds),
      );
      return { strategy: name, steps, targetSlot: nextSlot, fullIndex, replacement: true };
    }
    case 'traffic': {
      const steps: Step[] = [...replacementInstall(fresh), ...strategy.steps];
      const fullIndex = steps.length;
      steps.push({ kind: 'promoteReplacement', instances: fresh }, ...retireOriginal(fresh, original, 0));
      return { strategy: name, steps, targetSlot: nextSlot, fullIndex, replacement: true };
    }
  }
}
