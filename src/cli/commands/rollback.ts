import { ExitCode } from '../../core/exit-codes.js';
import {
  createUnderLock,
  planRedeployPrevious,
  requestAbort,
  rollbackOrphan,
  runHeld,
  runnerAlive,
  unhealthyInstances,
} from '../../deploy/engine.js';
import { readGroupState } from '../../deploy/group.js';
import { type DeploymentState, findDeployment, isTerminal } from '../../deploy/state.js';
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
  summary: 'Redeploy the last good revision',
  usage: `Usage: conveyor rollback --config FILE [--region R] [--profile P] [--json]

With an unfinished deployment: roll it back (traffic to the stable revision first; in-place fleets get the last
good revision through the full lifecycle) — also after its runner was killed.
Otherwise: redeploy the newest good revision other than the serving one, as a new deployment that never takes
serving capacity to zero: in the group's own batches for in-place strategies (all at once only when the group is
all-at-once), or as a replacement fleet and one switch for canary, linear, blue/green and immutable groups.
--region and --profile choose the AWS region and profile for provider codedeploy groups.`,
  async run(args, ctx) {
    const { values } = parseCommandArgs({
      args,
      options: { ...groupOptions, ...awsGroupOptions },
      allowPositionals: false,
    });
    const group = openGroupFromArgs(values, ctx, 'rollback');
    const json = values.json === true;
    const progress = createProgress(ctx.stdout, json, () => ctx.clock.now());
    const runOpts = {
      clock: ctx.clock,
      signal: ctx.signal,
      env: ctx.env,
      aws: awsOverrides(values),
      onEvent: progress.onEvent,
    };
    const { state } = readGroupState(group);
    let final: DeploymentState;
    if (state.active) {
      const runner = runnerAlive(group, state.active);
      if (runner.alive) {
        requestAbort(group, state.active.id, ctx.clock, 'rollback requested by user');
        final = state.active;
        const deadline = ctx.clock.now() + 120_000;
        while (!isTerminal(final.status) && ctx.clock.now() < deadline && !ctx.signal.aborted) {
          await ctx.clock.sleep(100, ctx.signal).catch(() => {});
          final = findDeployment(readGroupState(group).state, state.active.id) ?? final;
        }
      } else {
        final = await rollbackOrphan(group, state.active, 'rollback requested by user', runOpts);
      }
    } else {
      const { planned, target, of } = planRedeployPrevious(group, await unhealthyInstances(group));
      if (!json) ctx.stdout.write(`rolling back ${of.revision.label} (${of.id}) to ${target.label}\n`);
      const id = createUnderLock(
        group,
        planned,
        { creator: 'rollback', rollbackOf: of.id, ignoreApplicationStopFailures: true, skipAnalysis: true },
        ctx.clock,
      );
      final = await runHeld(group, id, { ...runOpts, strategy: planned.strategy });
    }
    progress.finish();
    if (json)
      ctx.stdout.write(
        `${JSON.stringify({ deploymentId: final.id, status: final.status, reason: final.reason ?? null })}\n`,
      );
    else ctx.stdout.write(`${final.id} ${final.status}${final.reason ? `: ${final.reason}` : ''}\n`);
    return final.status === 'RolledBack' || final.status === 'Succeeded' ? ExitCode.Ok : ExitCode.Failed;
  },
};
export default command;
