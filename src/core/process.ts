import { existsSync, readFileSync } from 'node:fs';

/**
 * True while `pid` runs. A zombie (killed but not yet reaped by its parent) still answers signal 0,
 * so /proc is consulted: a zombie counts as gone. EPERM means it exists under another user.
 */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

/**
 * When `pid` started: field 22 of /proc/<pid>/stat (clock ticks after boot). With the pid it names one process,
 * so a pid the kernel gave again to another program is told apart (that one started later). Undefined when the
 * process is gone, or where there is no /proc (macOS).
 */
export function processStartTime(pid: number): number | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may hold spaces) start at field 3, the state.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

/** Whether this system has /proc to read process start times from (Linux does, macOS does not). */
export function hasProcFs(): boolean {
  return existsSync('/proc/self/stat');
}
