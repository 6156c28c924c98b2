/**
 * Which lifecycle events a step runs, per role, in CodeDeploy's order.
 * (A stand-in until the agent's lifecycle-events module is on main; same names and order.)
 */
import type { LifecycleEventName } from '../steps.js';

/** In-place batch up to ValidateService; BlockTraffic takes the instance out of the router first. */
export const IN_PLACE_INSTALL: LifecycleEventName[] = [
  'BeforeBlockTraffic',
  'BlockTraffic',
  'AfterBlockTraffic',
  'ApplicationStop',
  'DownloadBundle',
  'BeforeInstall',
  'Install',
  'AfterInstall',
  'ApplicationStart',
  'ValidateService',
];
export const ALLOW_TRAFFIC: LifecycleEventName[] = [
  'BeforeAllowTraffic',
  'AllowTraffic',
  'AfterAllowTraffic',
];
export const BLOCK_TRAFFIC: LifecycleEventName[] = [
  'BeforeBlockTraffic',
  'BlockTraffic',
  'AfterBlockTraffic',
];
/** Replacement fleet: install and validate, then BeforeAllowTraffic; AllowTraffic is the traffic shift itself. */
export const REPLACEMENT_INSTALL: LifecycleEventName[] = [
  'ApplicationStop',
  'DownloadBundle',
  'BeforeInstall',
  'Install',
  'AfterInstall',
  'ApplicationStart',
  'ValidateService',
  'BeforeAllowTraffic',
];
export const REPLACEMENT_AFTER_ALLOW: LifecycleEventName[] = ['AfterAllowTraffic'];
