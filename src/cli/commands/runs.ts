import { UsageError, WorkFailedError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { formatMs } from '../../local-ci/durations.js';
import { displayPath } from '../../local-ci/pipeline/load.js';
import { loadLocalConfig } from '../../local-ci/pipeline/local-config.js';
import { DEFAULT_KEEP, formatBytes, parseAge, parseKeep, pruneRuns } from '../../local-ci/run-retention.js';
import { listRuns, type RunRecord, readRunRecord } from '../../local-ci/run-store.js';
import { parseCommandArgs } from '../args.js';
import type { CliContext, Command } from '../context.js';
import { didYouMean } from '../suggest.js';

const usage = `Usage: conveyor runs [--kind build|pipeline] [--limit N] [--json]
       conveyor runs show ID [--json | --follow]
       conveyor runs prune [--keep N] [--older-than DURATION] [--dry-run] [--json]

History of local builds and pipeline runs, recorded under .conveyor/runs/.

show --follow streams a running run's output as it is written (a push-triggered run's console.log, a build's
log) until it ends, then prints its summary; exit 0 if it succeeded, 1 if not.

prune removes old runs with their logs and artifacts and says how many bytes that freed:
  --keep N                keep the newest N runs (default: runs.keep in .conveyor/local-actions.yml, else 50;
                          a pipeline run and the builds it started count as one)
  --older-than DURATION   only runs started longer ago than this (30s, 15m, 12h, 7d, 2w); alone, age decides
  --dry-run               say what would go, remove nothing
Never removed: queued or running runs, runs that just ended, and the newest run in which each pipeline stage
succeeded (a stage rollback re-runs it). Damaged records go by age like any other.
'conveyor build' and 'conveyor run' prune the same way after each run (their --keep N overrides the setting).`;

const command: Command = {
  summary: 'History of local builds and pipeline runs',
  usage,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseCommandArgs({
      args,
      options: {
        json: { type: 'boolean' },
        limit: { type: 'string' },
        kind: { type: 'string' },
        keep: { type: 'string' },
        'older-than': { type: 'string' },
        'dry-run': { type: 'boolean' },
        follow: { type: 'boolean', short: 'f' },
      },
      allowPositionals: true,
    });
    const [sub, id, ...extra] = positionals;
    if (sub === undefined || sub === 'list') {
      const limit = values.limit === undefined ? 20 : Number(values.limit);
      if (!Number.isInteger(limit) || limit <= 0)
        throw new UsageError(`--limit '${values.limit}' is not a positive number`);
      const kind = values.kind;
      if (kind !== undefined && kind !== 'build' && kind !== 'pipeline') {
        throw new UsageError(
          `--kind '${kind}' must be build or pipeline`,
          didYouMean(kind, ['build', 'pipeline']),
        );
      }
      const runs = (await listRuns(ctx.cwd))
        .filter((r) => kind === undefined || r.kind === kind)
        .slice(0, limit);
      if (values.json) ctx.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
      else ctx.stdout.write(renderList(runs));
      return ExitCode.Ok;
    }
    if (sub === 'prune') {
      if (id !== undefined)
        throw new UsageError(`unexpected argument '${id}'`, 'conveyor runs prune [--keep N]');
      return prune(values, ctx);
    }
    if (sub !== 'show')
      throw new UsageError(
        `unknown subcommand '${sub}'`,
        didYouMean(sub, ['list', 'show', 'prune']) ?? usage.split('\n')[0],
      );
    if (id === undefined || extra.length > 0)
      throw new UsageError('runs show takes one run id', 'conveyor runs show ID');
    const record = await findRun(ctx.cwd, id);
    if (!record)
      throw new UsageError(`no run '${id}' under .conveyor/runs`, "list them with 'conveyor runs'");
    if (values.follow) {
      if (values.json)
        throw new UsageError(
          '--follow streams text; --json is not for it',
          `conveyor runs show ${id} --follow`,
        );
      const { followRun } = await import('./runs-follow.js');
      return followRun(ctx.cwd, record, ctx, renderRun);
    }
    ctx.stdout.write(values.json ? `${JSON.stringify(record, null, 2)}\n` : renderRun(record));
    return ExitCode.Ok;
  },
};
export default command;

