import { createInterface } from 'node:readline/promises';
import { createCodePipelineClient } from '../../aws/clients.js';
import {
  type ApplyResult,
  applyPipelinePlan,
  DEFAULT_PIPELINE_DIR,
  forcePlan,
  loadPipelineFiles,
  type PipelinePlan,
  planPipeline,
} from '../../aws/pipeline/plan.js';
import { UsageError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { parseCommandArgs } from '../args.js';
import { AWS_OPTIONS_USAGE, awsOptions, awsSettings, writeJson } from '../aws-options.js';
import type { CliContext, Command } from '../context.js';
import { renderPlan } from './plan.js';

/** Asks the user; resolves true for yes. Undefined when no terminal is attached to ask on. */
export type Confirm = (question: string, ctx: CliContext) => Promise<boolean> | undefined;

const terminalConfirm: Confirm = (question, ctx) => {
  if (!process.stdin.isTTY) return undefined;
  return (async () => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const answer = await rl.question(question, { signal: ctx.signal });
      return /^y(es)?$/i.test(answer.trim());
    } finally {
      rl.close();
    }
  })();
};

export function createApplyCommand(confirm: Confirm = terminalConfirm): Command {
  return {
    summary: 'Create or update pipelines on AWS',
    usage: [
      'Usage: conveyor apply [FILE...] [--dir DIR] [--yes] [--force] [--json] [--region R] [--profile P]',
      '',
      `Plans like \`conveyor plan\` (default folder ${DEFAULT_PIPELINE_DIR}), asks for confirmation, then calls`,
      'CreatePipeline or UpdatePipeline (with the live version). Pipelines without changes are not touched.',
      '  --yes             do not ask (required when not running in a terminal)',
      "  --force           update existing pipelines even without a visible change (AWS masks secrets as '****',",
      '                    so a changed token is invisible to the diff)',
      AWS_OPTIONS_USAGE,
    ].join('\n'),
    async run(args, ctx) {
      const { values, positionals } = parseCommandArgs({
        args,
        options: {
          ...awsOptions,
          dir: { type: 'string' },
          yes: { type: 'boolean', short: 'y', default: false },
          force: { type: 'boolean', default: false },
        },
        allowPositionals: true,
      });
      const files = loadPipelineFiles(ctx.cwd, positionals, values.dir);
      const client = await createCodePipelineClient(awsSettings(values, ctx));
      const plans: PipelinePlan[] = [];
      for (const f of files) {
        const plan = await planPipeline(client, f);
        plans.push(values.force ? forcePlan(plan) : plan);
      }
      const pending = plans.filter((p) => p.action !== 'none');
      if (!values.json) ctx.stdout.write(renderPlan(plans));
      if (pending.length > 0 && !values.yes) {
        const answer = confirm(`Apply ${pending.length} pipeline change(s)? [y/N] `, ctx);
        if (answer === undefined) {
          throw new UsageError(
            'apply needs confirmation and no terminal is attached',
            'pass --yes to apply without asking',
          );
        }
        if (!(await answer)) {
          if (values.json) writeJson(ctx, { applied: [], cancelled: true, pipelines: plans });
          else ctx.stderr.write('Cancelled; nothing was changed.\n');
          return ExitCode.Failed;
        }
      }
      const results: ApplyResult[] = [];
      for (const plan of plans) {
        const file = files.find((f) => f.pipeline.name === plan.name)!;
        try {
          const result = await applyPipelinePlan(client, plan, file, { clock: ctx.clock });
          results.push(result);
          if (!values.json && result.action !== 'none') {
            ctx.stdout.write(
              `${result.action === 'create' ? 'created' : 'updated'} ${result.name} (version ${result.version ?? '?'})\n`,
            );
          }
        } catch (err) {
          // Report what did get applied before the error is printed.
          if (values.json) writeJson(ctx, { applied: results, failed: plan.name, pipelines: plans });
          throw err;
        }
      }
      if (values.json) writeJson(ctx, { applied: results, pipelines: plans });
      else if (pending.length === 0) ctx.stdout.write('Nothing to apply.\n');
      return ExitCode.Ok;
    },
  };
}

export default createApplyCommand();
