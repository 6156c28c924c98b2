/**
 * The analysis gate: a pure evaluator the deploy runner calls once per `intervalSeconds` during a bake,
 * with the router's metrics for that interval (or the reason they could not be read).
 *
 *   const { state, verdict } = evaluateAnalysis(previousState, snapshotOrFailure, config);
 *
 * Rules (from what users of Argo Rollouts, Flagger and Kayenta got burnt by):
 * - A measurement that could not be taken never counts as a success. It is 'inconclusive' until
 *   `measurementErrorLimit` consecutive failures, then 'fail'.
 * - Too few requests on the new revision is no evidence: 'inconclusive' and the no-data policy says
 *   what happens (pause for a human by default; 'fail' counts as a breach; 'pass' only if configured).
 * - A breach of a threshold counts toward `failureLimit` (consecutive or total); at the limit the
 *   verdict is 'fail' and stays 'fail' (the analysis is over).
 * Every verdict carries the numbers it was judged on and the thresholds, for the deployment's events.
 */
import type { MetricsSnapshot, SetMetrics } from '../router/api.js';

export type NoDataPolicy = 'pause' | 'fail' | 'pass';

export interface AnalysisConfig {
  /** How often the runner evaluates; also the metrics window it should ask for. */
  intervalSeconds?: number;
  /** Highest allowed share (0-1) of 5xx and failed requests on the new revision. */
  maxErrorRate?: number;
  /** Highest allowed p99 latency of the new revision, in ms. */
  maxP99LatencyMs?: number;
  /** Requests the new revision must get in an interval before it can be judged. @default 1 */
  minRequests?: number;
  /** Judge the new revision against the stable one over the same interval. */
  compareWithStable?: {
    /** Allowed error-rate excess over stable, in share points (0.02 = 2 points). @default 0 */
    maxErrorRateIncrease?: number;
    /** Allowed p99 as a multiple of stable's p99 (1.5 = 50% slower). */
    maxP99LatencyRatio?: number;
  };
  /** Breaching intervals before the analysis fails. @default 1 */
  failureLimit?: number;
  /** Whether failureLimit counts consecutive breaches or all breaches. @default 'consecutive' */
  failureLimitMode?: 'consecutive' | 'total';
  /** What an interval with fewer than minRequests means. @default 'pause' */
  noDataPolicy?: NoDataPolicy;
  /** Consecutive failed measurements (router unreachable) before the analysis fails. @default 3 */
  measurementErrorLimit?: number;
  /** Which set is the new revision. @default 'canary' */
  subject?: 'canary' | 'stable';
}

/** A metrics read that did not happen, and why. */
export interface MeasurementFailure {
  error: string;
}

export type Measurement = MetricsSnapshot | MeasurementFailure;

export interface AnalysisState {
  /** Intervals evaluated so far. */
  intervals: number;
  passes: number;
  breaches: number;
  /** Consecutive breaching intervals (a pass resets it; an interval without evidence leaves it). */
  consecutiveFailures: number;
  inconclusive: number;
  measurementErrors: number;
  consecutiveMeasurementErrors: number;
  /** Set once the analysis has failed; every later call repeats 'fail'. */
  failed: boolean;
}

export type VerdictResult = 'pass' | 'fail' | 'inconclusive';

export interface AnalysisVerdict {
  result: VerdictResult;
  /** What the runner should do: keep baking, stop and wait for a human, or roll back. */
  action: 'continue' | 'pause' | 'rollback';
  /** 1-based index of the interval this verdict is about. */
  interval: number;
  reasons: string[];
  measured: Record<string, number>;
  thresholds: Record<string, number>;
}

export function initialAnalysisState(): AnalysisState {
  return {
    intervals: 0,
    passes: 0,
    breaches: 0,
    consecutiveFailures: 0,
    inconclusive: 0,
    measurementErrors: 0,
    consecutiveMeasurementErrors: 0,
    failed: false,
  };
}

export function isMeasurementFailure(m: Measurement): m is MeasurementFailure {
  return typeof (m as MeasurementFailure).error === 'string';
}

