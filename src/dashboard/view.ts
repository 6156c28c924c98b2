/**
 * A group's page model from its ledger events: pure, so it is unit-tested on recorded events. Lists that grow with
 * a deployment's length (verdicts, hooks, events) keep their latest entries only, so an hour-long canary sends
 * the page a page's worth, not the whole ledger.
 */
import type { LedgerEvent } from '../deploy/events.js';
import { formatEvent } from '../deploy/render.js';
import { type DeploymentState, type GroupState, reduce } from '../deploy/state.js';
import { describeStep } from '../deploy/steps.js';
import type {
  DeploymentSummary,
  DeploymentView,
  GroupView,
  HookView,
  SplitPoint,
  StepView,
  Thresholds,
  VerdictView,
} from './protocol.js';

export const LIMITS = { verdicts: 120, hooks: 200, events: 40, history: 50, split: 400, output: 4000 };

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

/** Thins a series to at most `max` points, always keeping the first and the latest ones. */
export function thin<T>(list: T[], max: number): T[] {
  if (list.length <= max) return list;
  const stride = Math.ceil(list.length / max);
  const out = list.filter((_, i) => i % stride === 0);
  if (out[out.length - 1] !== list[list.length - 1]) out.push(list[list.length - 1]!);
  return out;
}

export function deploymentView(d: DeploymentState, events: readonly LedgerEvent[]): DeploymentView {
  const mine = events.filter((e) => e.deploymentId === d.id);
  const started = new Map<number, number>();
  const completed = new Map<number, number>();
  const split: SplitPoint[] = [];
  const verdicts: VerdictView[] = [];
  const hooks: HookView[] = [];
  for (const e of mine) {
    if (e.type === 'step') (e.phase === 'started' ? started : completed).set(e.index, e.at);
    else if (e.type === 'traffic') {
      split.push({
        at: e.at,
        canary: e.table.canary.length ? e.table.canaryWeight : 0,
        ...(e.revisions.stable ? { stable: e.revisions.stable } : {}),
        ...(e.revisions.canary ? { canaryRevision: e.revisions.canary } : {}),
      });
    } else if (e.type === 'verdict') {
      const { index, result, reasons, measured, thresholds } = e;
      verdicts.push({ at: e.at, index, result, reasons, measured, thresholds });
    } else if (e.type === 'hook') {
      const { type: _t, deploymentId: _d, output, ...hook } = e;
      // A `started` line is replaced by the same hook's outcome: one row per instance and event.
      const open = hooks.findLastIndex(
        (h) => h.instance === e.instance && h.event === e.event && h.status === 'started',
      );
      const row: HookView = { ...hook, ...(output ? { output: output.slice(-LIMITS.output) } : {}) };
      if (open >= 0 && e.status !== 'started') hooks[open] = row;
      else hooks.push(row);
    }
  }
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
    split: thin(split, LIMITS.split),
    verdicts: keepLast(verdicts, LIMITS.verdicts),
    verdictCount: verdicts.length,
    hooks: keepLast(hooks, LIMITS.hooks),
    ...(d.rollback ? { rollback: d.rollback } : {}),
    overrides: d.overrides,
    events: keepLast(mine, LIMITS.events).map((e) => ({ at: e.at, text: formatEvent(e, d) })),
  };
}

/** The group as the page shows it: the unfinished (or latest) deployment in full, the others as history. */
export function groupView(info: GroupInfo, events: readonly LedgerEvent[], state?: GroupState): GroupView {
  const s = state ?? reduce(events);
  const current = s.active ?? s.deployments[s.deployments.length - 1];
  return {
    ...info,
    ...(current ? { current: deploymentView(current, events) } : {}),
    history: keepLast(s.deployments, LIMITS.history).map(summary).reverse(),
  };
}
