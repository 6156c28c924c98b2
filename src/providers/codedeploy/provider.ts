/**
 * The CodeDeploy provider: the same strategies and the same statuses/events as the local provider, run by
 * AWS CodeDeploy. CodeDeploy executes a whole deployment itself, so this provider works at deployment level:
 * prepare (check everything, no writes) → start → follow (own polling loop on the injected Clock, so no
 * 30-minute waiter cap; a rollback deployment CodeDeploy starts under a new id is followed too) →
 * promote (ContinueDeployment) / abort (StopDeployment with rollback).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type {
  CreateDeploymentInput,
  DeploymentGroupInfo,
  DeploymentInfo,
  DeploymentTarget,
  LifecycleEvent,
  StopDeploymentOutput,
} from '@aws-sdk/client-codedeploy';
import { isThrottling } from '../../aws/errors.js';
import type { Clock } from '../../core/clock.js';
import { UsageError } from '../../core/errors.js';
import { readTextFile } from '../../core/files.js';
import {
  autoRollbackFor,
  type DeploymentConfigChoice,
  deploymentConfigFor,
  revisionLocationFor,
} from './config.js';
import type { CodeDeployPort } from './port.js';
import type {
  CodeDeployDeploymentRequest,
  CodeDeployEvent,
  ComputePlatform,
  DeploymentStatus,
  RevisionSource,
  Strategy,
  WholeDeploymentProvider,
} from './types.js';

export type { CodeDeployDeploymentRequest };

export interface PreparedDeployment {
  platform: ComputePlatform;
  config: DeploymentConfigChoice;
  input: CreateDeploymentInput;
  group: DeploymentGroupInfo;
}

export interface FollowResult {
  status: DeploymentStatus;
  deploymentId: string;
  rollbackDeploymentId?: string;
  reason?: string;
}

/** A deployment as `conveyor status` shows it, in the engine's status vocabulary. */
export interface CodeDeploySnapshot {
  deploymentId: string;
  status: DeploymentStatus;
  /** CodeDeploy's own status (Created, Queued, InProgress, Baking, Ready, Succeeded, Failed, Stopped). */
  codedeployStatus: string;
  config?: string;
  /** Targets per state: Pending, InProgress, Succeeded, Failed, Skipped, Ready. */
  overview: Record<string, number>;
  error?: string;
  rollbackDeploymentId?: string;
  /** Set on a rollback deployment: the deployment it undoes. */
  rollbackOf?: string;
  creator?: string;
}

export interface CodeDeployProviderOptions {
  clock: Clock;
  /** Poll interval (default 15 s, as the SDK waiter). Doubled up to 2 min while AWS throttles. */
  pollMs?: number;
  /** How long to wait for CodeDeploy to name the rollback deployment after a failure (default 2 min). */
  rollbackGraceMs?: number;
}

const TERMINAL = new Set(['Succeeded', 'Failed', 'Stopped']);

function readAppspec(dir: string): string | undefined {
  for (const name of ['appspec.yaml', 'appspec.yml', 'appspec.json']) {
    const file = join(dir, name);
    if (existsSync(file)) return readTextFile(file);
  }
  return undefined;
}

function readyWaitOf(group: DeploymentGroupInfo) {
  return group.blueGreenDeploymentConfiguration?.deploymentReadyOption;
}

/** Maps a CodeDeploy deployment status to the engine's status vocabulary. */
export function conveyorStatus(status: string | undefined): DeploymentStatus {
  switch (status) {
    case 'Created':
    case 'Queued':
      return 'Created';
    case 'Ready':
      return 'Paused';
    case 'Succeeded':
      return 'Succeeded';
    case 'Failed':
      return 'Failed';
    case 'Stopped':
      return 'Stopped';
    default:
      return 'InProgress'; // InProgress, Baking
  }
}