async function prune(
  values: { keep?: string; 'older-than'?: string; 'dry-run'?: boolean; json?: boolean },
  ctx: CliContext,
): Promise<number> {
  let keep = parseKeep(values.keep);
  const olderThan = values['older-than'];
  const olderThanMs = olderThan === undefined ? undefined : parseAge(olderThan);
  if (olderThan !== undefined && olderThanMs === undefined)
    throw new UsageError(`--older-than '${olderThan}' is not a duration (e.g. 30s, 15m, 12h, 7d, 2w)`);
  if (keep === undefined && olderThanMs === undefined) {
    try {
      keep = (await loadLocalConfig(ctx.cwd)).runs?.keep ?? DEFAULT_KEEP;
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  const result = await pruneRuns(ctx.cwd, {
    ...(keep !== undefined ? { keep } : {}),
    ...(olderThanMs !== undefined ? { olderThanMs } : {}),
    dryRun: values['dry-run'] === true,
    now: ctx.clock.now(),
  });
  if (values.json) {
    ctx.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return ExitCode.Ok;
  }
  const verb = result.dryRun ? 'would remove' : 'removed';
  const limits = [
    ...(result.keep !== null ? [`keeping the newest ${result.keep}`] : []),
    ...(olderThan !== undefined ? [`older than ${olderThan}`] : []),
  ].join(', ');
  ctx.stdout.write(
    `${verb} ${result.removed.length} run(s), ${formatBytes(result.bytesFreed)} ${result.dryRun ? 'to free' : 'freed'} (${limits}); ${result.remaining} left\n`,
  );
  for (const r of result.removed) {
    ctx.stdout.write(
      `  ${r.id}  ${r.damaged ? `damaged record: ${r.damaged}` : `${r.what}  ${r.status}`}  ${formatBytes(r.bytes)}\n`,
    );
  }
  for (const s of result.spared) ctx.stdout.write(`  kept ${s.id}: ${s.reason}\n`);
  return ExitCode.Ok;
}

/** A run by exact id or by a unique prefix / suffix. */
async function findRun(root: string, id: string): Promise<RunRecord | undefined> {
  const exact = await readRunRecord(root, id);
  if ('record' in exact) return exact.record;
  if ('unreadable' in exact) {
    throw new WorkFailedError(
      `the record of run '${id}' is unreadable: ${displayPath(root, exact.path)}: ${exact.unreadable}`,
    );
  }
  const matches = (await listRuns(root)).filter((r) => r.id.startsWith(id) || r.id.endsWith(id));
  if (matches.length > 1) throw new UsageError(`'${id}' matches ${matches.length} runs; give more of the id`);
  return matches[0];
}

/** A pipeline run held at a manual approval is InProgress in its record; people need to know it waits on them. */
export function displayStatus(r: RunRecord): string {
  if (r.status !== 'InProgress') return r.status;
  for (const stage of r.stages ?? []) {
    const waiting = stage.actions.find((a) => a.status === 'Waiting');
    if (waiting) return `waiting for approval (${stage.name}/${waiting.name})`;
  }
  return r.status;
}

function what(r: RunRecord): string {
  return r.kind === 'build' ? `build ${r.project ?? ''}` : `pipeline ${r.pipeline ?? ''}`;
}

function renderList(runs: RunRecord[]): string {
  if (runs.length === 0) return 'No runs recorded yet.\n';
  const rows = runs.map((r) => [
    r.id,
    what(r),
    displayStatus(r),
    r.trigger.type + (r.trigger.ref ? ` ${r.trigger.ref}` : ''),
    r.commit ? r.commit.slice(0, 8) : '-',
    r.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    r.durationMs !== undefined ? formatMs(r.durationMs) : '-',
  ]);
  const header = ['ID', 'WHAT', 'STATUS', 'TRIGGER', 'COMMIT', 'STARTED', 'DURATION'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

export function renderRun(r: RunRecord): string {
  const lines = [
    `${r.id}  ${what(r)}  ${displayStatus(r)}`,
    `  trigger: ${r.trigger.type}${r.trigger.ref ? ` ${r.trigger.ref}` : ''}${r.trigger.detail ? ` (${r.trigger.detail})` : ''}`,
    `  commit: ${r.commit ?? '-'}`,
    `  started: ${r.startedAt}${r.durationMs !== undefined ? `, took ${formatMs(r.durationMs)}` : ''}`,
  ];
  if (r.message) lines.push(`  message: ${r.message}`);
  if (r.buildId) lines.push(`  build id: ${r.buildId} (#${r.buildNumber})`);
  if (r.executionId)
    lines.push(`  execution id: ${r.executionId}${r.executionMode ? ` (${r.executionMode})` : ''}`);
  for (const p of r.phases ?? []) {
    lines.push(
      `  ${p.name.padEnd(18)}${p.status.padEnd(11)}${p.durationMs !== undefined ? formatMs(p.durationMs) : ''}${p.message ? `  ${p.message}` : ''}`,
    );
  }
  for (const s of r.stages ?? []) {
    lines.push(
      `  stage ${s.name}: ${s.status}${s.durationMs !== undefined ? ` in ${formatMs(s.durationMs)}` : ''}${s.message ? `  ${s.message}` : ''}`,
    );
    for (const a of s.actions) {
      lines.push(
        `    ${a.runOrder}. ${a.name} (${a.category}/${a.provider}): ${a.status}${a.durationMs !== undefined ? ` in ${formatMs(a.durationMs)}` : ''}${a.message ? `  ${a.message}` : ''}`,
      );
      if (a.buildRunId) lines.push(`       build run: ${a.buildRunId}`);
      const vars = Object.entries(a.outputVariables ?? {});
      if (vars.length)
        lines.push(`       variables: ${vars.map(([k, v]) => `${k}=${v.split('\n')[0]}`).join(' ')}`);
      if (a.logPath) lines.push(`       log: ${a.logPath}`);
    }
  }
  for (const a of r.artifacts ?? []) lines.push(`  artifact ${a.identifier}: ${a.files} file(s) -> ${a.zip}`);
  for (const d of r.diagnostics ?? [])
    lines.push(`  ${d.file}:${d.line}:${d.col} ${d.severity} ${d.ruleId} ${d.message}`);
  if (r.logPath) lines.push(`  log: ${r.logPath}`);
  return `${lines.join('\n')}\n`;
}
