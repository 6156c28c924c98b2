/**
 * The one place that decides whether a set of findings passes: errors always fail; warnings fail under
 * `--strict`, or when there are more than `--max-warnings N`. Every command and output format that
 * reports diagnostics (validate, synth --check; text, --json, and formats added later) asks `judge`.
 */
import { UsageError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';

/** The parseArgs options shared by commands that take a warning policy. */
export const WARNING_POLICY_OPTIONS = {
  strict: { type: 'boolean', default: false },
  'max-warnings': { type: 'string' },
} as const;

export const WARNING_POLICY_USAGE = `  --strict          warnings fail too (exit 1), as in CI
  --max-warnings N  fail (exit 1) when there are more than N warnings`;

export interface WarningPolicy {
  strict: boolean;
  /** Fail when warnings exceed this many; undefined: no limit. */
  maxWarnings?: number;
}

/** Reads `--strict` and `--max-warnings N` from parsed args; a bad N is a usage error. */
export function parseWarningPolicy(values: { strict?: boolean; 'max-warnings'?: string }): WarningPolicy {
  const raw = values['max-warnings'];
  if (raw === undefined) return { strict: values.strict === true };
  if (!/^[0-9]+$/.test(raw.trim()))
    throw new UsageError(
      `--max-warnings takes a whole number of warnings (0 or more), not '${raw}'`,
      'for example --max-warnings 10',
    );
  return { strict: values.strict === true, maxWarnings: Number(raw) };
}

/** Why a check failed: its errors, or its warnings under the policy. */
export type FailedBy = 'errors' | 'strict' | 'max-warnings';

export interface Verdict {
  exitCode: ExitCode;
  /** undefined when the check passes. */
  failedBy?: FailedBy;
  /** One sentence for stderr when the warnings decided the failure. */
  reason?: string;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function judge(counts: { errors: number; warnings: number }, policy: WarningPolicy): Verdict {
  if (counts.errors > 0) return { exitCode: ExitCode.Failed, failedBy: 'errors' };
  if (policy.strict && counts.warnings > 0)
    return {
      exitCode: ExitCode.Failed,
      failedBy: 'strict',
      reason: `--strict: ${plural(counts.warnings, 'warning')} fail the check`,
    };
  if (policy.maxWarnings !== undefined && counts.warnings > policy.maxWarnings)
    return {
      exitCode: ExitCode.Failed,
      failedBy: 'max-warnings',
      reason: `--max-warnings ${policy.maxWarnings}: ${plural(counts.warnings, 'warning')} exceed the limit`,
    };
  return { exitCode: ExitCode.Ok };
}
