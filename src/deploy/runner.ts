/**
 * The runner: executes a deployment's plan one step at a time through the provider, writing every
 * transition to the ledger first-class. State is always rebuilt from the ledger, so a runner started on
 * a half-done deployment (after a crash) continues from the recorded step and the recorded bake deadline.
 * Manual requests (promote, abort) are ledger events written by other processes; the runner polls for them.
 */
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { AnalysisSpec, DeploymentGroup } from '../documents/deployment-group/schema.js';
import type { DeployProvider, LifecycleProgress, Revision } from '../providers/provider.js';
import type { DeploymentOptions, LedgerEvent, LedgerEventBody, RevisionRef, TrafficTable } from './events.js';
import { defaultGateEvaluator, type GateEvaluator, type GateMeasurement, type GateState } from './gates.js';
import type { Ledger } from './ledger.js';
import type { NotificationKind, Notifier } from './notify.js';
import { silentNotifier } from './notify.js';
import { runGroupScript } from './scripts.js';
import { type DeploymentState, type GroupState, reduce } from './state.js';
import { describeStep, type Step } from './steps.js';
import { ALLOW_TRAFFIC, BLOCK_TRAFFIC, IN_PLACE_INSTALL } from './strategies/events.js';
import type { Plan } from './strategies/plan.js';

export interface RunnerDeps {
  ledger: Ledger;
  provider: DeployProvider;
  clock: Clock;
  group: DeploymentGroup;
  /** Folder the group file lives in (relative rollback hook paths resolve from here). */
  configDir: string;
  evaluateGate?: GateEvaluator;
  notifier?: Notifier;
  signal?: AbortSignal;
  /** Called after every recorded event (live progress). */
  onEvent?: (event: LedgerEvent, deployment: DeploymentState) => void;
  /** How often the runner looks for promote/abort requests while waiting (ms). */
  pollMs?: number;
  pid?: number;
}

export type RollbackTrigger = 'failure' | 'gate' | 'health' | 'abort' | 'manual';

type StepOutcome =
  | { kind: 'ok' }
  | { kind: 'jump'; to: number }
  | { kind: 'fail'; reason: string; trigger: RollbackTrigger }
  | { kind: 'stop'; reason: string }
  | { kind: 'interrupted' };

export function newDeploymentId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let id = 'd-';
  for (let i = 0; i < 9; i++) id += alphabet[Math.floor(Math.random() * alphabet.length)];
  return id;
}

/** Writes the `created` event (and overrides) for a new deployment; returns its id. */
export function createDeployment(
  ledger: Ledger,
  clock: Clock,
  input: {
    revision: RevisionRef;
    plan: Plan;
    options: DeploymentOptions;
    previous?: { slot: 'a' | 'b'; revision: RevisionRef };
    id?: string;
  },
): string {
  const deploymentId = input.id ?? newDeploymentId();
  const at = clock.now();
  ledger.append({
    type: 'created',
    deploymentId,
    at,
    revision: input.revision,
    plan: input.plan,
    options: input.options,
    ...(input.previous ? { previous: input.previous } : {}),
  });
  if (input.options.ignoreApplicationStopFailures) {
    ledger.append({
      type: 'override',
      deploymentId,
      at,
      what: 'ignoreApplicationStopFailures',
      note: 'ApplicationStop failures of the previous revision will be ignored',
    });
  }
  if (input.options.skipAnalysis) {
    ledger.append({
      type: 'override',
      deploymentId,
      at,
      what: 'skipAnalysis',
      note: 'gates are not evaluated for this deployment (emergency override)',
    });
  }
  return deploymentId;
}

