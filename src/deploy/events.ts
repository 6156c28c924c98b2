/** Everything the runner and the manual commands write to a group's ledger. One line per event. */
import type { Plan, Slot } from './strategies/plan.js';
import type { Strategy } from './strategies/strategy.js';

export type DeploymentStatus =
  | 'Created'
  | 'InProgress'
  | 'Paused'
  | 'Succeeded'
  | 'Failed'
  | 'RolledBack'
  | 'Stopped';
export const TERMINAL_STATUSES: readonly DeploymentStatus[] = [
  'Succeeded',
  'Failed',
  'RolledBack',
  'Stopped',
];

export interface RevisionRef {
  /** Short name shown to users (the folder name, e.g. `v2`). */
  label: string;
  /** Copy of the revision kept under the group's state folder (so rollback and ApplicationStop can use it). */
  dir: string;
}

export interface TrafficTable {
  stable: string[];
  canary: string[];
  canaryWeight: number;
}

export interface GateVerdictRecord {
  result: 'pass' | 'fail' | 'inconclusive';
  reasons: string[];
  measured: Record<string, number>;
  thresholds: Record<string, number>;
}

/**
 * Set on the verdicts of `analysis.checks` (absent on the router's own gate): which check, its provider,
 * the deployment point it ran at, its condition, and the output a command or HTTP check produced (trimmed).
 */
export interface CheckVerdictFields {
  check?: string;
  provider?: string;
  point?: string;
  output?: string;
  /** The condition the check was judged on (its threshold), as written or the provider's default. */
  condition?: string;
}

export interface DeploymentOptions {
  creator: 'user' | 'rollback';
  /** CodeDeploy's escape for a broken previous revision whose ApplicationStop fails. */
  ignoreApplicationStopFailures: boolean;
  /** Emergency override: gates are not evaluated. */
  skipAnalysis: boolean;
  /** For creator 'rollback': the deployment being undone. */
  rollbackOf?: string;
  /**
   * Whole-deployment providers (CodeDeploy): the strategy as planned, so a detached or resumed runner
   * runs exactly it, whatever `--strategy` said and whatever the group file says later.
   */
  strategy?: Strategy;
}

export type LedgerEventBody =
  | {
      type: 'created';
      revision: RevisionRef;
      plan: Plan;
      options: DeploymentOptions;
      /** The fleet serving when the deployment was created (rollback target for replacement strategies). */
      previous?: { slot: Slot; revision: RevisionRef };
    }
  | { type: 'started'; pid: number }
  | { type: 'step'; index: number; phase: 'started' | 'completed'; description: string }
  | { type: 'bake'; index: number; until: number }
  | { type: 'paused'; index: number; reason: string }
  | { type: 'resumed'; index: number; by: 'promote' | 'timeout' | 'gate' }
  | { type: 'promote-requested'; full: boolean }
  | { type: 'promoted'; index: number; full: boolean }
  | { type: 'abort-requested'; reason: string }
  | { type: 'traffic'; table: TrafficTable; revisions: { stable?: string; canary?: string } }
  | {
      type: 'hook';
      instance: string;
      event: string;
      status: 'started' | 'succeeded' | 'failed' | 'skipped';
      script?: string;
      durationMs?: number;
      message?: string;
      output?: string;
    }
  | { type: 'health'; instances: string[]; ok: boolean; details: string[] }
  | ({ type: 'verdict'; index: number } & GateVerdictRecord & CheckVerdictFields)
  | { type: 'override'; what: 'ignoreApplicationStopFailures' | 'skipAnalysis'; note: string }
  | { type: 'rollback-started'; reason: string; trigger: 'failure' | 'gate' | 'health' | 'abort' | 'manual' }
  | { type: 'rollback-finished'; ok: boolean; message?: string; trafficRestoredMs?: number }
  | { type: 'fleet'; slot: Slot; revision: RevisionRef; instances: string[] }
  | { type: 'finished'; status: DeploymentStatus; reason?: string }
  | { type: 'runner'; pid: number; note: string }
  /** `conveyor down`: the group's router and instances were stopped; nothing serves until `up` or a deploy. */
  | { type: 'down'; stopped: string[] }
  /** `conveyor up`: the recorded fleet was started again and takes all traffic. */
  | { type: 'up'; revision: RevisionRef; instances: string[]; started: string[] }
  | { type: 'notification-failed'; target: string; message: string }
  | {
      /**
       * The first line of a compacted ledger: what the deployments no longer kept in full left behind
       * (deploymentId ''). See ledger.ts.
       */
      type: 'compacted';
      /** How many deployments were folded into this line, over all compactions. */
      deployments: number;
      fleet?: { slot: Slot; revision: RevisionRef; instances: string[] };
      lastGood?: RevisionRef;
      traffic?: TrafficTable;
      /** The last of those deployments' events was a `down`. */
      stopped?: boolean;
    };

export type LedgerEventType = LedgerEventBody['type'];

/** A line of the ledger: when, which deployment, what. */
export type LedgerEvent = LedgerEventBody & { at: number; deploymentId: string };
