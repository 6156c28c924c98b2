import { describe, expect, it } from 'vitest';
import {
  type AnalysisConfig,
  type AnalysisState,
  type AnalysisVerdict,
  analysisWindowMs,
  describeVerdict,
  evaluateAnalysis,
  type Measurement,
} from '../../../src/deploy/analysis.js';
import { defaultGateEvaluator } from '../../../src/deploy/gates.js';
import type { MetricsSnapshot, SetMetrics } from '../../../src/router/api.js';

function set(requests: number, errors: number, p99 = 10, windowMs = 1000): SetMetrics {
  return {
    requests,
    errors,
    errorRate: requests === 0 ? 0 : errors / requests,
    requestsPerSecond: requests / (windowMs / 1000),
    latencyMs: { p50: p99 / 4, p90: p99 / 2, p99 },
    inFlight: 0,
    windowMs,
  };
}

function snap(canary: SetMetrics, stable: SetMetrics = set(100, 0)): MetricsSnapshot {
  const total = set(canary.requests + stable.requests, canary.errors + stable.errors);
  return { canary, stable, total };
}

/** Feeds measurements in order, returning every verdict and the final state. */
function run(
  config: AnalysisConfig,
  measurements: Measurement[],
): { verdicts: AnalysisVerdict[]; state: AnalysisState } {
  let state: AnalysisState | undefined;
  const verdicts: AnalysisVerdict[] = [];
  for (const m of measurements) {
    const out = evaluateAnalysis(state, m, config);
    state = out.state;
    verdicts.push(out.verdict);
  }
  return { verdicts, state: state! };
}

const base: AnalysisConfig = {
  intervalSeconds: 1,
  maxErrorRate: 0.05,
  maxP99LatencyMs: 500,
  minRequests: 20,
};

describe('evaluateAnalysis: thresholds', () => {
  it('passes a healthy interval and reports the numbers it judged', () => {
    const { verdict } = evaluateAnalysis(undefined, snap(set(100, 1, 40)), base);
    expect(verdict.result).toBe('pass');
    expect(verdict.action).toBe('continue');
    expect(verdict.interval).toBe(1);
    expect(verdict.measured).toMatchObject({ requests: 100, errors: 1, errorRate: 0.01, p99LatencyMs: 40 });
    expect(verdict.thresholds).toMatchObject({ maxErrorRate: 0.05, maxP99LatencyMs: 500, minRequests: 20 });
    expect(verdict.reasons.join(' ')).toContain('error rate 1.0% (1/100) <= max 5.0%');
  });

  it('fails when the error rate is above the maximum', () => {
    const { verdict, state } = evaluateAnalysis(undefined, snap(set(100, 30)), base);
    expect(verdict.result).toBe('fail');
    expect(verdict.action).toBe('rollback');
    expect(verdict.reasons[0]).toBe('error rate 30.0% (30/100) > max 5.0%');
    expect(state.failed).toBe(true);
  });

  it('treats an error rate exactly at the maximum as a pass', () => {
    expect(evaluateAnalysis(undefined, snap(set(100, 5)), base).verdict.result).toBe('pass');
  });

  it('fails when p99 latency is above the maximum, naming both numbers', () => {
    const { verdict } = evaluateAnalysis(undefined, snap(set(100, 0, 900)), base);
    expect(verdict.result).toBe('fail');
    expect(verdict.reasons[0]).toBe('p99 latency 900 ms > max 500 ms');
  });

  it('lists every breached threshold', () => {
    const { verdict } = evaluateAnalysis(undefined, snap(set(100, 50, 900)), base);
    expect(verdict.reasons.filter((r) => r.includes('> max'))).toHaveLength(2);
  });

  it('passes on evidence alone when no threshold is configured', () => {
    const { verdict } = evaluateAnalysis(undefined, snap(set(100, 90)), { minRequests: 10 });
    expect(verdict.result).toBe('pass');
    expect(verdict.reasons[0]).toContain('no threshold configured');
  });

  it('judges the stable set when subject is stable (blue/green after the swap)', () => {
    const m = snap(set(100, 0), set(100, 40));
    expect(evaluateAnalysis(undefined, m, { ...base, subject: 'stable' }).verdict.result).toBe('fail');
    expect(evaluateAnalysis(undefined, m, base).verdict.result).toBe('pass');
  });
});