export class CodeDeployProvider
  implements WholeDeploymentProvider<CodeDeployDeploymentRequest, PreparedDeployment, FollowResult>
{
  readonly name = 'codedeploy';
  readonly mode = 'whole-deployment' as const;
  private readonly pollMs: number;
  private readonly rollbackGraceMs: number;

  constructor(
    private readonly port: CodeDeployPort,
    private readonly options: CodeDeployProviderOptions,
  ) {
    this.pollMs = options.pollMs ?? 15_000;
    this.rollbackGraceMs = options.rollbackGraceMs ?? 120_000;
  }

  /** Checks the strategy against CodeDeploy and the live deployment group. Reads only; throws UsageError. */
  async prepare(request: CodeDeployDeploymentRequest): Promise<PreparedDeployment> {
    const settings = request.codedeploy ?? {};
    const applicationName = settings.applicationName ?? request.application;
    const deploymentGroupName = settings.deploymentGroupName ?? request.deploymentGroup;
    if (request.analysis !== undefined && !request.skipAnalysis) {
      throw new UsageError(
        "CodeDeploy cannot evaluate the group's analysis gates: they read the local router's metrics",
        'remove `analysis` for provider codedeploy; put CloudWatch alarms on the deployment group (rollback.onGateBreach rolls back on them)',
      );
    }
    // A declared platform lets the strategy be checked before any AWS call.
    if (settings.computePlatform) deploymentConfigFor(request.strategy, settings.computePlatform);
    const group = await this.port.getDeploymentGroup(applicationName, deploymentGroupName);
    const platform = (group.computePlatform ?? 'Server') as ComputePlatform;
    if (settings.computePlatform && settings.computePlatform !== platform) {
      throw new UsageError(
        `deployment group ${applicationName}/${deploymentGroupName} is on the ${platform} compute platform, but the group file says ${settings.computePlatform}`,
      );
    }
    const config = deploymentConfigFor(request.strategy, platform);
    this.checkGroupStyle(request.strategy, group, platform, `${applicationName}/${deploymentGroupName}`);

    if (platform !== 'Server' && request.fileExistsBehavior) {
      throw new UsageError(`fileExistsBehavior applies to EC2/on-premises deployments only, not ${platform}`);
    }
    if (platform !== 'Server' && request.ignoreApplicationStopFailures) {
      throw new UsageError(
        `ignoreApplicationStopFailures applies to EC2/on-premises deployments only, not ${platform}`,
      );
    }
    let source: RevisionSource | undefined = settings.revision;
    if (!source && platform !== 'Server' && request.revisionDir) {
      const content = readAppspec(request.revisionDir);
      if (!content)
        throw new UsageError(`no appspec.yaml, appspec.yml or appspec.json in ${request.revisionDir}`);
      source = { appSpecContent: content };
    }
    if (!source) {
      throw new UsageError(
        platform === 'Server'
          ? 'CodeDeploy on EC2/on-premises needs an uploaded bundle: set codedeploy.revision.s3 or codedeploy.revision.github'
          : 'no revision: pass --revision DIR (its appspec is sent inline) or set codedeploy.revision',
      );
    }
    const input: CreateDeploymentInput = {
      applicationName,
      deploymentGroupName,
      revision: revisionLocationFor(source, platform),
      deploymentConfigName: config.name,
      description:
        settings.description ??
        `Conveyor${request.revisionLabel ? ` ${request.revisionLabel}` : ''}: ${config.description}`,
      autoRollbackConfiguration: autoRollbackFor(request.rollback),
      ...(request.skipAnalysis ? { overrideAlarmConfiguration: { enabled: false } } : {}),
      ...(platform === 'Server' && request.fileExistsBehavior
        ? { fileExistsBehavior: request.fileExistsBehavior }
        : {}),
      ...(platform === 'Server' && request.ignoreApplicationStopFailures !== undefined
        ? { ignoreApplicationStopFailures: request.ignoreApplicationStopFailures }
        : {}),
    };
    return { platform, config, input, group };
  }

  private checkGroupStyle(
    strategy: Strategy,
    group: DeploymentGroupInfo,
    platform: ComputePlatform,
    where: string,
  ) {
    const style = group.deploymentStyle?.deploymentType ?? 'IN_PLACE';
    if (platform === 'Server') {
      if (strategy.kind === 'blue-green' && style !== 'BLUE_GREEN') {
        throw new UsageError(
          `strategy blue-green needs a blue/green deployment group, but ${where} deploys in place`,
          'change the deployment style of the group, or choose an in-place strategy',
        );
      }
      if (strategy.kind !== 'blue-green' && style === 'BLUE_GREEN') {
        throw new UsageError(
          `deployment group ${where} is blue/green, but the strategy deploys in place`,
          'use strategy blue-green',
        );
      }
    }
    const ready = readyWaitOf(group);
    const groupWaits = ready?.actionOnTimeout === 'STOP_DEPLOYMENT';
    const wantsWait = strategy.kind === 'blue-green' && strategy.readyWait !== undefined;
    if (wantsWait && platform === 'Lambda') {
      throw new UsageError(
        'CodeDeploy has no ready wait for Lambda deployments; remove readyWait from the strategy',
      );
    }
    if (wantsWait && !groupWaits) {
      throw new UsageError(
        `the strategy waits for \`conveyor promote\` before switching traffic, but ${where} reroutes traffic without waiting`,
        "set the group's deploymentReadyOption to STOP_DEPLOYMENT with a wait time (CodeDeploy cannot change it per deployment)",
      );
    }
    if (!wantsWait && groupWaits && (strategy.kind === 'blue-green' || platform === 'ECS')) {
      throw new UsageError(
        `${where} waits for a manual reroute (deploymentReadyOption STOP_DEPLOYMENT) but the strategy does not`,
        'add readyWait to the blue-green strategy so the deployment pauses as CodeDeploy will',
      );
    }
  }

  /** Creates the custom config when needed, then the deployment. Returns CodeDeploy's deployment id. */
  async start(prepared: PreparedDeployment): Promise<string> {
    if (prepared.config.create) await this.port.createDeploymentConfig(prepared.config.create);
    return this.port.createDeployment(prepared.input);
  }

  /** Promote: ContinueDeployment where CodeDeploy waits (blue/green ready wait; with `full`, the blue termination wait too). */
  async promote(deploymentId: string, full = false): Promise<'READY_WAIT' | 'TERMINATION_WAIT'> {
    const info = await this.port.getDeployment(deploymentId);
    if (info.status === 'Ready') {
      await this.port.continueDeployment({ deploymentId, deploymentWaitType: 'READY_WAIT' });
      return 'READY_WAIT';
    }
    if (full && info.instanceTerminationWaitTimeStarted && info.status === 'InProgress') {
      await this.port.continueDeployment({ deploymentId, deploymentWaitType: 'TERMINATION_WAIT' });
      return 'TERMINATION_WAIT';
    }
    throw new UsageError(
      `deployment ${deploymentId} is ${info.status ?? 'unknown'}: CodeDeploy waits for promotion only in a blue/green ready wait`,
      full ? undefined : 'use --full to skip the wait before the original fleet is terminated',
    );
  }

  /** One GetDeployment, mapped for `conveyor status`. */
  async describe(deploymentId: string): Promise<CodeDeploySnapshot> {
    const info = await this.port.getDeployment(deploymentId);
    const overview: Record<string, number> = {};
    for (const [k, v] of Object.entries(info.deploymentOverview ?? {}))
      if (typeof v === 'number') overview[k] = v;
    const error = info.errorInformation?.message;
    return {
      deploymentId,
      status: conveyorStatus(info.status),
      codedeployStatus: info.status ?? 'Unknown',
      ...(info.deploymentConfigName ? { config: info.deploymentConfigName } : {}),
      overview,
      ...(error ? { error } : {}),
      ...(info.rollbackInfo?.rollbackDeploymentId
        ? { rollbackDeploymentId: info.rollbackInfo.rollbackDeploymentId }
        : {}),
      ...(info.rollbackInfo?.rollbackTriggeringDeploymentId
        ? { rollbackOf: info.rollbackInfo.rollbackTriggeringDeploymentId }
        : {}),
      ...(info.creator ? { creator: info.creator } : {}),
    };
  }

  /** Abort: StopDeployment with rollback, so CodeDeploy redeploys the last good revision. */
  async abort(deploymentId: string): Promise<StopDeploymentOutput> {
    return this.port.stopDeployment(deploymentId, true);
  }

  private async poll<T>(read: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    let delay = this.pollMs;
    for (;;) {
      try {
        return await read();
      } catch (err) {
        if (!isThrottling(err)) throw err;
        delay = Math.min(delay * 2, 120_000);
        await this.options.clock.sleep(delay, signal);
      }
    }
  }

  /**
   * Follows a deployment until it ends — and, when CodeDeploy rolls it back, the rollback deployment too —
   * reporting lifecycle events, traffic weights, the ready wait and the outcome as engine events.
   */
  async follow(
    deploymentId: string,
    onEvent: (e: CodeDeployEvent) => void,
    signal?: AbortSignal,
  ): Promise<FollowResult> {
    const seen = new Map<string, string>();
    const first = await this.followOne(deploymentId, onEvent, seen, signal, 'main');
    if (first.status === 'Succeeded') {
      onEvent({
        type: 'step',
        index: 0,
        phase: 'completed',
        description: `CodeDeploy deployment ${deploymentId}`,
      });
      onEvent({ type: 'finished', status: 'Succeeded' });
      return { status: 'Succeeded', deploymentId };
    }
    const reason = first.info.errorInformation?.message ?? first.info.rollbackInfo?.rollbackMessage;
    let info = first.info;
    let rollbackId = info.rollbackInfo?.rollbackDeploymentId;
    const events = info.autoRollbackConfiguration?.enabled
      ? (info.autoRollbackConfiguration.events ?? [])
      : [];
    const expectsRollback =
      events.length > 0 &&
      (first.status === 'Stopped'
        ? events.includes('DEPLOYMENT_STOP_ON_REQUEST') || events.includes('DEPLOYMENT_STOP_ON_ALARM')
        : events.includes('DEPLOYMENT_FAILURE'));
    // CodeDeploy names the rollback deployment shortly after the failure; give it a grace period.
    const graceEnd = this.options.clock.now() + this.rollbackGraceMs;
    while (!rollbackId && expectsRollback && this.options.clock.now() < graceEnd) {
      await this.options.clock.sleep(this.pollMs, signal);
      info = await this.poll(() => this.port.getDeployment(deploymentId), signal);
      rollbackId = info.rollbackInfo?.rollbackDeploymentId;
    }
    if (!rollbackId) {
      const status: DeploymentStatus = first.status === 'Stopped' ? 'Stopped' : 'Failed';
      onEvent({ type: 'finished', status, ...(reason ? { reason } : {}) });
      return { status, deploymentId, ...(reason ? { reason } : {}) };
    }
    const code = info.errorInformation?.code;
    const trigger = code === 'ALARM_ACTIVE' ? 'gate' : first.status === 'Stopped' ? 'abort' : 'failure';
    onEvent({
      type: 'rollback-started',
      reason: `${reason ?? `deployment ${first.status.toLowerCase()}`} (CodeDeploy rollback deployment ${rollbackId})`,
      trigger,
    });
    const rollback = await this.followOne(rollbackId, onEvent, seen, signal, 'rollback');
    const ok = rollback.status === 'Succeeded';
    const message = ok
      ? undefined
      : (rollback.info.errorInformation?.message ?? `rollback ${rollback.status.toLowerCase()}`);
    onEvent({ type: 'rollback-finished', ok, ...(message ? { message } : {}) });
    const status: DeploymentStatus = ok ? 'RolledBack' : 'Failed';
    onEvent({ type: 'finished', status, ...(reason ? { reason } : {}) });
    return { status, deploymentId, rollbackDeploymentId: rollbackId, ...(reason ? { reason } : {}) };
  }

  private async followOne(
    deploymentId: string,
    onEvent: (e: CodeDeployEvent) => void,
    seen: Map<string, string>,
    signal: AbortSignal | undefined,
    role: 'main' | 'rollback',
  ): Promise<{ status: 'Succeeded' | 'Failed' | 'Stopped'; info: DeploymentInfo }> {
    let lastStatus: string | undefined;
    let lastTraffic = '';
    for (;;) {
      const info = await this.poll(() => this.port.getDeployment(deploymentId), signal);
      const targets = await this.poll(() => this.port.deploymentTargets(deploymentId), signal);
      const status = info.status ?? 'Created';
      if (status !== lastStatus) {
        if (role === 'main' && lastStatus === undefined) {
          onEvent({
            type: 'step',
            index: 0,
            phase: 'started',
            description: `CodeDeploy deployment ${deploymentId} (${info.deploymentConfigName ?? 'default config'})`,
          });
        }
        if (status === 'Ready') {
          onEvent({
            type: 'paused',
            index: 0,
            reason:
              'CodeDeploy waits before rerouting traffic to the replacement: run `conveyor promote` (ContinueDeployment READY_WAIT)',
          });
        } else if (lastStatus === 'Ready') {
          onEvent({ type: 'resumed', index: 0, by: 'promote' });
        }
        lastStatus = status;
      }
      for (const target of targets) this.reportTarget(deploymentId, target, seen, onEvent);
      const traffic = trafficOf(targets);
      if (traffic && JSON.stringify(traffic) !== lastTraffic) {
        lastTraffic = JSON.stringify(traffic);
        onEvent({ type: 'traffic', table: traffic, revisions: {} });
      }
      if (TERMINAL.has(status)) return { status: status as 'Succeeded' | 'Failed' | 'Stopped', info };
      await this.options.clock.sleep(this.pollMs, signal);
    }
  }

  private reportTarget(
    deploymentId: string,
    target: DeploymentTarget,
    seen: Map<string, string>,
    onEvent: (e: CodeDeployEvent) => void,
  ) {
    const t = target.instanceTarget ?? target.ecsTarget ?? target.lambdaTarget ?? target.cloudFormationTarget;
    if (!t?.targetId) return;
    const label = target.instanceTarget?.instanceLabel;
    const instance = label ? `${t.targetId} (${label.toLowerCase()})` : t.targetId;
    for (const event of t.lifecycleEvents ?? []) {
      const name = event.lifecycleEventName ?? '?';
      const key = `${deploymentId}/${t.targetId}/${name}`;
      const status = hookStatus(event);
      if (!status || seen.get(key) === status) continue;
      seen.set(key, status);
      const d = event.diagnostics;
      const message = status === 'failed' ? [d?.errorCode, d?.message].filter(Boolean).join(': ') : undefined;
      onEvent({
        type: 'hook',
        instance,
        event: name,
        status,
        ...(d?.scriptName ? { script: d.scriptName } : {}),
        ...(event.startTime && event.endTime
          ? { durationMs: event.endTime.getTime() - event.startTime.getTime() }
          : {}),
        ...(message ? { message } : {}),
        ...(status === 'failed' && d?.logTail ? { output: d.logTail } : {}),
      });
    }
  }
}

