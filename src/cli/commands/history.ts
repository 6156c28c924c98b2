import { ExitCode } from '../../core/exit-codes.js';
import { readGroupState } from '../../deploy/group.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../context.js';
import { groupOptions, openGroupFromArgs } from '../deploy-progress.js';

const command: Command = {
  summary: 'Past deployments of a group',
  usage:
    'Usage: conveyor history --config FILE [--json]\n\nThe deployments of the group the ledger keeps in full (the most recent 50 at least), oldest first.',
  async run(args, ctx) {
    const { values } = parseCommandArgs({ args, options: groupOptions, allowPositionals: false });
    const group = openGroupFromArgs(values, ctx, 'history');
    const { state } = readGroupState(group);
    const rows = state.deployments.map((d) => ({
      id: d.id,
      status: d.status,
      revision: d.revision.label,
      strategy: d.plan.strategy,
      creator: d.options.creator,
      createdAt: new Date(d.createdAt).toISOString(),
      durationMs: (d.finishedAt ?? d.updatedAt) - d.createdAt,
      reason: d.reason ?? null,
    }));
    if (values.json) {
      ctx.stdout.write(`${JSON.stringify(rows)}\n`);
      return ExitCode.Ok;
    }
    if (!rows.length) {
      ctx.stdout.write('no deployments yet\n');
      return ExitCode.Ok;
    }
    if (state.compacted) {
      ctx.stdout.write(
        `(${state.compacted.deployments} older deployments were compacted out of the ledger; their revisions are no longer listed)\n`,
      );
    }
    for (const r of rows) {
      ctx.stdout.write(
        `${r.id}  ${r.status.padEnd(10)}  ${r.revision.padEnd(10)}  ${r.strategy.padEnd(15)}  ${r.createdAt}  ${(r.durationMs / 1000).toFixed(1)}s${r.creator === 'rollback' ? '  (rollback)' : ''}${r.reason ? `  ${r.reason}` : ''}\n`,
      );
    }
    return ExitCode.Ok;
  },
};
export default command;
