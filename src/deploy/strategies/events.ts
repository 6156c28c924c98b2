/**
 * Which lifecycle events each plan step runs, cut from the agent's CodeDeploy sequences
 * (src/deploy/lifecycle-events.ts) at the points where the engine acts between them:
 * Conveyor's HTTP health check runs after ValidateService, and for replacement fleets the
 * traffic shift itself (setWeight steps) is the AllowTraffic event.
 */
import { lifecycleSequence } from '../lifecycle-events.js';
import type { LifecycleEventName } from '../steps.js';

function cut(
  events: readonly string[],
  from: string | undefined,
  to: string | undefined,
): LifecycleEventName[] {
  const start = from ? events.indexOf(from) : 0;
  const end = to ? events.indexOf(to) + 1 : events.length;
  return events.slice(start, end) as LifecycleEventName[];
}

const inPlace = lifecycleSequence({ deploymentType: 'in-place', withTraffic: true });
// Stryker disable ObjectLiteral,StringLiteral,BooleanLiteral: equivalent, these options are lifecycleSequence's defaults for a replacement fleet (blue/green always moves traffic)
const replacement = lifecycleSequence({
  deploymentType: 'blue-green',
  role: 'replacement',
  withTraffic: true,
});
// Stryker restore all

/** In-place batch up to ValidateService; BlockTraffic takes the instance out of the router first. */
export const IN_PLACE_INSTALL = cut(inPlace, undefined, 'ValidateService');
export const ALLOW_TRAFFIC = cut(inPlace, 'BeforeAllowTraffic', undefined);
export const BLOCK_TRAFFIC = lifecycleSequence({
  deploymentType: 'blue-green',
  role: 'original',
  withTraffic: true,
}) as LifecycleEventName[];
/** Replacement fleet: install and validate, then BeforeAllowTraffic; AllowTraffic is the traffic shift itself. */
export const REPLACEMENT_INSTALL = cut(replacement, undefined, 'BeforeAllowTraffic');
/**
 * Rolling with an additional batch: the extra instances install like a replacement fleet but join traffic like an
 * in-place batch (ALLOW_TRAFFIC starts at BeforeAllowTraffic), so their install stops at ValidateService.
 */
export const EXTRA_BATCH_INSTALL = cut(replacement, undefined, 'ValidateService');
export const REPLACEMENT_AFTER_ALLOW = cut(replacement, 'AfterAllowTraffic', undefined);
