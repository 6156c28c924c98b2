import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/**
 * One shell session for a whole build, as CodeBuild runs buildspec 0.2: variables, functions and the working
 * directory set by one command are seen by the next, across phases.
 *
 * How: a small driver script loops reading instructions from fd 3 (a pipe we own). An instruction names how many
 * command files to run (`command-1.sh` ... in the session's folder, one user command each, as CodeBuild sources a
 * script file); the driver sources (`.`) them in order in its own shell, after each prints a marker carrying `$?` on
 * the same stream as the command's output (stderr is merged into stdout), and stops at the first that fails. So
 * output and exit statuses stay in order, every status is attributed to the command that produced it, and a phase's
 * commands run back to back without a round trip to us between them. The shell leads its own process group, so a
 * timeout or the end of the build kills everything the commands started.
 */
export interface CommandResult {
  exitCode: number;
  /** The shell itself ended while running the command (`exit`, `set -e`, a signal). */
  shellExited: boolean;
  signal?: NodeJS.Signals;
}

export interface ShellSessionOptions {
  shell: string;
  cwd: string;
  env: Record<string, string>;
  /** Folder for the driver and command files. */
  workDir: string;
  onOutput: (text: string) => void;
  /** Buildspec version 0.1: every command runs in its own shell instance (no state carries over). */
  shellPerCommand?: boolean;
}

export interface SequenceHooks {
  onStart?: (index: number) => void;
  onEnd?: (index: number, result: CommandResult) => void;
}

/** A word the shell reads back as exactly `text`. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export function resolveShell(requested: string | undefined, env: Record<string, string | undefined>): string {
  if (requested && requested !== 'bash' && requested !== 'sh' && requested !== '/bin/sh') {
    // powershell.exe / cmd.exe cannot run here; a named shell path is taken as given.
    if (/\.exe$/i.test(requested))
      throw new Error(`env.shell '${requested}' is a Windows shell; it cannot run locally`);
    return requested;
  }
  if (requested === 'sh' || requested === '/bin/sh') return '/bin/sh';
  for (const dir of (env.PATH ?? '/usr/bin:/bin').split(':')) {
    if (dir && existsSync(join(dir, 'bash'))) return join(dir, 'bash');
  }
  return '/bin/sh';
}

/** Process groups of live sessions: killed if this process exits without closing them (e.g. a second Ctrl-C). */
const liveGroups = new Set<number>();
let exitHookInstalled = false;
function trackGroup(pid: number): void {
  liveGroups.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const group of liveGroups) killGroup(group, 'SIGKILL');
  });
}

export class ShellSession {
  private child: ChildProcess | undefined;
  private readonly nonce = `__CONVEYOR_${randomBytes(8).toString('hex')}__`;
  private buffer = '';
  private pending: { onResult: (r: CommandResult) => void } | undefined;
  private counter = 0;
  private exitPromise: Promise<void> = Promise.resolve();
  private decoder = new StringDecoder('utf8');
  /** Set when a shell ended early; the next command starts a fresh session (noted in the log). */
  restarts = 0;