describe('evaluateAnalysis: not enough data', () => {
  it('is inconclusive and pauses by default, never a pass', () => {
    const { verdict, state } = evaluateAnalysis(undefined, snap(set(3, 0)), base);
    expect(verdict.result).toBe('inconclusive');
    expect(verdict.action).toBe('pause');
    expect(verdict.reasons[0]).toContain('only 3 request(s) reached the canary revision');
    expect(verdict.reasons[0]).toContain('minRequests 20');
    expect(state.passes).toBe(0);
  });

  it('is inconclusive even when the few requests all failed', () => {
    expect(evaluateAnalysis(undefined, snap(set(2, 2)), base).verdict.result).toBe('inconclusive');
  });

  it("counts as a breach under noDataPolicy 'fail'", () => {
    const { verdict } = evaluateAnalysis(undefined, snap(set(0, 0)), { ...base, noDataPolicy: 'fail' });
    expect(verdict.result).toBe('fail');
    expect(verdict.reasons.join(' ')).toContain("noDataPolicy is 'fail'");
  });

  it("with noDataPolicy 'fail' and failureLimit 2, the first empty interval is not yet a failure", () => {
    const cfg: AnalysisConfig = { ...base, noDataPolicy: 'fail', failureLimit: 2 };
    const { verdicts } = run(cfg, [snap(set(0, 0)), snap(set(0, 0))]);
    expect(verdicts.map((v) => v.result)).toEqual(['inconclusive', 'fail']);
  });

  it("passes only when noDataPolicy is 'pass', and says it had no evidence", () => {
    const { verdict } = evaluateAnalysis(undefined, snap(set(0, 0)), { ...base, noDataPolicy: 'pass' });
    expect(verdict.result).toBe('pass');
    expect(verdict.reasons.join(' ')).toContain('no evidence');
  });

  it('exactly minRequests requests are enough evidence to judge; one fewer is not', () => {
    const enough = evaluateAnalysis(undefined, snap(set(20, 0)), base).verdict;
    expect(enough.result).toBe('pass');
    expect(enough.action).toBe('continue');
    expect(evaluateAnalysis(undefined, snap(set(19, 0)), base).verdict.result).toBe('inconclusive');
  });

  it('compares with stable when stable got exactly minRequests requests', () => {
    const cfg: AnalysisConfig = { minRequests: 20, compareWithStable: {} };
    const { verdict } = evaluateAnalysis(undefined, snap(set(100, 10), set(20, 0)), cfg);
    expect(verdict.result).toBe('fail');
    expect(verdict.reasons[0]).toBe('error rate 10.0% (10/100) > stable 0.0% + allowed 0.0%');
  });

  it('defaults minRequests to 1: zero requests is never a pass', () => {
    const { verdict } = evaluateAnalysis(undefined, snap(set(0, 0)), { maxErrorRate: 0.1 });
    expect(verdict.result).toBe('inconclusive');
  });

  it('neither resets nor adds to consecutive breaches', () => {
    const cfg: AnalysisConfig = { ...base, failureLimit: 2 };
    const { verdicts } = run(cfg, [snap(set(100, 50)), snap(set(1, 0)), snap(set(100, 50))]);
    expect(verdicts.map((v) => v.result)).toEqual(['inconclusive', 'inconclusive', 'fail']);
    expect(verdicts[1]!.action).toBe('pause');
  });
});

describe('evaluateAnalysis: measurements that could not be taken', () => {
  it('never count as a success', () => {
    const { verdict, state } = evaluateAnalysis(
      undefined,
      { error: 'router admin socket: ECONNREFUSED' },
      base,
    );
    expect(verdict.result).toBe('inconclusive');
    expect(verdict.action).toBe('continue');
    expect(verdict.reasons[0]).toBe('metrics could not be read: router admin socket: ECONNREFUSED');
    expect(verdict.measured).toEqual({});
    expect(state.passes).toBe(0);
  });

  it('fail after measurementErrorLimit consecutive errors (default 3)', () => {
    const err = { error: 'timeout' };
    const { verdicts } = run(base, [err, err, err]);
    expect(verdicts.map((v) => v.result)).toEqual(['inconclusive', 'inconclusive', 'fail']);
    expect(verdicts[2]!.reasons.join(' ')).toContain('3 consecutive measurements failed');
  });

  it('a good measurement resets the error streak', () => {
    const err = { error: 'timeout' };
    const { verdicts } = run({ ...base, measurementErrorLimit: 2 }, [
      err,
      snap(set(100, 0)),
      err,
      snap(set(100, 0)),
    ]);
    expect(verdicts.map((v) => v.result)).toEqual(['inconclusive', 'pass', 'inconclusive', 'pass']);
  });

  it('honours measurementErrorLimit 1', () => {
    expect(
      evaluateAnalysis(undefined, { error: 'x' }, { ...base, measurementErrorLimit: 1 }).verdict.result,
    ).toBe('fail');
  });
});