function hookStatus(event: LifecycleEvent): 'started' | 'succeeded' | 'failed' | 'skipped' | undefined {
  switch (event.status) {
    case 'InProgress':
      return 'started';
    case 'Succeeded':
      return 'succeeded';
    case 'Failed':
      return 'failed';
    case 'Skipped':
      return 'skipped';
    default:
      return undefined; // Pending, Unknown
  }
}

/** Traffic split of an ECS (task sets) or Lambda (alias weights) deployment; undefined for EC2. */
function trafficOf(
  targets: DeploymentTarget[],
): { stable: string[]; canary: string[]; canaryWeight: number } | undefined {
  for (const target of targets) {
    const sets = target.ecsTarget?.taskSetsInfo;
    if (sets?.length) {
      const blue = sets.find((s) => s.taskSetLabel === 'Blue');
      const green = sets.find((s) => s.taskSetLabel === 'Green');
      if (!green) continue;
      return {
        stable: blue?.identifer ? [blue.identifer] : [],
        canary: green.identifer ? [green.identifer] : [],
        canaryWeight: green.trafficWeight ?? 0,
      };
    }
    const fn = target.lambdaTarget?.lambdaFunctionInfo;
    if (fn?.targetVersion) {
      return {
        stable: [`${fn.functionName}:${fn.currentVersion}`],
        canary: [`${fn.functionName}:${fn.targetVersion}`],
        canaryWeight: Math.round((fn.targetVersionWeight ?? 0) * 100),
      };
    }
  }
  return undefined;
}
