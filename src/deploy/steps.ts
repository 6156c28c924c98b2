/**
 * A deployment plan is a list of steps, each a plain value with a one-line description.
 * Planners produce them without I/O; the runner executes them one at a time; both providers consume them.
 */

/** CodeDeploy lifecycle event names (reserved ones included: the runner/provider acts on them itself). */
export type LifecycleEventName =
  | 'BeforeBlockTraffic'
  | 'BlockTraffic'
  | 'AfterBlockTraffic'
  | 'ApplicationStop'
  | 'DownloadBundle'
  | 'BeforeInstall'
  | 'Install'
  | 'AfterInstall'
  | 'ApplicationStart'
  | 'ValidateService'
  | 'BeforeAllowTraffic'
  | 'AllowTraffic'
  | 'AfterAllowTraffic';

export type Step =
  /** Run lifecycle events on instances (in parallel), from the new revision unless `revision: 'last'`. */
  | {
      kind: 'lifecycle';
      role: 'in-place' | 'replacement' | 'original';
      instances: string[];
      events: LifecycleEventName[];
      /** Batch number for in-place strategies (1-based), for status output. */
      batch?: number;
      /** Rolling with an additional batch: these are the extra instances, not the fleet's (for status output). */
      extraBatch?: true;
    }
  /** HTTP health check of the instances until healthy or the startup budget runs out. */
  | { kind: 'healthCheck'; instances: string[] }
  /** Send this share of traffic to the replacement fleet. */
  | { kind: 'setWeight'; percent: number }
  /** Bake (with gates running) for `seconds`, or hold until `conveyor promote` when absent. */
  | { kind: 'pause'; seconds?: number }
  /** Gates must pass for `seconds` (or one evaluation). */
  | { kind: 'analysis'; seconds?: number }
  /** Blue/green: hold the switch until promoted; on timeout continue or stop. */
  | { kind: 'waitReady'; seconds?: number; actionOnTimeout: 'continue' | 'stop' }
  /** The replacement fleet becomes the stable fleet (100 % of traffic, one router call). */
  | { kind: 'promoteReplacement'; instances: string[] }
  /** Wait, then stop the original fleet's processes (after its block-traffic events). */
  | { kind: 'terminate'; instances: string[]; waitSeconds: number; extraBatch?: true };

export type StepKind = Step['kind'];

export function describeStep(step: Step): string {
  switch (step.kind) {
    case 'lifecycle': {
      const set = step.extraBatch ? 'extra batch' : `${step.role}${step.batch ? ` batch ${step.batch}` : ''}`;
      const who = `${set} [${step.instances.join(', ')}]`;
      const first = step.events[0];
      const last = step.events[step.events.length - 1];
      return `run ${first === last ? first : `${first} … ${last}`} on ${who}`;
    }
    case 'healthCheck':
      return `health check [${step.instances.join(', ')}]`;
    case 'setWeight':
      return `send ${step.percent}% of traffic to the new revision`;
    case 'pause':
      return step.seconds === undefined ? 'pause until promoted' : `bake for ${step.seconds}s`;
    case 'analysis':
      return step.seconds === undefined ? 'run analysis once' : `run analysis for ${step.seconds}s`;
    case 'waitReady':
      return step.seconds === undefined
        ? 'wait for promote before switching traffic'
        : `wait up to ${step.seconds}s for promote before switching traffic (then ${step.actionOnTimeout})`;
    case 'promoteReplacement':
      return `switch all traffic to the new fleet [${step.instances.join(', ')}]`;
    case 'terminate':
      return `${step.waitSeconds > 0 ? `after ${step.waitSeconds}s ` : ''}terminate the ${step.extraBatch ? 'extra batch' : 'original fleet'} [${step.instances.join(', ')}]`;
  }
}

/** Configured waiting time of a step, for dry-run estimates and the bench's overhead figure. */
export function configuredSeconds(step: Step): number {
  switch (step.kind) {
    case 'pause':
    case 'analysis':
    case 'waitReady':
      return step.seconds ?? 0;
    case 'terminate':
      return step.waitSeconds;
    default:
      return 0;
  }
}
