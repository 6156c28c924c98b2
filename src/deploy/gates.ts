/**
 * The gate port the runner evaluates during bakes. `defaultGateEvaluator` is a small stand-in with the
 * same contract as the router helper's `evaluateAnalysis` (src/deploy/analysis.ts), used until that lands.
 */
import type { MetricsSnapshot } from '../router/api.js';
import type { AnalysisSpec } from '../spec/deployment-group/schema.js';
import type { GateVerdictRecord } from './events.js';

export interface GateState {
  consecutiveFailures: number;
}

export type GateEvaluator = (
  state: GateState | undefined,
  snapshot: MetricsSnapshot,
  config: AnalysisSpec,
) => { state: GateState; verdict: GateVerdictRecord };

export const defaultGateEvaluator: GateEvaluator = (state, snapshot, config) => {
  const previous = state ?? { consecutiveFailures: 0 };
  const canary = snapshot.canary;
  const measured = {
    requests: canary.requests,
    errors: canary.errors,
    errorRate: round(canary.errorRate),
    p99LatencyMs: round(canary.latencyMs.p99),
  };
  const thresholds: Record<string, number> = {};
  if (config.minRequests !== undefined) thresholds.minRequests = config.minRequests;
  if (config.maxErrorRate !== undefined) thresholds.maxErrorRate = config.maxErrorRate;
  if (config.maxP99LatencyMs !== undefined) thresholds.maxP99LatencyMs = config.maxP99LatencyMs;
  const minRequests = config.minRequests ?? 1;
  if (canary.requests < minRequests) {
    const reason = `only ${canary.requests} requests on the new revision (need ${minRequests})`;
    const policy = config.noDataPolicy ?? 'pause';
    const result = policy === 'pass' ? 'pass' : policy === 'fail' ? 'fail' : 'inconclusive';
    const failures = result === 'fail' ? previous.consecutiveFailures + 1 : previous.consecutiveFailures;
    const breached = result === 'fail' && failures >= (config.failureLimit ?? 1);
    return {
      state: { consecutiveFailures: failures },
      verdict: {
        result: result === 'fail' && !breached ? 'inconclusive' : result,
        reasons: [reason],
        measured,
        thresholds,
      },
    };
  }
  const reasons: string[] = [];
  if (config.maxErrorRate !== undefined && canary.errorRate > config.maxErrorRate) {
    reasons.push(
      `error rate ${round(canary.errorRate)} exceeds ${config.maxErrorRate} (${canary.errors}/${canary.requests})`,
    );
  }
  if (config.maxP99LatencyMs !== undefined && canary.latencyMs.p99 > config.maxP99LatencyMs) {
    reasons.push(`p99 latency ${round(canary.latencyMs.p99)} ms exceeds ${config.maxP99LatencyMs} ms`);
  }
  if (reasons.length === 0) {
    return {
      state: { consecutiveFailures: 0 },
      verdict: {
        result: 'pass',
        reasons: [`${canary.requests} requests within thresholds`],
        measured,
        thresholds,
      },
    };
  }
  const failures = previous.consecutiveFailures + 1;
  const breached = failures >= (config.failureLimit ?? 1);
  return {
    state: { consecutiveFailures: failures },
    verdict: { result: breached ? 'fail' : 'inconclusive', reasons, measured, thresholds },
  };
};

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