export function evaluateAnalysis(
  previous: AnalysisState | undefined,
  measurement: Measurement,
  config: AnalysisConfig,
): { state: AnalysisState; verdict: AnalysisVerdict } {
  const state: AnalysisState = { ...(previous ?? initialAnalysisState()) };
  state.intervals++;
  const interval = state.intervals;
  const thresholds = thresholdsOf(config);

  if (state.failed) {
    return {
      state,
      verdict: {
        result: 'fail',
        action: 'rollback',
        interval,
        reasons: ['the analysis already failed in an earlier interval'],
        measured: {},
        thresholds,
      },
    };
  }

  if (isMeasurementFailure(measurement)) {
    state.measurementErrors++;
    state.consecutiveMeasurementErrors++;
    const limit = thresholds.measurementErrorLimit!;
    const reason = `metrics could not be read: ${measurement.error}`;
    if (state.consecutiveMeasurementErrors >= limit) {
      state.failed = true;
      return {
        state,
        verdict: {
          result: 'fail',
          action: 'rollback',
          interval,
          reasons: [
            reason,
            `${state.consecutiveMeasurementErrors} consecutive measurements failed (limit ${limit})`,
          ],
          measured: {},
          thresholds,
        },
      };
    }
    state.inconclusive++;
    return {
      state,
      verdict: {
        result: 'inconclusive',
        action: 'continue',
        interval,
        reasons: [
          reason,
          `not counted as a success (${state.consecutiveMeasurementErrors} of ${limit} consecutive failed measurements allowed)`,
        ],
        measured: {},
        thresholds,
      },
    };
  }
  state.consecutiveMeasurementErrors = 0;

  const subjectName = config.subject ?? 'canary';
  const subject = measurement[subjectName];
  const baseline = subjectName === 'canary' ? measurement.stable : measurement.canary;
  const baselineName = subjectName === 'canary' ? 'stable' : 'canary';
  const measured = measuredOf(subject, baseline, baselineName);
  const minRequests = thresholds.minRequests!;

  if (subject.requests < minRequests) {
    // Stryker disable next-line StringLiteral: equivalent, any policy other than 'pass' and 'fail' pauses
    const policy = config.noDataPolicy ?? 'pause';
    const reason =
      `only ${subject.requests} request(s) reached the ${subjectName} revision in ${seconds(subject.windowMs)}` +
      ` (minRequests ${minRequests}): no evidence`;
    if (policy === 'pass') {
      state.passes++;
      return {
        state,
        verdict: {
          result: 'pass',
          action: 'continue',
          interval,
          reasons: [reason, "passed anyway because noDataPolicy is 'pass'"],
          measured,
          thresholds,
        },
      };
    }
    if (policy === 'fail') {
      return breach(
        state,
        interval,
        [reason, "counted as a breach because noDataPolicy is 'fail'"],
        measured,
        thresholds,
        config,
      );
    }
    state.inconclusive++;
    return {
      state,
      verdict: {
        result: 'inconclusive',
        action: 'pause',
        interval,
        reasons: [reason, "pausing for a human because noDataPolicy is 'pause' (conveyor promote / abort)"],
        measured,
        thresholds,
      },
    };
  }

  const breaches: string[] = [];
  const oks: string[] = [];
  const rateText = `error rate ${pct(subject.errorRate)} (${subject.errors}/${subject.requests})`;
  if (config.maxErrorRate !== undefined) {
    if (subject.errorRate > config.maxErrorRate)
      breaches.push(`${rateText} > max ${pct(config.maxErrorRate)}`);
    else oks.push(`${rateText} <= max ${pct(config.maxErrorRate)}`);
  }
  const p99 = subject.latencyMs.p99;
  if (config.maxP99LatencyMs !== undefined) {
    if (p99 > config.maxP99LatencyMs)
      breaches.push(`p99 latency ${ms(p99)} > max ${ms(config.maxP99LatencyMs)}`);
    else oks.push(`p99 latency ${ms(p99)} <= max ${ms(config.maxP99LatencyMs)}`);
  }
  const cmp = config.compareWithStable;
  if (cmp) {
    if (baseline.requests < minRequests) {
      oks.push(
        `comparison with ${baselineName} skipped: only ${baseline.requests} ${baselineName} request(s) (minRequests ${minRequests})`,
      );
    } else {
      const allowedRate = baseline.errorRate + (cmp.maxErrorRateIncrease ?? 0);
      if (subject.errorRate > allowedRate) {
        breaches.push(
          `${rateText} > ${baselineName} ${pct(baseline.errorRate)} + allowed ${pct(cmp.maxErrorRateIncrease ?? 0)}`,
        );
      } else {
        oks.push(
          `error rate ${pct(subject.errorRate)} within ${baselineName} ${pct(baseline.errorRate)} + allowance`,
        );
      }
      if (cmp.maxP99LatencyRatio !== undefined) {
        const allowed = baseline.latencyMs.p99 * cmp.maxP99LatencyRatio;
        if (p99 > allowed) {
          breaches.push(
            `p99 latency ${ms(p99)} > ${cmp.maxP99LatencyRatio}x ${baselineName} p99 ${ms(baseline.latencyMs.p99)}`,
          );
        } else {
          oks.push(
            `p99 latency ${ms(p99)} <= ${cmp.maxP99LatencyRatio}x ${baselineName} p99 ${ms(baseline.latencyMs.p99)}`,
          );
        }
      }
    }
  }

  if (breaches.length > 0)
    return breach(state, interval, [...breaches, ...oks], measured, thresholds, config);

  state.passes++;
  state.consecutiveFailures = 0;
  const reasons = oks.length > 0 ? oks : [`${subject.requests} requests; no threshold configured`];
  return { state, verdict: { result: 'pass', action: 'continue', interval, reasons, measured, thresholds } };
}

