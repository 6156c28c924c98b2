/**
 * A group's page model from its ledger events, built one event at a time (`GroupFollower`: the dashboard feeds it
 * the lines appended to the ledger, so each costs one step and nothing grows with the ledger) or from a list
 * (`groupView`, the same follower). Lists that grow with a deployment's length (verdicts, hooks, events) keep their
 * latest entries only and the split's older half is thinned, so an hour-long canary holds and sends a page's worth.
 */
import type { LedgerEvent } from '../deploy/events.js';
import { formatEvent } from '../deploy/render.js';
import { type DeploymentState, GroupReducer, isTerminal } from '../deploy/state.js';
import { describeStep } from '../deploy/steps.js';
import type {
  CheckPoint,
  CheckView,
  DeploymentSummary,
  DeploymentView,
  GroupView,
  HookView,
  SplitPoint,
  StepView,
  Thresholds,
  VerdictView,
} from './protocol.js';

export const LIMITS = {
  verdicts: 120,
  hooks: 200,
  events: 40,
  history: 50,
  split: 400,
  output: 4000,
  checkPoints: 480,
};

export interface GroupInfo {
  key: string;
  application: string;
  deploymentGroup: string;
  file: string;
  thresholds: Thresholds;
  routerUrl?: string;
  problems: string[];
}

function summary(d: DeploymentState): DeploymentSummary {
  return {
    id: d.id,
    status: d.status,
    revision: d.revision.label,
    createdAt: d.createdAt,
    ...(d.finishedAt !== undefined ? { finishedAt: d.finishedAt } : {}),
    ...(d.reason ? { reason: d.reason } : {}),
    ...(d.options.rollbackOf ? { rollbackOf: d.options.rollbackOf } : {}),
  };
}

/** Keeps the newest `max` items (drops from the front). */
function keepLast<T>(list: T[], max: number): T[] {
  return list.length > max ? list.slice(list.length - max) : list;
}

/**
 * The split with one more point, at most `max` points: past that the older half is thinned to every other point
 * (the first kept), so recent changes stay exact. Between two thinnings (one every `max / 4` points) the list
 * only grows at the end, which the live stream sends as the new points alone (patch.ts).
 */
export function addSplitPoint(list: SplitPoint[], point: SplitPoint, max: number): SplitPoint[] {
  const next = [...list, point];
  if (next.length <= max) return next;
  const half = Math.floor(next.length / 2);
  return [...next.slice(0, half).filter((_, i) => i % 2 === 0), ...next.slice(half)];
}

/** What a deployment's page shows beyond its state, gathered event by event and bounded. */
class DeploymentLists {
  readonly started = new Map<number, number>();
  readonly completed = new Map<number, number>();
  split: SplitPoint[] = [];
  verdicts: VerdictView[] = [];
  verdictCount = 0;
  hooks: HookView[] = [];
  checks: CheckView[] = [];
  checkPoints: CheckPoint[] = [];
  events: LedgerEvent[] = [];

  add(e: LedgerEvent): void {
    if (e.type === 'step') (e.phase === 'started' ? this.started : this.completed).set(e.index, e.at);
    else if (e.type === 'traffic') {
      // New arrays, never changed in place: the last view sent still holds the old ones (patch.ts compares them).
      this.split = addSplitPoint(
        this.split,
        {
          at: e.at,
          canary: e.table.canary.length ? e.table.canaryWeight : 0,
          ...(e.revisions.stable ? { stable: e.revisions.stable } : {}),
          ...(e.revisions.canary ? { canaryRevision: e.revisions.canary } : {}),
        },
        LIMITS.split,
      );
    } else if (e.type === 'verdict') {
      const { index, result, reasons, measured, thresholds } = e;
      this.verdicts = keepLast(
        [...this.verdicts, { at: e.at, index, result, reasons, measured, thresholds }],
        LIMITS.verdicts,
      );
      this.verdictCount += 1;
      if (e.check !== undefined) this.addCheck(e);
    } else if (e.type === 'hook') {
      const { type: _t, deploymentId: _d, output, ...hook } = e;
      // A `started` line is replaced by the same hook's outcome: one row per instance and event.
      const open = this.hooks.findLastIndex(
        (h) => h.instance === e.instance && h.event === e.event && h.status === 'started',
      );
      const row: HookView = { ...hook, ...(output ? { output: output.slice(-LIMITS.output) } : {}) };
      if (open >= 0 && e.status !== 'started') this.hooks = this.hooks.map((h, i) => (i === open ? row : h));
      else this.hooks = keepLast([...this.hooks, row], LIMITS.hooks);
    }
    this.events = keepLast([...this.events, e], LIMITS.events);
  }

