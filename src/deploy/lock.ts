/**
 * One deployment per group: an exclusive lock file naming the holder's pid and deployment.
 * A lock whose pid is dead (the runner was SIGKILLed) is stale and may be taken over.
 */
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

export function acquireLock(groupDir: string, info: LockInfo): LockResult {
  const file = lockPath(groupDir);
  mkdirSync(groupDir, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(info), { flag: 'wx' });
      return { ok: true };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
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
    if (attempt === 0) {
      try {
        writeFileSync(file, JSON.stringify(info), { flag: 'wx' });
        return holder ? { ok: true, tookOverFrom: holder } : { ok: true };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  }
  const holder = readLock(groupDir);
  return holder
    ? { ok: false, holder }
    : { ok: false, holder: { pid: 0, deploymentId: 'unknown', since: 0 } };
}

/** Hands the lock to another process (the detached runner) we started. */
export function transferLock(groupDir: string, info: LockInfo): void {
  writeFileSync(lockPath(groupDir), JSON.stringify(info));
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
