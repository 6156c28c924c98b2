import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { formatDiagnostics } from '../../documents/diagnostics.js';
import { approveLocalAction, pendingApprovals } from '../../local-ci/approvals.js';
import { formatMs, parseDuration } from '../../local-ci/durations.js';
import { displayPath, findPipelineFile, loadPipelineFile } from '../../local-ci/pipeline/load.js';
import { loadLocalConfig } from '../../local-ci/pipeline/local-config.js';
import type { PipelineDeclaration } from '../../local-ci/pipeline/model.js';
import { preflight } from '../../local-ci/pipeline/plan.js';
import { type PipelineEvent, runPipeline } from '../../local-ci/pipeline/runner.js';
import { parseKeep } from '../../local-ci/run-retention.js';
import { newRunId, type RunRecord, type RunTrigger, readRun, writeRun } from '../../local-ci/run-store.js';
import { loadSecretsFile } from '../../local-ci/secrets.js';
import { parseCommandArgs } from '../args.js';
import type { CliContext, Command, OutputStream } from '../context.js';
import { pruneAfterCommand } from '../prune-after-run.js';

const usage = `Usage: conveyor run PIPELINE [--variable NAME=VALUE]... [--json] [options]
       conveyor run approve PIPELINE STAGE ACTION [--reject] [--summary TEXT]
       conveyor run approvals [--json]

Runs a pipeline definition locally, stage by stage. PIPELINE is a file (create-pipeline JSON or YAML) or a
pipeline name found under pipelines/ or dist/pipelines/. Source actions read the local git repository; CodeBuild
actions run through 'conveyor build'; CodeDeploy actions through 'conveyor deploy'; manual approvals wait for
'conveyor run approve'. Actions with no local runner are listed before anything starts; map them to commands in
.conveyor/local-actions.yml.

Options:
  --variable NAME=VALUE   pipeline variable (overrides its default); repeatable
  --commit SHA            source revision (default: the source action's branch tip, else HEAD)
  --ref REF               the pushed ref (e.g. refs/heads/main), for BranchName
  --repo DIR              git repository the source actions read (default: the current folder)
  --auto-approve          approve manual approvals without waiting
  --approval-timeout T    how long a manual approval waits (default: the action's, else 7 days)
  --build-timeout T       timeout of each build (default: 60 min)
  --lock-timeout T        how long a deploy waits for another run's deploy lock (default: 30m)
  --secrets FILE          parameter-store / secrets-manager values (default: .conveyor/secrets.json)
  --clean-env             build actions get only a minimum of your environment (see conveyor build)
  --keep N                then prune .conveyor/runs to the newest N runs (default: runs.keep in
                          .conveyor/local-actions.yml, else 50; see 'conveyor runs prune')
  --json                  NDJSON events, the last one the run record
Exit: 0 succeeded, 1 failed (or invalid pipeline), 2 usage or configuration error (incl. actions with no local runner).`;

const command: Command = {
  summary: 'Run a pipeline definition locally, stage by stage',
  usage,
  async run(args: string[], ctx: CliContext): Promise<number> {
    if (args[0] === 'approve') return approve(args.slice(1), ctx);
    if (args[0] === 'approvals') return listApprovals(args.slice(1), ctx);
    try {
      return await runCommand(args, ctx);
    } catch (err) {
      // A run started by a git hook was already recorded as Queued: say why it never started.
      const runIdAt = args.indexOf('--run-id');
      const runId = runIdAt >= 0 ? args[runIdAt + 1] : undefined;
      if (runId && err instanceof UsageError) {
        const queued = await readRun(ctx.cwd, runId);
        if (queued && (queued.status === 'Queued' || queued.status === 'Abandoned')) {
          await writeRun(ctx.cwd, {
            ...queued,
            status: 'Failed',
            pid: process.pid,
            endedAt: new Date(ctx.clock.now()).toISOString(),
            durationMs: 0,
            message: `not started: ${err.message}`,
          });
        }
      }
      throw err;
    }
  },
};
export default command;

