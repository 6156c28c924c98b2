/**
 * CodeDeploy's EC2/on-premises lifecycle events as data: the order each kind of deployment runs them on one
 * instance, which of them are reserved for the agent, and which revision's appspec a scripted event reads.
 * Pure: no I/O. The instance agent (src/providers/local/agent) walks these sequences; strategies use them for
 * `deploy --dry-run` plans.
 *
 * @see https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html
 */

/** Every EC2/on-premises lifecycle event, in CodeDeploy's canonical (in-place, with load balancer) order. */
export const LIFECYCLE_EVENTS = [
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
  'BeforeAllowTraffic',
  'AllowTraffic',
  'AfterAllowTraffic',
] as const;

export type LifecycleEvent = (typeof LIFECYCLE_EVENTS)[number];

/** Events CodeDeploy runs itself; an appspec may not attach scripts to them. */
export const RESERVED_EVENTS: readonly LifecycleEvent[] = [
  'DownloadBundle',
  'Install',
  'BlockTraffic',
  'AllowTraffic',
];

/** The reserved events that move traffic (the load balancer, here the local router). */
export type TrafficEvent = 'BlockTraffic' | 'AllowTraffic';

/** Events an appspec `hooks` section may name on EC2/on-premises. */
export const SCRIPTABLE_EVENTS: readonly LifecycleEvent[] = LIFECYCLE_EVENTS.filter(
  (event) => !RESERVED_EVENTS.includes(event),
);

export function isLifecycleEvent(name: string): name is LifecycleEvent {
  return (LIFECYCLE_EVENTS as readonly string[]).includes(name);
}

export function isReservedEvent(event: LifecycleEvent): boolean {
  return RESERVED_EVENTS.includes(event);
}

export function isTrafficEvent(event: LifecycleEvent): event is TrafficEvent {
  return event === 'BlockTraffic' || event === 'AllowTraffic';
}

export type DeploymentType = 'in-place' | 'blue-green';
/** In a blue/green deployment: the instances being replaced (blue) or the new ones (green). */
export type InstanceRole = 'original' | 'replacement';

export interface LifecycleSequenceOptions {
  deploymentType: DeploymentType;
  /** Blue/green only; ignored for in-place. Default 'replacement'. */
  role?: InstanceRole;
  /** The group has a load balancer (here: the instances sit behind the local router). */
  withTraffic: boolean;
  /**
   * A rollback deployment. In-place rollbacks redeploy the last good revision through the normal in-place
   * sequence; blue/green rollbacks reverse the traffic events (allow on the originals, block on the replacements).
   */
  rollback?: boolean;
}

const BLOCK: readonly LifecycleEvent[] = ['BeforeBlockTraffic', 'BlockTraffic', 'AfterBlockTraffic'];
const ALLOW: readonly LifecycleEvent[] = ['BeforeAllowTraffic', 'AllowTraffic', 'AfterAllowTraffic'];
const INSTALL: readonly LifecycleEvent[] = [
  'ApplicationStop',
  'DownloadBundle',
  'BeforeInstall',
  'Install',
  'AfterInstall',
  'ApplicationStart',
  'ValidateService',
];

/**
 * The events one instance goes through, in order.
 * - in-place: [block traffic] → ApplicationStop … ValidateService → [allow traffic] (traffic events only with a
 *   load balancer). A rollback is the same sequence with the last good revision as the new one.
 * - blue/green replacement: ApplicationStop … ValidateService → allow traffic.
 * - blue/green original: block traffic only.
 * - blue/green rollback: original → allow traffic; replacement → block traffic.
 * Blue/green always moves traffic (it needs a load balancer), so `withTraffic` does not drop its traffic events.
 */
export function lifecycleSequence(options: LifecycleSequenceOptions): LifecycleEvent[] {
  if (options.deploymentType === 'in-place') {
    return options.withTraffic ? [...BLOCK, ...INSTALL, ...ALLOW] : [...INSTALL];
  }
  // Stryker disable next-line StringLiteral: equivalent, any role but 'original' is the replacement's sequence
  const role = options.role ?? 'replacement';
  if (options.rollback) return role === 'original' ? [...ALLOW] : [...BLOCK];
  return role === 'original' ? [...BLOCK] : [...INSTALL, ...ALLOW];
}

/**
 * Which installed revision's appspec and scripts a scripted event uses:
 * - 'new': the revision being deployed (its archive was copied by DownloadBundle);
 * - 'last-successful': the revision of the last deployment whose Install succeeded on the instance; when there
 *   is none (first deployment) the event is skipped, as the agent does;
 * - 'most-recent': the revision most recently downloaded to the instance, even if that deployment failed
 *   (blue/green rollback only: the replacement's block-traffic hooks come from the failed revision).
 */
export type AppspecSource = 'new' | 'last-successful' | 'most-recent';

