/**
 * The `conveyor build --remote PROJECT` command. The build helper's `conveyor build` hands the whole argv
 * here when `--remote` is present, so this module parses every flag itself.
 */
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { createCodeBuildClient } from '../../aws/clients.js';
import {
  followRemoteBuild,
  parseEnvPairs,
  type RemoteBuildEvent,
  startRemoteBuild,
} from '../../aws/codebuild/remote-build.js';
import { ProgressView } from '../../aws/progress.js';
import { UsageError, WorkFailedError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { readTextFile } from '../../core/files.js';
import { parseCommandArgs } from '../args.js';
import { AWS_OPTIONS_USAGE, awsOptions, awsSettings } from '../aws-options.js';
import type { Command } from '../context.js';

const USAGE = [
  'Usage: conveyor build --remote PROJECT [--buildspec FILE] [--src DIR] [--env K=V]... [--source-version REF] [--logs] [--json]',
  '',
  "Runs the local buildspec on the CodeBuild project PROJECT (StartBuild with buildspecOverride = the file's text,",
  'environment variables as PLAINTEXT overrides), follows its phases until it completes, and exits 0 only if it succeeded.',
  '  --buildspec FILE      default: buildspec.yml in --src (default: the current folder)',
  '  --env K=V             environment variable override (repeatable)',
  '  --source-version REF  commit, branch or tag CodeBuild checks out',
  '  --logs                print the CloudWatch Logs link of the build',
  '  --interval SECONDS    poll interval (default 5)',
  AWS_OPTIONS_USAGE,
].join('\n');

function render(event: RemoteBuildEvent): string {
  switch (event.type) {
    case 'started':
      return `Started ${event.buildId}${event.buildNumber !== undefined ? ` (#${event.buildNumber})` : ''}`;
    case 'logs':
      return `Logs: ${event.url}`;
    case 'phase': {
      const took = event.durationSeconds !== undefined ? ` ${event.durationSeconds}s` : '';
      return `  ${event.phase.padEnd(17)} ${event.status}${took}${event.message ? ` — ${event.message}` : ''}`;
    }
    case 'finished':
      return `Build ${event.buildId} ${event.status}`;
  }
}

const command: Command = {
  summary: 'Run a buildspec on AWS CodeBuild and follow it',
  usage: USAGE,
  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs({
      args,
      options: {
        ...awsOptions,
        remote: { type: 'string' },
        buildspec: { type: 'string' },
        src: { type: 'string' },
        out: { type: 'string' },
        env: { type: 'string', multiple: true, default: [] },
        'source-version': { type: 'string' },
        logs: { type: 'boolean', default: false },
        interval: { type: 'string', default: '5' },
      },
      allowPositionals: true,
    });
    if (!values.remote)
      throw new UsageError('--remote PROJECT is required for a CodeBuild build', USAGE.split('\n')[0]);
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (values.out) {
      throw new UsageError(
        '--out is for local builds; a remote build uploads its artifacts as the CodeBuild project says',
      );
    }
    const interval = Number(values.interval);
    if (!Number.isFinite(interval) || interval <= 0)
      throw new UsageError('--interval must be a positive number of seconds');
    const srcDir = resolve(ctx.cwd, values.src ?? '.');
    const buildspecPath = resolve(srcDir, values.buildspec ?? 'buildspec.yml');
    if (!existsSync(buildspecPath)) {
      throw new UsageError(
        `buildspec not found: ${relative(ctx.cwd, buildspecPath) || buildspecPath}`,
        'pass --buildspec FILE',
      );
    }
    const buildspecText = readTextFile(buildspecPath);
    const env = parseEnvPairs(values.env ?? []);
    const client = await createCodeBuildClient(awsSettings(values, ctx));
    const view = new ProgressView(ctx.stdout, ctx.clock, !values.json);
    const emit = (event: RemoteBuildEvent) => {
      if (event.type === 'logs' && !values.logs) return;
      if (values.json) ctx.stdout.write(`${JSON.stringify(event)}\n`);
      else {
        if (event.type === 'finished') view.done();
        view.line(render(event));
      }
    };
    const build = await startRemoteBuild(client, {
      project: values.remote,
      buildspecText,
      env,
      ...(values['source-version'] ? { sourceVersion: values['source-version'] } : {}),
    });
    emit({
      type: 'started',
      project: values.remote,
      buildId: build.id!,
      ...(build.buildNumber !== undefined ? { buildNumber: build.buildNumber } : {}),
    });
    let status: string;
    try {
      status = await followRemoteBuild(client, build.id!, {
        clock: ctx.clock,
        signal: ctx.signal,
        intervalMs: interval * 1000,
        onEvent: emit,
        onPoll: ({ currentPhase }) => view.update(`${values.remote} ${currentPhase ?? 'starting'}`),
      });
      view.done();
    } catch (err) {
      view.done();
      // Ctrl-C stops the following, not the build.
      if (ctx.signal.aborted)
        throw new WorkFailedError(`stopped following; build ${build.id} goes on in CodeBuild`);
      throw err;
    }
    return status === 'SUCCEEDED' ? ExitCode.Ok : ExitCode.Failed;
  },
};
export default command;
