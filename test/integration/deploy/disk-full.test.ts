/**
 * A full disk under the state folder: a clear error naming the folder, no "internal error", and no lock left
 * behind to block the next command. Needs root to mount a small tmpfs; skipped (with the reason) otherwise.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireLock } from '../../../src/deploy/lock.js';
import { type GroupFixture, makeGroup } from './helpers.js';

function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('mount', ['--version'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/** Writes until the file system says ENOSPC, so the next write fails. */
function fill(dir: string): string {
  const filler = join(dir, 'filler');
  const block = Buffer.alloc(4096, 1);
  for (let i = 0; ; i++) {
    try {
      writeFileSync(filler, block, { flag: 'a' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') return filler;
      throw err;
    }
    if (i > 100_000) throw new Error('the tmpfs never filled up');
  }
}

let fixture: GroupFixture | undefined;
let mounted: string | undefined;
afterEach(async () => {
  if (fixture) await fixture.cli(['down', '--force']).catch(() => undefined);
  if (mounted) {
    try {
      execFileSync('umount', [mounted], { timeout: 10_000 });
    } catch {
      execFileSync('umount', ['-l', mounted], { timeout: 10_000 });
    }
  }
  await fixture?.cleanup();
  fixture = undefined;
  mounted = undefined;
});

describe.skipIf(!canMount())('a full disk under the state folder (tmpfs, as root)', () => {
  it('fails deploy with the folder and what to do, leaves no lock, and the next deploy runs once space is freed', async () => {
    const f = makeGroup('strategy: all-at-once');
    fixture = f;
    const state = join(f.dir, '.conveyor');
    mkdirSync(state);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', state], { timeout: 10_000 });
    mounted = state;
    // The group folder exists (an earlier deployment made it): creating the lock file works, writing it does not.
    mkdirSync(f.groupDir, { recursive: true });
    const filler = fill(state);

    const full = await f.cli(['deploy', '--revision', f.rev('v1')]);
    expect(full.stderr).not.toContain('internal error');
    expect(full.stderr).not.toContain('bug in Conveyor');
    expect(full.stderr).toMatch(
      new RegExp(
        `no space left on the disk holding ${state.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.* \\(ENOSPC\\): free some space there, or pass --state-dir on another disk, then run the command again`,
      ),
    );
    expect(full.code).toBe(1);
    expect(readdirSync(f.groupDir).filter((n) => n.startsWith('lock'))).toEqual([]);
    // The lock itself on a full disk (what `deploy` takes once the router runs, and `rollback` takes): a clear
    // error, and no empty lock file left to block the next command.
    expect(() => acquireLock(f.groupDir, { pid: process.pid, deploymentId: 'd-x', since: 0 })).toThrow(
      /no space left on the disk holding .*\(ENOSPC\)/,
    );
    expect(readdirSync(f.groupDir).filter((n) => n.startsWith('lock'))).toEqual([]);
    // Reading state still works on a full disk.
    expect((await f.cli(['history'])).code).toBe(0);

    rmSync(filler);
    const next = await f.cli(['deploy', '--revision', f.rev('v1')]);
    expect(next.stderr).not.toContain('lock');
    expect(next.code).toBe(0);
    expect(existsSync(join(f.groupDir, 'lock'))).toBe(false);
  }, 60_000);
});
