import { UsageError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { runnerAlive } from '../../deploy/engine.js';
import { type GroupContext, providerFor, readGroupState } from '../../deploy/group.js';
import { formatStatus, formatTraffic } from '../../deploy/render.js';
import { type DeploymentState, findDeployment, isTerminal } from '../../deploy/state.js';
import { parseCommandArgs } from '../args.js';
import type { CliContext, Command } from '../context.js';
import { configLabel, groupOptions, openGroupFromArgs } from '../deploy-progress.js';

const usage = `Usage: conveyor status [ID] [--config FILE] [--watch] [--json]

A deployment's status, current step, traffic split (as recorded and as the router has it), last gate
reading and events. Without ID: the group's unfinished deployment, else the latest. Without --config: the
group under ./.conveyor that holds ID (or the only one there).
With --watch: follow until it ends; exit 0 if it succeeded, 1 otherwise.`;

async function snapshot(group: GroupContext, id: string | undefined) {
  const { state, problems } = readGroupState(group);
  const d = findDeployment(state, id);
  if (!d) throw new UsageError(id ? `no deployment ${id} in this group` : 'no deployments in this group yet');
  const runner = runnerAlive(group, d);
  let observed: Awaited<ReturnType<Awaited<ReturnType<typeof providerFor>>['observeTraffic']>>;
  try {
    observed = await (await providerFor(group)).observeTraffic();
  } catch {
    observed = undefined;
  }
  return { d, runner, observed, problems };
}

function runnerLine(
  d: DeploymentState,
  runner: { alive: boolean; pid?: number },
  config: string,
): string | undefined {
  if (isTerminal(d.status)) return undefined;
  if (runner.alive) return `running (pid ${runner.pid})`;
  return `NOT RUNNING${runner.pid ? ` (pid ${runner.pid} is gone)` : ''}: traffic stays as the router has it; resume with 'conveyor deploy --resume --config ${config}' or undo with 'conveyor rollback --config ${config}'`;
}

async function render(
  group: GroupContext,
  id: string | undefined,
  ctx: CliContext,
  json: boolean,
  config: string,
) {
  const { d, runner, observed, problems } = await snapshot(group, id);
  if (json) {
    ctx.stdout.write(
      `${JSON.stringify({
        deployment: d,
        runner: { alive: runner.alive, pid: runner.pid ?? null },
        router: observed ?? null,
        ledgerProblems: problems,
      })}\n`,
    );
  } else {
    const extra: { runner?: string; observed?: string } = {};
    const r = runnerLine(d, runner, config);
    if (r) extra.runner = r;
    // The router line is the local data plane's truth; CodeDeploy's traffic is in the recorded events.
    if (group.loaded.group.provider !== 'codedeploy')
      extra.observed = observed ? formatTraffic(observed) : 'not running';
    ctx.stdout.write(`${formatStatus(d, extra)}\n`);
  }
  return d;
}

const command: Command = {
  summary: "Show a deployment's status, step, traffic split and events",
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs({
      args,
      options: { ...groupOptions, watch: { type: 'boolean', short: 'w' } },
      allowPositionals: true,
    });
    const group = openGroupFromArgs(values, ctx, 'status', positionals[0]);
    const id = positionals[0];
    const json = values.json === true;
    let d = await render(group, id, ctx, json, configLabel(group, ctx));
    if (!values.watch) return ExitCode.Ok;
    let seen = d.eventCount;
    while (!isTerminal(d.status) && !ctx.signal.aborted) {
      await ctx.clock.sleep(300, ctx.signal).catch(() => {});
      const next = findDeployment(readGroupState(group).state, d.id)!;
      if (next.eventCount !== seen) {
        seen = next.eventCount;
        if (!json) ctx.stdout.write('\n');
        d = await render(group, d.id, ctx, json, configLabel(group, ctx));
      }
      if (!isTerminal(next.status) && !runnerAlive(group, next).alive) {
        // The runner may have just finished and released its lock: look again before giving up.
        const again = findDeployment(readGroupState(group).state, d.id)!;
        if (!isTerminal(again.status)) {
          // Nobody will move it on: stop watching and say so (the render tells how to recover).
          d = await render(group, d.id, ctx, json, configLabel(group, ctx));
          return ExitCode.Failed;
        }
      }
    }
    return d.status === 'Succeeded' ? ExitCode.Ok : ExitCode.Failed;
  },
};
export default command;
