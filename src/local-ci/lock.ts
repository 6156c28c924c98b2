import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { processAlive } from '../core/process.js';

/**
 * A cross-process lock made of a directory (mkdir is atomic). The holder's pid is written inside, so a lock left by
 * a process that died is taken over instead of blocking forever.
 */
export interface FileLock {
  release(): Promise<void>;
}

/** Tries once; returns undefined when a live process holds the lock. */
export async function tryLock(
  dir: string,
  owner: Record<string, unknown> = {},
): Promise<FileLock | undefined> {
  // A few tiny file operations: done synchronously (see withLockSync), released asynchronously.
  if (!tryLockSync(dir, owner)) return undefined;
  return { release: () => rm(dir, { recursive: true, force: true }) };
}

export async function readLockOwner(dir: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'owner.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Waits (polling) until the lock is free, or until `timeoutMs` passes. */
export async function lock(
  dir: string,
  timeoutMs = 10_000,
  owner: Record<string, unknown> = {},
): Promise<FileLock> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const held = await tryLock(dir, owner);
    if (held) return held;
    if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${dir}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Runs `fn` holding the lock, synchronously: for critical sections of a few file operations, where the
 * thread-pool round trips of the asynchronous lock cost more than the work. Same lock as `lock()`
 * (a directory with the holder's pid; a dead holder's lock is taken over). Waits up to `timeoutMs`.
 */
export function withLockSync<T>(dir: string, fn: () => T, timeoutMs = 10_000): T {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (tryLockSync(dir)) {
      try {
        return fn();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${dir}`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  }
}

function tryLockSync(dir: string, owner: Record<string, unknown> = {}): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      mkdirSync(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        mkdirSync(join(dir, '..'), { recursive: true });
        continue;
      }
      if (code !== 'EEXIST') throw err;
      let holder: Record<string, unknown> | undefined;
      try {
        holder = JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8')) as Record<string, unknown>;
      } catch {
        holder = undefined;
      }
      if (holder && typeof holder.pid === 'number' && processAlive(holder.pid)) return false;
      if (!holder) {
        let age = 0;
        try {
          age = Date.now() - statSync(dir).mtimeMs;
        } catch {}
        if (age < 5000) return false;
      }
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    writeFileSync(
      join(dir, 'owner.json'),
      JSON.stringify({ pid: process.pid, at: new Date().toISOString(), ...owner }),
    );
    return true;
  }
  return false;
}