async function runCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args,
    options: {
      variable: { type: 'string', multiple: true },
      commit: { type: 'string' },
      ref: { type: 'string' },
      repo: { type: 'string' },
      'auto-approve': { type: 'boolean' },
      'approval-timeout': { type: 'string' },
      'build-timeout': { type: 'string' },
      'lock-timeout': { type: 'string' },
      secrets: { type: 'string' },
      'clean-env': { type: 'boolean' },
      trigger: { type: 'string' },
      'run-id': { type: 'string' },
      keep: { type: 'string' },
      json: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  const keep = parseKeep(values.keep);
  if (positionals.length !== 1)
    throw new UsageError('give one pipeline (a file or a name)', usage.split('\n')[0]);
  const name = positionals[0]!;
  const root = ctx.cwd;
  const file = await findPipelineFile(root, name);
  if (!file) {
    throw new UsageError(
      `pipeline '${name}' not found`,
      'give a .json/.yml file, or a name under pipelines/ or dist/pipelines/',
    );
  }
  const json = values.json === true;
  const trigger: RunTrigger = parseTrigger(values.trigger, values.ref);
  const loaded = await loadPipelineFile(file, name.includes('.') ? name : displayPath(root, file), {
    validate: true,
  });
  if (!loaded.pipeline) {
    const record: RunRecord = {
      id: values['run-id'] ?? newRunId('pipeline', ctx.clock.now()),
      kind: 'pipeline',
      status: 'Failed',
      trigger,
      startedAt: new Date(ctx.clock.now()).toISOString(),
      durationMs: 0,
      pid: process.pid,
      pipeline: name,
      message: `${name} is not a valid pipeline definition`,
      diagnostics: loaded.diagnostics,
    };
    await writeRun(root, record);
    if (json) ctx.stdout.write(`${JSON.stringify({ type: 'run-end', record })}\n`);
    else ctx.stderr.write(`${formatDiagnostics(loaded.diagnostics)}\n${record.message} (run ${record.id})\n`);
    await pruneAfterCommand(ctx, record.id, keep, json);
    return ExitCode.Failed;
  }
  const pipeline = loaded.pipeline;
  for (const d of loaded.diagnostics) {
    const line = `${d.file}:${d.line}:${d.col} ${d.severity} ${d.ruleId} ${d.message}`;
    if (json) ctx.stdout.write(`${JSON.stringify({ type: 'warning', message: line })}\n`);
    else ctx.stderr.write(`${line}\n`);
  }
  const variables: Record<string, string> = {};
  const declared = new Set((pipeline.variables ?? []).map((v) => v.name));
  for (const pair of values.variable ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--variable '${pair}' must be NAME=VALUE`);
    const key = pair.slice(0, eq);
    if (!declared.has(key)) {
      throw new UsageError(
        `pipeline ${pipeline.name} declares no variable '${key}'`,
        declared.size ? `declared: ${[...declared].join(', ')}` : 'it declares no variables',
      );
    }
    variables[key] = pair.slice(eq + 1);
  }
  for (const v of pipeline.variables ?? []) {
    if (v.defaultValue === undefined && variables[v.name] === undefined) {
      throw new UsageError(
        `pipeline variable '${v.name}' has no default value; pass --variable ${v.name}=VALUE`,
      );
    }
  }
  const durations: Record<string, number | undefined> = {};
  for (const key of ['approval-timeout', 'build-timeout', 'lock-timeout'] as const) {
    const text = values[key];
    if (text === undefined) continue;
    const ms = parseDuration(text);
    if (ms === undefined)
      throw new UsageError(`--${key} '${text}' is not a duration (minutes, or 30s / 5m / 1h)`);
    durations[key] = ms;
  }
  let config: Awaited<ReturnType<typeof loadLocalConfig>>;
  let secrets: Awaited<ReturnType<typeof loadSecretsFile>>;
  try {
    config = await loadLocalConfig(root);
    secrets = await loadSecretsFile(
      resolve(root, values.secrets ?? join('.conveyor', 'secrets.json')),
      values.secrets !== undefined,
    );
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const repoDir = resolve(root, values.repo ?? '.');
  if (!existsSync(repoDir)) throw new UsageError(`--repo ${values.repo}: no such folder`);
  const report = preflight(pipeline, config, root);
  if (report.problems.length > 0) {
    const message = `${report.problems.length} action(s) of ${pipeline.name} cannot run locally; nothing was started:\n${report.problems.map((p) => `  - ${p}`).join('\n')}`;
    if (json)
      ctx.stdout.write(
        `${JSON.stringify({ type: 'preflight', problems: report.problems, warnings: report.warnings })}\n`,
      );
    throw new UsageError(message);
  }
  for (const w of report.warnings) {
    if (json) ctx.stdout.write(`${JSON.stringify({ type: 'warning', message: w })}\n`);
    else ctx.stderr.write(`warning: ${w}\n`);
  }
  const live =
    !json && ctx.stdout.isTTY === true
      ? pipelineLiveView(ctx.stdout, pipeline, () => ctx.clock.now())
      : undefined;
  const onEvent = live?.onEvent ?? pipelineReporter(ctx.stdout, json);
  const record = await runPipeline({
    pipeline,
    root,
    repoDir,
    ...(values.commit ? { commit: values.commit } : {}),
    ...(values.ref ? { ref: values.ref } : {}),
    variables,
    trigger,
    config,
    executors: report.executors,
    baseEnv: ctx.env,
    cleanEnv: values['clean-env'] === true,
    secrets,
    clock: ctx.clock,
    signal: ctx.signal,
    onEvent,
    autoApprove: values['auto-approve'] === true,
    ...(durations['approval-timeout'] !== undefined
      ? { approvalTimeoutMs: durations['approval-timeout'] }
      : {}),
    ...(durations['build-timeout'] !== undefined ? { buildTimeoutMs: durations['build-timeout'] } : {}),
    ...(durations['lock-timeout'] !== undefined ? { deployLockTimeoutMs: durations['lock-timeout'] } : {}),
    ...(values['run-id'] ? { runId: values['run-id'] } : {}),
  });
  live?.close();
  if (!json) ctx.stdout.write(pipelineSummary(record));
  await pruneAfterCommand(ctx, record.id, keep, json);
  return record.status === 'Succeeded' ? ExitCode.Ok : ExitCode.Failed;
}

function parseTrigger(text: string | undefined, ref: string | undefined): RunTrigger {
  if (text === undefined || text === 'manual') return { type: 'manual', ...(ref ? { ref } : {}) };
  if (text === 'push') return { type: 'push', ...(ref ? { ref } : {}) };
  throw new UsageError(`--trigger '${text}' must be manual or push`);
}

function pipelineReporter(out: OutputStream, json: boolean): (e: PipelineEvent) => void {
  if (json) return (e) => out.write(`${JSON.stringify(e)}\n`);
  return (e) => {
    switch (e.type) {
      case 'run-start':
        out.write(
          `run ${e.runId} of ${e.pipeline} (execution ${e.executionId}, ${e.executionMode})${e.commit ? ` at ${e.commit.slice(0, 12)}` : ''}\n`,
        );
        break;
      case 'waiting':
        out.write(`  waiting for ${e.what}${e.holder ? ` (held by ${e.holder})` : ''}\n`);
        break;
      case 'stage-start':
        out.write(`[${e.stage}] started\n`);
        break;
      case 'action-start':
        out.write(`[${e.stage}/${e.action}] started (${e.provider})\n`);
        break;
      case 'approval-waiting':
        out.write(`[${e.stage}/${e.action}] waiting for approval: ${e.hint}\n`);
        break;
      case 'action-end':
        out.write(
          `[${e.stage}/${e.action}] ${e.status} in ${formatMs(e.durationMs)}${e.message ? `: ${e.message}` : ''}\n`,
        );
        break;
      case 'stage-end':
        out.write(`[${e.stage}] ${e.status}${e.message ? `: ${e.message}` : ''}\n`);
        break;
      case 'run-end':
        break;
    }
  };
}

/** On a terminal: one line per stage and action, redrawn in place, with the approval command when one waits. */
function pipelineLiveView(
  out: OutputStream,
  pipeline: PipelineDeclaration,
  now: () => number,
): { onEvent: (e: PipelineEvent) => void; close: () => void } {
  interface Row {
    label: string;
    status: string;
    startedAt?: number;
    durationMs?: number;
    note?: string;
  }
  const rows = new Map<string, Row>();
  for (const stage of pipeline.stages) {
    rows.set(stage.name, { label: stage.name, status: 'Pending' });
    for (const a of stage.actions) {
      rows.set(`${stage.name}/${a.name}`, { label: `  ${a.runOrder ?? 1}. ${a.name}`, status: 'Pending' });
    }
  }
  let header = '';
  let waiting = '';
  let drawn = 0;
  let frame = 0;
  const spinner = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  const icons: Record<string, string> = { Succeeded: '✓', Pending: ' ', Skipped: '-' };
  const draw = () => {
    const lines = [`${header}${waiting}`];
    for (const row of rows.values()) {
      const active = row.status === 'InProgress' || row.status === 'Waiting';
      const icon = active ? spinner[frame % spinner.length] : (icons[row.status] ?? '✗');
      const time =
        row.durationMs !== undefined
          ? formatMs(row.durationMs)
          : row.startedAt !== undefined
            ? formatMs(now() - row.startedAt)
            : '';
      lines.push(
        `${icon} ${row.label.padEnd(34)}${row.status.padEnd(12)}${time.padStart(9)}${row.note ? `  ${row.note}` : ''}`,
      );
    }
    out.write(`${drawn ? `\x1b[${drawn}A` : ''}${lines.map((l) => `\x1b[2K${l}`).join('\n')}\n`);
    drawn = lines.length;
  };
  const timer = setInterval(() => {
    frame += 1;
    draw();
  }, 120);
  timer.unref();
  const update = (key: string, change: Partial<Row>) => {
    const row = rows.get(key);
    if (row) rows.set(key, { ...row, ...change });
  };
  return {
    onEvent: (e) => {
      if (e.type === 'run-start') {
        header = `run ${e.runId} of ${e.pipeline} (${e.executionMode})${e.commit ? ` at ${e.commit.slice(0, 12)}` : ''}`;
      } else if (e.type === 'waiting') waiting = `  waiting for ${e.what}${e.holder ? ` (${e.holder})` : ''}`;
      else if (e.type === 'stage-start') {
        waiting = '';
        update(e.stage, { status: 'InProgress', startedAt: now() });
      } else if (e.type === 'action-start')
        update(`${e.stage}/${e.action}`, { status: 'InProgress', startedAt: now() });
      else if (e.type === 'approval-waiting')
        update(`${e.stage}/${e.action}`, { status: 'Waiting', note: e.hint });
      else if (e.type === 'action-end') {
        update(`${e.stage}/${e.action}`, {
          status: e.status,
          durationMs: e.durationMs,
          note: e.message ? e.message.split('\n')[0]!.slice(0, 80) : '',
        });
      } else if (e.type === 'stage-end') update(e.stage, { status: e.status, durationMs: e.durationMs });
      draw();
    },
    close: () => {
      clearInterval(timer);
      draw();
    },
  };
}

export function pipelineSummary(record: RunRecord): string {
  const lines = ['', `${'STAGE / ACTION'.padEnd(36)}${'STATUS'.padEnd(12)}${'DURATION'.padStart(10)}`];
  for (const s of record.stages ?? []) {
    lines.push(
      `${s.name.padEnd(36)}${s.status.padEnd(12)}${(s.durationMs !== undefined ? formatMs(s.durationMs) : '-').padStart(10)}`,
    );
    for (const a of s.actions) {
      lines.push(
        `  ${a.runOrder}. ${a.name}`.padEnd(36) +
          a.status.padEnd(12) +
          (a.durationMs !== undefined ? formatMs(a.durationMs) : '-').padStart(10) +
          (a.buildRunId ? `  build ${a.buildRunId}` : ''),
      );
    }
  }
  lines.push(
    '',
    `Pipeline ${record.pipeline} ${record.status.toUpperCase()} in ${formatMs(record.durationMs ?? 0)}: run ${record.id}`,
  );
  if (record.message && record.status !== 'Succeeded') lines.push(`  ${record.message}`);
  lines.push(`Details: conveyor runs show ${record.id}`);
  return `${lines.join('\n')}\n`;
}

async function approve(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args,
    options: { reject: { type: 'boolean' }, summary: { type: 'string' }, json: { type: 'boolean' } },
    allowPositionals: true,
  });
  if (positionals.length !== 3)
    throw new UsageError(
      'approve takes PIPELINE STAGE ACTION',
      'conveyor run approve PIPELINE STAGE ACTION [--reject]',
    );
  const [pipeline, stage, action] = positionals as [string, string, string];
  const decision = values.reject ? 'Rejected' : 'Approved';
  const found = await approveLocalAction({
    cwd: ctx.cwd,
    pipeline,
    stage,
    action,
    decision,
    ...(values.summary !== undefined ? { summary: values.summary } : {}),
  });
  if (values.json)
    ctx.stdout.write(`${JSON.stringify({ pipeline, stage, action, decision, answered: found })}\n`);
  if (!found) {
    if (!values.json)
      ctx.stderr.write(`no local run of ${pipeline} is waiting for approval at ${stage}/${action}\n`);
    return ExitCode.Failed;
  }
  if (!values.json) ctx.stdout.write(`${decision} ${pipeline} ${stage}/${action}\n`);
  return ExitCode.Ok;
}

async function listApprovals(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommandArgs({ args, options: { json: { type: 'boolean' } } });
  const pending = await pendingApprovals(ctx.cwd);
  if (values.json) ctx.stdout.write(`${JSON.stringify(pending, null, 2)}\n`);
  else if (pending.length === 0) ctx.stdout.write('No local run is waiting for an approval.\n');
  else {
    for (const p of pending) {
      ctx.stdout.write(
        `${p.pipeline} ${p.stage}/${p.action} (run ${p.runId}, since ${p.since}): conveyor run approve ${p.pipeline} ${p.stage} ${p.action}\n`,
      );
    }
  }
  return ExitCode.Ok;
}
