/**
 * The check port: a provider measures once (bounded in time by the caller's signal) and returns the
 * variables its condition is judged on, or why nothing could be measured. `measureCheck` bounds any
 * provider: a measurement that hangs past its timeout is a failed measurement, never a hung deployment.
 * `evaluateCheck` is pure, like `evaluateAnalysis`: it turns readings into verdicts with their numbers.
 */
import { type Clock, systemClock } from '../../core/clock.js';
import type { SecretMasker } from '../../core/secret-mask.js';
import type { CheckSpec } from '../../documents/deployment-group/checks-schema.js';
import { parseCondition } from '../../documents/deployment-group/condition.js';
import { checkMasker, maskReading } from './secrets.js';

/** What the templated queries may refer to, and where a command check runs. */
export interface CheckContext {
  canaryRevision: string;
  stableRevision: string;
  canarySet: 'canary';
  stableSet: 'stable';
  deploymentId: string;
  /**
   * Folder the group file lives in: a command check runs there and its relative program path resolves from
   * it, as rollback hooks do. Not a template variable. @default this process's working folder
   */
  configDir?: string;
  /**
   * Where a command check notes the process group it runs while it waits on it, so a group its runner left behind
   * (the runner killed with -9) is stopped by whoever takes the deployment over. Not a template variable.
   * @default nothing is noted (unit tests)
   */
  processes?: CheckProcessRecorder;
}

/** The record of the process groups command checks run now (check-processes.ts keeps it in the group's state). */
export interface CheckProcessRecorder {
  /** Called right after the spawn, before the check waits on it; a failure stops the check unmeasured. */
  started(pid: number, check: string): void;
  ended(pid: number): void;
}

/** The names `{{…}}` may use in queries, URLs, bodies and commands. */
const TEMPLATE_NAMES: ReadonlySet<string> = new Set([
  'canaryRevision',
  'stableRevision',
  'canarySet',
  'stableSet',
  'deploymentId',
]);

export type CheckReading =
  /** `vars` are what the condition sees (`result`, `status`, `body`, `exitCode`, …). */
  | { vars: Record<string, unknown>; measured: Record<string, number>; output?: string }
  /** Nothing to judge: an empty result. */
  | { noData: string; output?: string }
  /** The measurement failed (unreachable, timed out, an answer that is not what was asked). */
  | { error: string; output?: string };

export interface CheckProvider {
  /**
   * `masker` knows the check's credentials: a provider that cuts what it keeps masks before it cuts (a cut
   * through a secret would leave part of it unrecognised); `measureCheck` masks the whole reading again.
   */
  measure(
    spec: CheckSpec,
    ctx: CheckContext,
    signal: AbortSignal,
    masker: SecretMasker,
  ): Promise<CheckReading>;
}

export const DEFAULT_CHECK_TIMEOUT_SECONDS = 10;

type Env = Record<string, string | undefined>;

/**
 * Runs one measurement, bounded by the check's timeout whatever the provider does. The timeout runs on
 * the injected clock (fake time in unit tests); the provider's own I/O is aborted when it fires. The
 * reading comes back with the check's credentials masked (`secrets.ts`): those of `env` (the environments
 * the check runs with: one, or several whose values all count), of its headers and its URLs. Everything a verdict keeps comes from it.
 */
export async function measureCheck(
  provider: CheckProvider,
  spec: CheckSpec,
  ctx: CheckContext,
  outer?: AbortSignal,
  clock: Clock = systemClock,
  env: Env | readonly Env[] = process.env,
): Promise<CheckReading> {
  const masker = checkMasker(spec, ...(Array.isArray(env) ? (env as readonly Env[]) : [env as Env]));
  const timeoutMs = (spec.timeoutSeconds ?? DEFAULT_CHECK_TIMEOUT_SECONDS) * 1000;
  const ac = new AbortController();
  const done = new AbortController();
  // Stryker disable next-line OptionalChaining: equivalent, only a given outer signal calls it
  const onOuter = () => ac.abort(outer?.reason);
  // Stryker disable next-line ObjectLiteral,BooleanLiteral: equivalent, the listener is removed below when the race ends, and a signal aborts once
  outer?.addEventListener('abort', onOuter, { once: true });
  const timedOut = clock.sleep(timeoutMs, done.signal).then(
    (): CheckReading => {
      ac.abort(new Error('timeout'));
      return { error: `timed out after ${timeoutMs / 1000}s` };
    },
    // Settled first: this branch never wins the race.
    // Stryker disable next-line ArrowFunction: equivalent, `done` aborts only once the race is settled
    () => new Promise<CheckReading>(() => {}),
  );
  try {
    const reading = await Promise.race([
      provider
        .measure(spec, ctx, ac.signal, masker)
        .catch((err: unknown): CheckReading => ({ error: err instanceof Error ? err.message : String(err) })),
      timedOut,
    ]);
    return maskReading(reading, masker);
  } finally {
    done.abort();
    // Stryker disable next-line StringLiteral: equivalent, a later outer abort would abort a measurement that has answered
    outer?.removeEventListener('abort', onOuter);
  }
}

