/**
 * `conveyor build --remote PROJECT`: run the local buildspec on CodeBuild (StartBuild with
 * buildspecOverride) and follow its phases with BatchGetBuilds until it completes.
 */
import type {
  BatchGetBuildsOutput,
  Build,
  CodeBuildClient,
  StartBuildOutput,
} from '@aws-sdk/client-codebuild';
import type { Clock } from '../../core/clock.js';
import { UsageError, WorkFailedError } from '../../core/errors.js';
import { loadCodeBuild } from '../clients.js';
import { awsCall, isThrottling } from '../errors.js';

export type RemoteBuildEvent =
  | { type: 'started'; project: string; buildId: string; buildNumber?: number }
  | { type: 'logs'; url: string }
  | { type: 'phase'; phase: string; status: string; durationSeconds?: number; message?: string }
  | { type: 'finished'; buildId: string; status: string };

export interface RemoteBuildRequest {
  project: string;
  buildspecText: string;
  env: { name: string; value: string }[];
  sourceVersion?: string;
}

export function parseEnvPairs(values: string[]): { name: string; value: string }[] {
  return values.map((v) => {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`--env '${v}' must look like NAME=VALUE`);
    const name = v.slice(0, eq);
    if (name.startsWith('CODEBUILD_')) {
      throw new UsageError(`--env ${name}: names starting with CODEBUILD_ are reserved by CodeBuild`);
    }
    return { name, value: v.slice(eq + 1) };
  });
}

export async function startRemoteBuild(client: CodeBuildClient, request: RemoteBuildRequest): Promise<Build> {
  const sdk = await loadCodeBuild();
  const out = await awsCall<StartBuildOutput>(
    'CodeBuild',
    client,
    new sdk.StartBuildCommand({
      projectName: request.project,
      buildspecOverride: request.buildspecText,
      ...(request.env.length
        ? {
            environmentVariablesOverride: request.env.map((e) => ({
              name: e.name,
              value: e.value,
              type: 'PLAINTEXT' as const,
            })),
          }
        : {}),
      ...(request.sourceVersion ? { sourceVersion: request.sourceVersion } : {}),
    }),
    `project ${request.project}`,
  );
  if (!out.build?.id) throw new WorkFailedError(`StartBuild for ${request.project} returned no build id`);
  return out.build;
}

export interface FollowBuildOptions {
  clock: Clock;
  signal?: AbortSignal;
  intervalMs?: number;
  onEvent: (event: RemoteBuildEvent) => void;
  /** After every poll: the phase running now (for a live status line). */
  onPoll?: (snapshot: { currentPhase?: string }) => void;
}

/** Polls until the build completes; returns its final status (SUCCEEDED, FAILED, FAULT, TIMED_OUT, STOPPED). */
export async function followRemoteBuild(
  client: CodeBuildClient,
  buildId: string,
  options: FollowBuildOptions,
): Promise<string> {
  const sdk = await loadCodeBuild();
  const base = options.intervalMs ?? 5000;
  let interval = base;
  const reported = new Set<string>();
  let logsReported = false;
  for (;;) {
    try {
      const out = await awsCall<BatchGetBuildsOutput>(
        'CodeBuild',
        client,
        new sdk.BatchGetBuildsCommand({ ids: [buildId] }),
        `build ${buildId}`,
      );
      const build = out.builds?.[0];
      if (!build) throw new WorkFailedError(`build ${buildId} is no longer known to CodeBuild`);
      if (!logsReported && build.logs?.deepLink) {
        logsReported = true;
        options.onEvent({ type: 'logs', url: build.logs.deepLink });
      }
      for (const phase of build.phases ?? []) {
        // A phase is reported once it has a status; the running phase has none until it ends.
        if (!phase.phaseType || !phase.phaseStatus || reported.has(phase.phaseType)) continue;
        reported.add(phase.phaseType);
        const message = (phase.contexts ?? [])
          .filter((c) => c.message || (c.statusCode && c.statusCode !== 'SUCCEEDED'))
          .map((c) => [c.statusCode, c.message].filter(Boolean).join(': '))
          .join('; ');
        options.onEvent({
          type: 'phase',
          phase: phase.phaseType,
          status: phase.phaseStatus,
          ...(phase.durationInSeconds !== undefined ? { durationSeconds: phase.durationInSeconds } : {}),
          ...(message ? { message } : {}),
        });
      }
      if (!build.buildComplete)
        options.onPoll?.({ ...(build.currentPhase ? { currentPhase: build.currentPhase } : {}) });
      if (build.buildComplete) {
        const status = build.buildStatus ?? 'UNKNOWN';
        options.onEvent({ type: 'finished', buildId, status });
        return status;
      }
      interval = base;
    } catch (err) {
      if (!isThrottling(err)) throw err;
      interval = Math.min(interval * 2, 60_000);
    }
    await options.clock.sleep(interval, options.signal);
  }
}
