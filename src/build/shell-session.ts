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
 * How: a small driver script loops reading instructions from fd 3 (a pipe we own). Each instruction names a file
 * holding one user command, which the driver sources (`.`) in its own shell, then prints a marker carrying `$?` on
 * the same stream as the command's output (stderr is merged into stdout), so output and exit statuses stay in order
 * and every status is attributed to the command that produced it. The shell leads its own process group, so a
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
  private pending: { resolve: (r: CommandResult) => void } | undefined;
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
    mkdirSync(this.options.workDir, { recursive: true });
    const driver = join(this.options.workDir, 'driver.sh');
    const marker = this.nonce;
    writeFileSync(
      driver,
      [
        'exec 2>&1',
        'while IFS= read -r __conveyor_line <&3; do',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
        '  CODEBUILD_BUILD_SUCCEEDING=${__conveyor_line%% *}; export CODEBUILD_BUILD_SUCCEEDING',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
        '  . "${__conveyor_line#* }" 3<&-',
        `  printf '%s%s\\n' '${marker}' "$?"`,
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
    if (!this.child) {
      if (this.counter > 0 && !this.options.shellPerCommand) {
        this.restarts += 1;
        this.options.onOutput(
          '[Container] the shell session ended; starting a new one for the next command\n',
        );
      }
      await this.start();
    }
    this.counter += 1;
    // One file, rewritten for each command: the `.` that read the previous one had returned before its marker came
    // back, and rewriting a file costs far less than creating one per command. Synchronous: a few
    // bytes, and no thread-pool round trip per command.
    const file = join(this.options.workDir, 'command.sh');
    writeFileSync(file, `${command}\n`);
    const child = this.child!;
    const result = await new Promise<CommandResult>((resolve) => {
      this.pending = { resolve };
      (child.stdio[3] as Writable).write(`${succeeding ? 1 : 0} ${file}\n`);
    });
    if (this.options.shellPerCommand) await this.close();
    return result;
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
    const p = this.pending;
    this.pending = undefined;
    p?.resolve(result);
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
