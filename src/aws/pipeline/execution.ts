/**
 * Start a CodePipeline execution and follow it stage by stage until it ends. Polling uses the injected
 * Clock, so there is no time cap and tests run in fake time.
 */
import type {
  ActionExecutionDetail,
  CodePipelineClient,
  GetPipelineExecutionOutput,
  GetPipelineStateOutput,
  ListActionExecutionsOutput,
  StartPipelineExecutionOutput,
} from '@aws-sdk/client-codepipeline';
import type { Clock } from '../../core/clock.js';
import { UsageError } from '../../core/errors.js';
import { loadCodePipeline } from '../clients.js';
import { awsCall, isThrottling } from '../errors.js';

export const TERMINAL_EXECUTION_STATUSES = [
  'Succeeded',
  'Failed',
  'Stopped',
  'Superseded',
  'Cancelled',
] as const;

export type PipelineEvent =
  | { type: 'started'; pipeline: string; executionId: string }
  | { type: 'stage'; stage: string; status: string }
  | {
      type: 'action';
      stage: string;
      action: string;
      status: string;
      summary?: string;
      url?: string;
      /** Set while a manual approval waits for an answer. */
      awaitingApproval?: boolean;
    }
  | { type: 'finished'; executionId: string; status: string; summary?: string };

/** Parses `--variable k=v` values into the StartPipelineExecution shape. */
export function parseVariables(values: string[]): { name: string; value: string }[] {
  return values.map((v) => {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`--variable '${v}' must look like NAME=VALUE`);
    return { name: v.slice(0, eq), value: v.slice(eq + 1) };
  });
}

export async function startPipelineExecution(
  client: CodePipelineClient,
  name: string,
  variables: { name: string; value: string }[],
): Promise<string> {
  const sdk = await loadCodePipeline();
  const out = await awsCall<StartPipelineExecutionOutput>(
    'CodePipeline',
    client,
    new sdk.StartPipelineExecutionCommand({ name, ...(variables.length ? { variables } : {}) }),
    `pipeline ${name}`,
  );
  if (!out.pipelineExecutionId)
    throw new UsageError(`StartPipelineExecution for ${name} returned no execution id`);
  return out.pipelineExecutionId;
}

export interface WatchOptions {
  clock: Clock;
  signal?: AbortSignal;
  /** Poll interval; doubled (up to 60 s) while AWS throttles. */
  intervalMs?: number;
  onEvent: (event: PipelineEvent) => void;
  /** After every poll: the execution status and the actions running now (for a live status line). */
  onPoll?: (snapshot: { status: string; running: string[] }) => void;
}

