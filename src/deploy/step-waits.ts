/**
 * Step waits: bakes, analysis windows, manual pauses, ready waits and the termination wait. Owns the
 * recorded bake deadline, picking up promote/abort requests from the ledger, gate evaluation while the
 * new revision takes traffic, and the health probes of the canary during a bake.
 */
import { errorMessage } from '../core/errors.js';
import type { AnalysisSpec } from '../documents/deployment-group/schema.js';
import { CheckGates } from './check-gates.js';
import type { GateMeasurement, GateState } from './gates.js';
import type { RunnerContext, StepOutcome } from './runner-context.js';

export type WaitPurpose = 'bake' | 'analysis' | 'ready' | 'termination';

export class StepWaits {
  private gateState: GateState | undefined;
  /** `analysis.checks`, when the group has any. */
  readonly checks: CheckGates | undefined;

  constructor(private readonly ctx: RunnerContext) {
    const analysis = ctx.deps.group.analysis;
    if (analysis?.checks && analysis.checks.length > 0) {
      this.checks = new CheckGates(ctx, analysis.checks, (analysis.intervalSeconds ?? 1) * 1000);
      this.checks.reset(ctx.clock.now());
    }
  }

  /** A new traffic weight starts the gates afresh. */
  resetGates(): void {
    this.gateState = undefined;
    this.checks?.reset(this.ctx.clock.now());
  }

  /**
   * Bakes, analysis windows, manual pauses and ready waits. The deadline is recorded once, so a resumed
   * runner waits only for what remains. Gates run every analysis interval while the new revision takes
   * traffic; instances taking traffic are probed every health interval.
   */
  async wait(index: number, seconds: number | undefined, purpose: WaitPurpose): Promise<StepOutcome> {
    let d = this.ctx.deployment();
    let until = d.step === index ? d.bakeUntil : undefined;
    if (until === undefined && seconds !== undefined) {
      until = this.ctx.clock.now() + seconds * 1000;
      d = this.ctx.record({ type: 'bake', index, until });
    }
    if (seconds === undefined && d.status !== 'Paused') {
      const reason =
        purpose === 'ready' ? 'waiting for promote before the traffic switch' : 'waiting for promote';
      d = this.ctx.record({ type: 'paused', index, reason });
      this.ctx.notify('paused', d, { step: index });
    }
    const analysis = this.ctx.deps.group.analysis;
    const gatesOn =
      analysis !== undefined && !d.options.skipAnalysis && (purpose === 'bake' || purpose === 'analysis');
    const intervalMs = (analysis?.intervalSeconds ?? 1) * 1000;
    let nextGate = this.ctx.clock.now() + intervalMs;
    const healthMs = (this.ctx.deps.group.healthCheck?.intervalSeconds ?? 1) * 1000;
    const unhealthyThreshold = this.ctx.deps.group.healthCheck?.unhealthyThreshold ?? 2;
    let nextHealth = this.ctx.clock.now() + healthMs;
    const misses = new Map<string, number>();
    let lastResult: string | undefined;
    for (;;) {
      if (this.ctx.signal.aborted) return { kind: 'interrupted' };
      d = this.ctx.deployment();
      if (d.pendingAbort !== undefined) return { kind: 'fail', reason: d.pendingAbort, trigger: 'abort' };
      if (d.pendingPromote) {
        const full = d.pendingPromote.full;
        this.ctx.record({ type: 'promoted', index, full });
        if (d.status === 'Paused') this.ctx.record({ type: 'resumed', index, by: 'promote' });
        if (full && d.plan.fullIndex !== undefined && d.plan.fullIndex > index) {
          return { kind: 'jump', to: d.plan.fullIndex };
        }
        return { kind: 'ok' };
      }
      const now = this.ctx.clock.now();
      const traffic = d.traffic;
      const canaryLive = traffic !== undefined && traffic.canaryWeight > 0 && traffic.canary.length > 0;
      // A deployment paused by an inconclusive gate holds past its bake deadline until a human decides.
      if (until !== undefined && now >= until && d.status !== 'Paused') {
        // A one-interval analysis ends just as its first reading falls due: take it, so it is judged on evidence. A
        // bake whose first reading fell due before a late wake-up (a loaded machine) takes it too: the new revision
        // never gets all the traffic from a bake whose gates read nothing.
        const due = purpose === 'analysis' || now >= nextGate;
        if (gatesOn && analysis && canaryLive && lastResult === undefined && due) {
          nextGate = now + intervalMs;
          const outcome = await this.evaluate(index, analysis, intervalMs);
          if (outcome) return outcome;
          lastResult = this.ctx.deployment().lastVerdict?.result;
          if (this.ctx.deployment().status === 'Paused') continue;
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
        lastResult = this.ctx.deployment().lastVerdict?.result;
      }
      if (gatesOn && this.checks && canaryLive && now >= this.checks.nextDue()) {
        const outcome = await this.checks.runDue(index, now);
        if (outcome) return outcome;
      }
      if (canaryLive && now >= nextHealth && purpose !== 'ready') {
        nextHealth = now + healthMs;
        const reports = await this.ctx.deps.provider.checkHealth(traffic.canary, this.ctx.signal);
        for (const r of reports) misses.set(r.instance, r.healthy ? 0 : (misses.get(r.instance) ?? 0) + 1);
        const down = reports.filter((r) => (misses.get(r.instance) ?? 0) >= unhealthyThreshold);
        if (down.length > 0) {
          this.ctx.record({
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
        now + this.ctx.pollMs,
        until !== undefined && until > now ? until : Number.POSITIVE_INFINITY,
        gatesOn && canaryLive ? nextGate : Number.POSITIVE_INFINITY,
        gatesOn && canaryLive && this.checks
          ? Math.max(now + 1, this.checks.nextDue())
          : Number.POSITIVE_INFINITY,
      );
      await this.ctx.clock.sleep(Math.max(1, wakeAt - now), this.ctx.signal).catch(() => {});
    }
  }

  private async evaluate(
    index: number,
    analysis: AnalysisSpec,
    windowMs: number,
  ): Promise<StepOutcome | undefined> {
    let measurement: GateMeasurement;
    try {
      measurement = await this.ctx.deps.provider.metrics(windowMs);
    } catch (err) {
      // A metric read that fails is evidence of nothing: the evaluator counts it, never as a pass.
      measurement = { error: `metrics unavailable: ${errorMessage(err)}` };
    }
    const { state, verdict } = this.ctx.evaluateGate(this.gateState, measurement, analysis);
    this.gateState = state;
    const { action, ...record } = verdict;
    const d = this.ctx.record({ type: 'verdict', index, ...record });
    if (action === 'rollback' || verdict.result === 'fail') {
      return { kind: 'fail', reason: `gate breached: ${verdict.reasons.join('; ')}`, trigger: 'gate' };
    }
    // Evidence arrived: a pause that only waited for data ends by itself.
    if (verdict.result === 'pass' && this.ctx.resumeAfterEvidence(d, index)) return undefined;
    if (action === 'pause') this.ctx.pauseForInconclusiveAnalysis(d, index, verdict.reasons);
    return undefined;
  }
}
