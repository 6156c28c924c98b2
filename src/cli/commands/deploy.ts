import { UsageError, WorkFailedError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { previewCodeDeploy } from '../../deploy/codedeploy-preview.js';
import {
  checkBeforeCreate,
  createUnderLock,
  isCodeDeploy,
  prepareDeployment,
  resume,
  runHeld,
  spawnDetachedRunner,
} from '../../deploy/engine.js';
import { type GroupContext, providerFor } from '../../deploy/group.js';
import { formatCodeDeployPreview, formatPlan } from '../../deploy/render.js';
import type { DeploymentState } from '../../deploy/state.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../context.js';
import {
  awsGroupOptions,
  awsOverrides,
  configLabel,
  createProgress,
  groupOptions,
  hooksOfRevision,
  openGroupFromArgs,
} from '../deploy-progress.js';

const usage = `Usage: conveyor deploy --config FILE --revision DIR [options]

Deploys a revision (a folder with appspec.yml at its root) to a deployment group, step by step.

Options:
  -c, --config FILE                      the deployment group file
  -r, --revision DIR                     the revision folder
      --strategy S                       override the group's strategy (all-at-once, one-at-a-time, half-at-a-time,
                                         blue-green, immutable, canary, linear, or a CodeDeploy config name)
      --dry-run                          print the plan (steps, hooks per instance, expected durations); touch nothing.
                                         provider codedeploy: what CodeDeploy will be asked to do (config,
                                         platform, rollback), after the checks deploy makes without AWS
      --region R, --profile P            AWS region and profile for provider codedeploy (default: the group
                                         file's codedeploy.region, AWS_REGION, AWS_PROFILE, ~/.aws/config)
      --detach                           run in the background; prints the deployment id
      --resume                           continue the group's unfinished deployment after its runner died
      --ignore-application-stop-failures go on when the previous revision's ApplicationStop fails (recorded)
      --skip-analysis                    emergency override: do not evaluate gates (recorded)
      --state-dir DIR                    where group state lives (default: .conveyor next to the group file)
      --json                             NDJSON events (or the plan as JSON with --dry-run)
Exit codes: 0 succeeded, 1 failed or rolled back, 2 usage or configuration error.`;

/** Where the local router answers, when one runs (CodeDeploy groups have no local URL). */
async function serviceUrl(group: GroupContext): Promise<string | undefined> {
  if (group.loaded.group.provider === 'codedeploy') return undefined;
  return (await (await providerFor(group)).observeTraffic())?.url;
}

function exitFor(d: DeploymentState): number {
  return d.status === 'Succeeded' ? ExitCode.Ok : ExitCode.Failed;
}

const command: Command = {
  summary: 'Deploy a revision to a deployment group',
  usage,
  async run(args, ctx) {
    const { values } = parseCommandArgs({
      args,
      options: {
        ...groupOptions,
        ...awsGroupOptions,
        revision: { type: 'string', short: 'r' },
        strategy: { type: 'string' },
        'dry-run': { type: 'boolean' },
        detach: { type: 'boolean' },
        resume: { type: 'boolean' },
        'ignore-application-stop-failures': { type: 'boolean' },
        'skip-analysis': { type: 'boolean' },
      },
      allowPositionals: false,
    });
    const group = openGroupFromArgs(values, ctx, 'deploy');
    const json = values.json === true;
    const progress = createProgress(ctx.stdout, json, () => ctx.clock.now());
    const aws = awsOverrides(values);
    const runOpts = { clock: ctx.clock, signal: ctx.signal, env: ctx.env, aws, onEvent: progress.onEvent };
    if (values.resume) {
      const d = await resume(group, runOpts);
      progress.finish();
      return report(d, await serviceUrl(group));
    }
    if (!values.revision) {
      throw new UsageError('--revision DIR is required', 'conveyor deploy --config FILE --revision DIR');
    }
    const planned = prepareDeployment(group, {
      revisionDir: values.revision,
      cwd: ctx.cwd,
      ...(values.strategy ? { strategy: values.strategy } : {}),
    });
    if (values['dry-run'] && isCodeDeploy(group)) {
      // CodeDeploy runs the deployment: show what it will be asked to do, after deploy's own checks.
      const preview = previewCodeDeploy(group.loaded.group, planned.strategy, group.loaded.file);
      if (json) {
        ctx.stdout.write(
          `${JSON.stringify({ revision: planned.revision.label, provider: 'codedeploy', codedeploy: preview }, null, 2)}\n`,
        );
      } else ctx.stdout.write(formatCodeDeployPreview(planned.revision.label, preview));
      return ExitCode.Ok;
    }
    if (values['dry-run']) {
      if (json) {
        ctx.stdout.write(
          `${JSON.stringify({ revision: planned.revision.label, current: planned.current ?? null, plan: planned.plan }, null, 2)}\n`,
        );
      } else {
        ctx.stdout.write(
          `dry run: ${planned.revision.label} to ${group.loaded.group.application}/${group.loaded.group.deploymentGroup}` +
            ` (now serving: ${planned.current?.revision ?? 'nothing'})\n`,
        );
        const previous = planned.previous?.revision;
        const hooks = {
          newHooks: hooksOfRevision(planned.revision.dir),
          newLabel: planned.revision.label,
          ...(previous ? { lastHooks: hooksOfRevision(previous.dir), lastLabel: previous.label } : {}),
        };
        ctx.stdout.write(`${formatPlan(planned.plan, hooks)}\n`);
      }
      return ExitCode.Ok;
    }
    const deployOptions = {
      ignoreApplicationStopFailures:
        values['ignore-application-stop-failures'] === true ||
        group.loaded.group.ignoreApplicationStopFailures === true,
      skipAnalysis: values['skip-analysis'] === true,
    };
    await checkBeforeCreate(group, planned, { clock: ctx.clock, env: ctx.env, aws, ...deployOptions });
    const id = createUnderLock(group, planned, deployOptions, ctx.clock);
    if (values.detach) {
      const pid = spawnDetachedRunner(group, id, { stateDirArg: values['state-dir'], aws, env: ctx.env });
      ctx.stdout.write(json ? `${JSON.stringify({ deploymentId: id, pid })}\n` : `${id}\n`);
      return ExitCode.Ok;
    }
    const d = await runHeld(group, id, { ...runOpts, strategy: planned.strategy });
    progress.finish();
    return report(d, await serviceUrl(group));

    function report(d: DeploymentState, url?: string): number {
      if (ctx.signal.aborted && !['Succeeded', 'Failed', 'RolledBack', 'Stopped'].includes(d.status)) {
        ctx.stderr.write(
          `interrupted: ${d.id} stays ${d.status} with traffic as it is; resume with 'conveyor deploy --resume --config ${configLabel(group, ctx)}' or undo with 'conveyor rollback --config ${configLabel(group, ctx)}'\n`,
        );
        return ExitCode.Failed;
      }
      if (!json) ctx.stdout.write(`${d.id} ${d.status}${d.reason ? `: ${d.reason}` : ''}\n`);
      if (url && !json) ctx.stdout.write(`serving at ${url}\n`);
      if (d.status !== 'Succeeded' && !json) {
        throw new WorkFailedError(`deployment ${d.id} ${d.status}`);
      }
      return exitFor(d);
    }
  },
};
export default command;
