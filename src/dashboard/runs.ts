/**
 * Local builds and pipeline runs as the page shows them, from the run records (`.conveyor/runs/<id>/run.json`),
 * with the approvals waiting in them and a bounded read of a run's (or an action's) log.
 */
import { closeSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { pendingApprovals } from '../local-ci/approvals.js';
import { listRuns, type RunRecord, readRun, runsDir } from '../local-ci/run-store.js';
import type { ApprovalView, RunView } from './protocol.js';

export const MAX_RUNS = 30;

export function runView(r: RunRecord): RunView {
  return {
    id: r.id,
    kind: r.kind,
    name: r.kind === 'pipeline' ? (r.pipeline ?? '?') : (r.project ?? 'build'),
    status: r.status,
    trigger: r.trigger.type + (r.trigger.ref ? ` ${r.trigger.ref}` : ''),
    ...(r.commit ? { commit: r.commit.slice(0, 10) } : {}),
    startedAt: r.startedAt,
    ...(r.durationMs !== undefined ? { durationMs: r.durationMs } : {}),
    ...(r.message ? { message: r.message } : {}),
    hasLog: Boolean(r.logPath),
    ...(r.phases
      ? {
          phases: r.phases.map((p) => ({
            name: p.name,
            status: p.status,
            ...(p.startedAt ? { startedAt: p.startedAt } : {}),
            ...(p.durationMs !== undefined ? { durationMs: p.durationMs } : {}),
            ...(p.message ? { message: p.message } : {}),
          })),
        }
      : {}),
    ...(r.stages
      ? {
          stages: r.stages.map((s) => ({
            name: s.name,
            status: s.status,
            ...(s.durationMs !== undefined ? { durationMs: s.durationMs } : {}),
            ...(s.message ? { message: s.message } : {}),
            actions: s.actions.map((a) => ({
              name: a.name,
              category: a.category,
              provider: a.provider,
              runOrder: a.runOrder,
              status: a.status,
              ...(a.durationMs !== undefined ? { durationMs: a.durationMs } : {}),
              ...(a.message ? { message: a.message } : {}),
              hasLog: Boolean(a.logPath),
              ...(a.buildRunId ? { buildRunId: a.buildRunId } : {}),
            })),
          })),
        }
      : {}),
  };
}

export async function readRuns(root: string): Promise<{ runs: RunView[]; approvals: ApprovalView[] }> {
  const records = await listRuns(root);
  const approvals = (await pendingApprovals(root).catch(() => [])).map((a) => ({
    runId: a.runId,
    pipeline: a.pipeline,
    stage: a.stage,
    action: a.action,
    since: a.since,
    ...(a.customData ? { customData: a.customData } : {}),
  }));
  return { runs: records.slice(0, MAX_RUNS).map(runView), approvals };
}

/** The log file of a run, or of one action of a pipeline run; only files under the runs folder. */
export async function logFileOf(
  root: string,
  runId: string,
  stage?: string,
  action?: string,
): Promise<string | undefined> {
  if (!/^[bp]-[A-Za-z0-9-]+$/.test(runId)) return undefined;
  const record = await readRun(root, runId);
  if (!record) return undefined;
  const path =
    stage && action
      ? record.stages?.find((s) => s.name === stage)?.actions.find((a) => a.name === action)?.logPath
      : record.logPath;
  if (!path) return undefined;
  try {
    const real = realpathSync(resolve(root, path));
    const base = realpathSync(runsDir(root));
    return real.startsWith(base + sep) ? real : undefined;
  } catch {
    return undefined;
  }
}

/** Up to `max` bytes of a file from `offset`; where the next read starts. */
export function readFrom(file: string, offset: number, max = 256 * 1024): { text: string; next: number } {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return { text: '', next: offset };
  }
  if (size < offset) offset = 0;
  // A first read of a long log shows its end.
  const start = Math.max(offset, size - max);
  const length = size - start;
  if (length <= 0) return { text: '', next: size };
  const buf = Buffer.alloc(length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, length, start);
  } finally {
    closeSync(fd);
  }
  return { text: buf.toString('utf8'), next: size };
}