describe('evaluateAnalysis: failure limit', () => {
  it('consecutive mode: a pass in between resets the count', () => {
    const cfg: AnalysisConfig = { ...base, failureLimit: 2 };
    const bad = snap(set(100, 50));
    const good = snap(set(100, 0));
    const { verdicts } = run(cfg, [bad, good, bad, good]);
    expect(verdicts.map((v) => v.result)).toEqual(['inconclusive', 'pass', 'inconclusive', 'pass']);
    expect(verdicts[0]!.reasons.at(-1)).toBe('breach 1 of failureLimit 2 (consecutive): not failing yet');
  });

  it('total mode: breaches add up across passes', () => {
    const cfg: AnalysisConfig = { ...base, failureLimit: 2, failureLimitMode: 'total' };
    const bad = snap(set(100, 50));
    const good = snap(set(100, 0));
    const { verdicts } = run(cfg, [bad, good, bad]);
    expect(verdicts.map((v) => v.result)).toEqual(['inconclusive', 'pass', 'fail']);
    expect(verdicts[2]!.reasons.at(-1)).toBe('2 total breach(es) reached failureLimit 2');
  });

  it('once failed, stays failed even if later intervals look good', () => {
    const { verdicts, state } = run(base, [snap(set(100, 50)), snap(set(100, 0))]);
    expect(verdicts.map((v) => v.result)).toEqual(['fail', 'fail']);
    expect(verdicts[1]!.reasons[0]).toContain('already failed');
    expect(state.intervals).toBe(2);
  });

  it('a failureLimit below 1 is treated as 1', () => {
    expect(evaluateAnalysis(undefined, snap(set(100, 50)), { ...base, failureLimit: 0 }).verdict.result).toBe(
      'fail',
    );
  });

  it('a 30% failing canary is detected within two intervals at failureLimit 2', () => {
    const cfg: AnalysisConfig = { ...base, failureLimit: 2 };
    const { verdicts } = run(cfg, [snap(set(60, 18)), snap(set(60, 19))]);
    expect(verdicts.at(-1)!.result).toBe('fail');
  });
});

describe('evaluateAnalysis: compared with stable', () => {
  const cmp: AnalysisConfig = {
    minRequests: 20,
    compareWithStable: { maxErrorRateIncrease: 0.02, maxP99LatencyRatio: 1.5 },
  };

  it('passes when the canary is within the allowance over stable', () => {
    const { verdict } = evaluateAnalysis(undefined, snap(set(100, 3, 14), set(100, 2, 10)), cmp);
    expect(verdict.result).toBe('pass');
    expect(verdict.measured).toMatchObject({
      stableRequests: 100,
      stableErrorRate: 0.02,
      stableP99LatencyMs: 10,
    });
  });

  it('fails when the canary errors more than stable plus the allowance', () => {
    const { verdict } = evaluateAnalysis(undefined, snap(set(100, 10, 10), set(100, 2, 10)), cmp);
    expect(verdict.result).toBe('fail');
    expect(verdict.reasons[0]).toBe('error rate 10.0% (10/100) > stable 2.0% + allowed 2.0%');
  });

  it('fails when the canary p99 exceeds the ratio of stable p99', () => {
    const { verdict } = evaluateAnalysis(undefined, snap(set(100, 0, 40), set(100, 0, 10)), cmp);
    expect(verdict.result).toBe('fail');
    expect(verdict.reasons[0]).toBe('p99 latency 40 ms > 1.5x stable p99 10 ms');
  });

  it('skips the comparison (and says so) when stable has too little traffic', () => {
    const { verdict } = evaluateAnalysis(undefined, snap(set(100, 10, 40), set(3, 0, 10)), cmp);
    expect(verdict.result).toBe('pass');
    expect(verdict.reasons[0]).toContain('comparison with stable skipped');
  });

  it('applies absolute thresholds and the comparison together', () => {
    const { verdict } = evaluateAnalysis(undefined, snap(set(100, 10, 10), set(100, 9, 10)), {
      ...cmp,
      maxErrorRate: 0.05,
    });
    expect(verdict.result).toBe('fail');
    expect(verdict.reasons[0]).toContain('> max 5.0%');
  });
});

