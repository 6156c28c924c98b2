import { formatMs } from '../../build/build-runner.js';
import { displayPath } from '../../build/pipeline/load.js';
import { listRuns, type RunRecord, readRunRecord } from '../../build/run-store.js';
import { UsageError, WorkFailedError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { parseCommandArgs } from '../args.js';
import type { CliContext, Command } from '../context.js';

const usage = `Usage: conveyor runs [--kind build|pipeline] [--limit N] [--json]
       conveyor runs show ID [--json]

History of local builds and pipeline runs, recorded under .conveyor/runs/.`;

const command: Command = {
  summary: 'History of local builds and pipeline runs',
  usage,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseCommandArgs({
      args,
      options: { json: { type: 'boolean' }, limit: { type: 'string' }, kind: { type: 'string' } },
      allowPositionals: true,
    });
    const [sub, id, ...extra] = positionals;
    if (sub === undefined || sub === 'list') {
      const limit = values.limit === undefined ? 20 : Number(values.limit);
      if (!Number.isInteger(limit) || limit <= 0)
        throw new UsageError(`--limit '${values.limit}' is not a positive number`);
      const kind = values.kind;
      if (kind !== undefined && kind !== 'build' && kind !== 'pipeline') {
        throw new UsageError(`--kind '${kind}' must be build or pipeline`);
      }
      const runs = (await listRuns(ctx.cwd))
        .filter((r) => kind === undefined || r.kind === kind)
        .slice(0, limit);
      if (values.json) ctx.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
      else ctx.stdout.write(renderList(runs));
      return ExitCode.Ok;
    }
    if (sub !== 'show') throw new UsageError(`unknown subcommand '${sub}'`, usage.split('\n')[0]);
    if (id === undefined || extra.length > 0)
      throw new UsageError('runs show takes one run id', 'conveyor runs show ID');
    const record = await findRun(ctx.cwd, id);
    if (!record)
      throw new UsageError(`no run '${id}' under .conveyor/runs`, "list them with 'conveyor runs'");
    ctx.stdout.write(values.json ? `${JSON.stringify(record, null, 2)}\n` : renderRun(record));
    return ExitCode.Ok;
  },
};
export default command;

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

function what(r: RunRecord): string {
  return r.kind === 'build' ? `build ${r.project ?? ''}` : `pipeline ${r.pipeline ?? ''}`;
}

function renderList(runs: RunRecord[]): string {
  if (runs.length === 0) return 'No runs recorded yet.\n';
  const rows = runs.map((r) => [
    r.id,
    what(r),
    r.status,
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
    `${r.id}  ${what(r)}  ${r.status}`,
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
