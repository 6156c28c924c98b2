import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listRuns, runsDir } from './run-store.js';

/**
 * Manual approvals of local pipeline runs. A waiting action writes `approvals/<stage>--<action>.pending.json` in its
 * run folder and polls for a `.decision.json` beside it; `approveLocalAction` (used by `conveyor run approve` and by
 * `conveyor pipeline approve` before it tries AWS) writes that decision.
 */
export type ApprovalDecision = 'Approved' | 'Rejected';

export interface PendingApproval {
  runId: string;
  pipeline: string;
  stage: string;
  action: string;
  since: string;
  customData?: string;
  externalEntityLink?: string;
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9.@_-]/g, '_');

function approvalFiles(runDir: string, stage: string, action: string) {
  const base = join(runDir, 'approvals', `${safe(stage)}--${safe(action)}`);
  return { pending: `${base}.pending.json`, decision: `${base}.decision.json` };
}

/** Answers a waiting manual approval of a local run. Returns true when a waiting run was found and answered. */
export async function approveLocalAction(options: {
  cwd: string;
  pipeline: string;
  stage: string;
  action: string;
  decision: ApprovalDecision;
  summary?: string;
}): Promise<boolean> {
  const runs = await listRuns(options.cwd);
  for (const run of runs) {
    if (run.kind !== 'pipeline' || run.pipeline !== options.pipeline || run.status !== 'InProgress') continue;
    const files = approvalFiles(join(runsDir(options.cwd), run.id), options.stage, options.action);
    if (!existsSync(files.pending) || existsSync(files.decision)) continue;
    const tmp = `${files.decision}.${process.pid}.tmp`;
    await writeFile(
      tmp,
      JSON.stringify({
        decision: options.decision,
        summary: options.summary ?? '',
        at: new Date().toISOString(),
      }),
    );
    await rename(tmp, files.decision);
    return true;
  }
  return false;
}

/** Approvals waiting in local runs (for `conveyor run approve` without arguments and for status output). */
export async function pendingApprovals(cwd: string): Promise<PendingApproval[]> {
  const out: PendingApproval[] = [];
  for (const run of await listRuns(cwd)) {
    if (run.kind !== 'pipeline' || run.status !== 'InProgress') continue;
    for (const stage of run.stages ?? []) {
      for (const action of stage.actions) {
        if (action.status !== 'Waiting') continue;
        const files = approvalFiles(join(runsDir(cwd), run.id), stage.name, action.name);
        if (!existsSync(files.pending) || existsSync(files.decision)) continue;
        out.push(JSON.parse(await readFile(files.pending, 'utf8')) as PendingApproval);
      }
    }
  }
  return out;
}

/** Waits for a decision; resolves undefined on timeout or when `signal` aborts. */
export async function waitForApproval(
  runDir: string,
  pending: PendingApproval,
  options: { timeoutMs: number; signal?: AbortSignal; pollMs?: number },
): Promise<{ decision: ApprovalDecision; summary: string } | undefined> {
  const files = approvalFiles(runDir, pending.stage, pending.action);
  await mkdir(join(runDir, 'approvals'), { recursive: true });
  await writeFile(files.pending, JSON.stringify(pending, null, 2));
  const deadline = Date.now() + options.timeoutMs;
  try {
    while (Date.now() < deadline && !options.signal?.aborted) {
      if (existsSync(files.decision)) {
        return JSON.parse(await readFile(files.decision, 'utf8')) as {
          decision: ApprovalDecision;
          summary: string;
        };
      }
      await new Promise((r) => setTimeout(r, options.pollMs ?? 150));
    }
    return undefined;
  } finally {
    await rm(files.pending, { force: true });
  }
}
