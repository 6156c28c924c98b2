/**
 * The shapes a local build is described by: what `runBuild` takes (options), what it reports while it
 * runs (events), what it returns, and what one attempt of it yields. Types only, so every build module
 * can share them without importing the runner.
 */
import type { Clock } from '../core/clock.js';
import type { CollectedArtifact } from './artifacts.js';
import type { BuildPlan, OnFailure } from './buildspec.js';
import type { PhaseRecord, RunRecord, RunTrigger } from './run-store.js';
import type { SecretsSource } from './secrets.js';

export type BuildEvent =
  | { type: 'build-start'; runId: string; buildId: string; project: string; logPath: string; attempt: number }
  | { type: 'phase-start'; phase: string }
  | { type: 'command-start'; phase: string; command: string }
  | { type: 'output'; phase: string; text: string }
  | { type: 'command-end'; phase: string; command: string; exitCode: number; durationMs: number }
  | { type: 'phase-end'; phase: string; status: PhaseRecord['status']; durationMs: number; message?: string }
  | { type: 'retry'; attempt: number; reason: string }
  | { type: 'build-end'; record: RunRecord };

export interface BuildOptions {
  plan: BuildPlan;
  /** Folder the commands run in (CODEBUILD_SRC_DIR). */
  srcDir: string;
  /** Project root holding `.conveyor/` (runs, cache, build numbers). */
  root: string;
  /** Where artifacts go; default `.conveyor/runs/<id>/artifacts`. */
  outDir?: string;
  project?: string;
  /** Highest precedence, like a start-build override. */
  envOverrides?: Record<string, string>;
  /**
   * The invoking environment: the commands inherit all of it (unlike CodeBuild's fresh container), or with
   * `cleanEnv` only CLEAN_ENV_KEEPS of it. Secrets missing from the secrets file are looked up here either way.
   */
  baseEnv: Record<string, string | undefined>;
  /** `--clean-env`: pass on only a documented minimum of `baseEnv` (build-environment.ts, CLEAN_ENV_KEEPS). */
  cleanEnv?: boolean;
  secrets: SecretsSource;
  /**
   * Values to mask besides the build's own secrets (a pipeline's secrets from earlier actions, which can reach
   * this build through variables).
   */
  maskValues?: readonly string[];
  /** Whole-build timeout; CodeBuild's default is 60 minutes. */
  timeoutMs?: number;
  trigger?: RunTrigger;
  initiator?: string;
  /** Extra primary sources by artifact name: exported as CODEBUILD_SRC_DIR_<name>. */
  secondarySources?: Record<string, string>;
  /** Commit of the source when it is not a git work tree (pipeline artifacts). */
  sourceVersion?: string;
  runId?: string;
  signal?: AbortSignal;
  clock: Clock;
  onEvent?: (event: BuildEvent) => void;
}

export interface BuildResult {
  /** The record as written to run.json: secret values masked. */
  record: RunRecord;
  artifacts: CollectedArtifact[];
  runDir: string;
  /** Exported variables as the shell held them, unmasked: a pipeline passes them on to later actions. */
  exportedVariables: Record<string, string>;
  /** Every value masked in this build's output and record (for a pipeline to mask in its own). */
  secrets: readonly string[];
}

/** What one attempt of a build ended with (a RETRY on-failure may start another). */
export interface AttemptOutcome {
  phases: PhaseRecord[];
  status: 'Succeeded' | 'Failed' | 'TimedOut' | 'Stopped';
  message?: string;
  artifacts: CollectedArtifact[];
  exported: Record<string, string>;
  reports: RunRecord['reports'];
  /** The failing phase's on-failure and message, for RETRY. */
  retry?: { onFailure: Extract<OnFailure, { kind: 'RETRY' }>; text: string };
}
