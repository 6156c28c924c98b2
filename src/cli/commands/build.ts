import { existsSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { formatDiagnostics } from '../../documents/diagnostics.js';
import { buildReporter, buildSummary, reportMode } from '../../local-ci/build-reporter.js';
import { recordInvalidBuild, runBuild } from '../../local-ci/build-runner.js';
import { loadBuildspecFile } from '../../local-ci/buildspec.js';
import { parseDuration } from '../../local-ci/durations.js';
import { parseKeep } from '../../local-ci/run-retention.js';
import { loadSecretsFile } from '../../local-ci/secrets.js';
import { parseCommandArgs } from '../args.js';
import type { CliContext, Command } from '../context.js';
import { pruneAfterCommand } from '../prune-after-run.js';

const usage = `Usage: conveyor build [--buildspec FILE] [--src DIR] [--out DIR] [--env K=V]... [--json]
       conveyor build --remote PROJECT [options]   (run on AWS CodeBuild)

Runs a buildspec locally, phase by phase, as CodeBuild does: one shell session for the whole build,
CodeBuild's variables and phase transitions, artifacts collected into a folder and a zip.

Options:
  --buildspec FILE   buildspec to run (default: buildspec.yml in the source folder)
  --src DIR          source folder, CODEBUILD_SRC_DIR (default: the current folder)
  --out DIR          where artifacts go (default: .conveyor/runs/<id>/artifacts)
  --env K=V          set a variable (overrides env.variables); repeatable
  --secrets FILE     parameter-store / secrets-manager values (default: .conveyor/secrets.json)
  --clean-env        do not pass your environment on (credentials, tokens...): the commands get only
                     the buildspec's variables, --env, CodeBuild's variables and PATH, HOME, USER,
                     LOGNAME, SHELL, LANG, LANGUAGE, LC_ALL, LC_CTYPE, TERM, TZ, TMPDIR
  --timeout T        whole-build timeout: minutes, or 30s / 5m / 1h (default: 60, as CodeBuild)
  --project NAME     project name in CODEBUILD_BUILD_ID (default: the source folder's name)
  --keep N           then prune .conveyor/runs to the newest N runs (default: runs.keep in
                     .conveyor/local-actions.yml, else 50; see 'conveyor runs prune')
  --json             NDJSON events, the last one the run record
Exit: 0 succeeded, 1 failed (or invalid buildspec), 2 usage error.`;

const command: Command = {
  summary: 'Run a buildspec locally (or on CodeBuild with --remote)',
  usage,
  async run(args: string[], ctx: CliContext): Promise<number> {
    if (args.includes('--remote') || args.some((a) => a.startsWith('--remote='))) return runRemote(args, ctx);
    const { values, positionals } = parseCommandArgs({
      args,
      options: {
        buildspec: { type: 'string' },
        src: { type: 'string' },
        out: { type: 'string' },
        env: { type: 'string', multiple: true },
        secrets: { type: 'string' },
        'clean-env': { type: 'boolean' },
        timeout: { type: 'string' },
        project: { type: 'string' },
        keep: { type: 'string' },
        json: { type: 'boolean' },
      },
      allowPositionals: true,
    });
    const keep = parseKeep(values.keep);
    if (positionals.length > 0)
      throw new UsageError(`unexpected argument '${positionals[0]}'`, usage.split('\n')[0]);
    const root = ctx.cwd;
    const srcDir = resolve(ctx.cwd, values.src ?? '.');
    if (!existsSync(srcDir)) throw new UsageError(`source folder not found: ${values.src}`);
    const envOverrides = parseEnvPairs(values.env ?? []);
    const timeoutMs = values.timeout === undefined ? undefined : parseDuration(values.timeout);
    if (values.timeout !== undefined && timeoutMs === undefined) {
      throw new UsageError(`--timeout '${values.timeout}' is not a duration (minutes, or 30s / 5m / 1h)`);
    }
    const buildspecPath = findBuildspec(values.buildspec, ctx.cwd, srcDir);
    const display = relative(ctx.cwd, buildspecPath) || buildspecPath;
    const secretsFile = resolve(ctx.cwd, values.secrets ?? join('.conveyor', 'secrets.json'));
    let secrets: Awaited<ReturnType<typeof loadSecretsFile>>;
    try {
      secrets = await loadSecretsFile(secretsFile, values.secrets !== undefined);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const project = values.project ?? basename(srcDir);
    const loaded = await loadBuildspecFile(buildspecPath, display, {
      validatedCacheDir: join(root, '.conveyor', 'cache', 'validated'),
    });
    const json = values.json === true;
    if (!loaded.plan) {
      const message = `YAML_FILE_ERROR: ${display} is not a valid buildspec`;
      const record = await recordInvalidBuild({
        root,
        project,
        clock: ctx.clock,
        message,
        diagnostics: loaded.diagnostics,
      });
      if (json) ctx.stdout.write(`${JSON.stringify({ type: 'build-end', record })}\n`);
      else ctx.stderr.write(`${formatDiagnostics(loaded.diagnostics)}\n${message} (run ${record.id})\n`);
      await pruneAfterCommand(ctx, record.id, keep, json);
      return ExitCode.Failed;
    }
    const reporter = buildReporter(ctx.stdout, reportMode(ctx.stdout, json), ctx.clock);
    const result = await runBuild({
      plan: loaded.plan,
      srcDir,
      root,
      ...(values.out ? { outDir: resolve(ctx.cwd, values.out) } : {}),
      project,
      envOverrides,
      baseEnv: ctx.env,
      cleanEnv: values['clean-env'] === true,
      secrets,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      signal: ctx.signal,
      clock: ctx.clock,
      onEvent: reporter.onEvent,
    });
    reporter.close();
    if (!json) ctx.stdout.write(buildSummary(result.record));
    await pruneAfterCommand(ctx, result.record.id, keep, json);
    return result.record.status === 'Succeeded' ? ExitCode.Ok : ExitCode.Failed;
  },
};
export default command;

export function parseEnvPairs(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--env '${pair}' must be NAME=VALUE`);
    const name = pair.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new UsageError(`--env: '${name}' is not a variable name`);
    out[name] = pair.slice(eq + 1);
  }
  return out;
}

function findBuildspec(given: string | undefined, cwd: string, srcDir: string): string {
  if (given !== undefined) {
    const path = isAbsolute(given) ? given : resolve(cwd, given);
    // CodeBuild resolves a relative buildspec path against CODEBUILD_SRC_DIR; accept both.
    if (existsSync(path)) return path;
    const inSrc = resolve(srcDir, given);
    if (existsSync(inSrc)) return inSrc;
    throw new UsageError(`buildspec not found: ${given}`);
  }
  for (const name of ['buildspec.yml', 'buildspec.yaml']) {
    const path = join(srcDir, name);
    if (existsSync(path)) return path;
  }
  throw new UsageError(`no buildspec.yml in ${srcDir}`, 'pass --buildspec FILE');
}

/** `--remote PROJECT` runs on AWS CodeBuild; that command lives with the AWS code and receives the whole argv. */
async function runRemote(args: string[], ctx: CliContext): Promise<number> {
  const remote = await import('./build-remote.js');
  return remote.default.run(args, ctx);
}
