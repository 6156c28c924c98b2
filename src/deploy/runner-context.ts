/**
 * What every part of the runner shares: its dependencies, the outcome and trigger types, and the one way to
 * read the deployment (rebuilt from the ledger) and to record an event and notify about it. The step,
 * traffic and rollback modules build on this; it imports none of them.
 */
import type { Clock } from '../core/clock.js';
import type { DeploymentGroup } from '../documents/deployment-group/schema.js';
import type { DeployProvider, LifecycleProgress, Revision } from '../providers/provider.js';
import type { CheckProcessRecorder } from './checks/check.js';
import type { CheckProviders } from './checks/providers.js';
import type { LedgerEvent, LedgerEventBody, RevisionRef } from './events.js';
import { defaultGateEvaluator, type GateEvaluator } from './gates.js';
import type { Ledger } from './ledger.js';
import type { NotificationKind, Notifier } from './notify.js';
import { silentNotifier } from './notify.js';
import { type DeploymentState, type GroupState, reduce } from './state.js';
import { describeStep, type Step } from './steps.js';
import type { Plan } from './strategies/plan.js';

export interface RunnerDeps {
  ledger: Ledger;
  provider: DeployProvider;
  clock: Clock;
  group: DeploymentGroup;
  /** Folder the group file lives in (relative rollback hook paths resolve from here). */
  configDir: string;
  evaluateGate?: GateEvaluator;
  /** Providers of `analysis.checks`; tests inject fakes. @default defaultCheckProviders */
  checkProviders?: CheckProviders;
  /**
   * The run's environment, whose credentials (beside this process's own) the checks' evidence and rollback
   * hooks' output never keep: cloudwatch checks read their AWS settings from it. @default process.env
   */
  checkEnv?: Record<string, string | undefined>;
  /** Where command checks record the process groups they run (check-processes.ts). @default not recorded */
  checkProcesses?: CheckProcessRecorder;
  notifier?: Notifier;
  signal?: AbortSignal;
  /** Called after every recorded event (live progress). */
  onEvent?: (event: LedgerEvent, deployment: DeploymentState) => void;
  /** How often the runner looks for promote/abort requests while waiting (ms). */
  pollMs?: number;
  pid?: number;
}

export type RollbackTrigger = 'failure' | 'gate' | 'health' | 'abort' | 'manual';

export type StepOutcome =
  | { kind: 'ok' }
  | { kind: 'jump'; to: number }
  | { kind: 'fail'; reason: string; trigger: RollbackTrigger }
  | { kind: 'stop'; reason: string }
  | { kind: 'interrupted' };

export class RunnerContext {
  readonly clock: Clock;
  readonly evaluateGate: GateEvaluator;
  readonly notifier: Notifier;
  readonly signal: AbortSignal;
  readonly pollMs: number;

  constructor(
    readonly deps: RunnerDeps,
    readonly deploymentId: string,
  ) {
    this.clock = deps.clock;
    this.evaluateGate = deps.evaluateGate ?? defaultGateEvaluator;
    this.notifier = deps.notifier ?? silentNotifier;
    this.signal = deps.signal ?? new AbortController().signal;
    this.pollMs = deps.pollMs ?? 100;
  }

  groupState(): GroupState {
    return reduce(this.deps.ledger.read().events);
  }

  deployment(): DeploymentState {
    const d = this.groupState().deployments.find((x) => x.id === this.deploymentId);
    if (!d) throw new Error(`deployment ${this.deploymentId} is not in the ledger`);
    return d;
  }

  record(body: LedgerEventBody): DeploymentState {
    const event = { ...body, at: this.clock.now(), deploymentId: this.deploymentId } as LedgerEvent;
    this.deps.ledger.append(event);
    const d = this.deployment();
    this.deps.onEvent?.(event, d);
    return d;
  }

  /** A lifecycle hook's progress, as reported by the provider, recorded with a whole-millisecond duration. */
  recordHook(p: LifecycleProgress): void {
    this.record({
      type: 'hook',
      ...p,
      ...(p.durationMs !== undefined ? { durationMs: Math.round(p.durationMs) } : {}),
    });
  }

  notify(kind: NotificationKind, d: DeploymentState, extra: { step?: number; reason?: string } = {}): void {
    this.notifier.notify({
      kind,
      application: this.deps.group.application,
      deploymentGroup: this.deps.group.deploymentGroup,
      deploymentId: d.id,
      revision: d.revision.label,
      status: d.status,
      at: new Date(this.clock.now()).toISOString(),
      ...(extra.step !== undefined
        ? { step: { index: extra.step, description: describeStep(d.plan.steps[extra.step] as Step) } }
        : {}),
      ...(extra.reason ? { reason: extra.reason } : {}),
    });
  }

  /**
   * An inconclusive reading whose policy is `pause`: pauses the deployment (once) until evidence arrives or
   * a person resumes it; `d` is the deployment as the reading left it. The router gate and the analysis checks share it;
   * `what` starts the reason text, which a passing reading of the same gate or check later looks for to resume by itself.
   */
  pauseForInconclusiveAnalysis(
    d: DeploymentState,
    index: number,
    reasons: string[],
    what = 'analysis inconclusive',
  ): void {
    if (d.status === 'Paused') return;
    const paused = this.record({
      type: 'paused',
      index,
      reason: `${what}: ${reasons.join('; ')}`,
    });
    this.notify('paused', paused, { step: index });
  }

  /**
   * A passing reading of the gate or check that paused for want of evidence (`what`, as given to
   * pauseForInconclusiveAnalysis) ends that pause by itself; a pause of anything else stays. True when it resumed.
   */
  resumeAfterEvidence(d: DeploymentState, index: number, what = 'analysis inconclusive'): boolean {
    if (d.status !== 'Paused' || !d.pausedReason?.startsWith(`${what}:`)) return false;
    this.record({ type: 'resumed', index, by: 'gate' });
    return true;
  }

  /** Records the terminal status and notifies about it. */
  finish(
    status: 'Failed' | 'RolledBack' | 'Stopped',
    kind: NotificationKind,
    reason: string,
  ): DeploymentState {
    const d = this.record({ type: 'finished', status, reason });
    this.notify(kind, d, { reason });
    return d;
  }
}

export function revisionOf(ref: RevisionRef): Revision {
  return { label: ref.label, dir: ref.dir };
}

export function replacementInstances(plan: Plan): string[] {
  const promote = plan.steps.find((s) => s.kind === 'promoteReplacement');
  return promote && promote.kind === 'promoteReplacement' ? promote.instances : [];
}