  constructor(private readonly options: ShellSessionOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private async start(): Promise<void> {
    // Synchronous: a folder and a few bytes, before anything can run (start-up is build overhead).
    // Owner-only: exported values are read back through files in it.
    mkdirSync(this.options.workDir, { recursive: true, mode: 0o700 });
    const driver = join(this.options.workDir, 'driver.sh');
    const marker = this.nonce;
    writeFileSync(
      driver,
      [
        'exec 2>&1',
        `__conveyor_dir=${shellQuote(this.options.workDir)}`,
        'while IFS= read -r __conveyor_line <&3; do',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
        '  CODEBUILD_BUILD_SUCCEEDING=${__conveyor_line%% *}; export CODEBUILD_BUILD_SUCCEEDING',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
        '  __conveyor_count=${__conveyor_line#* }; __conveyor_next=1',
        '  while [ "$__conveyor_next" -le "$__conveyor_count" ]; do',
        '    . "$__conveyor_dir/command-$__conveyor_next.sh" 3<&-',
        '    __conveyor_status=$?',
        `    printf '%s%s\\n' '${marker}' "$__conveyor_status"`,
        '    [ "$__conveyor_status" -eq 0 ] || break',
        '    __conveyor_next=$((__conveyor_next + 1))',
        '  done',
        'done',
        '',
      ].join('\n'),
    );
    this.decoder = new StringDecoder('utf8');
    this.buffer = '';
    const child = spawn(this.options.shell, [driver], {
      cwd: this.options.cwd,
      env: this.options.env,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    if (child.pid !== undefined) trackGroup(child.pid);
    // A shell that dies makes writes to its fd 3 fail (EPIPE); the exit is handled below, the error is not news.
    (child.stdio[3] as Writable | null)?.on('error', () => {});
    child.stdout?.on('data', (chunk: Buffer) => this.onData(this.decoder.write(chunk)));
    child.stderr?.on('data', (chunk: Buffer) => this.options.onOutput(chunk.toString('utf8')));
    this.exitPromise = new Promise<void>((resolve) => {
      child.on('error', (err) => {
        this.options.onOutput(`[Container] cannot start shell ${this.options.shell}: ${err.message}\n`);
        this.finishPending({ exitCode: 127, shellExited: true });
        resolve();
      });
      // Background jobs holding the output pipes would keep 'close' from firing: once the shell is gone,
      // the rest of its group goes too.
      child.on('exit', () => {
        if (child.pid !== undefined) {
          const pid = child.pid;
          setTimeout(() => {
            killGroup(pid, 'SIGKILL');
            liveGroups.delete(pid);
          }, 300).unref();
        }
      });
      child.on('close', (code, signal) => {
        this.flushBuffer();
        if (this.child === child) this.child = undefined;
        this.finishPending({
          exitCode: code ?? 128 + signalNumber(signal),
          shellExited: true,
          ...(signal ? { signal } : {}),
        });
        resolve();
      });
    });
  }

  /** Runs one command in the session; `succeeding` is the CODEBUILD_BUILD_SUCCEEDING value it sees. */
  async run(command: string, succeeding: boolean): Promise<CommandResult> {
    const [result] = await this.runSequence([command], succeeding);
    return result as CommandResult;
  }

  /**
   * Runs commands in order until one fails (non-zero status, or the shell ends); all see the same
   * CODEBUILD_BUILD_SUCCEEDING. `onStart(i)` comes before any output of command i, `onEnd(i, result)` after
   * all of it. Returns the results of the commands that ran.
   */
  async runSequence(
    commands: readonly string[],
    succeeding: boolean,
    hooks: SequenceHooks = {},
  ): Promise<CommandResult[]> {
    if (commands.length === 0) return [];
    if (this.options.shellPerCommand) return this.runEachInNewShell(commands, succeeding, hooks);
    if (!this.child) {
      if (this.counter > 0) {
        this.restarts += 1;
        this.options.onOutput(
          '[Container] the shell session ended; starting a new one for the next command\n',
        );
      }
      await this.start();
    }
    // Command files are numbered slots, rewritten for each sequence: every `.` of the previous sequence had
    // returned before its last marker came back, and rewriting a file costs far less than creating one.
    // Synchronous: a few bytes each, and no thread-pool round trip.
    for (const [i, command] of commands.entries()) {
      writeFileSync(join(this.options.workDir, `command-${i + 1}.sh`), `${command}\n`);
    }
    this.counter += commands.length;
    const child = this.child!;
    return new Promise<CommandResult[]>((resolve) => {
      const results: CommandResult[] = [];
      this.pending = {
        onResult: (result) => {
          results.push(result);
          hooks.onEnd?.(results.length - 1, result);
          if (result.shellExited || result.exitCode !== 0 || results.length === commands.length) {
            this.pending = undefined;
            resolve(results);
          } else hooks.onStart?.(results.length);
        },
      };
      hooks.onStart?.(0);
      (child.stdio[3] as Writable).write(`${succeeding ? 1 : 0} ${commands.length}\n`);
    });
  }

  /** Buildspec 0.1: every command in a shell of its own. */
  private async runEachInNewShell(
    commands: readonly string[],
    succeeding: boolean,
    hooks: SequenceHooks,
  ): Promise<CommandResult[]> {
    const results: CommandResult[] = [];
    for (const [i, command] of commands.entries()) {
      await this.start();
      writeFileSync(join(this.options.workDir, 'command-1.sh'), `${command}\n`);
      this.counter += 1;
      hooks.onStart?.(i);
      const child = this.child!;
      const result = await new Promise<CommandResult>((resolve) => {
        this.pending = {
          onResult: (r) => {
            this.pending = undefined;
            resolve(r);
          },
        };
        (child.stdio[3] as Writable).write(`${succeeding ? 1 : 0} 1\n`);
      });
      await this.close();
      results.push(result);
      hooks.onEnd?.(i, result);
      if (result.shellExited || result.exitCode !== 0) break;
    }
    return results;
  }

  private onData(text: string): void {
    this.buffer += text;
    for (;;) {
      const at = this.buffer.indexOf(this.nonce);
      if (at < 0) break;
      const end = this.buffer.indexOf('\n', at);
      if (end < 0) break;
      if (at > 0) this.options.onOutput(this.buffer.slice(0, at));
      const exitCode = Number(this.buffer.slice(at + this.nonce.length, end));
      this.buffer = this.buffer.slice(end + 1);
      this.finishPending({ exitCode, shellExited: false });
    }
    // Keep a tail that could be the start of a marker split across chunks.
    const keep = this.nonce.length + 8;
    const partial = this.buffer.lastIndexOf('__CONVEYOR_');
    const cut = partial >= 0 && partial >= this.buffer.length - keep ? partial : this.buffer.length;
    if (cut > 0 && this.buffer.indexOf(this.nonce) < 0) {
      this.options.onOutput(this.buffer.slice(0, cut));
      this.buffer = this.buffer.slice(cut);
    }
  }

  private flushBuffer(): void {
    const rest = this.buffer + this.decoder.end();
    this.buffer = '';
    if (rest) this.options.onOutput(rest);
  }

  private finishPending(result: CommandResult): void {
    this.pending?.onResult(result);
  }

  /** Signals the whole process group (the shell and everything its commands started). */
  signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // Already gone.
    }
  }

  /** Kills the group: SIGTERM, then SIGKILL after `graceMs`; resolves when the shell has exited. */
  async kill(graceMs = 1000): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    const pid = child.pid;
    this.signalGroup('SIGTERM');
    const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
    await this.exitPromise;
    clearTimeout(timer);
    // Background processes that ignored SIGTERM or outlived the shell.
    killGroup(pid, 'SIGKILL');
    liveGroups.delete(pid);
  }

  /** Ends the session: the driver loop stops, and anything the commands left running in the group is killed. */
  async close(): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    const pid = child.pid;
    (child.stdio[3] as Writable).end();
    const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), 2000);
    await this.exitPromise;
    clearTimeout(timer);
    killGroup(pid, 'SIGKILL');
    liveGroups.delete(pid);
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  if (!signal) return 0;
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return numbers[signal] ?? 1;
}
