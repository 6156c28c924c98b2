import { ExitCode } from '../../core/exit-codes.js';
import { requestAbort, rollbackOrphan } from '../../deploy/engine.js';
import { readGroupState } from '../../deploy/group.js';
import { findDeployment, isTerminal } from '../../deploy/state.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../context.js';
import {
  awsGroupOptions,
  awsOverrides,
  createProgress,
  groupOptions,
  openGroupFromArgs,
} from '../deploy-progress.js';

const command: Command = {
  summary: 'Stop a deployment and roll it back',
  usage: `Usage: conveyor abort [ID] [--config FILE] [--no-wait] [--region R] [--profile P] [--json]

Asks the running deployment to roll back (traffic goes back to the stable revision first) and waits for it to
end. When its runner is gone (killed), abort does the rollback itself.`,
  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs({
      args,
      options: { ...groupOptions, ...awsGroupOptions, 'no-wait': { type: 'boolean' } },
      allowPositionals: true,
    });
    const group = openGroupFromArgs(values, ctx, 'abort', positionals[0]);
    const { deployment, runner } = requestAbort(group, positionals[0], ctx.clock);
    const json = values.json === true;
    let final = deployment;
    if (!runner.alive) {
      const progress = createProgress(ctx.stdout, json, () => ctx.clock.now());
      final = await rollbackOrphan(group, deployment, 'aborted by user', {
        clock: ctx.clock,
        signal: ctx.signal,
        env: ctx.env,
        aws: awsOverrides(values),
        onEvent: progress.onEvent,
      });
      progress.finish();
    } else if (!values['no-wait']) {
      const deadline = ctx.clock.now() + 120_000;
      while (!isTerminal(final.status) && ctx.clock.now() < deadline && !ctx.signal.aborted) {
        await ctx.clock.sleep(100, ctx.signal).catch(() => {});
        final = findDeployment(readGroupState(group).state, deployment.id) ?? final;
      }
    }
    if (json)
      ctx.stdout.write(
        `${JSON.stringify({ deploymentId: final.id, status: final.status, reason: final.reason ?? null })}\n`,
      );
    else ctx.stdout.write(`${final.id} ${final.status}${final.reason ? `: ${final.reason}` : ''}\n`);
    return final.status === 'RolledBack' || (!isTerminal(final.status) && values['no-wait'])
      ? ExitCode.Ok
      : ExitCode.Failed;
  },
};
export default command;
