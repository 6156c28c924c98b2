import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { distEntry } from '../../core/paths.js';
import {
  type HookKind,
  installHook,
  isBareRepo,
  readInstalled,
  uninstallHooks,
} from '../../local-ci/hooks/install.js';
import { handlePush } from '../../local-ci/hooks/on-push.js';
import { parseCommandArgs } from '../args.js';
import type { CliContext, Command } from '../context.js';

const usage = `Usage: conveyor hooks install --bare-repo DIR      post-receive in a bare repository you push to
                                                  (--repo DIR naming a bare repository does the same)
       conveyor hooks install --pre-push [--wait] [--repo DIR]
                                                  pre-push in a working repository (default: here);
                                                  --wait runs the pipelines first and stops a push that fails them
       conveyor hooks uninstall [--repo DIR]           remove what was installed, restore chained hooks
       conveyor hooks list [--json]

A push then starts 'conveyor run' for each pipeline of this project (YAML/JSON under pipelines/, or emitted by
'conveyor synth' into conveyor.out/pipelines/) whose V2 trigger push
filters (branches, tags, filePaths; glob includes/excludes) match the pushed refs and changed files; without
triggers, a push to the source action's BranchName. Runs wait or supersede per the pipeline's executionMode.
pullRequest filters do not apply locally. An existing hook is kept and chained, and restored on uninstall.`;

const command: Command = {
  summary: 'Install or remove git hooks that trigger local pipeline runs',
  usage,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const [sub, ...rest] = args;
    if (sub === 'install') return install(rest, ctx);
    if (sub === 'uninstall') return uninstall(rest, ctx);
    if (sub === 'list') return list(rest, ctx);
    if (sub === 'on-push') return onPush(rest, ctx);
    throw new UsageError(
      sub ? `unknown subcommand '${sub}'` : 'missing subcommand',
      'conveyor hooks install|uninstall|list',
    );
  },
};
export default command;

async function install(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommandArgs({
    args,
    options: {
      repo: { type: 'string' },
      'bare-repo': { type: 'string' },
      'pre-push': { type: 'boolean' },
      wait: { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  if (values.wait && !values['pre-push']) {
    throw new UsageError('--wait applies to --pre-push only (a post-receive hook cannot stop a push)');
  }
  const targets: { repo: string; kind: HookKind }[] = [];
  if (values['bare-repo'] !== undefined) {
    const repo = resolve(ctx.cwd, values['bare-repo']);
    if (!existsSync(repo) || !(await isBareRepo(repo)))
      throw new UsageError(`--bare-repo ${values['bare-repo']}: not a bare git repository`);
    targets.push({ repo, kind: 'post-receive' });
  }
  if (values['pre-push']) targets.push({ repo: resolve(ctx.cwd, values.repo ?? '.'), kind: 'pre-push' });
  else if (values.repo !== undefined && values['bare-repo'] === undefined) {
    // --repo naming a bare repository means the push target.
    const repo = resolve(ctx.cwd, values.repo);
    if (!existsSync(repo)) throw new UsageError(`--repo ${values.repo}: no such folder`);
    if (!(await isBareRepo(repo))) {
      throw new UsageError(
        `--repo ${values.repo} is a working repository`,
        'add --pre-push to trigger runs from pushes made there',
      );
    }
    targets.push({ repo, kind: 'post-receive' });
  }
  if (targets.length === 0)
    throw new UsageError('choose --bare-repo DIR (a push target) and/or --pre-push', usage.split('\n')[0]);
  const installed = [];
  for (const t of targets) {
    try {
      installed.push(
        await installHook({
          wait: t.kind === 'pre-push' && values.wait === true,
          project: ctx.cwd,
          repo: t.repo,
          kind: t.kind,
          node: process.execPath,
          cli: distEntry('cli/main.js'),
        }),
      );
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  if (values.json) ctx.stdout.write(`${JSON.stringify(installed, null, 2)}\n`);
  else {
    for (const h of installed) {
      ctx.stdout.write(
        `installed ${h.kind} hook ${h.path}${h.chained ? ' (your existing hook runs first)' : ''}\n`,
      );
    }
  }
  return ExitCode.Ok;
}

async function uninstall(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommandArgs({
    args,
    options: { repo: { type: 'string' }, json: { type: 'boolean' } },
  });
  const result = await uninstallHooks(ctx.cwd, values.repo ? resolve(ctx.cwd, values.repo) : undefined);
  if (values.json) ctx.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    for (const p of result.removed) ctx.stdout.write(`removed ${p}\n`);
    for (const p of result.restored) ctx.stdout.write(`restored your hook ${p}\n`);
    for (const p of result.skipped) ctx.stdout.write(`left ${p}: it was changed since it was installed\n`);
    if (result.removed.length + result.skipped.length === 0)
      ctx.stdout.write('no hooks installed by this project\n');
  }
  return ExitCode.Ok;
}

async function list(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommandArgs({ args, options: { json: { type: 'boolean' } } });
  const hooks = await readInstalled(ctx.cwd);
  if (values.json) ctx.stdout.write(`${JSON.stringify(hooks, null, 2)}\n`);
  else if (hooks.length === 0) ctx.stdout.write('no hooks installed by this project\n');
  else
    for (const h of hooks)
      ctx.stdout.write(`${h.kind}  ${h.path}${h.chained ? '  (chained to your hook)' : ''}\n`);
  return ExitCode.Ok;
}

/** Called by the installed hook with the hook's stdin. Reports to stderr, which git shows the pusher. */
async function onPush(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommandArgs({
    args,
    options: {
      hook: { type: 'string' },
      project: { type: 'string' },
      repo: { type: 'string' },
      wait: { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  const kind = values.hook;
  if (kind !== 'post-receive' && kind !== 'pre-push')
    throw new UsageError('--hook must be post-receive or pre-push');
  const project = resolve(ctx.cwd, values.project ?? '.');
  const repo = resolve(ctx.cwd, values.repo ?? '.');
  const input = await readStdin();
  const outcomes = await handlePush({
    project,
    repo,
    kind,
    input,
    node: process.execPath,
    cli: distEntry('cli/main.js'),
    env: ctx.env,
    now: () => ctx.clock.now(),
    wait: values.wait === true,
  });
  if (values.json) ctx.stdout.write(`${JSON.stringify(outcomes, null, 2)}\n`);
  for (const o of outcomes) {
    if (o.started && o.exitCode !== undefined) {
      ctx.stderr.write(
        `conveyor: run ${o.runId} of ${o.pipeline} for ${o.ref} ${o.exitCode === 0 ? 'succeeded' : 'FAILED'}; details: conveyor runs show ${o.runId}\n`,
      );
      continue;
    }
    ctx.stderr.write(
      o.started
        ? `conveyor: started run ${o.runId} of ${o.pipeline} for ${o.ref} at ${o.commit.slice(0, 12)} (${o.reason}); follow it with 'conveyor runs show ${o.runId}'\n`
        : `conveyor: ${o.pipeline} not started for ${o.ref}: ${o.reason}\n`,
    );
  }
  const failed = outcomes.filter((o) => o.exitCode !== undefined && o.exitCode !== 0);
  if (failed.length > 0) {
    ctx.stderr.write(`conveyor: push stopped: ${failed.map((o) => o.pipeline).join(', ')} failed\n`);
    return ExitCode.Failed;
  }
  return ExitCode.Ok;
}

function readStdin(): Promise<string> {
  return new Promise((resolvePromise) => {
    if (process.stdin.isTTY) return resolvePromise('');
    let text = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (c: string) => (text += c));
    process.stdin.on('end', () => resolvePromise(text));
  });
}