export interface AppspecSourceOptions {
  /** A blue/green rollback uses its own mapping (hook_executor.rb in the agent). */
  rollback?: boolean;
  deploymentType?: DeploymentType;
}

const NORMAL_SOURCES: Readonly<Record<LifecycleEvent, AppspecSource>> = {
  BeforeBlockTraffic: 'last-successful',
  // Stryker disable next-line StringLiteral: equivalent, a reserved event runs no hooks: its source is never read
  BlockTraffic: 'last-successful',
  AfterBlockTraffic: 'last-successful',
  ApplicationStop: 'last-successful',
  // Stryker disable next-line StringLiteral: equivalent, a reserved event runs no hooks: its source is never read
  DownloadBundle: 'new',
  BeforeInstall: 'new',
  // Stryker disable next-line StringLiteral: equivalent, a reserved event runs no hooks: its source is never read
  Install: 'new',
  AfterInstall: 'new',
  ApplicationStart: 'new',
  ValidateService: 'new',
  BeforeAllowTraffic: 'new',
  // Stryker disable next-line StringLiteral: equivalent, a reserved event runs no hooks: its source is never read
  AllowTraffic: 'new',
  AfterAllowTraffic: 'new',
};

const BLUE_GREEN_ROLLBACK_SOURCES: Readonly<Record<LifecycleEvent, AppspecSource>> = {
  ...NORMAL_SOURCES,
  BeforeBlockTraffic: 'most-recent',
  // Stryker disable next-line StringLiteral: equivalent, a reserved event runs no hooks: its source is never read
  BlockTraffic: 'most-recent',
  AfterBlockTraffic: 'most-recent',
  BeforeAllowTraffic: 'last-successful',
  // Stryker disable next-line StringLiteral: equivalent, a reserved event runs no hooks: its source is never read
  AllowTraffic: 'last-successful',
  AfterAllowTraffic: 'last-successful',
};

export function appspecSourceFor(event: LifecycleEvent, options: AppspecSourceOptions = {}): AppspecSource {
  const blueGreenRollback = options.rollback === true && options.deploymentType === 'blue-green';
  return (blueGreenRollback ? BLUE_GREEN_ROLLBACK_SOURCES : NORMAL_SOURCES)[event];
}

/**
 * The events `ignoreApplicationStopFailures` covers: CodeDeploy continues past a failure of any event that
 * runs the previous revision's scripts, since a broken old revision must not block every later deployment.
 */
export const IGNORABLE_STOP_EVENTS: readonly LifecycleEvent[] = [
  'ApplicationStop',
  'BeforeBlockTraffic',
  'AfterBlockTraffic',
];

/** Default per-script timeout in seconds (script_info.rb in the agent; the documented per-event maximum too). */
export const DEFAULT_SCRIPT_TIMEOUT_SECONDS = 3600;

/** One-line description of an event for plans and progress output. */
export function describeEvent(event: LifecycleEvent): string {
  switch (event) {
    case 'DownloadBundle':
      return 'DownloadBundle: copy the revision to the instance';
    case 'Install':
      return 'Install: copy appspec files into place and apply permissions';
    case 'BlockTraffic':
      return 'BlockTraffic: take the instance out of the router';
    case 'AllowTraffic':
      return 'AllowTraffic: put the instance back in the router';
    default: {
      const source = appspecSourceFor(event);
      return `${event}: run hook scripts from the ${source === 'new' ? 'new' : 'last successful'} revision`;
    }
  }
}

/** One line of a dry-run plan: what an event will do on an instance. */
export interface PlannedEvent {
  event: LifecycleEvent;
  reserved: boolean;
  /** Scripted events: whose appspec is read. */
  source?: AppspecSource;
  /** Script locations that will run, in order (empty: the event is skipped). */
  scripts: string[];
}

type HooksLike =
  | Readonly<Record<string, readonly { location: string }[] | null | undefined>>
  | null
  | undefined;

/**
 * The hooks each event will run, for `deploy --dry-run`: scripted events list the scripts of the revision
 * they read (`lastHooks` undefined means no previous successful revision, so those events are skipped).
 */
export function planInstanceEvents(
  events: readonly LifecycleEvent[],
  hooks: { newHooks: HooksLike; lastHooks?: HooksLike; mostRecentHooks?: HooksLike },
  options: AppspecSourceOptions = {},
): PlannedEvent[] {
  return events.map((event) => {
    if (isReservedEvent(event)) return { event, reserved: true, scripts: [] };
    const source = appspecSourceFor(event, options);
    const chosen =
      source === 'new'
        ? hooks.newHooks
        : source === 'last-successful'
          ? hooks.lastHooks
          : hooks.mostRecentHooks;
    const scripts = (chosen?.[event] ?? []).map((s) => s.location.trim());
    return { event, reserved: false, source, scripts };
  });
}
