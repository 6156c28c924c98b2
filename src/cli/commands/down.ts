import { UsageError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { stopLeftoverCheckProcesses } from '../../deploy/checks/check-processes.js';
import { runnerAlive } from '../../deploy/engine.js';
import { providerFor, readGroupState } from '../../deploy/group.js';
import { findDeployment } from '../../deploy/state.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../context.js';
import { configLabel, groupOptions, openGroupFromArgs } from '../deploy-progress.js';

const command: Command = {
  summary: 'Stop the local router and instances of a group',
  usage: `Usage: conveyor down --config FILE [--force] [--json]

Stops the group's router, every instance process it started and any check a killed runner left running, and
records that the group is stopped: nothing serves until 'conveyor up' (the last good fleet again) or a
deployment (a fresh fleet). Lists only what ran. Refuses while a deployment runs, unless --force.`,
  async run(args, ctx) {
    const { values } = parseCommandArgs({
      args,
      options: { ...groupOptions, force: { type: 'boolean' } },
      allowPositionals: false,
    });
    const group = openGroupFromArgs(values, ctx, 'down');
    const { state } = readGroupState(group);
    const live = state.active && runnerAlive(group, state.active).alive ? state.active : undefined;
    if (live && !values.force) {
      throw new UsageError(
        `deployment ${live.id} is running on this group`,
        `abort it first ('conveyor abort --config ${configLabel(group, ctx)}') or pass --force`,
      );
    }
    if (group.loaded.group.provider === 'codedeploy') {
      ctx.stdout.write(
        values.json
          ? `${JSON.stringify({ stopped: [] })}\n`
          : 'nothing to stop: provider codedeploy runs on AWS\n',
      );
      return ExitCode.Ok;
    }
    // Checks a killed runner left running first (a live runner's are its own to end).
    const checks = await stopLeftoverCheckProcesses(group.groupDir, live ? { keep: live.id } : {});
    const { stopped: fleet } = await (await providerFor(group)).down();
    const stopped = [...fleet, ...checks.map((c) => `check ${c.check} (pid ${c.pid})`)];
    // Recorded, so what serves is known from the ledger: nothing, until `up` or a deployment installs a fleet.
    const latest = findDeployment(readGroupState(group).state);
    if (latest) group.ledger.append({ type: 'down', stopped, at: ctx.clock.now(), deploymentId: latest.id });
    if (values.json) ctx.stdout.write(`${JSON.stringify({ stopped })}\n`);
    else ctx.stdout.write(stopped.length ? `stopped ${stopped.join(', ')}\n` : 'nothing was running\n');
    return ExitCode.Ok;
  },
};
export default command;
