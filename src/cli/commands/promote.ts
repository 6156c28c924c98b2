import { ExitCode } from '../../core/exit-codes.js';
import { requestPromote } from '../../deploy/engine.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../context.js';
import { configLabel, groupOptions, openGroupFromArgs } from '../deploy-progress.js';

const command: Command = {
  summary: 'Continue a paused deployment (or --full to finish it)',
  usage: `Usage: conveyor promote [ID] [--config FILE] [--full] [--json]

Continues past a manual pause (or the current bake) to the next step; with --full, skips every remaining
weight and bake and switches all traffic to the new revision. Without ID: the group's active deployment.`,
  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs({
      args,
      options: { ...groupOptions, full: { type: 'boolean' } },
      allowPositionals: true,
    });
    const group = openGroupFromArgs(values, ctx, 'promote', positionals[0]);
    const { deployment, runner } = requestPromote(group, positionals[0], values.full === true, ctx.clock);
    if (values.json) {
      ctx.stdout.write(
        `${JSON.stringify({ deploymentId: deployment.id, requested: values.full ? 'promote-full' : 'promote', runnerAlive: runner.alive })}\n`,
      );
    } else {
      ctx.stdout.write(
        `promote${values.full ? ' --full' : ''} requested for ${deployment.id} (${deployment.status})\n`,
      );
      if (!runner.alive) {
        ctx.stderr.write(
          `note: the runner of ${deployment.id} is not running; the request applies when it resumes ('conveyor deploy --resume --config ${configLabel(group, ctx)}')\n`,
        );
      }
    }
    return ExitCode.Ok;
  },
};
export default command;
