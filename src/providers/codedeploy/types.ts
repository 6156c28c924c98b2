/**
 * Types of the CodeDeploy provider. Strategies, statuses and events are the deploy engine's own
 * (src/deploy), so the runner and the CLI hand their values over unchanged.
 */
import type { DeploymentStatus, LedgerEventBody } from '../../deploy/events.js';
import type { MinimumHealthyHosts, Strategy, TrafficStep } from '../../deploy/strategies/strategy.js';

export type { DeploymentStatus, MinimumHealthyHosts, Strategy, TrafficStep };

export type ComputePlatform = 'Server' | 'ECS' | 'Lambda';

/** Rollback settings of the deployment group file (`rollback:`). */
export interface RollbackSettings {
  onFailure?: boolean;
  onGateBreach?: boolean;
  onHealthFailure?: boolean;
}

/** The group file's `codedeploy:` section and its revision: one TypeBox source (documents/deployment-group/codedeploy-schema.ts) for schema and type. */
import type {
  CodeDeployRevision,
  CodeDeploySettingsSpec,
} from '../../documents/deployment-group/codedeploy-schema.js';

export type { CodeDeployRevision as RevisionSource, CodeDeploySettingsSpec as CodeDeploySettings };

/** The ledger events the CodeDeploy provider reports (a subset of the engine's LedgerEventBody). */
export type CodeDeployEvent = Extract<
  LedgerEventBody,
  {
    type:
      | 'step'
      | 'hook'
      | 'traffic'
      | 'paused'
      | 'resumed'
      | 'rollback-started'
      | 'rollback-finished'
      | 'finished';
  }
>;

/**
 * A provider that runs a whole deployment itself (CodeDeploy does: it batches hosts, runs the lifecycle,
 * shifts traffic and rolls back on its own), as opposed to the engine's step-by-step DeployProvider, whose
 * runner executes each planned step. The runner delegates to it and records the events it reports.
 */
export interface WholeDeploymentProvider<Request, Prepared, Result> {
  readonly name: string;
  readonly mode: 'whole-deployment';
  /** Every check that can fail before anything starts; reads only. */
  prepare(request: Request): Promise<Prepared>;
  /** Starts the deployment; returns the provider's deployment id. */
  start(prepared: Prepared): Promise<string>;
  /** Follows to the end (rollback included), reporting engine events. */
  follow(
    deploymentId: string,
    onEvent: (event: CodeDeployEvent) => void,
    signal?: AbortSignal,
  ): Promise<Result>;
  promote(deploymentId: string, full?: boolean): Promise<unknown>;
  abort(deploymentId: string): Promise<unknown>;
}

/** What the engine asks CodeDeploy to deploy: the group file's settings with the resolved strategy. */
export interface CodeDeployDeploymentRequest {
  /** The group file's application / deploymentGroup (overridable in `codedeploy:`). */
  application: string;
  deploymentGroup: string;
  strategy: Strategy;
  rollback?: RollbackSettings;
  /** The group's `analysis:` section: router-based gates CodeDeploy cannot evaluate. */
  analysis?: unknown;
  /**
   * Emergency override (`deploy --skip-analysis`): no gates for this deployment. On CodeDeploy that is
   * `overrideAlarmConfiguration: {enabled: false}` (the group's alarms are not watched), and the
   * `analysis:` section is then not in the way.
   */
  skipAnalysis?: boolean;
  fileExistsBehavior?: 'DISALLOW' | 'OVERWRITE' | 'RETAIN';
  ignoreApplicationStopFailures?: boolean;
  codedeploy?: CodeDeploySettingsSpec;
  /** Local revision folder: its appspec is sent inline for ECS and Lambda. */
  revisionDir?: string;
  revisionLabel?: string;
}
