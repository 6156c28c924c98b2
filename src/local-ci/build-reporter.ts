import type { Clock } from '../core/clock.js';
import type { OutputStream } from '../core/output.js';
import { recordedPhases } from './build-record.js';
import type { BuildEvent } from './build-types.js';
import { formatMs } from './durations.js';
import type { RunRecord } from './run-store.js';

export type ReportMode = 'tty' | 'plain' | 'json';

export function reportMode(out: OutputStream, json: boolean): ReportMode {
  return json ? 'json' : out.isTTY ? 'tty' : 'plain';
}

/**
 * Shows a build as it runs. tty: a per-phase block redrawn in place, with the output tail of a failing command;
 * plain: the log as lines (like CodeBuild's console); json: one NDJSON event per line.
 */
export function buildReporter(
  out: OutputStream,
  mode: ReportMode,
  clock: Clock,
  prefix = '',
): { onEvent: (e: BuildEvent) => void; close: () => void } {
  if (mode === 'json') {
    return {
      onEvent: (e) => out.write(`${JSON.stringify(e)}\n`),
      close: () => {},
    };
  }
  if (mode === 'plain') {
    let atLineStart = true;
    return {
      onEvent: (e) => {
        if (e.type === 'output') {
          out.write(e.text);
          atLineStart = e.text.endsWith('\n');
          return;
        }
        const nl = atLineStart ? '' : '\n';
        atLineStart = true;
        if (e.type === 'build-start') {
          out.write(
            `${nl}${prefix}build ${e.runId} (${e.buildId})${e.attempt > 1 ? `, attempt ${e.attempt}` : ''}\n`,
          );
        } else if (e.type === 'phase-start') out.write(`${nl}${prefix}[${e.phase}] started\n`);
        else if (e.type === 'command-start') out.write(`${nl}${prefix}[${e.phase}] $ ${e.command}\n`);
        else if (e.type === 'command-end' && e.exitCode !== 0) {
          out.write(`${nl}${prefix}[${e.phase}] exit status ${e.exitCode}\n`);
        } else if (e.type === 'phase-end') {
          out.write(
            `${nl}${prefix}[${e.phase}] ${e.status} in ${formatMs(e.durationMs)}${e.message ? `: ${e.message}` : ''}\n`,
          );
        } else if (e.type === 'retry') out.write(`${nl}${prefix}${e.reason}\n`);
      },
      close: () => {},
    };
  }
  // tty
  const rows = new Map<
    string,
    { status: string; startedAt?: number; durationMs?: number; command?: string }
  >();
  for (const p of recordedPhases) rows.set(p, { status: 'PENDING' });
  let drawn = 0;
  let tail: string[] = [];
  let failedOutput: string[] = [];
  const spinner = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let frame = 0;
  const draw = () => {
    const lines: string[] = [];
    for (const [name, row] of rows) {
      const icon =
        row.status === 'IN_PROGRESS'
          ? spinner[frame % spinner.length]
          : row.status === 'SUCCEEDED'
            ? '✓'
            : row.status === 'PENDING'
              ? ' '
              : row.status === 'SKIPPED'
                ? '-'
                : '✗';
      const time =
        row.durationMs !== undefined
          ? formatMs(row.durationMs)
          : row.startedAt !== undefined
            ? formatMs(clock.now() - row.startedAt)
            : '';
      const cmd = row.status === 'IN_PROGRESS' && row.command ? `  $ ${row.command.slice(0, 60)}` : '';
      lines.push(`${icon} ${prefix}${name.padEnd(17)}${row.status.padEnd(12)}${time.padStart(9)}${cmd}`);
    }
    out.write(`${drawn ? `\x1b[${drawn}A` : ''}${lines.map((l) => `\x1b[2K${l}`).join('\n')}\n`);
    drawn = lines.length;
  };
  const timer = setInterval(() => {
    frame += 1;
    draw();
  }, 120);
  timer.unref();
  return {
    onEvent: (e) => {
      if (e.type === 'phase-start') {
        rows.set(e.phase, { status: 'IN_PROGRESS', startedAt: clock.now() });
        tail = [];
      } else if (e.type === 'command-start') {
        const row = rows.get(e.phase);
        if (row) row.command = e.command;
        tail = [];
      } else if (e.type === 'output') {
        tail.push(...e.text.split('\n').filter((l) => l.length > 0));
        if (tail.length > 20) tail = tail.slice(-20);
        return;
      } else if (e.type === 'command-end' && e.exitCode !== 0) {
        failedOutput = [`$ ${e.command}  (exit status ${e.exitCode})`, ...tail];
      } else if (e.type === 'phase-end') {
        rows.set(e.phase, { status: e.status, durationMs: e.durationMs });
      } else if (e.type === 'build-start' && e.attempt > 1) {
        for (const p of recordedPhases) rows.set(p, { status: 'PENDING' });
      } else if (e.type === 'build-end') {
        for (const [name, row] of rows) if (row.status === 'PENDING') rows.set(name, { status: 'SKIPPED' });
      }
      draw();
    },
    close: () => {
      clearInterval(timer);
      if (failedOutput.length > 0)
        out.write(`\nOutput of the failing command (last lines):\n${failedOutput.join('\n')}\n`);
    },
  };
}

/** The end-of-build summary: phases with statuses and durations, artifacts, exported variables, log path. */
export function buildSummary(record: RunRecord): string {
  const lines: string[] = [''];
  lines.push(`${'PHASE'.padEnd(18)}${'STATUS'.padEnd(12)}${'DURATION'.padStart(10)}`);
  for (const p of record.phases ?? []) {
    lines.push(
      `${p.name.padEnd(18)}${p.status.padEnd(12)}${(p.durationMs !== undefined ? formatMs(p.durationMs) : '-').padStart(10)}`,
    );
  }
  lines.push('');
  lines.push(
    `Build ${record.status.toUpperCase()} in ${formatMs(record.durationMs ?? 0)}: ${record.id} (${record.buildId}, build #${record.buildNumber})`,
  );
  if (record.message && record.status !== 'Succeeded') lines.push(`  ${record.message}`);
  for (const a of record.artifacts ?? []) {
    lines.push(`Artifact ${a.identifier}${a.name ? ` (${a.name})` : ''}: ${a.files} file(s) -> ${a.zip}`);
  }
  for (const r of record.reports ?? [])
    lines.push(`Report ${r.group} (${r.fileFormat}): ${r.files} file(s) -> ${r.folder}`);
  const exported = Object.entries(record.exportedVariables ?? {});
  if (exported.length) lines.push(`Exported variables: ${exported.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  lines.push(`Log: ${record.logPath}`);
  return `${lines.join('\n')}\n`;
}
