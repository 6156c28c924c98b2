import { existsSync, readdirSync } from 'node:fs';
import { lstat, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../core/errors.js';
import { type FileLock, lock, tryLock } from './lock.js';
import { localConfigFile } from './pipeline/local-config-file.js';
import { type RunRecord, readRunRecord, runsDir } from './run-store.js';

/**
 * Retention of `.conveyor/runs/`: the newest runs stay, older ones go with their logs and artifacts.
 *
 * A pipeline run and the builds it started (their `trigger.parentRunId`) are one unit: counted once, kept or
 * removed together. Never removed, whatever their age: a run still queued or in progress (its process alive), the
 * run the caller just finished, a run that ended within `recentMs` (another process may still be reporting it),
 * a folder without a record changed in the last minute (a run being created), and the newest run in which each stage
 * of each pipeline succeeded — a stage rollback re-runs the stage with that run's artifacts and variables.
 * Damaged records are pruned by age like any other, their age read from the run id (it carries the start time).
 */
export const DEFAULT_KEEP = 50;

export interface PruneOptions {
  /** How many of the newest runs to keep; undefined: age alone decides (with neither: every unprotected run goes). */
  keep?: number;
  /** Only runs started more than this long before `now` are removed. */
  olderThanMs?: number;
  /** Runs never removed (the one the caller just finished). */
  protect?: string[];
  /** Runs that ended (or folders created) less than this long ago are left alone. Default 0. */
  recentMs?: number;
  dryRun?: boolean;
  now: number;
  /** Auto-pruning: when another process is pruning, skip instead of waiting for it. */
  skipIfBusy?: boolean;
}

export interface PrunedRun {
  id: string;
  kind?: RunRecord['kind'];
  what?: string;
  status?: string;
  startedAt: string;
  bytes: number;
  /** Why the record could not be read (the run was pruned by its age). */
  damaged?: string;
}

export interface PruneResult {
  dryRun: boolean;
  keep: number | null;
  olderThanMs: number | null;
  removed: PrunedRun[];
  bytesFreed: number;
  /** Runs left after pruning. */
  remaining: number;
  /** Runs past the limit that were left alone, and why. */
  spared: { id: string; reason: string }[];
  /** Set when another process was pruning and this call skipped. */
  busy?: boolean;
}

const NO_RECORD = 'no run.json';
/** How long a run folder without a record is taken for a run being created. */
const STARTING_MS = 60_000;

interface Entry {
  id: string;
  dir: string;
  record?: RunRecord;
  damaged?: string;
  startedMs: number;
  /** Folder's last change, for a folder without a record. */
  changedMs: number;
}

/** Start time encoded in a run id (`b-20260101-120000-abc123`), if it has one. */
export function runIdTime(id: string): number | undefined {
  const m = /^[bp]-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})-/.exec(id);
  if (!m) return undefined;
  const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return Number.isNaN(t) ? undefined : t;
}

async function scan(root: string): Promise<Entry[]> {
  let names: string[];
  try {
    names = await readdir(runsDir(root));
  } catch {
    return [];
  }
  const entries: Entry[] = [];
  for (const id of names) {
    if (!/^[bp]-/.test(id)) continue;
    const dir = join(runsDir(root), id);
    const st = await stat(dir).catch(() => undefined);
    if (!st?.isDirectory()) continue;
    const found = await readRunRecord(root, id);
    const fromId = runIdTime(id);
    if ('record' in found) {
      const started = Date.parse(found.record.startedAt);
      entries.push({
        id,
        dir,
        record: found.record,
        startedMs: Number.isNaN(started) ? (fromId ?? st.mtimeMs) : started,
        changedMs: st.mtimeMs,
      });
    } else {
      entries.push({
        id,
        dir,
        damaged: 'missing' in found ? NO_RECORD : found.unreadable,
        startedMs: fromId ?? st.mtimeMs,
        changedMs: st.mtimeMs,
      });
    }
  }
  return entries;
}

