import { createCodePipelineClient } from '../../aws/clients.js';
import { renderChanges } from '../../aws/pipeline/diff.js';
import {
  DEFAULT_PIPELINE_DIR,
  loadPipelineFiles,
  type PipelinePlan,
  planPipeline,
} from '../../aws/pipeline/plan.js';
import { ExitCode } from '../../core/exit-codes.js';
import { parseCommandArgs } from '../args.js';
import { AWS_OPTIONS_USAGE, awsOptions, awsSettings, writeJson } from '../aws-options.js';
import type { Command } from '../context.js';

export function renderPlan(plans: PipelinePlan[]): string {
  const lines: string[] = [];
  for (const p of plans) {
    if (p.action === 'create') lines.push(`+ ${p.name} (${p.file}): create`);
    else if (p.action === 'none')
      lines.push(`  ${p.name} (${p.file}): no changes (live version ${p.liveVersion ?? '?'})`);
    else if (p.forced) {
      lines.push(
        `~ ${p.name} (${p.file}): update live version ${p.liveVersion ?? '?'} (forced: no visible change)`,
      );
    } else {
      lines.push(
        `~ ${p.name} (${p.file}): update live version ${p.liveVersion ?? '?'}, ${p.changes.length} change${p.changes.length === 1 ? '' : 's'}`,
      );
      lines.push(...renderChanges(p.changes, '    '));
    }
  }
  const count = (a: PipelinePlan['action']) => plans.filter((p) => p.action === a).length;
  lines.push(`Plan: ${count('create')} to create, ${count('update')} to update, ${count('none')} unchanged.`);
  return `${lines.join('\n')}\n`;
}

const command: Command = {
  summary: 'Compare emitted pipelines with the live ones on AWS',
  usage: [
    'Usage: conveyor plan [FILE...] [--dir DIR] [--check] [--json] [--region R] [--profile P]',
    '',
    `Reads each pipeline JSON (FILEs, or every *.json in DIR, default ${DEFAULT_PIPELINE_DIR}), fetches the live`,
    'pipeline (GetPipeline) and prints what `conveyor apply` would change, or "create" when it does not exist.',
    "Masked secrets ('****') and values AWS fills in itself (runOrder 1, executionMode SUPERSEDED, version) are not drift.",
    '  --dir DIR         folder of emitted pipeline JSON',
    '  --check           exit 1 when anything would change',
    AWS_OPTIONS_USAGE,
  ].join('\n'),
  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs({
      args,
      options: { ...awsOptions, dir: { type: 'string' }, check: { type: 'boolean', default: false } },
      allowPositionals: true,
    });
    const files = loadPipelineFiles(ctx.cwd, positionals, values.dir);
    const client = await createCodePipelineClient(awsSettings(values, ctx));
    const plans: PipelinePlan[] = [];
    for (const f of files) plans.push(await planPipeline(client, f));
    if (values.json) writeJson(ctx, { pipelines: plans });
    else ctx.stdout.write(renderPlan(plans));
    const pending = plans.some((p) => p.action !== 'none');
    return values.check && pending ? ExitCode.Failed : ExitCode.Ok;
  },
};
export default command;
