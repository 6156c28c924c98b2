/**
 * Types the local pipeline runner's modules share: what a run is given (`PipelineRunOptions`), what it reports while
 * running (`PipelineEvent`) and what one action returns (`ActionOutcome`). No behaviour lives here.
 */
import type { Clock } from '../../core/clock.js';
import type { SecretMasker } from '../../core/secret-mask.js';
import type { ActionRecord, RunRecord, RunTrigger, StageRecord } from '../run-store.js';
import type { SecretsSource } from '../secrets.js';
import type { LocalDeployer } from './deployer.js';
import type { ExecutionMode } from './execution-mode.js';
import type { LocalActionsConfig } from './local-config.js';
import type { PipelineDeclaration } from './model.js';
import type { Executor } from './plan.js';

export type PipelineEvent =
  | {
      type: 'run-start';
      runId: string;
      pipeline: string;
      executionId: string;
      executionMode: ExecutionMode;
      commit?: string;
    }
  | { type: 'waiting'; runId: string; what: string; holder?: string }
  | { type: 'stage-start'; stage: string }
  | { type: 'action-start'; stage: string; action: string; provider: string }
  | { type: 'approval-waiting'; stage: string; action: string; hint: string }
  | {
      type: 'action-end';
      stage: string;
      action: string;
      status: ActionRecord['status'];
      durationMs: number;
      message?: string;
    }
  | { type: 'stage-end'; stage: string; status: StageRecord['status']; durationMs: number; message?: string }
  | { type: 'run-end'; record: RunRecord };

export interface PipelineRunOptions {
  pipeline: PipelineDeclaration;
  /** Project root holding `.conveyor/`. */
  root: string;
  /** Git repository (work tree or bare) source actions read from. */
  repoDir: string;
  /** The pushed commit; default: the source action's BranchName tip, else HEAD. */
  commit?: string;
  /** The pushed ref (refs/heads/x), for BranchName output variables. */
  ref?: string;
  variables?: Record<string, string>;
  trigger?: RunTrigger;
  config: LocalActionsConfig;
  executors: Map<string, Executor>;
  baseEnv: Record<string, string | undefined>;
  /** Build actions pass on only a minimum of `baseEnv` (`--clean-env`). */
  cleanEnv?: boolean;
  secrets: SecretsSource;
  clock: Clock;
  signal?: AbortSignal;
  onEvent?: (e: PipelineEvent) => void;
  deployer?: LocalDeployer;
  autoApprove?: boolean;
  approvalTimeoutMs?: number;
  deployLockTimeoutMs?: number;
  buildTimeoutMs?: number;
  runId?: string;
}

export interface ActionOutcome {
  status: 'Succeeded' | 'Failed';
  message?: string;
  variables?: Record<string, string>;
  outputArtifacts?: string[];
  buildRunId?: string;
  logPath?: string;
}

/** How the runner's modules report on a run in progress. */
export interface RunReporting {
  emit: (e: PipelineEvent) => void;
  /** Adds a timestamped line to `pipeline.log` (written when the run ends). */
  log: (line: string) => void;
  /** Saves the record; saves are chained so a later one never lands before an earlier one. */
  save: () => Promise<void>;
}

/** What every stage and action of one run shares: the run's record (as the action sees it), its options, reporting. */
export interface RunContext extends RunReporting {
  record: RunRecord;
  options: PipelineRunOptions;
  /** Secret values seen so far in the run (its builds' secrets): masked in its record, log and events. */
  masker: SecretMasker;
}