describe('evaluateAnalysis: purity and rendering', () => {
  it('does not modify the state it is given', () => {
    const first = evaluateAnalysis(undefined, snap(set(100, 50)), { ...base, failureLimit: 3 });
    const frozen = Object.freeze({ ...first.state });
    const second = evaluateAnalysis(frozen, snap(set(100, 50)), { ...base, failureLimit: 3 });
    expect(frozen.consecutiveFailures).toBe(1);
    expect(second.state.consecutiveFailures).toBe(2);
  });

  it('describes a verdict on one line', () => {
    const { verdict } = evaluateAnalysis(undefined, snap(set(100, 30)), base);
    expect(describeVerdict(verdict)).toBe(
      'interval 1: fail (rollback): error rate 30.0% (30/100) > max 5.0%; p99 latency 10 ms <= max 500 ms; 1 consecutive breach(es) reached failureLimit 1',
    );
  });
});

describe('evaluateAnalysis: what each verdict says and does', () => {
  const err = { error: 'timeout' };

  it('a failed measurement is inconclusive until the limit, then fails for good and rolls back', () => {
    const { verdicts } = run({ ...base, measurementErrorLimit: 2 }, [err, err, snap(set(100, 0))]);
    expect(verdicts.map((v) => `${v.result}/${v.action}`)).toEqual([
      'inconclusive/continue',
      'fail/rollback',
      'fail/rollback',
    ]);
    expect(verdicts[0]!.reasons[1]).toBe(
      'not counted as a success (1 of 2 consecutive failed measurements allowed)',
    );
    expect(verdicts[1]!.reasons[1]).toBe('2 consecutive measurements failed (limit 2)');
    expect(verdicts[2]!.reasons).toEqual(['the analysis already failed in an earlier interval']);
    expect(verdicts[2]!.interval).toBe(3);
  });

  it('names the window and the policy when there is too little traffic', () => {
    const m = snap(set(3, 0, 10, 2500));
    expect(evaluateAnalysis(undefined, m, base).verdict.reasons).toEqual([
      'only 3 request(s) reached the canary revision in 2.5s (minRequests 20): no evidence',
      "pausing for a human because noDataPolicy is 'pause' (conveyor promote / abort)",
    ]);
    const passed = evaluateAnalysis(undefined, m, { ...base, noDataPolicy: 'pass' }).verdict;
    expect(passed.action).toBe('continue');
    expect(passed.reasons[1]).toBe("passed anyway because noDataPolicy is 'pass'");
  });

  it('a breach below the failure limit keeps baking', () => {
    const { verdict } = evaluateAnalysis(undefined, snap(set(100, 50)), { ...base, failureLimit: 3 });
    expect(verdict).toMatchObject({ result: 'inconclusive', action: 'continue' });
    expect(verdict.reasons.at(-1)).toBe('breach 1 of failureLimit 3 (consecutive): not failing yet');
  });

  it('p99 exactly at the maximum passes', () => {
    expect(evaluateAnalysis(undefined, snap(set(100, 0, 500)), base).verdict.result).toBe('pass');
  });

  it('counts the intervals by outcome in the state it returns', () => {
    const { state } = run({ ...base, failureLimit: 9 }, [
      snap(set(100, 0)),
      err,
      snap(set(1, 0)),
      snap(set(100, 50)),
      snap(set(100, 0)),
      err,
    ]);
    expect(state).toEqual({
      intervals: 6,
      passes: 2,
      breaches: 1,
      consecutiveFailures: 0,
      inconclusive: 4,
      measurementErrors: 2,
      consecutiveMeasurementErrors: 1,
      failed: false,
    });
    const noData = run({ ...base, noDataPolicy: 'pass' }, [snap(set(1, 0))]).state;
    expect(noData.passes).toBe(1);
  });

  it('records exactly the thresholds it judged with', () => {
    expect(evaluateAnalysis(undefined, snap(set(100, 0)), {}).verdict.thresholds).toStrictEqual({
      minRequests: 1,
      failureLimit: 1,
      measurementErrorLimit: 3,
    });
    const all: AnalysisConfig = {
      ...base,
      failureLimit: 2,
      measurementErrorLimit: 4,
      compareWithStable: { maxErrorRateIncrease: 0.01, maxP99LatencyRatio: 2 },
    };
    expect(evaluateAnalysis(undefined, snap(set(100, 0)), all).verdict.thresholds).toStrictEqual({
      minRequests: 20,
      failureLimit: 2,
      measurementErrorLimit: 4,
      maxErrorRate: 0.05,
      maxP99LatencyMs: 500,
      maxErrorRateIncrease: 0.01,
      maxP99LatencyRatio: 2,
      intervalSeconds: 1,
    });
    const cmpOnly = { minRequests: 20, compareWithStable: {} };
    expect(evaluateAnalysis(undefined, snap(set(100, 0)), cmpOnly).verdict.thresholds).toStrictEqual({
      minRequests: 20,
      failureLimit: 1,
      measurementErrorLimit: 3,
      maxErrorRateIncrease: 0,
    });
  });

  it('asks the router for one interval of metrics (1 s by default)', () => {
    expect(analysisWindowMs({ intervalSeconds: 2.5 })).toBe(2500);
    expect(analysisWindowMs({ intervalSeconds: 0.0004 })).toBe(0);
    expect(analysisWindowMs({})).toBe(1000);
  });
});