  /** A check's verdict: its row replaced by a new object (the others keep their identity, as patch.ts wants). */
  private addCheck(e: Extract<LedgerEvent, { type: 'verdict' }>): void {
    const name = e.check!;
    const i = this.checks.findIndex((c) => c.name === name);
    const old = this.checks[i];
    const metric = old?.metric ?? ('result' in e.measured ? 'result' : Object.keys(e.measured)[0]);
    const value = metric !== undefined ? e.measured[metric] : undefined;
    // Kept, not thinned: thinning would rewrite the list the page holds instead of appending to it.
    this.checkPoints = keepLast(
      [
        ...this.checkPoints,
        { check: name, at: e.at, ...(value !== undefined ? { value } : {}), result: e.result },
      ],
      LIMITS.checkPoints,
    );
    const counts = { ...(old?.counts ?? { pass: 0, fail: 0, inconclusive: 0 }) };
    counts[e.result] += 1;
    const row: CheckView = {
      name,
      ...(e.provider !== undefined ? { provider: e.provider } : {}),
      ...(e.condition !== undefined ? { condition: e.condition } : {}),
      ...(metric !== undefined ? { metric } : {}),
      latest: {
        at: e.at,
        index: e.index,
        result: e.result,
        reasons: e.reasons,
        measured: e.measured,
        thresholds: e.thresholds,
        ...(e.point !== undefined ? { point: e.point } : {}),
        ...(e.output !== undefined ? { output: e.output.slice(-LIMITS.output) } : {}),
      },
      counts,
    };
    this.checks = i >= 0 ? this.checks.map((c, j) => (j === i ? row : c)) : [...this.checks, row];
  }
}

function deploymentView(d: DeploymentState, lists: DeploymentLists): DeploymentView {
  const { started, completed } = lists;
  const finished = d.finishedAt !== undefined;
  const steps: StepView[] = d.plan.steps.map((step, index) => ({
    index,
    kind: step.kind,
    description: describeStep(step),
    state:
      index <= d.completedStep
        ? 'done'
        : index === d.step
          ? finished
            ? d.status === 'Succeeded'
              ? 'done'
              : 'stopped'
            : 'current'
          : 'pending',
    ...(started.has(index) ? { startedAt: started.get(index)! } : {}),
    ...(completed.has(index) ? { completedAt: completed.get(index)! } : {}),
  }));
  return {
    ...summary(d),
    strategy: d.plan.strategy,
    ...(d.previous ? { previousRevision: d.previous.revision.label } : {}),
    steps,
    step: d.step,
    ...(d.bakeUntil !== undefined && !finished ? { bakeUntil: d.bakeUntil } : {}),
    ...(d.pausedReason && d.status === 'Paused' ? { pausedReason: d.pausedReason } : {}),
    ...(d.pendingPromote ? { pendingPromote: d.pendingPromote } : {}),
    ...(d.pendingAbort !== undefined ? { pendingAbort: d.pendingAbort } : {}),
    ...(d.traffic ? { traffic: d.traffic } : {}),
    ...(d.trafficRevisions ? { trafficRevisions: d.trafficRevisions } : {}),
    split: lists.split,
    verdicts: lists.verdicts,
    verdictCount: lists.verdictCount,
    checks: lists.checks,
    checkPoints: lists.checkPoints,
    hooks: lists.hooks,
    ...(d.rollback ? { rollback: d.rollback } : {}),
    overrides: [...d.overrides],
    events: lists.events.map((e) => ({ at: e.at, text: formatEvent(e, d) })),
  };
}

/**
 * A group's page model kept up to date one ledger event at a time. It holds the state `reduce` would (a summary per
 * deployment) and the lists of the deployments that can still be shown (the unfinished one and the latest), each
 * bounded: its memory does not grow with the length of a deployment.
 */
export class GroupFollower {
  private readonly reducer = new GroupReducer();
  private readonly lists = new Map<string, DeploymentLists>();

  add(e: LedgerEvent): void {
    const d = this.reducer.add(e);
    if (!d) return;
    if (e.type === 'created') {
      // Only the unfinished deployment or the latest is ever shown: the others' lists are let go.
      for (const [id] of this.lists) {
        const other = this.reducer.state().deployments.find((x) => x.id === id);
        if (!other || isTerminal(other.status)) this.lists.delete(id);
      }
      this.lists.set(d.id, new DeploymentLists());
    }
    this.lists.get(d.id)?.add(e);
  }

  /** The group as the page shows it: the unfinished (or latest) deployment in full, the others as history. */
  view(info: GroupInfo): GroupView {
    const s = this.reducer.state();
    const current = s.active ?? s.deployments[s.deployments.length - 1];
    const lists = current ? this.lists.get(current.id) : undefined;
    return {
      ...info,
      ...(current ? { current: deploymentView(current, lists ?? new DeploymentLists()) } : {}),
      history: keepLast(s.deployments, LIMITS.history).map(summary).reverse(),
    };
  }
}

/** The group's page model from a list of events (what a follower fed them in turn shows). */
export function groupView(info: GroupInfo, events: readonly LedgerEvent[]): GroupView {
  const f = new GroupFollower();
  for (const e of events) f.add(e);
  return f.view(info);
}
