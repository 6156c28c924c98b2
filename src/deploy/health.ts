/**
 * Taking the analysis measurements from a live router, and a bounded loop that evaluates the gate
 * every interval. The evaluator itself (analysis.ts) stays pure; this is the I/O around it.
 */
import type { Clock } from '../core/clock.js';
import type { MetricsSnapshot } from '../router/api.js';
import {
  type AnalysisConfig,
  type AnalysisState,
  type AnalysisVerdict,
  analysisWindowMs,
  evaluateAnalysis,
  initialAnalysisState,
  type Measurement,
} from './analysis.js';

/** The part of RouterClient the gate needs. */
export interface MetricsSource {
  metrics(windowMs: number): Promise<MetricsSnapshot>;
  resetMetrics?(): Promise<void>;
}

/** Reads the window; a failed read becomes a MeasurementFailure (never an exception, never a success). */
export async function takeMeasurement(source: MetricsSource, windowMs: number): Promise<Measurement> {
  try {
    return await source.metrics(windowMs);
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

export interface RunAnalysisOptions {
  source: MetricsSource;
  config: AnalysisConfig;
  clock: Clock;
  /** Stop after this many intervals even without a decision (a bake's length). */
  maxIntervals: number;
  /** Reset the router's windows first, so the first interval sees only the new weights. @default true */
  resetFirst?: boolean;
  /** Stop at the first verdict whose action is 'pause' (the default no-data policy). @default true */
  stopOnPause?: boolean;
  signal?: AbortSignal;
  onVerdict?: (verdict: AnalysisVerdict) => void;
}

export interface AnalysisRun {
  state: AnalysisState;
  verdicts: AnalysisVerdict[];
  /** The verdict that ended the run: the failing one, the pausing one, or the last one. */
  last: AnalysisVerdict | undefined;
}

/** Evaluates the gate every intervalSeconds until it fails, pauses, or maxIntervals pass. */
export async function runAnalysis(opts: RunAnalysisOptions): Promise<AnalysisRun> {
  const windowMs = analysisWindowMs(opts.config);
  if (opts.resetFirst !== false && opts.source.resetMetrics) {
    try {
      await opts.source.resetMetrics();
    } catch {
      // The first measurement will report the router as unreachable.
    }
  }
  let state: AnalysisState | undefined;
  const verdicts: AnalysisVerdict[] = [];
  for (let i = 0; i < opts.maxIntervals; i++) {
    await opts.clock.sleep(windowMs, opts.signal);
    const measurement = await takeMeasurement(opts.source, windowMs);
    const next = evaluateAnalysis(state, measurement, opts.config);
    state = next.state;
    verdicts.push(next.verdict);
    opts.onVerdict?.(next.verdict);
    if (next.verdict.action === 'rollback') break;
    if (next.verdict.action === 'pause' && opts.stopOnPause !== false) break;
  }
  return { state: state ?? initialAnalysisState(), verdicts, last: verdicts.at(-1) };
}