export class Runner {
  private readonly clock: Clock;
  private readonly evaluateGate: GateEvaluator;
  private readonly notifier: Notifier;
  private readonly signal: AbortSignal;
  private readonly pollMs: number;
  private gateState: GateState | undefined;
  private trafficChain: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: RunnerDeps,
    readonly deploymentId: string,
  ) {
    this.clock = deps.clock;
    this.evaluateGate = deps.evaluateGate ?? defaultGateEvaluator;
    this.notifier = deps.notifier ?? silentNotifier;
    this.signal = deps.signal ?? new AbortController().signal;
    this.pollMs = deps.pollMs ?? 100;
  }

  // ---- state -------------------------------------------------------------------------------------------

  groupState(): GroupState {
    return reduce(this.deps.ledger.read().events);
  }

  deployment(): DeploymentState {
    const d = this.groupState().deployments.find((x) => x.id === this.deploymentId);
    if (!d) throw new Error(`deployment ${this.deploymentId} is not in the ledger`);
    return d;
  }

  private record(body: LedgerEventBody): DeploymentState {
    const event = { ...body, at: this.clock.now(), deploymentId: this.deploymentId } as LedgerEvent;
    this.deps.ledger.append(event);
    const d = this.deployment();
    this.deps.onEvent?.(event, d);
    return d;
  }

  private notify(
    kind: NotificationKind,
    d: DeploymentState,
    extra: { step?: number; reason?: string } = {},
  ): void {
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

  private get analysis(): AnalysisSpec | undefined {
    return this.deps.group.analysis;
  }

  private revisionOf(ref: RevisionRef): Revision {
    return { label: ref.label, dir: ref.dir };
  }

  private currentTraffic(d: DeploymentState): TrafficTable {
    const group = this.groupState();
    return (
      d.traffic ?? group.traffic ?? { stable: group.fleet?.instances ?? [], canary: [], canaryWeight: 0 }
    );
  }

  private replacementInstances(plan: Plan): string[] {
    const promote = plan.steps.find((s) => s.kind === 'promoteReplacement');
    return promote && promote.kind === 'promoteReplacement' ? promote.instances : [];
  }

  /** One router call; recorded so status and a resumed runner know the split. */
  private async route(table: TrafficTable, revisions: { stable?: string; canary?: string }): Promise<void> {
    await this.deps.provider.route({ ...table, revisions });
    this.record({ type: 'traffic', table, revisions });
  }

  private revisionsFor(d: DeploymentState): { stable?: string; canary?: string } {
    return { stable: d.previous?.revision.label ?? d.revision.label, canary: d.revision.label };
  }

  // ---- main loop ---------------------------------------------------------------------------------------

  /** Runs (or resumes) the deployment to a terminal status and returns the final state. */
  async run(): Promise<DeploymentState> {
    let d = this.deployment();
    const pid = this.deps.pid ?? process.pid;
    if (d.status === 'Created') {
      // Show what was recorded before the runner started (the plan's creation, overrides).
      for (const e of this.deps.ledger.read().events)
        if (e.deploymentId === this.deploymentId) this.deps.onEvent?.(e, d);
      d = this.record({ type: 'started', pid });
      this.notify('started', d);
    } else {
      d = this.record({ type: 'runner', pid, note: `runner resumed at step ${d.step + 1}` });
    }
    try {
      await this.deps.provider.prepare();
    } catch (err) {
      // Nothing was changed yet: the deployment fails without a rollback, and says why.
      const failed = this.record({ type: 'finished', status: 'Failed', reason: errorMessage(err) });
      this.notify('failed', failed, { reason: errorMessage(err) });
      await this.notifier.flush();
      return failed;
    }
    try {
      // After a crash the router is the truth for what serves; re-apply the ledger's table only if it drifted.
      if (d.traffic) await this.reconcileTraffic(d.traffic, d.trafficRevisions ?? {});
      if (d.pendingAbort !== undefined || d.rollback) {
        return await this.rollback(d.rollback?.reason ?? d.pendingAbort ?? 'aborted', 'abort');
      }
      while (d.step < d.plan.steps.length) {
        if (this.signal.aborted) return this.deployment();
        // An abort written while a long step ran is honoured before the next step starts.
        if (d.pendingAbort !== undefined) return await this.rollback(d.pendingAbort, 'abort');
        const index = d.step;
        const step = d.plan.steps[index] as Step;
        if (d.startedStep !== index) {
          this.record({ type: 'step', index, phase: 'started', description: describeStep(step) });
        }
        const outcome = await this.execute(index, step);
        d = this.deployment();
        // Interrupted (Ctrl-C, SIGTERM): leave everything as it is for `deploy --resume` or `rollback`;
        // a step cut short by the interruption is not a failure to roll back from.
        if (outcome.kind === 'interrupted' || this.signal.aborted) return d;
        if (outcome.kind === 'fail') return await this.handleFailure(outcome.reason, outcome.trigger);
        if (outcome.kind === 'stop') return await this.stop(outcome.reason);
        this.record({ type: 'step', index, phase: 'completed', description: describeStep(step) });
        if (outcome.kind === 'jump') {
          // promote --full: go straight to the switch, skipping the remaining weights and bakes.
          for (let skipped = index + 1; skipped < outcome.to; skipped++) {
            this.record({
              type: 'step',
              index: skipped,
              phase: 'completed',
              description: `skipped by promote --full: ${describeStep(d.plan.steps[skipped] as Step)}`,
            });
          }
        }
        d = this.deployment();
        this.notify('step', d, { step: index });
      }
      if (!d.plan.steps.some((s) => s.kind === 'promoteReplacement')) {
        // In-place: the same slot now runs the new revision.
        const slot = d.plan.targetSlot;
        const instances = [
          ...new Set(
            d.plan.steps.flatMap((s) => (s.kind === 'lifecycle' && s.role === 'in-place' ? s.instances : [])),
          ),
        ].filter((id) => id.startsWith(`${slot}-`));
        this.record({ type: 'fleet', slot, revision: d.revision, instances });
      }
      d = this.record({ type: 'finished', status: 'Succeeded' });
      this.notify('succeeded', d);
      return d;
    } catch (err) {
      if (this.signal.aborted) return this.deployment();
      return await this.handleFailure(`provider error: ${errorMessage(err)}`, 'failure');
    } finally {
      await this.notifier.flush();
    }
  }

  private async reconcileTraffic(table: TrafficTable, revisions: { stable?: string; canary?: string }) {
    const observed = await this.deps.provider.observeTraffic();
    const same =
      observed &&
      observed.canaryWeight === table.canaryWeight &&
      observed.stable.join() === table.stable.join() &&
      observed.canary.join() === table.canary.join();
    if (!same) await this.route(table, revisions);
  }

  private async execute(index: number, step: Step): Promise<StepOutcome> {
    const d = this.deployment();
    switch (step.kind) {
      case 'lifecycle':
        return this.lifecycle(d, step);
      case 'healthCheck':
        return this.healthCheck(step.instances);
      case 'setWeight': {
        const current = this.currentTraffic(d);
        await this.route(
          { stable: current.stable, canary: this.replacementInstances(d.plan), canaryWeight: step.percent },
          this.revisionsFor(d),
        );
        if (this.analysis && !d.options.skipAnalysis) await this.deps.provider.resetMetrics();
        this.gateState = undefined;
        return { kind: 'ok' };
      }
      case 'pause':
        return this.wait(index, step.seconds, 'bake');
      case 'analysis':
        return this.wait(index, step.seconds ?? this.analysis?.intervalSeconds ?? 1, 'analysis');
      case 'waitReady': {
        const outcome = await this.wait(index, step.seconds, 'ready');
        if (outcome.kind === 'ok' && step.seconds !== undefined && !this.promotedDuring(index)) {
          if (step.actionOnTimeout === 'stop') {
            return { kind: 'stop', reason: `nobody promoted within the ready wait of ${step.seconds}s` };
          }
        }
        return outcome;
      }
      case 'promoteReplacement': {
        await this.route(
          { stable: step.instances, canary: [], canaryWeight: 0 },
          { stable: d.revision.label },
        );
        this.record({
          type: 'fleet',
          slot: d.plan.targetSlot,
          revision: d.revision,
          instances: step.instances,
        });
        return { kind: 'ok' };
      }
      case 'terminate': {
        if (step.waitSeconds > 0) {
          const outcome = await this.wait(index, step.waitSeconds, 'termination');
          if (outcome.kind !== 'ok' && outcome.kind !== 'jump') return outcome;
        }
        await this.deps.provider.stopInstances(step.instances);
        return { kind: 'ok' };
      }
    }
  }

  private promotedDuring(index: number): boolean {
    return this.deps.ledger
      .read()
      .events.some((e) => e.deploymentId === this.deploymentId && e.type === 'promoted' && e.index === index);
  }

  private async lifecycle(
    d: DeploymentState,
    step: Extract<Step, { kind: 'lifecycle' }>,
  ): Promise<StepOutcome> {
    const newRevision = this.revisionOf(d.revision);
    const previous = d.previous ? this.revisionOf(d.previous.revision) : undefined;
    // Original instances run the block-traffic events from the revision they serve.
    const revision = step.role === 'original' && previous ? previous : newRevision;
    const lastRevision = step.role === 'in-place' ? previous : undefined;
    const outcomes = await this.deps.provider.runLifecycle({
      deploymentId: d.id,
      instances: step.instances,
      role: step.role,
      events: step.events,
      revision,
      ...(lastRevision ? { lastRevision } : {}),
      ignoreApplicationStopFailures: d.options.ignoreApplicationStopFailures,
      onTrafficEvent: (instance, event) => this.trafficEvent(d, step.role, instance, event),
      onProgress: (p) => this.recordHook(p),
      signal: this.signal,
    });
    const failed = outcomes.filter((o) => !o.ok);
    if (failed.length === 0) return { kind: 'ok' };
    const first = failed[0]!;
    return {
      kind: 'fail',
      reason: `${first.failedEvent ?? 'lifecycle'} failed on ${first.instance}: ${first.message ?? 'unknown error'}`,
      trigger: 'failure',
    };
  }

  private recordHook(p: LifecycleProgress): void {
    this.record({
      type: 'hook',
      ...p,
      ...(p.durationMs !== undefined ? { durationMs: Math.round(p.durationMs) } : {}),
    });
  }

  /** Serialized: instances of a batch run in parallel, but routing changes apply one at a time. */
  private trafficEvent(
    d: DeploymentState,
    role: 'in-place' | 'replacement' | 'original',
    instance: string,
    event: 'BlockTraffic' | 'AllowTraffic',
  ): Promise<void> {
    const next = this.trafficChain.then(async () => {
      const current = this.currentTraffic(this.deployment());
      const without = (ids: string[]) => ids.filter((id) => id !== instance);
      let table: TrafficTable;
      if (event === 'BlockTraffic') {
        if (!current.stable.includes(instance) && !current.canary.includes(instance)) return;
        table = { ...current, stable: without(current.stable), canary: without(current.canary) };
      } else {
        if (role !== 'in-place' || current.stable.includes(instance)) return;
        table = { ...current, stable: [...current.stable, instance].sort() };
      }
      await this.route(table, this.revisionsFor(d));
    });
    this.trafficChain = next.catch(() => {});
    return next;
  }

  private async healthCheck(instances: string[]): Promise<StepOutcome> {
    const budgetMs = (this.deps.group.healthCheck?.startupSeconds ?? 10) * 1000;
    const deadline = this.clock.now() + budgetMs;
    let reports = await this.deps.provider.checkHealth(instances, this.signal);
    while (reports.some((r) => !r.healthy) && this.clock.now() < deadline && !this.signal.aborted) {
      await this.clock.sleep(100, this.signal).catch(() => {});
      reports = await this.deps.provider.checkHealth(instances, this.signal);
    }
    const ok = reports.every((r) => r.healthy);
    this.record({ type: 'health', instances, ok, details: reports.map((r) => `${r.instance}: ${r.detail}`) });
    if (this.signal.aborted) return { kind: 'interrupted' };
    if (ok) return { kind: 'ok' };
    const bad = reports.filter((r) => !r.healthy);
    return {
      kind: 'fail',
      reason: `health check failed within ${budgetMs / 1000}s: ${bad.map((r) => `${r.instance} ${r.detail}`).join('; ')}`,
      trigger: 'health',
    };
  }

  /**
   * Bakes, analysis windows, manual pauses and ready waits. The deadline is recorded once, so a resumed
   * runner waits only for what remains. Gates run every analysis interval while the new revision takes
   * traffic; instances taking traffic are probed every health interval.
   */
  private async wait(
    index: number,
    seconds: number | undefined,
    purpose: 'bake' | 'analysis' | 'ready' | 'termination',
  ): Promise<StepOutcome> {
    let d = this.deployment();
    let until = d.step === index ? d.bakeUntil : undefined;
    if (until === undefined && seconds !== undefined) {
      until = this.clock.now() + seconds * 1000;
      d = this.record({ type: 'bake', index, until });
    }
    if (seconds === undefined && d.status !== 'Paused') {
      const reason =
        purpose === 'ready' ? 'waiting for promote before the traffic switch' : 'waiting for promote';
      d = this.record({ type: 'paused', index, reason });
      this.notify('paused', d, { step: index });
    }
    const analysis = this.analysis;
    const gatesOn =
      analysis !== undefined && !d.options.skipAnalysis && (purpose === 'bake' || purpose === 'analysis');
    const intervalMs = (analysis?.intervalSeconds ?? 1) * 1000;
    let nextGate = this.clock.now() + intervalMs;
    const healthMs = (this.deps.group.healthCheck?.intervalSeconds ?? 1) * 1000;
    const unhealthyThreshold = this.deps.group.healthCheck?.unhealthyThreshold ?? 2;
    let nextHealth = this.clock.now() + healthMs;
    const misses = new Map<string, number>();
    let lastResult: string | undefined;
    for (;;) {
      if (this.signal.aborted) return { kind: 'interrupted' };
      d = this.deployment();
      if (d.pendingAbort !== undefined) return { kind: 'fail', reason: d.pendingAbort, trigger: 'abort' };
      if (d.pendingPromote) {
        const full = d.pendingPromote.full;
        this.record({ type: 'promoted', index, full });
        if (d.status === 'Paused') this.record({ type: 'resumed', index, by: 'promote' });
        if (full && d.plan.fullIndex !== undefined && d.plan.fullIndex > index) {
          return { kind: 'jump', to: d.plan.fullIndex };
        }
        return { kind: 'ok' };
      }
      const now = this.clock.now();
      const traffic = d.traffic;
      const canaryLive = traffic !== undefined && traffic.canaryWeight > 0 && traffic.canary.length > 0;
      // A deployment paused by an inconclusive gate holds past its bake deadline until a human decides.
      if (until !== undefined && now >= until && d.status !== 'Paused') {
        if (purpose === 'analysis' && gatesOn && analysis && canaryLive && lastResult === undefined) {
          // A one-interval analysis ends just as its first reading falls due: take it, so it is judged on evidence.
          nextGate = now + intervalMs;
          const outcome = await this.evaluate(index, analysis, intervalMs);
          if (outcome) return outcome;
          lastResult = this.deployment().lastVerdict?.result;
          if (this.deployment().status === 'Paused') continue;
        }
        if (purpose === 'analysis' && gatesOn && lastResult !== 'pass') {
          return {
            kind: 'fail',
            reason: `analysis did not pass within ${seconds}s (last verdict: ${lastResult ?? 'none'})`,
            trigger: 'gate',
          };
        }
        return { kind: 'ok' };
      }
      if (gatesOn && analysis && canaryLive && now >= nextGate) {
        nextGate = now + intervalMs;
        const outcome = await this.evaluate(index, analysis, intervalMs);
        if (outcome) return outcome;
        lastResult = this.deployment().lastVerdict?.result;
      }
      if (canaryLive && now >= nextHealth && purpose !== 'ready') {
        nextHealth = now + healthMs;
        const reports = await this.deps.provider.checkHealth(traffic.canary, this.signal);
        for (const r of reports) misses.set(r.instance, r.healthy ? 0 : (misses.get(r.instance) ?? 0) + 1);
        const down = reports.filter((r) => (misses.get(r.instance) ?? 0) >= unhealthyThreshold);
        if (down.length > 0) {
          this.record({
            type: 'health',
            instances: down.map((r) => r.instance),
            ok: false,
            details: down.map((r) => `${r.instance}: ${r.detail}`),
          });
          return {
            kind: 'fail',
            reason: `instance ${down.map((r) => `${r.instance} (${r.detail})`).join(', ')} failed ${unhealthyThreshold} health checks during the bake`,
            trigger: 'health',
          };
        }
      }
      // A deadline already past (a pause holding beyond its bake) is no reason to wake: polling as usual is
      // enough, where waking for it would spin every millisecond, re-reading the ledger, until a human decides.
      const wakeAt = Math.min(
        now + this.pollMs,
        until !== undefined && until > now ? until : Number.POSITIVE_INFINITY,
        gatesOn && canaryLive ? nextGate : Number.POSITIVE_INFINITY,
      );
      await this.clock.sleep(Math.max(1, wakeAt - now), this.signal).catch(() => {});
    }
  }

  private async evaluate(
    index: number,
    analysis: AnalysisSpec,
    windowMs: number,
  ): Promise<StepOutcome | undefined> {
    let measurement: GateMeasurement;
    try {
      measurement = await this.deps.provider.metrics(windowMs);
    } catch (err) {
      // A metric read that fails is evidence of nothing: the evaluator counts it, never as a pass.
      measurement = { error: `metrics unavailable: ${errorMessage(err)}` };
    }
    const { state, verdict } = this.evaluateGate(this.gateState, measurement, analysis);
    this.gateState = state;
    const { action, ...record } = verdict;
    const d = this.record({ type: 'verdict', index, ...record });
    if (action === 'rollback' || verdict.result === 'fail') {
      return { kind: 'fail', reason: `gate breached: ${verdict.reasons.join('; ')}`, trigger: 'gate' };
    }
    if (
      verdict.result === 'pass' &&
      d.status === 'Paused' &&
      d.pausedReason?.startsWith('analysis inconclusive')
    ) {
      // Evidence arrived: a pause that only waited for data ends by itself.
      this.record({ type: 'resumed', index, by: 'gate' });
      return undefined;
    }
    if (action === 'pause' && d.status !== 'Paused') {
      const paused = this.record({
        type: 'paused',
        index,
        reason: `analysis inconclusive: ${verdict.reasons.join('; ')}`,
      });
      this.notify('paused', paused, { step: index });
    }
    return undefined;
  }

  // ---- failure, rollback, stop ---------------------------------------------------------------------------

  private shouldRollback(trigger: RollbackTrigger): boolean {
    const cfg = this.deps.group.rollback ?? {};
    switch (trigger) {
      case 'failure':
        return cfg.onFailure ?? true;
      case 'gate':
        return cfg.onGateBreach ?? true;
      case 'health':
        return cfg.onHealthFailure ?? cfg.onFailure ?? true;
      default:
        return true;
    }
  }

  private async handleFailure(reason: string, trigger: RollbackTrigger): Promise<DeploymentState> {
    if (this.shouldRollback(trigger)) return this.rollback(reason, trigger);
    // No automatic rollback: pull traffic off a failing canary anyway only if configured so; keep it simple:
    // the split stays as it is and the deployment is Failed (the user decides with `conveyor rollback`).
    const d = this.record({ type: 'finished', status: 'Failed', reason });
    this.notify('failed', d, { reason });
    return d;
  }

  /**
   * Rollback. Replacement strategies: all traffic back to the original fleet in one router call (timed),
   * then the replacement's block-traffic events and stop. In-place: redeploy the last good revision
   * through the full lifecycle, as CodeDeploy does.
   */
  async rollback(reason: string, trigger: RollbackTrigger): Promise<DeploymentState> {
    let d = this.deployment();
    if (!d.rollback) d = this.record({ type: 'rollback-started', reason, trigger });
    const hooks = this.deps.group.rollback?.hooks;
    let ok = true;
    const problems: string[] = [];
    let trafficRestoredMs: number | undefined;
    const hookEnv = {
      CONVEYOR_ROLLBACK_REASON: reason,
      CONVEYOR_ROLLBACK_TRIGGER: trigger,
      DEPLOYMENT_ID: d.id,
      APPLICATION_NAME: this.deps.group.application,
      DEPLOYMENT_GROUP_NAME: this.deps.group.deploymentGroup,
      CONVEYOR_REVISION: d.revision.label,
    };
    const runHook = async (name: 'beforeRollback' | 'afterRollback') => {
      const script = hooks?.[name];
      if (!script) return;
      this.record({ type: 'hook', instance: 'group', event: name, status: 'started', script });
      const result = await runGroupScript(script, {
        cwd: this.deps.configDir,
        env: { ...hookEnv, LIFECYCLE_EVENT: name },
        timeoutMs: (hooks?.timeoutSeconds ?? 60) * 1000,
      });
      this.record({
        type: 'hook',
        instance: 'group',
        event: name,
        status: result.ok ? 'succeeded' : 'failed',
        script,
        durationMs: result.durationMs,
        message: result.message,
        ...(result.ok ? {} : { output: result.output }),
      });
      if (!result.ok) problems.push(`${name}: ${result.message}`);
    };
    try {
      const original = d.previous;
      const switched = d.plan.steps.some(
        (s, i) => s.kind === 'terminate' && i <= d.completedStep && d.plan.replacement,
      );
      if (d.plan.replacement && original && !switched) {
        // Fast path first: traffic back to the stable fleet before anything else (even before hooks).
        const group = this.groupState();
        const stableInstances =
          group.fleet && group.fleet.slot === original.slot
            ? group.fleet.instances
            : d.plan.steps.flatMap((s) => (s.kind === 'terminate' ? s.instances : []));
        const started = this.clock.now();
        await this.deps.provider.route({
          stable: stableInstances,
          canary: [],
          canaryWeight: 0,
          revisions: { stable: original.revision.label },
        });
        trafficRestoredMs = this.clock.now() - started;
        this.record({
          type: 'traffic',
          table: { stable: stableInstances, canary: [], canaryWeight: 0 },
          revisions: { stable: original.revision.label },
        });
        this.record({
          type: 'fleet',
          slot: original.slot,
          revision: original.revision,
          instances: stableInstances,
        });
        await runHook('beforeRollback');
        const replacement = this.replacementInstances(d.plan);
        const outcomes = await this.deps.provider.runLifecycle({
          deploymentId: d.id,
          instances: replacement,
          role: 'original',
          events: BLOCK_TRAFFIC,
          revision: this.revisionOf(d.revision),
          ignoreApplicationStopFailures: true,
          onTrafficEvent: async () => {},
          onProgress: (p) => this.recordHook(p),
          signal: this.signal,
        });
        for (const o of outcomes)
          if (!o.ok) problems.push(`${o.instance}: ${o.failedEvent} ${o.message ?? ''}`.trim());
        await this.deps.provider.stopInstances(replacement);
      } else {
        await runHook('beforeRollback');
        const result = await this.redeployLastGood(d);
        ok = result.ok;
        if (!result.ok) problems.push(result.message);
        else if (result.message) problems.push(result.message);
      }
      await runHook('afterRollback');
    } catch (err) {
      ok = false;
      problems.push(errorMessage(err));
    }
    // Interrupted mid-rollback: the recorded rollback-started makes a resumed runner finish the job.
    if (this.signal.aborted) return this.deployment();
    const message = problems.length ? problems.join('; ') : undefined;
    this.record({
      type: 'rollback-finished',
      ok,
      ...(message ? { message } : {}),
      ...(trafficRestoredMs !== undefined ? { trafficRestoredMs } : {}),
    });
    if (!ok) {
      const failed = this.record({
        type: 'finished',
        status: 'Failed',
        reason: `${reason}; rollback failed: ${message}`,
      });
      this.notify('failed', failed, { reason: failed.reason ?? reason });
      return failed;
    }
    const done = this.record({ type: 'finished', status: 'RolledBack', reason });
    this.notify('rolled-back', done, { reason });
    return done;
  }

  private async redeployLastGood(d: DeploymentState): Promise<{ ok: boolean; message: string }> {
    const group = this.groupState();
    const lastGood = d.previous?.revision;
    const touched = [
      ...new Set(d.plan.steps.flatMap((s, i) => (s.kind === 'lifecycle' && i <= d.step ? s.instances : []))),
    ];
    const fleetInstances = group.fleet?.instances ?? [];
    if (!lastGood) {
      // First deployment of the group: nothing to go back to. Take the broken instances out and stop them.
      const table = this.currentTraffic(d);
      await this.route(
        {
          stable: table.stable.filter((i) => !touched.includes(i)),
          canary: [],
          canaryWeight: 0,
        },
        {},
      );
      await this.deps.provider.stopInstances(touched);
      return {
        ok: false,
        message: 'no earlier successful revision to roll back to; the new instances were stopped',
      };
    }
    // Extra instances (rolling with additional batch) are retired; the fleet's own instances get the last good
    // revision first, while the extra batch still serves, so capacity stays at the fleet size during the rollback too.
    const extras = touched.filter((i) => !fleetInstances.includes(i));
    const targets = touched.filter((i) => fleetInstances.includes(i));
    const result =
      targets.length === 0
        ? { ok: true, message: '' }
        : await this.restoreLastGood(d, lastGood, targets, group.fleet?.slot ?? 'a', fleetInstances);
    if (extras.length) {
      const table = this.currentTraffic(this.deployment());
      await this.route(
        { ...table, stable: table.stable.filter((i) => !extras.includes(i)) },
        this.revisionsFor(d),
      );
      await this.deps.provider.stopInstances(extras);
    }
    return result;
  }

  /**
   * The full in-place lifecycle of the last good revision on `targets`, in the plan's own batches (the batch that
   * failed first, it is already out of traffic), so the rollback keeps the strategy's minimum healthy hosts as
   * CodeDeploy's does; then the fleet is recorded as serving it.
   */
  private async restoreLastGood(
    d: DeploymentState,
    lastGood: RevisionRef,
    targets: string[],
    slot: 'a' | 'b',
    fleetInstances: string[],
  ): Promise<{ ok: boolean; message: string }> {
    this.record({
      type: 'override',
      what: 'ignoreApplicationStopFailures',
      note: 'rollback ignores ApplicationStop failures of the failed revision',
    });
    // CodeDeploy rolls back as a new deployment with its own id; instances keep one archive per id.
    const rollbackId = `${d.id}-rollback`;
    const run = async (instances: string[], events: string[]) =>
      this.deps.provider.runLifecycle({
        deploymentId: rollbackId,
        instances,
        role: 'in-place',
        events,
        revision: this.revisionOf(lastGood),
        lastRevision: this.revisionOf(d.revision),
        ignoreApplicationStopFailures: true,
        onTrafficEvent: (instance, event) => this.trafficEvent(d, 'in-place', instance, event),
        onProgress: (p) => this.recordHook(p),
        signal: this.signal,
      });
    const planned = d.plan.steps
      .flatMap((s) =>
        s.kind === 'lifecycle' && s.role === 'in-place' && s.events.includes('Install')
          ? [s.instances.filter((i) => targets.includes(i))]
          : [],
      )
      .filter((batch) => batch.length > 0)
      .reverse();
    const leftover = targets.filter((i) => !planned.some((batch) => batch.includes(i)));
    const batches = leftover.length ? [leftover, ...planned] : planned;
    for (const batch of batches) {
      const install = await run(batch, IN_PLACE_INSTALL);
      const bad = install.filter((o) => !o.ok);
      if (bad.length) {
        return {
          ok: false,
          message: `redeploying ${lastGood.label} failed: ${bad.map((o) => `${o.instance} ${o.failedEvent}: ${o.message}`).join('; ')}`,
        };
      }
      const health = await this.healthCheck(batch);
      if (health.kind !== 'ok') {
        return { ok: false, message: health.kind === 'fail' ? health.reason : 'interrupted' };
      }
      const allow = await run(batch, ALLOW_TRAFFIC);
      const notAllowed = allow.filter((o) => !o.ok);
      if (notAllowed.length) {
        return {
          ok: false,
          message: notAllowed.map((o) => `${o.instance} ${o.failedEvent}: ${o.message}`).join('; '),
        };
      }
    }
    this.record({ type: 'fleet', slot, revision: lastGood, instances: fleetInstances });
    return { ok: true, message: '' };
  }

  private async stop(reason: string): Promise<DeploymentState> {
    const d = this.deployment();
    const replacement = this.replacementInstances(d.plan);
    if (d.plan.replacement && replacement.length) await this.deps.provider.stopInstances(replacement);
    const done = this.record({ type: 'finished', status: 'Stopped', reason });
    this.notify('stopped', done, { reason });
    return done;
  }
}