export function renderTemplate(text: string, ctx: CheckContext): string {
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (all, name: string) =>
    TEMPLATE_NAMES.has(name) ? String(ctx[name as keyof CheckContext]) : all,
  );
}

export interface CheckState {
  consecutiveBreaches: number;
  consecutiveErrors: number;
  failed: boolean;
}

export interface CheckVerdict {
  result: 'pass' | 'fail' | 'inconclusive';
  action: 'continue' | 'pause' | 'rollback';
  reasons: string[];
  measured: Record<string, number>;
  thresholds: Record<string, number>;
  output?: string;
}

/** Judges one reading against the check's condition, failure limit and no-data policy. */
export function evaluateCheck(
  previous: CheckState | undefined,
  reading: CheckReading,
  spec: CheckSpec,
): { state: CheckState; verdict: CheckVerdict } {
  const state: CheckState = previous
    ? { ...previous }
    : { consecutiveBreaches: 0, consecutiveErrors: 0, failed: false };
  const failureLimit = spec.failureLimit ?? 1;
  const errorLimit = spec.measurementErrorLimit ?? 3;
  const thresholds = { failureLimit, measurementErrorLimit: errorLimit };
  const verdict = (
    result: CheckVerdict['result'],
    reasons: string[],
    measured: Record<string, number> = {},
    action: CheckVerdict['action'] = result === 'fail'
      ? 'rollback'
      : result === 'inconclusive'
        ? 'pause'
        : 'continue',
  ) => {
    // An absent output is undefined here; written to the ledger as JSON, the key is left out.
    return { state, verdict: { result, action, reasons, measured, thresholds, output: reading.output } };
  };
  if (state.failed) return verdict('fail', [`check ${spec.name} already failed`]);
  if ('vars' in reading) {
    state.consecutiveErrors = 0;
    const parsed = parseCondition(conditionOf(spec));
    if ('error' in parsed) {
      state.failed = true;
      return verdict('fail', [parsed.error], reading.measured);
    }
    if (parsed.test(reading.vars)) {
      state.consecutiveBreaches = 0;
      return verdict(
        'pass',
        [`${spec.name}: ${parsed.source} holds (${describe(reading.measured)})`],
        reading.measured,
      );
    }
    state.consecutiveBreaches++;
    const why = `${spec.name}: ${parsed.source} does not hold (${describe(reading.measured)})`;
    if (state.consecutiveBreaches >= failureLimit) {
      state.failed = true;
      return verdict('fail', [why], reading.measured);
    }
    // A breach under the limit keeps baking: the next measurement decides.
    return verdict(
      'inconclusive',
      [`${why}; breach ${state.consecutiveBreaches} of ${failureLimit}`],
      reading.measured,
      'continue',
    );
  }
  const isError = 'error' in reading;
  const why = `${spec.name}: ${isError ? `measurement failed: ${reading.error}` : `no data: ${reading.noData}`}`;
  if (isError) {
    state.consecutiveErrors++;
    if (state.consecutiveErrors >= errorLimit) {
      state.failed = true;
      return verdict('fail', [`${why} (${state.consecutiveErrors} in a row)`]);
    }
  }
  // The no-data policy's default is `pause`: inconclusive.
  const policy = spec.noDataPolicy;
  if (policy === 'fail') {
    state.failed = true;
    return verdict('fail', [why]);
  }
  if (policy === 'pass') return verdict('pass', [`${why}; the no-data policy passes it`]);
  return verdict('inconclusive', [why]);
}

/** The condition a check is judged on: as written, or its provider's default. */
export function conditionOf(spec: CheckSpec): string {
  if (spec.condition !== undefined) return spec.condition;
  switch (spec.provider) {
    case 'command':
      return 'exitCode == 0';
    case 'http':
      return 'status >= 200 && status < 300';
    case 'cloudwatch':
      return spec.alarmName !== undefined ? "state != 'ALARM'" : 'result == result';
    default:
      return 'result == result';
  }
}

function describe(measured: Record<string, number>): string {
  const parts = Object.entries(measured).map(([k, v]) => `${k}=${v}`);
  return parts.length > 0 ? parts.join(', ') : 'nothing measured';
}
