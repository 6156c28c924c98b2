import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { processAlive } from '../../core/process.js';
import { type FileLock, tryLock } from '../lock.js';

/**
 * executionMode across processes (each `conveyor run` is its own process, e.g. one per git push):
 * - QUEUED: executions run one at a time, in the order they started.
 * - SUPERSEDED (CodePipeline's default): a stage holds one execution at a time; an execution waiting to enter a
 *   stage is superseded when a newer execution is waiting for the same stage.
 * - PARALLEL: executions do not wait for each other.
 * Waiters are marker files carrying the run's start time and pid (a dead waiter is ignored).
 */
export type ExecutionMode = 'QUEUED' | 'SUPERSEDED' | 'PARALLEL';

export type GateOutcome = { go: true; waitedMs: number } | { go: false; supersededBy: string };

export interface ExecutionGate {
  /** Before the first stage (QUEUED waits here for earlier executions). */
  start(): Promise<GateOutcome>;
  enterStage(stage: string): Promise<GateOutcome>;
  leaveStage(stage: string): Promise<void>;
  finish(): Promise<void>;
}

interface Waiter {
  order: string;
  runId: string;
  pid: number;
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9.@_-]/g, '_');

export function executionGate(options: {
  root: string;
  pipeline: string;
  mode: ExecutionMode;
  runId: string;
  startedAt: number;
  signal?: AbortSignal;
  pollMs?: number;
  onWaiting?: (what: string, holder?: string) => void;
}): ExecutionGate {
  const base = join(options.root, '.conveyor', 'locks', 'pipelines', safe(options.pipeline));
  const me: Waiter = {
    order: `${String(options.startedAt).padStart(15, '0')}-${options.runId}`,
    runId: options.runId,
    pid: process.pid,
  };
  const pollMs = options.pollMs ?? 100;
  const held = new Map<string, FileLock>();

  const waiters = async (dir: string): Promise<Waiter[]> => {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return [];
    }
    const out: Waiter[] = [];
    for (const name of names) {
      try {
        const w = JSON.parse(await readFile(join(dir, name), 'utf8')) as Waiter;
        if (processAlive(w.pid)) out.push(w);
        else await rm(join(dir, name), { force: true });
      } catch {
        // Being written or removed.
      }
    }
    return out.sort((a, b) => (a.order < b.order ? -1 : 1));
  };

  const wait = async (key: string, supersede: boolean): Promise<GateOutcome> => {
    const dir = join(base, key);
    const waitingDir = join(dir, 'waiting');
    await mkdir(waitingDir, { recursive: true });
    const marker = join(waitingDir, `${me.order}.json`);
    await writeFile(marker, JSON.stringify(me));
    const started = Date.now();
    let announced = false;
    try {
      for (;;) {
        if (options.signal?.aborted) throw options.signal.reason ?? new Error('stopped');
        const queue = await waiters(waitingDir);
        const newer = queue.filter((w) => w.order > me.order);
        if (supersede && newer.length > 0) return { go: false, supersededBy: newer[newer.length - 1]!.runId };
        const first = queue[0];
        if (supersede || !first || first.order === me.order) {
          const lock = await tryLock(join(dir, 'lock'), { runId: options.runId });
          if (lock) {
            held.set(key, lock);
            return { go: true, waitedMs: Date.now() - started };
          }
        }
        if (!announced) {
          announced = true;
          const owner = await readFile(join(dir, 'lock', 'owner.json'), 'utf8').catch(() => '{}');
          options.onWaiting?.(key, (JSON.parse(owner) as { runId?: string }).runId ?? first?.runId);
        }
        await new Promise((r) => setTimeout(r, pollMs));
      }
    } finally {
      await rm(marker, { force: true });
    }
  };

  const release = async (key: string) => {
    await held.get(key)?.release();
    held.delete(key);
  };

  return {
    start: () =>
      options.mode === 'QUEUED' ? wait('execution', false) : Promise.resolve({ go: true, waitedMs: 0 }),
    enterStage: (stage) =>
      options.mode === 'SUPERSEDED'
        ? wait(`stage-${safe(stage)}`, true)
        : Promise.resolve({ go: true, waitedMs: 0 }),
    leaveStage: (stage) => release(`stage-${safe(stage)}`),
    finish: async () => {
      for (const key of [...held.keys()]) await release(key);
    },
  };
}