describe('evaluateAnalysis: compared with the other set', () => {
  it('says why it passed, and allows exactly the allowance and the ratio', () => {
    const cfg: AnalysisConfig = {
      minRequests: 20,
      compareWithStable: { maxErrorRateIncrease: 0.02, maxP99LatencyRatio: 1.5 },
    };
    const { verdict } = evaluateAnalysis(undefined, snap(set(100, 4, 15), set(100, 2, 10)), cfg);
    expect(verdict.result).toBe('pass');
    expect(verdict.reasons).toEqual([
      'error rate 4.0% within stable 2.0% + allowance',
      'p99 latency 15 ms <= 1.5x stable p99 10 ms',
    ]);
  });

  it('without a latency ratio compares error rates only', () => {
    const { verdict } = evaluateAnalysis(undefined, snap(set(100, 2, 900), set(100, 2, 10)), {
      minRequests: 20,
      compareWithStable: {},
    });
    expect(verdict.reasons).toEqual(['error rate 2.0% within stable 2.0% + allowance']);
  });

  it('after a blue/green swap, judges stable against canary and says so', () => {
    const { verdict } = evaluateAnalysis(undefined, snap(set(100, 1, 10), set(100, 20, 10)), {
      minRequests: 20,
      subject: 'stable',
      compareWithStable: {},
    });
    expect(verdict.result).toBe('fail');
    expect(verdict.reasons[0]).toBe('error rate 20.0% (20/100) > canary 1.0% + allowed 0.0%');
    expect(verdict.measured).toMatchObject({
      requests: 100,
      errors: 20,
      canaryRequests: 100,
      canaryErrorRate: 0.01,
    });
  });
});

describe('the gate the runner calls', () => {
  it('is the analysis verdict, with the action the runner takes', () => {
    const { state, verdict } = defaultGateEvaluator(undefined, snap(set(100, 30)), base);
    expect(state.failed).toBe(true);
    expect(verdict).toStrictEqual({
      result: 'fail',
      action: 'rollback',
      reasons: [
        'error rate 30.0% (30/100) > max 5.0%',
        'p99 latency 10 ms <= max 500 ms',
        '1 consecutive breach(es) reached failureLimit 1',
      ],
      measured: evaluateAnalysis(undefined, snap(set(100, 30)), base).verdict.measured,
      thresholds: {
        minRequests: 20,
        failureLimit: 1,
        measurementErrorLimit: 3,
        maxErrorRate: 0.05,
        maxP99LatencyMs: 500,
        intervalSeconds: 1,
      },
    });
  });
});
