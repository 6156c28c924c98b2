/**
 * The operator commands the model-based test can issue, and the strategies it deploys with (each written into
 * the group file before its deploy, with sub-second bakes so a sequence runs in seconds).
 */

/** good: answers 200; erroring: every second request is a 500 (a gate must catch it); broken: ValidateService fails. */
export type RevisionKind = 'good' | 'erroring' | 'broken';

export const STRATEGIES = {
  'all-at-once': 'strategy: all-at-once',
  'one-at-a-time': 'strategy: one-at-a-time',
  'half-at-a-time': 'strategy: half-at-a-time',
  'rolling-with-additional-batch': 'strategy:\n  type: rolling-with-additional-batch\n  batchSize: 1',
  immutable: 'strategy: immutable',
  'blue-green': 'strategy:\n  type: blue-green\n  terminateBlueAfterSeconds: 0',
  /** Waits for `promote` before the switch. */
  'blue-green-wait': 'strategy:\n  type: blue-green\n  readyWait: {}\n  terminateBlueAfterSeconds: 0',
  canary: 'strategy:\n  type: canary\n  steps:\n    - setWeight: 25\n    - pause: { seconds: 3 }',
  /** Holds 25% until `promote`. */
  'canary-manual': 'strategy:\n  type: canary\n  steps:\n    - setWeight: 25\n    - pause: {}',
  linear: 'strategy:\n  type: linear\n  stepPercent: 50\n  intervalSeconds: 0.6',
} as const;

export type StrategyName = keyof typeof STRATEGIES;

/** Strategies that wait for `promote`: always deployed with --detach. */
export const MANUAL: readonly StrategyName[] = ['blue-green-wait', 'canary-manual'];
/** Strategies whose gates judge the new revision's traffic before it takes everything. */
export const GATED: readonly StrategyName[] = ['canary', 'canary-manual', 'linear', 'immutable'];
/** Strategies that take every instance out at once: an outage while they install is what the user asked for. */
export const ALL_AT_ONCE: readonly StrategyName[] = ['all-at-once'];

export type Command =
  | { kind: 'deploy'; revision: RevisionKind; strategy: StrategyName; detach: boolean }
  | { kind: 'promote'; full: boolean }
  | { kind: 'abort' }
  | { kind: 'rollback' }
  | { kind: 'resume' }
  | { kind: 'down' }
  | { kind: 'up' }
  | { kind: 'kill-runner' }
  | { kind: 'kill-router' }
  /** `pick` chooses among the instances that may be killed at that moment. */
  | { kind: 'kill-instance'; pick: number };

export type CommandKind = Command['kind'];

export function describeCommand(c: Command): string {
  switch (c.kind) {
    case 'deploy':
      return `deploy ${c.revision} ${c.strategy}${c.detach ? ' --detach' : ''}`;
    case 'promote':
      return c.full ? 'promote --full' : 'promote';
    case 'kill-instance':
      return `kill-instance #${Math.floor(c.pick * 100)}`;
    default:
      return c.kind;
  }
}
