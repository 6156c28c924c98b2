import { ExitCode } from '../../core/exit-codes.js';
import { providerFor } from '../../deploy/group.js';
import { bringUp } from '../../deploy/up.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../context.js';
import { configLabel, groupOptions, openGroupFromArgs } from '../deploy-progress.js';

const command: Command = {
  summary: "Start a group's router and its last good fleet again",
  usage: `Usage: conveyor up --config FILE [--json]

Brings a stopped group back from its recorded state — after 'conveyor down', a reboot or a killed router: starts
the router (it reloads its last table), starts every instance of the serving fleet (the last successful revision)
that does not answer its health check, then routes all traffic to it. Instances already answering are left as
they are. Not a deployment: nothing new is installed and history is unchanged.
Exit codes: 0 the fleet serves, 1 some instance would not start (the others serve), 2 nothing to bring up or a
deployment is unfinished.`,
  async run(args, ctx) {
    const { values } = parseCommandArgs({ args, options: groupOptions, allowPositionals: false });
    const group = openGroupFromArgs(values, ctx, 'up');
    if (group.loaded.group.provider === 'codedeploy') {
      ctx.stdout.write(
        values.json
          ? `${JSON.stringify({ started: [] })}\n`
          : 'nothing to start: provider codedeploy runs on AWS\n',
      );
      return ExitCode.Ok;
    }
    const result = await bringUp(group, await providerFor(group), {
      clock: ctx.clock,
      signal: ctx.signal,
      config: configLabel(group, ctx),
    });
    if (values.json) ctx.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      const started = result.started.length
        ? `started ${result.started.join(', ')}`
        : 'every instance was running';
      ctx.stdout.write(`up: ${result.revision} serves on [${result.instances.join(', ')}] (${started})\n`);
      if (result.url) ctx.stdout.write(`serving at ${result.url}\n`);
    }
    return ExitCode.Ok;
  },
};
export default command;
