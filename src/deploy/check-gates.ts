/**
 * Runs `analysis.checks` for the runner: each check on its own interval while the new revision takes
 * traffic, and once at the deployment points it names (pre-rollout, confirm-promotion, post-rollout,
 * rollback). Every measurement is bounded by the check's timeout and recorded as a `verdict` event
 * with the check's name, provider, numbers and output.
 */
import type { CheckPoint, CheckSpec } from '../documents/deployment-group/checks-schema.js';
import {
  type CheckContext,
  type CheckState,
  conditionOf,
  evaluateCheck,
  measureCheck,
} from './checks/check.js';
import { type CheckProviders, defaultCheckProviders } from './checks/providers.js';
import type { RunnerContext, StepOutcome } from './runner-context.js';

export class CheckGates {
  private readonly states = new Map<string, CheckState>();
  private readonly due = new Map<string, number>();
  private readonly providers: CheckProviders;

  constructor(
    private readonly ctx: RunnerContext,
    private readonly specs: readonly CheckSpec[],
    private readonly defaultIntervalMs: number,
  ) {
    this.providers = ctx.deps.checkProviders ?? defaultCheckProviders;
  }

  private rolloutChecks(): CheckSpec[] {
    return this.specs.filter((s) => (s.at ?? ['rollout']).includes('rollout'));
  }

  /** A new weight: every rollout check starts afresh, first measured one interval from now. */
  reset(now: number): void {
    this.states.clear();
    // Stryker disable next-line CallExpression: equivalent, every rollout check's time is set again below
    this.due.clear();
    for (const s of this.rolloutChecks()) this.due.set(s.name, now + this.intervalMs(s));
  }

  private intervalMs(s: CheckSpec): number {
    return s.intervalSeconds !== undefined ? s.intervalSeconds * 1000 : this.defaultIntervalMs;
  }

  /** When the next rollout check falls due (Infinity when none). */
  nextDue(): number {
    let next = Number.POSITIVE_INFINITY;
    for (const t of this.due.values()) next = Math.min(next, t);
    return next;
  }

  /** Measures the rollout checks that are due; a failing one ends the step. */
  async runDue(index: number, now: number): Promise<StepOutcome | undefined> {
    for (const spec of this.rolloutChecks()) {
      const at = this.due.get(spec.name) ?? now;
      if (now < at) continue;
      this.due.set(spec.name, now + this.intervalMs(spec));
      const outcome = await this.measureOne(index, spec, 'rollout');
      if (outcome) return outcome;
    }
    return undefined;
  }

  /** Runs the checks that name this deployment point, once each; the first failure is the outcome. */
  async runAt(index: number, point: Exclude<CheckPoint, 'rollout'>): Promise<StepOutcome | undefined> {
    for (const spec of this.specs) {
      // A check without `at` runs during rollout only. The runner runs each point once: its checks start afresh.
      if (!spec.at?.includes(point)) continue;
      const outcome = await this.measureOne(index, spec, point);
      if (outcome) return outcome;
    }
    return undefined;
  }

  private context(): CheckContext {
    const d = this.ctx.deployment();
    return {
      canaryRevision: d.trafficRevisions?.canary ?? d.revision.label,
      stableRevision: d.trafficRevisions?.stable ?? d.previous?.revision.label ?? '',
      canarySet: 'canary',
      stableSet: 'stable',
      deploymentId: d.id,
      // Relative paths in a command check are the group file's, as a rollback hook's (rollback.ts).
      configDir: this.ctx.deps.configDir,
      ...(this.ctx.deps.checkProcesses ? { processes: this.ctx.deps.checkProcesses } : {}),
    };
  }

  private async measureOne(
    index: number,
    spec: CheckSpec,
    point: CheckPoint,
  ): Promise<StepOutcome | undefined> {
    const key = `${point}:${spec.name}`;
    // Command checks run with this process's environment, cloudwatch checks read the run's: neither's
    // credentials are kept, also where the two give one name different values.
    const checkEnv = this.ctx.deps.checkEnv;
    const env = checkEnv ? [process.env, checkEnv] : process.env;
    const reading = await measureCheck(
      this.providers[spec.provider],
      spec,
      this.context(),
      this.ctx.signal,
      this.ctx.clock,
      env,
    );
    // The runner is stopping (Ctrl-C, SIGTERM) and cut the measurement short: that is no reading of the check.
    // Recorded, it was a failed measurement, and while traffic shifted a pause a resumed runner then held.
    // Stryker disable next-line ObjectLiteral,StringLiteral: equivalent, the runner reads its own aborted signal after any outcome
    if (this.ctx.signal.aborted) return { kind: 'interrupted' };
    const { state, verdict } = evaluateCheck(this.states.get(key), reading, spec);
    this.states.set(key, state);
    const { action, output, ...rest } = verdict;
    // Stryker disable next-line StringLiteral: equivalent, a check's verdict has one reason
    const why = verdict.reasons.join('; ');
    const d = this.ctx.record({
      type: 'verdict',
      index,
      ...rest,
      check: spec.name,
      provider: spec.provider,
      point,
      condition: conditionOf(spec),
      output,
    });
    if (action === 'rollback') {
      return {
        kind: 'fail',
        reason: `check ${spec.name} failed: ${why}`,
        trigger: 'gate',
      };
    }
    if (verdict.result === 'inconclusive' && point !== 'rollout') {
      // At a deployment point there is no next interval to wait for: no evidence is no confirmation, and a
      // breach under the failure limit is no pass (no second measurement follows it there).
      return {
        kind: 'fail',
        reason: `check ${spec.name} at ${point} was inconclusive: ${why}`,
        trigger: 'gate',
      };
    }
    // A check's pause is its own: only its next passing reading (or a person) ends it, not the router gate's.
    const pausedBy = `check ${spec.name} inconclusive`;
    if (action === 'pause') this.ctx.pauseForInconclusiveAnalysis(d, index, verdict.reasons, pausedBy);
    else if (verdict.result === 'pass') this.ctx.resumeAfterEvidence(d, index, pausedBy);
    return undefined;
  }
}
