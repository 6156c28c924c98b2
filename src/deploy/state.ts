/**
 * reduce(events) → state: the only way state is known. Pure; the runner, status, history and
 * the manual commands all rebuild it from the ledger.
 */
import type {
  DeploymentOptions,
  DeploymentStatus,
  GateVerdictRecord,
  LedgerEvent,
  RevisionRef,
  TrafficTable,
} from './events.js';
import { TERMINAL_STATUSES } from './events.js';
import type { Plan, Slot } from './strategies/plan.js';

export interface HookRecord {
  instance: string;
  event: string;
  status: 'started' | 'succeeded' | 'failed' | 'skipped';
  script?: string;
  durationMs?: number;
  message?: string;
  output?: string;
}

/** The latest verdict of one analysis check at one deployment point. */
export interface CheckVerdictState extends GateVerdictRecord {
  check: string;
  provider?: string;
  point?: string;
  /** Its threshold: the condition judged (absent in ledgers older than this field). */
  condition?: string;
  at: number;
}

export interface DeploymentState {
  id: string;
  status: DeploymentStatus;
  revision: RevisionRef;
  plan: Plan;
  options: DeploymentOptions;
  previous?: { slot: Slot; revision: RevisionRef };
  createdAt: number;
  updatedAt: number;
  finishedAt?: number;
  /** Index of the step being executed (or next to execute). */
  step: number;
  /** Highest step index completed, -1 before any. */
  completedStep: number;
  /** Set while a step has started and not completed (a resumed runner continues it instead of restarting it). */
  startedStep?: number;
  /** Recorded bake deadline of the current step (so a restarted runner resumes the remaining time). */
  bakeUntil?: number;
  pausedReason?: string;
  /** Requests written by another process and not yet acted on. */
  pendingPromote?: { full: boolean };
  pendingAbort?: string;
  traffic?: TrafficTable;
  trafficRevisions?: { stable?: string; canary?: string };
  /** The router-signal gate's latest verdict. */
  lastVerdict?: GateVerdictRecord & { at: number };
  /** Each analysis check's latest verdict (per check and deployment point), in the order they first ran. */
  checks?: CheckVerdictState[];
  /** How many readings the router-signal gate has made (check verdicts are not counted here). */
  verdicts: number;
  lastHook?: HookRecord;
  failedHook?: HookRecord;
  reason?: string;
  rollback?: { reason: string; trigger: string; ok?: boolean; message?: string; trafficRestoredMs?: number };
  runnerPid?: number;
  overrides: string[];
  eventCount: number;
}

export interface GroupState {
  /** Deployments in creation order. */
  deployments: DeploymentState[];
  /** The deployment not yet finished, if any (at most one per group). */
  active?: DeploymentState;
  /** The fleet serving stable traffic. */
  fleet?: { slot: Slot; revision: RevisionRef; instances: string[] };
  /** Revision of the last successful deployment. */
  lastGood?: RevisionRef;
  /** Last routing table written by any deployment (empty after `down`). */
  traffic?: TrafficTable;
  /** True after `down` until `up` or a deployment installs a fleet again: the recorded fleet is not running. */
  stopped?: boolean;
  /** Older deployments the ledger keeps only as fleet, traffic and last good revision (ledger-fold.ts). */
  compacted?: { deployments: number; lastGood?: RevisionRef };
}