function breach(
  state: AnalysisState,
  interval: number,
  reasons: string[],
  measured: Record<string, number>,
  thresholds: Record<string, number>,
  config: AnalysisConfig,
): { state: AnalysisState; verdict: AnalysisVerdict } {
  state.breaches++;
  state.consecutiveFailures++;
  const mode = config.failureLimitMode ?? 'consecutive';
  const count = mode === 'total' ? state.breaches : state.consecutiveFailures;
  const limit = thresholds.failureLimit!;
  if (count >= limit) {
    state.failed = true;
    return {
      state,
      verdict: {
        result: 'fail',
        action: 'rollback',
        interval,
        reasons: [...reasons, `${count} ${mode} breach(es) reached failureLimit ${limit}`],
        measured,
        thresholds,
      },
    };
  }
  state.inconclusive++;
  return {
    state,
    verdict: {
      result: 'inconclusive',
      action: 'continue',
      interval,
      reasons: [...reasons, `breach ${count} of failureLimit ${limit} (${mode}): not failing yet`],
      measured,
      thresholds,
    },
  };
}

function thresholdsOf(config: AnalysisConfig): Record<string, number> {
  const t: Record<string, number> = {
    minRequests: config.minRequests ?? 1,
    failureLimit: Math.max(1, config.failureLimit ?? 1),
    measurementErrorLimit: Math.max(1, config.measurementErrorLimit ?? 3),
  };
  if (config.maxErrorRate !== undefined) t.maxErrorRate = config.maxErrorRate;
  if (config.maxP99LatencyMs !== undefined) t.maxP99LatencyMs = config.maxP99LatencyMs;
  if (config.compareWithStable) {
    t.maxErrorRateIncrease = config.compareWithStable.maxErrorRateIncrease ?? 0;
    if (config.compareWithStable.maxP99LatencyRatio !== undefined) {
      t.maxP99LatencyRatio = config.compareWithStable.maxP99LatencyRatio;
    }
  }
  if (config.intervalSeconds !== undefined) t.intervalSeconds = config.intervalSeconds;
  return t;
}

function measuredOf(subject: SetMetrics, baseline: SetMetrics, baselineName: string): Record<string, number> {
  return {
    requests: subject.requests,
    errors: subject.errors,
    errorRate: round(subject.errorRate),
    requestsPerSecond: round(subject.requestsPerSecond),
    p50LatencyMs: round(subject.latencyMs.p50),
    p90LatencyMs: round(subject.latencyMs.p90),
    p99LatencyMs: round(subject.latencyMs.p99),
    inFlight: subject.inFlight,
    windowMs: subject.windowMs,
    [`${baselineName}Requests`]: baseline.requests,
    [`${baselineName}ErrorRate`]: round(baseline.errorRate),
    [`${baselineName}P99LatencyMs`]: round(baseline.latencyMs.p99),
  };
}

/** One line for status output and event logs: `interval 2: fail (rollback): error rate 30.0% ...`. */
export function describeVerdict(v: AnalysisVerdict): string {
  return `interval ${v.interval}: ${v.result} (${v.action}): ${v.reasons.join('; ')}`;
}

/** The metrics window the runner should ask for at each evaluation. */
export function analysisWindowMs(config: AnalysisConfig): number {
  return Math.round((config.intervalSeconds ?? 1) * 1000);
}

function round(n: number): number {
  return Math.round(n * 10000) / 10000;
}
function pct(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}
function ms(n: number): string {
  return `${Number.isInteger(n) ? n : n.toFixed(1)} ms`;
}
function seconds(windowMs: number): string {
  return `${(windowMs / 1000).toFixed(1)}s`;
}
