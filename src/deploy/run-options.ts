/** Options of a held deployment run, shared by the step-by-step runner and the CodeDeploy run (codedeploy-run.ts). */
import type { Clock } from '../core/clock.js';
import type { DeployProvider } from '../providers/provider.js';
import type { LedgerEvent } from './events.js';
import type { GateEvaluator } from './gates.js';
import type { DeploymentState } from './state.js';
import type { Strategy } from './strategies/strategy.js';

export interface AwsOverrides {
  region?: string;
  profile?: string;
}

export interface RunOptions {
  clock: Clock;
  /** Environment for providers that read settings from it (AWS region, credentials). */
  env?: Record<string, string | undefined>;
  /** `--region` / `--profile` of the command: they win over the group file and the environment. */
  aws?: AwsOverrides;
  signal: AbortSignal;
  /**
   * The strategy the deployment was planned with (`deploy --strategy`). Whole-deployment providers
   * (CodeDeploy) need it: without it they can only use the group file's, and refuse when that differs.
   */
  strategy?: Strategy;
  onEvent?: (event: LedgerEvent, deployment: DeploymentState) => void;
  provider?: DeployProvider;
  evaluateGate?: GateEvaluator;
  pollMs?: number;
}