async function listActions(client: CodePipelineClient, pipelineName: string, executionId: string) {
  const sdk = await loadCodePipeline();
  const details: ActionExecutionDetail[] = [];
  let nextToken: string | undefined;
  do {
    const page: ListActionExecutionsOutput = await awsCall(
      'CodePipeline',
      client,
      new sdk.ListActionExecutionsCommand({
        pipelineName,
        filter: { pipelineExecutionId: executionId },
        ...(nextToken ? { nextToken } : {}),
      }),
      `pipeline ${pipelineName}`,
    );
    details.push(...(page.actionExecutionDetails ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  // AWS lists the newest first; report in the order things happened.
  return details.sort((a, b) => (a.startTime?.getTime() ?? 0) - (b.startTime?.getTime() ?? 0));
}

/** Follows one execution until it reaches a terminal status; returns that status. */
export async function watchPipelineExecution(
  client: CodePipelineClient,
  pipelineName: string,
  executionId: string,
  options: WatchOptions,
): Promise<{ status: string; summary?: string }> {
  const sdk = await loadCodePipeline();
  const base = options.intervalMs ?? 5000;
  let interval = base;
  const stageSeen = new Map<string, string>();
  const actionSeen = new Map<string, string>();
  const approvalsReported = new Set<string>();
  for (;;) {
    try {
      const exec = await awsCall<GetPipelineExecutionOutput>(
        'CodePipeline',
        client,
        new sdk.GetPipelineExecutionCommand({ pipelineName, pipelineExecutionId: executionId }),
        `pipeline ${pipelineName}`,
      );
      const state = await awsCall<GetPipelineStateOutput>(
        'CodePipeline',
        client,
        new sdk.GetPipelineStateCommand({ name: pipelineName }),
        `pipeline ${pipelineName}`,
      );
      const actions = await listActions(client, pipelineName, executionId);
      const approvalTokens = new Set<string>();
      for (const stage of state.stageStates ?? []) {
        const latest = stage.latestExecution;
        if (!stage.stageName || latest?.pipelineExecutionId !== executionId || !latest.status) continue;
        if (stageSeen.get(stage.stageName) !== latest.status) {
          stageSeen.set(stage.stageName, latest.status);
          options.onEvent({ type: 'stage', stage: stage.stageName, status: latest.status });
        }
        for (const a of stage.actionStates ?? []) {
          if (a.latestExecution?.token && a.latestExecution.status === 'InProgress') {
            approvalTokens.add(`${stage.stageName}/${a.actionName}`);
          }
        }
      }
      for (const a of actions) {
        const key = `${a.stageName}/${a.actionName}`;
        const status = a.status ?? 'Unknown';
        const waiting = approvalTokens.has(key) && status === 'InProgress';
        // The approval token can show up a poll after the action started: report the wait once it does.
        const newWait = waiting && !approvalsReported.has(key);
        if (actionSeen.get(key) === status && !newWait) continue;
        actionSeen.set(key, status);
        if (waiting) approvalsReported.add(key);
        const summary = a.output?.executionResult?.externalExecutionSummary;
        const url = a.output?.executionResult?.externalExecutionUrl;
        options.onEvent({
          type: 'action',
          stage: a.stageName ?? '?',
          action: a.actionName ?? '?',
          status,
          ...(summary ? { summary } : {}),
          ...(url ? { url } : {}),
          ...(waiting ? { awaitingApproval: true } : {}),
        });
      }
      const status = exec.pipelineExecution?.status ?? 'Unknown';
      options.onPoll?.({
        status,
        running: [...actionSeen].filter(([, s]) => s === 'InProgress').map(([key]) => key),
      });
      if ((TERMINAL_EXECUTION_STATUSES as readonly string[]).includes(status)) {
        const summary = exec.pipelineExecution?.statusSummary ?? failedActionSummary(actions);
        options.onEvent({ type: 'finished', executionId, status, ...(summary ? { summary } : {}) });
        return { status, ...(summary ? { summary } : {}) };
      }
      interval = base;
    } catch (err) {
      // Throttling that outlasted the SDK's own retries: slow down and keep following.
      if (!isThrottling(err)) throw err;
      interval = Math.min(interval * 2, 60_000);
    }
    await options.clock.sleep(interval, options.signal);
  }
}

function failedActionSummary(actions: ActionExecutionDetail[]): string | undefined {
  const failed = actions.find((a) => a.status === 'Failed');
  if (!failed) return undefined;
  const why = failed.output?.executionResult?.externalExecutionSummary;
  return `${failed.stageName}/${failed.actionName} failed${why ? `: ${why}` : ''}`;
}

/** Answers a manual approval on AWS: reads the approval token from GetPipelineState, then PutApprovalResult. */
export async function putApproval(
  client: CodePipelineClient,
  pipelineName: string,
  stageName: string,
  actionName: string,
  decision: 'approve' | 'reject',
  summary: string,
): Promise<void> {
  const sdk = await loadCodePipeline();
  const subject = `pipeline ${pipelineName}`;
  const state = await awsCall<GetPipelineStateOutput>(
    'CodePipeline',
    client,
    new sdk.GetPipelineStateCommand({ name: pipelineName }),
    subject,
  );
  const stage = state.stageStates?.find((s) => s.stageName === stageName);
  if (!stage) {
    const names = (state.stageStates ?? []).map((s) => s.stageName).join(', ');
    throw new UsageError(`pipeline ${pipelineName} has no stage '${stageName}' (stages: ${names})`);
  }
  const action = stage.actionStates?.find((a) => a.actionName === actionName);
  if (!action) {
    const names = (stage.actionStates ?? []).map((a) => a.actionName).join(', ');
    throw new UsageError(
      `stage ${stageName} of ${pipelineName} has no action '${actionName}' (actions: ${names})`,
    );
  }
  const token = action.latestExecution?.status === 'InProgress' ? action.latestExecution.token : undefined;
  if (!token) {
    throw new UsageError(
      `no approval is waiting at ${pipelineName}/${stageName}/${actionName} (latest status: ${action.latestExecution?.status ?? 'never run'})`,
    );
  }
  await awsCall(
    'CodePipeline',
    client,
    new sdk.PutApprovalResultCommand({
      pipelineName,
      stageName,
      actionName,
      result: { summary, status: decision === 'approve' ? 'Approved' : 'Rejected' },
      token,
    }),
    `${subject} ${stageName}/${actionName}`,
  );
}
