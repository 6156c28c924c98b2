/**
 * Every process a build started, wherever it went. The shell leads its own process group, so killing the group
 * reaches what stayed in it; but a command can leave the group (`setsid`, a daemon that double-forks) and would
 * outlive the build. So each build puts a tag of its own in its environment (`CONVEYOR_BUILD_<random>=1`), which
 * every process it starts inherits, and at the end kills every process whose /proc/PID/environ carries the tag.
 *
 * A process that drops the tag from its environment (`env -i`, `env -u`) is not found: the tag is a marker, not a
 * jail (a cgroup or PID namespace would be one, and needs rights a normal user rarely has). Linux only: without
 * /proc, nothing is found.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

/** Builds whose tagged processes are killed if this process exits without ending them (a second Ctrl-C). */
const liveTags = new Set<BuildProcessTag>();
const pause = new Int32Array(new SharedArrayBuffer(4));
let exitHookInstalled = false;

export class BuildProcessTag {
  /** The environment variable's name; its value is `1`. */
  readonly name = `CONVEYOR_BUILD_${randomBytes(6).toString('hex')}`;
  private readonly needle = Buffer.from(`${this.name}=1`);
  /** The last pid the system handed out before the build started (see `candidates`). */
  private readonly pidBefore = lastPid();
  private readonly startedAt = Date.now();

  constructor() {
    liveTags.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', () => {
        for (const tag of liveTags) tag.killAll();
      });
    }
  }

  /** Live processes carrying the tag (never this process). */
  find(): number[] {
    const found: number[] = [];
    for (const pid of this.candidates()) {
      let environ: Buffer;
      try {
        environ = readFileSync(`/proc/${pid}/environ`);
      } catch {
        continue; // Gone, or not ours to read.
      }
      const at = environ.indexOf(this.needle);
      // The whole entry: preceded by the start or a NUL, followed by a NUL or the end.
      if (
        at >= 0 &&
        (at === 0 || environ[at - 1] === 0) &&
        (at + this.needle.length === environ.length || environ[at + this.needle.length] === 0)
      )
        found.push(pid);
    }
    return found;
  }

  /**
   * Kills (SIGKILL) every process carrying the tag, again until none is left (one may fork while we look);
   * returns how many were killed. Synchronous, so it also works in an exit handler.
   */
  killAll(): number {
    const killed = new Set<number>();
    for (let round = 0; round < 10; round++) {
      const pids = this.find();
      if (pids.length === 0) break;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
          killed.add(pid);
        } catch {
          // Already gone.
        }
      }
      // A killed process shows its environment until it is gone: give it a moment before looking again.
      Atomics.wait(pause, 0, 0, 5);
    }
    return killed.size;
  }

  /** The build is over: no more killing on exit. */
  release(): void {
    liveTags.delete(this);
  }

  /**
   * Pids that may belong to the build. Reading a process's environment is slow in some sandboxes (tens of ms for
   * a hundred processes), so a short build looks only at pids handed out since it started (pids are handed out in
   * order); after a wrap-around, a long build, or without /proc/loadavg, at every process.
   */
  private candidates(): number[] {
    let names: string[];
    try {
      names = readdirSync('/proc');
    } catch {
      return [];
    }
    const pids = names.filter((n) => n.charCodeAt(0) <= 57).map(Number);
    const before = this.pidBefore;
    const now = lastPid();
    const inRange =
      before !== undefined && now !== undefined && now >= before && Date.now() - this.startedAt < 60_000;
    return pids.filter((pid) => pid !== process.pid && (!inRange || (pid > before && pid <= now)));
  }
}

/** The pid most recently handed out in this pid namespace (last field of /proc/loadavg). */
function lastPid(): number | undefined {
  try {
    const n = Number(readFileSync('/proc/loadavg', 'latin1').trim().split(' ').pop());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}