/** Bytes under a folder (symlinks counted as links, not followed). */
export async function folderBytes(path: string): Promise<number> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let total = 0;
  const names = await readdir(path).catch(() => [] as string[]);
  for (const name of names) total += await folderBytes(join(path, name));
  return total;
}

function what(r: RunRecord): string {
  return r.kind === 'build' ? `build ${r.project ?? ''}`.trim() : `pipeline ${r.pipeline ?? ''}`.trim();
}

/** Why a unit must stay whatever its age, or undefined. */
function spareReason(unit: Entry[], options: PruneOptions, sources: Map<string, string>): string | undefined {
  const recent = options.recentMs ?? 0;
  for (const e of unit) {
    if (options.protect?.includes(e.id)) return 'the run just finished';
    const r = e.record;
    if (r && (r.status === 'InProgress' || r.status === 'Queued')) return `${r.status} (pid ${r.pid})`;
    const source = sources.get(e.id);
    if (source) return source;
    if (recent > 0 && r?.endedAt && options.now - Date.parse(r.endedAt) < recent) return 'ended moments ago';
    // A run folder is made before its first record is written: a young folder without one is a run starting.
    if (e.damaged === NO_RECORD && options.now - e.changedMs < STARTING_MS)
      return 'being created (no record yet)';
  }
  return undefined;
}

/** The newest run in which each pipeline stage succeeded: what a stage rollback would re-run. */
function rollbackSources(entries: Entry[]): Map<string, string> {
  const newestFirst = entries
    .filter((e) => e.record?.kind === 'pipeline')
    .sort((a, b) => b.startedMs - a.startedMs || (a.id < b.id ? 1 : -1));
  const claimed = new Set<string>();
  const sources = new Map<string, string>();
  for (const e of newestFirst) {
    const r = e.record!;
    for (const s of r.stages ?? []) {
      const key = `${r.pipeline}\u0000${s.name}`;
      if (s.status !== 'Succeeded' || claimed.has(key)) continue;
      claimed.add(key);
      if (!sources.has(e.id))
        sources.set(e.id, `last successful run of stage ${s.name} of ${r.pipeline} (stage rollback source)`);
    }
  }
  return sources;
}

/**
 * Removes old runs as `options` says; returns what was (or, with `dryRun`, would be) removed. Pruners take turns
 * through a lock under `.conveyor/locks/`, so two processes finishing runs at once do not race over the folder.
 */
export async function pruneRuns(root: string, options: PruneOptions): Promise<PruneResult> {
  const result: PruneResult = {
    dryRun: options.dryRun === true,
    keep: options.keep ?? null,
    olderThanMs: options.olderThanMs ?? null,
    removed: [],
    bytesFreed: 0,
    remaining: 0,
    spared: [],
  };
  // Nothing recorded yet: nothing to prune, and no lock folder to leave behind.
  if (!(await stat(runsDir(root)).catch(() => undefined))) return result;
  const lockDir = join(root, '.conveyor', 'locks', 'runs-prune');
  let held: FileLock | undefined;
  if (options.skipIfBusy) {
    held = await tryLock(lockDir, { purpose: 'pruning runs' });
    if (!held) return { ...result, busy: true };
  } else {
    held = await lock(lockDir, 60_000, { purpose: 'pruning runs' });
  }
  try {
    const entries = await scan(root);
    const byId = new Map(entries.map((e) => [e.id, e]));
    // Units: a top-level run with the builds it started; a build whose parent is gone stands alone.
    const units = new Map<string, Entry[]>();
    for (const e of entries) {
      const parent = e.record?.trigger?.parentRunId;
      const head = parent && byId.has(parent) ? parent : e.id;
      units.set(head, [...(units.get(head) ?? []), e]);
    }
    const ordered = [...units.entries()]
      .map(([head, members]) => ({ head: byId.get(head)!, members }))
      .sort((a, b) => b.head.startedMs - a.head.startedMs || (a.head.id < b.head.id ? 1 : -1));
    const sources = rollbackSources(entries);
    let remaining = entries.length;
    ordered.forEach(({ head, members }, index) => {
      const beyondKeep = options.keep === undefined || index >= options.keep;
      const oldEnough =
        options.olderThanMs === undefined || options.now - head.startedMs > options.olderThanMs;
      if (!beyondKeep || !oldEnough) return;
      const reason = spareReason(members, options, sources);
      if (reason) {
        result.spared.push({ id: head.id, reason });
        return;
      }
      for (const e of members) {
        result.removed.push({
          id: e.id,
          ...(e.record
            ? { kind: e.record.kind, what: what(e.record), status: e.record.status }
            : { damaged: e.damaged ?? 'unreadable' }),
          startedAt: new Date(e.startedMs).toISOString(),
          bytes: 0,
        });
      }
      remaining -= members.length;
    });
    for (const r of result.removed) {
      const dir = byId.get(r.id)!.dir;
      r.bytes = await folderBytes(dir);
      result.bytesFreed += r.bytes;
      if (!options.dryRun) await rm(dir, { recursive: true, force: true });
    }
    result.remaining = remaining;
    return result;
  } finally {
    await held.release();
  }
}

