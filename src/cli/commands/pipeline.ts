import { createCodePipelineClient } from '../../aws/clients.js';
import {
  type PipelineEvent,
  parseVariables,
  putApproval,
  startPipelineExecution,
  watchPipelineExecution,
} from '../../aws/pipeline/execution.js';
import { fetchPipelineForImport, maskedPathsOf } from '../../aws/pipeline/import.js';
import { ProgressView } from '../../aws/progress.js';
import { UsageError, WorkFailedError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { parseCommandArgs } from '../args.js';
import { AWS_OPTIONS_USAGE, awsOptions, awsSettings, writeJson } from '../aws-options.js';
import type { CliContext, Command } from '../context.js';

const USAGE = [
  'Usage:',
  '  conveyor pipeline start NAME [--variable K=V]... [--watch] [--json]',
  '  conveyor pipeline watch NAME EXECUTION_ID [--json]',
  '  conveyor pipeline approve NAME STAGE ACTION [--reject] [--summary TEXT] [--json]',
  '  conveyor pipeline get NAME            print the live pipeline JSON (for import)',
  '',
  'start: StartPipelineExecution; with --watch follows it stage by stage until it ends (exit 0 only if it succeeded).',
  'approve: answers a manual approval — a local pipeline run waiting in this folder first, else AWS (PutApprovalResult).',
  '  --interval SECONDS   poll interval while watching (default 5)',
  AWS_OPTIONS_USAGE,
].join('\n');

function renderEvent(event: PipelineEvent, pipeline: string): string {
  switch (event.type) {
    case 'started':
      return `Started ${event.pipeline} execution ${event.executionId}`;
    case 'stage':
      return `[${event.stage}] ${event.status}`;
    case 'action': {
      if (event.awaitingApproval) {
        return `  ${event.stage}/${event.action}: waiting for approval — conveyor pipeline approve ${pipeline} ${event.stage} ${event.action}`;
      }
      const summary = event.summary ? ` — ${event.summary}` : '';
      const url = event.url ? ` (${event.url})` : '';
      return `  ${event.stage}/${event.action}: ${event.status}${summary}${url}`;
    }
    case 'finished':
      return `Execution ${event.executionId} ${event.status}${event.summary ? `: ${event.summary}` : ''}`;
  }
}

async function follow(
  ctx: CliContext,
  client: Awaited<ReturnType<typeof createCodePipelineClient>>,
  name: string,
  executionId: string,
  json: boolean,
  intervalSeconds: number,
): Promise<number> {
  const view = new ProgressView(ctx.stdout, ctx.clock, !json);
  const emit = (event: PipelineEvent) => {
    if (json) ctx.stdout.write(`${JSON.stringify(event)}\n`);
    else {
      if (event.type === 'finished') view.done();
      view.line(renderEvent(event, name));
    }
  };
  try {
    const result = await watchPipelineExecution(client, name, executionId, {
      clock: ctx.clock,
      signal: ctx.signal,
      intervalMs: intervalSeconds * 1000,
      onEvent: emit,
      onPoll: ({ status, running }) =>
        view.update(`${name} ${status}${running.length ? `: ${running.join(', ')}` : ''}`),
    });
    view.done();
    return result.status === 'Succeeded' ? ExitCode.Ok : ExitCode.Failed;
  } catch (err) {
    view.done();
    // Ctrl-C stops the watching, not the execution: say how to pick it up again.
    if (ctx.signal.aborted) {
      throw new WorkFailedError(
        `stopped following; execution ${executionId} goes on in AWS — conveyor pipeline watch ${name} ${executionId}`,
      );
    }
    throw err;
  }
}

/** The local pipeline runner's `approveLocalAction` (src/local-ci/approvals.ts): true when a local run was waiting. */
export type ApproveLocal = (options: {
  cwd: string;
  pipeline: string;
  stage: string;
  action: string;
  decision: 'Approved' | 'Rejected';
  summary?: string;
}) => Promise<boolean>;

/** The local pipeline runner's approval hook (loaded only when a local approval is answered). */
export async function loadLocalApprover(): Promise<ApproveLocal | undefined> {
  return (await import('../../local-ci/approvals.js')).approveLocalAction;
}

export function createPipelineCommand(
  localApprover: () => Promise<ApproveLocal | undefined> = loadLocalApprover,
): Command {
  return {
    summary: 'Start and follow a pipeline execution on AWS; answer approvals',
    usage: USAGE,
    async run(args, ctx) {
      const [sub, ...rest] = args;
      const { values, positionals } = parseCommandArgs({
        args: rest,
        options: {
          ...awsOptions,
          variable: { type: 'string', multiple: true, default: [] },
          watch: { type: 'boolean', default: false },
          reject: { type: 'boolean', default: false },
          summary: { type: 'string' },
          interval: { type: 'string', default: '5' },
        },
        allowPositionals: true,
      });
      const interval = Number(values.interval);
      if (!Number.isFinite(interval) || interval <= 0)
        throw new UsageError(`--interval must be a positive number of seconds`);
      const need = (count: number, names: string) => {
        if (positionals.length !== count)
          throw new UsageError(`pipeline ${sub} needs ${names}`, USAGE.split('\n')[1]);
      };
      switch (sub) {
        case 'start': {
          need(1, 'NAME');
          const name = positionals[0]!;
          const variables = parseVariables(values.variable ?? []);
          const client = await createCodePipelineClient(awsSettings(values, ctx));
          const executionId = await startPipelineExecution(client, name, variables);
          if (!values.watch) {
            if (values.json) writeJson(ctx, { pipeline: name, executionId });
            else ctx.stdout.write(`Started ${name} execution ${executionId}\n`);
            return ExitCode.Ok;
          }
          const started: PipelineEvent = { type: 'started', pipeline: name, executionId };
          ctx.stdout.write(values.json ? `${JSON.stringify(started)}\n` : `${renderEvent(started, name)}\n`);
          return follow(ctx, client, name, executionId, values.json ?? false, interval);
        }
        case 'watch': {
          need(2, 'NAME EXECUTION_ID');
          const client = await createCodePipelineClient(awsSettings(values, ctx));
          return follow(ctx, client, positionals[0]!, positionals[1]!, values.json ?? false, interval);
        }
        case 'approve': {
          need(3, 'NAME STAGE ACTION');
          const [pipeline, stage, action] = positionals as [string, string, string];
          const decision = values.reject ? 'reject' : 'approve';
          const summary =
            values.summary ?? `${decision === 'approve' ? 'Approved' : 'Rejected'} with conveyor`;
          const local = await localApprover();
          let where: 'local' | 'aws' = 'aws';
          const status = decision === 'approve' ? 'Approved' : 'Rejected';
          if (local && (await local({ cwd: ctx.cwd, pipeline, stage, action, decision: status, summary }))) {
            where = 'local';
          } else {
            const client = await createCodePipelineClient(awsSettings(values, ctx));
            await putApproval(client, pipeline, stage, action, decision, summary);
          }
          const verb = decision === 'approve' ? 'approved' : 'rejected';
          if (values.json) writeJson(ctx, { pipeline, stage, action, decision, where, summary });
          else
            ctx.stdout.write(
              `${verb} ${pipeline}/${stage}/${action} (${where === 'local' ? 'local run' : 'AWS'})\n`,
            );
          return ExitCode.Ok;
        }
        case 'get': {
          need(1, 'NAME');
          const document = await fetchPipelineForImport(positionals[0]!, awsSettings(values, ctx));
          writeJson(ctx, document);
          const masked = maskedPathsOf(document);
          if (masked.length) {
            ctx.stderr.write(
              `note: AWS masks these values; supply them before applying: ${masked.join(', ')}\n`,
            );
          }
          return ExitCode.Ok;
        }
        default:
          throw new UsageError(
            sub ? `unknown pipeline subcommand '${sub}'` : 'pipeline needs a subcommand',
            'start, watch, approve or get',
          );
      }
    },
  };
}

export default createPipelineCommand();
