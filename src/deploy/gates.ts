/**
 * The gate port the runner evaluates during bakes: the router helper's pure `evaluateAnalysis`
 * (src/deploy/analysis.ts) by default, injectable for tests.
 */

import type { AnalysisSpec } from '../documents/deployment-group/schema.js';
import type { MetricsSnapshot } from '../router/api.js';
import { type AnalysisState, evaluateAnalysis } from './analysis.js';
import type { GateVerdictRecord } from './events.js';

export type GateState = AnalysisState;

export type GateMeasurement = MetricsSnapshot | { error: string };

export type GateEvaluator = (
  state: GateState | undefined,
  measurement: GateMeasurement,
  config: AnalysisSpec,
) => { state: GateState; verdict: GateVerdictRecord & { action: 'continue' | 'pause' | 'rollback' } };

export const defaultGateEvaluator: GateEvaluator = (state, measurement, config) => {
  const { state: next, verdict } = evaluateAnalysis(state, measurement, config);
  return {
    state: next,
    verdict: {
      result: verdict.result,
      action: verdict.action,
      reasons: verdict.reasons,
      measured: verdict.measured,
      thresholds: verdict.thresholds,
    },
  };
};