/** 1536 -> "1.5 KB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** `30s`, `15m`, `12h`, `7d`, `2w` to milliseconds; undefined when it is not a duration. */
export function parseAge(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)$/.exec(text.trim());
  if (!m) return undefined;
  const unit: Record<string, number> = {
    s: 1000,
    m: 60_000,
    min: 60_000,
    h: 3_600_000,
    d: 86_400_000,
    w: 604_800_000,
  };
  const ms = Number(m[1]) * unit[m[2]!]!;
  return ms > 0 ? Math.round(ms) : undefined;
}

/** How long after its end a run of another process is left alone by automatic pruning. */
const AUTO_RECENT_MS = 60_000;

/**
 * Pruning after a run finished (`conveyor build`, `conveyor run`): keeps `keep` runs (from `--keep`, else
 * `runs.keep` in .conveyor/local-actions.yml, else 50), never the run just finished; skips when another process is
 * pruning. Never fails the run: a problem is returned as a warning.
 */
function countRunFolders(root: string): number {
  try {
    return readdirSync(runsDir(root)).length;
  } catch {
    return 0;
  }
}

export async function pruneAfterRun(
  root: string,
  finishedRunId: string,
  options: { keep?: number; now: number },
): Promise<{ result?: PruneResult; warning?: string }> {
  let keep = options.keep;
  try {
    // Every build and run ends here: when there are no more runs than any limit could keep, stop at
    // one directory listing (no settings file parsed, no records read, no lock).
    const count = countRunFolders(root);
    if (keep !== undefined && count <= keep) return {};
    if (keep === undefined && count <= DEFAULT_KEEP && !existsSync(join(root, localConfigFile))) return {};
    if (keep === undefined) {
      const { loadLocalConfig } = await import('./pipeline/local-config.js');
      keep = (await loadLocalConfig(root)).runs?.keep ?? DEFAULT_KEEP;
    }
    if (count <= keep) return {};
    const result = await pruneRuns(root, {
      keep,
      protect: [finishedRunId],
      recentMs: AUTO_RECENT_MS,
      now: options.now,
      skipIfBusy: true,
    });
    return { result };
  } catch (err) {
    return { warning: `old runs were not pruned: ${(err as Error).message}` };
  }
}

/** One line about an automatic prune, or undefined when nothing was removed. */
export function describeAutoPrune(result: PruneResult): string | undefined {
  if (!result.removed.length) return undefined;
  return `pruned ${result.removed.length} old run(s) from .conveyor/runs, ${formatBytes(result.bytesFreed)} freed (keeping the newest ${result.keep})`;
}

/** Reads `--keep N`: a whole number of runs, 0 or more. */
export function parseKeep(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n))
    throw new UsageError(`--keep '${text}' is not a whole number of runs (0 or more)`);
  return n;
}
