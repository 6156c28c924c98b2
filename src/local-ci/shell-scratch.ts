/**
 * The scratch folder a build's shell session writes its driver and command files to (tmpfs when there is
 * one), and the clean-up of scratch folders left behind by builds that were killed.
 */
import { accessSync, constants, readdirSync, rmSync, statfsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { processAlive } from '../core/process.js';

/**
 * Where the session's driver and command files go. Every command is written to a file before the shell
 * sources it; on a journaling file system each such write costs up to a millisecond (ext4 flushes a
 * rewritten file on close), against microseconds in memory. So: a folder on tmpfs (/dev/shm) when
 * there is one we can write, else the run's own folder. Removed when the build ends.
 */
export function scratchFolder(runDir: string): string {
  try {
    if (statfsSync(SHM).type === TMPFS_MAGIC) {
      accessSync(SHM, constants.W_OK);
      removeOrphanedScratch();
      return join(SHM, `${SCRATCH_PREFIX}${process.pid}-${basename(runDir)}`);
    }
  } catch {
    // No tmpfs here: the run folder it is.
  }
  return join(runDir, 'shell');
}

const SHM = '/dev/shm';
const SCRATCH_PREFIX = `conveyor-${process.getuid?.() ?? 'u'}-`;

/** Scratch folders of builds whose process died without removing them (killed with SIGKILL). */
function removeOrphanedScratch(): void {
  for (const name of readdirSync(SHM)) {
    if (!name.startsWith(SCRATCH_PREFIX)) continue;
    const pid = Number(name.slice(SCRATCH_PREFIX.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && !processAlive(pid))
      rmSync(join(SHM, name), { recursive: true, force: true });
  }
}

const TMPFS_MAGIC = 0x01021994;
