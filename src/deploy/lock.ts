/**
 * One deployment per group: an exclusive lock file naming the holder's pid and deployment.
 * A lock whose pid is dead (the runner was SIGKILLed) is stale and may be taken over.
 */
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STATE_HINT, storageFailure } from '../core/errors.js';
import { processAlive } from '../core/process.js';

export interface LockInfo {
  pid: number;
  deploymentId: string;
  since: number;
}

export type LockResult = { ok: true; tookOverFrom?: LockInfo } | { ok: false; holder: LockInfo };

export function lockPath(groupDir: string): string {
  return join(groupDir, 'lock');
}

export function readLock(groupDir: string): LockInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(lockPath(groupDir), 'utf8')) as LockInfo;
    return typeof info.pid === 'number' ? info : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Creates the lock file whole or not at all: the content is written to a file of our own first and then linked
 * to the lock's name (link fails if the name exists). A plain create-then-write left an empty lock behind when
 * the write failed (a full disk), and that empty lock blocked the next command. False if the lock exists.
 */
function createLock(groupDir: string, info: LockInfo): boolean {
  const file = lockPath(groupDir);
  const mine = `${file}.new-${process.pid}`;
  try {
    mkdirSync(groupDir, { recursive: true });
    writeFileSync(mine, JSON.stringify(info));
    linkSync(mine, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw storageFailure(err, groupDir, STATE_HINT);
  } finally {
    rmSync(mine, { force: true });
  }
}

export function acquireLock(groupDir: string, info: LockInfo): LockResult {
  const file = lockPath(groupDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    if (createLock(groupDir, info)) return { ok: true };
    const holder = readLock(groupDir);
    if (holder && processAlive(holder.pid)) return { ok: false, holder };
    // Stale (dead pid or unreadable): move it aside atomically, so two takers cannot both win.
    try {
      const aside = `${file}.stale-${process.pid}-${attempt}`;
      renameSync(file, aside);
      unlinkSync(aside);
    } catch {
      // another process took it over first, or the rename target vanished; retry decides
    }
    if (attempt === 0 && createLock(groupDir, info)) {
      return holder ? { ok: true, tookOverFrom: holder } : { ok: true };
    }
  }
  const holder = readLock(groupDir);
  return holder
    ? { ok: false, holder }
    : { ok: false, holder: { pid: 0, deploymentId: 'unknown', since: 0 } };
}

/** Hands the lock to another process (the detached runner) we started. */
export function transferLock(groupDir: string, info: LockInfo): void {
  // Renamed into place, so a failed write never leaves the lock empty.
  const next = `${lockPath(groupDir)}.new-${process.pid}`;
  try {
    writeFileSync(next, JSON.stringify(info));
    renameSync(next, lockPath(groupDir));
  } catch (err) {
    rmSync(next, { force: true });
    throw storageFailure(err, groupDir, STATE_HINT);
  }
}

export function releaseLock(groupDir: string, pid: number = process.pid): void {
  const holder = readLock(groupDir);
  if (holder && holder.pid !== pid) return;
  try {
    unlinkSync(lockPath(groupDir));
  } catch {
    // already gone
  }
}
