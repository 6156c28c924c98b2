/**
 * Types the CodeDeploy provider shares with the deploy engine. `Strategy`, `TrafficStep`, the statuses and
 * the event bodies mirror src/deploy (deploy helper's branch) structurally, so its runner and CLI can hand
 * their values over unchanged; once that branch is on main these become `import type` re-exports.
 */

export type MinimumHealthyHosts = { count: number } | { percent: number };

export type TrafficStep =
  | { kind: 'setWeight'; percent: number }
  | { kind: 'pause'; seconds?: number }
  | { kind: 'analysis'; seconds?: number };

export type Strategy =
  | { kind: 'in-place'; name: string; minimumHealthyHosts: MinimumHealthyHosts; preset?: 'one' | 'half' }
  | { kind: 'rolling-with-additional-batch'; batchSize: number }
  | { kind: 'immutable' }
  | {
      kind: 'blue-green';
      readyWait?: { seconds?: number; actionOnTimeout: 'continue' | 'stop' };
      terminateBlueAfterSeconds: number;
    }
  | { kind: 'traffic'; name: 'canary' | 'linear' | 'steps'; steps: TrafficStep[] };

export type DeploymentStatus =
  | 'Created'
  | 'InProgress'
  | 'Paused'
  | 'Succeeded'
  | 'Failed'
  | 'RolledBack'
  | 'Stopped';

export type ComputePlatform = 'Server' | 'ECS' | 'Lambda';

/** Rollback settings of the deployment group file (`rollback:`). */
export interface RollbackSettings {
  onFailure?: boolean;
  onGateBreach?: boolean;
  onHealthFailure?: boolean;
}

/** Where CodeDeploy gets the revision. */
export type RevisionSource =
  | {
      s3: {
        bucket: string;
        key: string;
        bundleType: 'zip' | 'tar' | 'tgz' | 'YAML' | 'JSON';
        version?: string;
        eTag?: string;
      };
    }
  | { github: { repository: string; commitId: string } }
  /** ECS and Lambda: the appspec itself, sent inline (read from the revision folder's appspec.yml). */
  | { appSpecContent: string };

/** The group file's `codedeploy:` section. */
export interface CodeDeploySettings {
  /** Default: the group's `application`. */
  applicationName?: string;
  /** Default: the group's `deploymentGroup`. */
  deploymentGroupName?: string;
  region?: string;
  /** Expected compute platform; checked against the live deployment group. */
  computePlatform?: ComputePlatform;
  revision?: RevisionSource;
  description?: string;
  /** Poll interval while following (default 15 s, the SDK waiter's). */
  pollSeconds?: number;
}

/** Events in the deploy engine's ledger vocabulary (a subset of its LedgerEventBody). */
export type CodeDeployEvent =
  | { type: 'step'; index: number; phase: 'started' | 'completed'; description: string }
  | {
      type: 'hook';
      instance: string;
      event: string;
      status: 'started' | 'succeeded' | 'failed' | 'skipped';
      script?: string;
      durationMs?: number;
      message?: string;
      output?: string;
    }
  | {
      type: 'traffic';
      table: { stable: string[]; canary: string[]; canaryWeight: number };
      revisions: { stable?: string; canary?: string };
    }
  | { type: 'paused'; index: number; reason: string }
  | { type: 'resumed'; index: number; by: 'promote' | 'timeout' | 'gate' }
  | { type: 'rollback-started'; reason: string; trigger: 'failure' | 'gate' | 'health' | 'abort' | 'manual' }
  | { type: 'rollback-finished'; ok: boolean; message?: string }
  | { type: 'finished'; status: DeploymentStatus; reason?: string };

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