export function isTerminal(status: DeploymentStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export function reduce(events: readonly LedgerEvent[]): GroupState {
  const r = new GroupReducer();
  for (const e of events) r.add(e);
  return r.state();
}

/**
 * `reduce`, one event at a time: what a follower of a growing ledger uses (the dashboard), so each new line costs
 * one step, not a pass over the whole ledger. `state()` is the same as `reduce` of every event added.
 */
export class GroupReducer {
  private readonly byId = new Map<string, DeploymentState>();
  private readonly order: DeploymentState[] = [];
  private readonly group: GroupState = { deployments: this.order };

  /** The deployment an event was about (after the event), if the reducer knows it. */
  add(e: LedgerEvent): DeploymentState | undefined {
    const { byId, order, group } = this;
    if (e.type === 'compacted') {
      if (e.fleet) group.fleet = e.fleet;
      if (e.traffic) group.traffic = e.traffic;
      if (e.lastGood) group.lastGood = e.lastGood;
      if (e.stopped) group.stopped = true;
      group.compacted = { deployments: e.deployments, ...(e.lastGood ? { lastGood: e.lastGood } : {}) };
      return undefined;
    }
    if (e.type === 'created') {
      const d: DeploymentState = {
        id: e.deploymentId,
        status: 'Created',
        revision: e.revision,
        plan: e.plan,
        options: e.options,
        ...(e.previous ? { previous: e.previous } : {}),
        createdAt: e.at,
        updatedAt: e.at,
        step: 0,
        completedStep: -1,
        verdicts: 0,
        overrides: [],
        eventCount: 1,
      };
      byId.set(d.id, d);
      order.push(d);
      return d;
    }
    const d = byId.get(e.deploymentId);
    if (e.type === 'fleet') {
      group.fleet = { slot: e.slot, revision: e.revision, instances: e.instances };
      group.stopped = undefined;
    }
    if (e.type === 'traffic') group.traffic = e.table;
    if (e.type === 'down') {
      group.stopped = true;
      group.traffic = { stable: [], canary: [], canaryWeight: 0 };
    }
    if (e.type === 'up') group.stopped = undefined;
    if (!d) return undefined;
    d.updatedAt = e.at;
    d.eventCount += 1;
    switch (e.type) {
      case 'started':
        d.status = 'InProgress';
        d.runnerPid = e.pid;
        break;
      case 'runner':
        d.runnerPid = e.pid;
        break;
      case 'step':
        if (e.phase === 'started') {
          d.step = e.index;
          d.startedStep = e.index;
          d.bakeUntil = undefined;
        } else {
          d.completedStep = Math.max(d.completedStep, e.index);
          d.step = e.index + 1;
          d.startedStep = undefined;
          d.bakeUntil = undefined;
        }
        break;
      case 'bake':
        d.bakeUntil = e.until;
        break;
      case 'paused':
        d.status = 'Paused';
        d.pausedReason = e.reason;
        break;
      case 'resumed':
        if (!isTerminal(d.status)) d.status = 'InProgress';
        d.pausedReason = undefined;
        break;
      case 'promote-requested':
        d.pendingPromote = { full: e.full || d.pendingPromote?.full === true };
        break;
      case 'promoted':
        d.pendingPromote = undefined;
        break;
      case 'abort-requested':
        d.pendingAbort = e.reason;
        break;
      case 'traffic':
        d.traffic = e.table;
        d.trafficRevisions = e.revisions;
        break;
      case 'down':
        d.traffic = { stable: [], canary: [], canaryWeight: 0 };
        d.trafficRevisions = {};
        break;
      case 'hook': {
        const { type: _t, at: _a, deploymentId: _d, ...hook } = e;
        d.lastHook = hook;
        if (e.status === 'failed') d.failedHook = hook;
        break;
      }
      case 'verdict': {
        const { result, reasons, measured, thresholds } = e;
        if (e.check === undefined) {
          d.lastVerdict = { result, reasons, measured, thresholds, at: e.at };
          d.verdicts += 1;
          break;
        }
        const latest: CheckVerdictState = {
          check: e.check,
          ...(e.provider !== undefined ? { provider: e.provider } : {}),
          ...(e.point !== undefined ? { point: e.point } : {}),
          ...(e.condition !== undefined ? { condition: e.condition } : {}),
          result,
          reasons,
          measured,
          thresholds,
          at: e.at,
        };
        const checks = d.checks ?? [];
        const i = checks.findIndex((c) => c.check === e.check && c.point === e.point);
        if (i < 0) checks.push(latest);
        else checks[i] = latest;
        d.checks = checks;
        break;
      }
      case 'override':
        d.overrides.push(e.what);
        break;
      case 'rollback-started':
        d.rollback = { reason: e.reason, trigger: e.trigger };
        d.pendingAbort = undefined;
        // A rollback is work in progress, also of a deployment whose runner never started (`conveyor rollback`
        // of one left Created): CodeDeploy shows a rollback InProgress until it ends. A finished one stays finished.
        if (!isTerminal(d.status)) d.status = 'InProgress';
        break;
      case 'rollback-finished':
        d.rollback = {
          ...(d.rollback ?? { reason: 'unknown', trigger: 'manual' }),
          ok: e.ok,
          ...(e.message ? { message: e.message } : {}),
          ...(e.trafficRestoredMs !== undefined ? { trafficRestoredMs: e.trafficRestoredMs } : {}),
        };
        break;
      case 'finished':
        d.status = e.status;
        d.finishedAt = e.at;
        if (e.reason) d.reason = e.reason;
        if (e.status === 'Succeeded') group.lastGood = d.revision;
        break;
      // Stryker disable next-line ConditionalExpression: equivalent, the default case only breaks
      default:
        break;
    }
    return d;
  }

  state(): GroupState {
    this.group.active = this.order.findLast((d) => !isTerminal(d.status));
    return this.group;
  }
}

/** The deployment a command means: by id, else the active one, else the latest. */
export function findDeployment(state: GroupState, id?: string): DeploymentState | undefined {
  if (id) return state.deployments.find((d) => d.id === id);
  return state.active ?? state.deployments[state.deployments.length - 1];
}

/** Last good revision before a given deployment (what rollback redeploys). */
export function lastGoodBefore(state: GroupState, deploymentId: string): RevisionRef | undefined {
  let good: RevisionRef | undefined = state.compacted?.lastGood;
  for (const d of state.deployments) {
    if (d.id === deploymentId) break;
    if (d.status === 'Succeeded') good = d.revision;
  }
  return good;
}
