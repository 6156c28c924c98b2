/**
 * Runs the hook scripts of one lifecycle event on one instance, the way the CodeDeploy agent does
 * (hook_executor.rb): in order, stopping at the first failure, with CodeDeploy's environment variables, a
 * per-script timeout, `runas` through `su`, the working directory `/`, stdout and stderr read through pipes into
 * a log with `[stdout]`/`[stderr]` prefixes, and the agent's messages.
 *
 * Where the agent would hang, this fails fast instead and says what the agent would do (docs/lifecycle.md lists
 * each difference):
 * - a script that exits while a process it started still holds its stdout or stderr: the agent waits for the
 *   pipe to close until the script's timeout, then fails with error code 6 ("failed to close STDOUT"). Here the
 *   pipe gets a short grace after the script exits, then the script fails with that message, the holders and a hint.
 * - a timed-out script that ignores SIGTERM: the agent sends SIGTERM to the process group and waits for the script
 *   to end; here SIGKILL follows after a grace period, and the message says so.
 * Processes a script leaves running (the server ApplicationStart starts) keep running and are recorded per
 * instance so `stopInstanceProcesses` can stop them later.
 */
import { spawn } from 'node:child_process';
import { access, chmod, constants, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { DEFAULT_SCRIPT_TIMEOUT_SECONDS } from '../../../deploy/lifecycle-events.js';
import {
  newProcessGroupTag,
  PROCESS_GROUP_TAG_ENV,
  processGroupAlive,
  recordProcessGroup,
  terminateProcessGroups,
} from './process-groups.js';
import {
  decideRunAs,
  type IdentityPort,
  isNoLoginShell as isNoLogin,
  noLoginHint,
  shellQuote,
  systemIdentity,
} from './runas.js';
import { EventLog, outputHolders, pipeLines } from './script-output.js';

/** One entry of an appspec hook list. `timeout` may arrive as a numeric string from YAML. */
export interface HookScript {
  location: string;
  timeout?: number | string | null;
  runas?: string | null;
  /** Undocumented agent key: `sudo <path>` on EC2. Locally it means "as root", so it needs Conveyor to be root. */
  sudo?: boolean | null;
}

export interface HookDeploymentInfo {
  id: string;
  applicationName: string;
  groupName: string;
  groupId: string;
}

export interface HookRunRequest {
  event: string;
  scripts: readonly HookScript[];
  /** The revision folder (deployment archive) script locations resolve against. */
  scriptRoot: string;
  deployment: HookDeploymentInfo;
  /** Extra variables on top of CodeDeploy's, e.g. PORT, INSTANCE_ROOT, INSTANCE_ID. */
  env?: Record<string, string>;
  /** The per-instance, per-event log file; created if missing, appended to. */
  logFile: string;
  /** When given, process groups a script leaves running are recorded under this instance root. */
  instanceRoot?: string;
  /** Working directory of the scripts. Default `/`, the agent's under its systemd unit. */
  cwd?: string;
  /** Time between SIGTERM and SIGKILL when a script times out or is aborted. Default 2000 ms. */
  killGraceMs?: number;
  /**
   * How long a script's stdout/stderr may stay open after the script exits before it fails like the agent
   * (error code 6), never longer than what is left of its timeout. Default 5000 ms.
   */
  heldOutputGraceMs?: number;
  signal?: AbortSignal;
  /** Identity checks, replaceable in tests. */
  identity?: IdentityPort;
}

/** Why a script failed, as the agent's diagnostic error codes name it. */
export type ScriptFailureKind =
  | 'script-missing'
  | 'not-executable'
  | 'path-escapes-revision'
  | 'invalid-timeout'
  | 'runas'
  | 'spawn-failed'
  | 'timed-out'
  | 'output-left-open'
  | 'exit-code'
  | 'signal'
  | 'aborted';

export interface ScriptRunResult {
  location: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  durationMs: number;
  /**
   * The event's output as the agent reports it: its last ~2 KB of `LifecycleEvent - …` and `Script - …` lines and
   * of the scripts' lines, prefixed `[stdout]` or `[stderr]`.
   */
  outputTail: string;
  error?: string;
  failure?: ScriptFailureKind;
  /** The agent's error code for this failure (1 missing, 2 not executable, 3 timed out, 4 failed, 6 output left open). */
  agentErrorCode?: number;
  /** Id of the script's process group when processes of it were still running after it exited. */
  leftRunningPgid?: number;
}

export interface HookRunResult {
  event: string;
  ok: boolean;
  durationMs: number;
  scripts: ScriptRunResult[];
  /** The first failure's message, when not ok. */
  error?: string;
}

export { OUTPUT_TAIL_BYTES } from './script-output.js';

/**
 * How long output may stay open after a script exits. Only a script that leaves it open waits this long: a
 * background job that closes it sooner succeeds, as under the agent; one that holds it longer fails here where
 * the agent would fail at the timeout (or succeed, when it closes before that).
 */
export const HELD_OUTPUT_GRACE_MS = 5000;

/** The agent's ScriptError codes (hook_executor.rb). */
const AGENT_ERROR_CODE: Partial<Record<ScriptFailureKind, number>> = {
  'script-missing': 1,
  'not-executable': 2,
  'timed-out': 3,
  'exit-code': 4,
  signal: 4,
  runas: 4,
  'output-left-open': 6,
};

/** The agent's timeout rule (script_info.rb): integer value, default 3600, must be > 0. */
export function parseScriptTimeout(value: number | string | null | undefined): number | undefined {
  if (value === undefined || value === null) return DEFAULT_SCRIPT_TIMEOUT_SECONDS;
  const seconds =
    typeof value === 'number' ? value : /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(seconds) || seconds <= 0) return undefined;
  return seconds;
}

/**
 * Absolute path of a script inside the revision, or an error. Like the agent, a leading `/` in `location` is
 * relative to the revision root; unlike agent 1.x (and like 2.1), a path leaving the revision is rejected,
 * also through symlinks.
 */
export async function resolveScriptPath(
  scriptRoot: string,
  location: string,
): Promise<{ path: string } | { error: string; failure: ScriptFailureKind }> {
  const trimmed = location.trim();
  const root = resolve(scriptRoot);
  const candidate = resolve(root, trimmed.replace(/^\/+/, ''));
  if (!isInside(root, candidate)) {
    return {
      failure: 'path-escapes-revision',
      error: `Script location ${trimmed} resolves outside the revision (${root})`,
    };
  }
  try {
    await stat(candidate);
  } catch {
    return { failure: 'script-missing', error: `Script does not exist at specified location: ${candidate}` };
  }
  const real = await realpath(candidate);
  if (!isInside(await realpath(root), real)) {
    return {
      failure: 'path-escapes-revision',
      error: `Script location ${trimmed} is a link to ${real}, outside the revision (${root})`,
    };
  }
  return { path: candidate };
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel));
}

async function ensureExecutable(path: string, location: string): Promise<string | undefined> {
  const info = await stat(path);
  if (!info.isFile()) return `Script at specified location: ${location} is not a file`;
  // access(X_OK) is true for root when any x bit is set, as for execve itself.
  try {
    await access(path, constants.X_OK);
    return undefined;
  } catch {
    // The agent tries `chmod +x` before giving up.
  }
  try {
    await chmod(path, info.mode | 0o111);
    await access(path, constants.X_OK);
    return undefined;
  } catch {
    return `Unable to set script at specified location: ${location} as executable`;
  }
}

function errorPrefix(script: HookScript): string {
  const runas = script.runas?.trim();
  return `Script at specified location: ${script.location.trim()}${runas ? ` run as user ${runas}` : ''}`;
}

/** Run one event's scripts in order; stop at the first failure. */
export async function runHookScripts(req: HookRunRequest): Promise<HookRunResult> {
  const started = performance.now();
  const results: ScriptRunResult[] = [];
  if (req.scripts.length === 0) return { event: req.event, ok: true, durationMs: 0, scripts: results };
  const log = await EventLog.open(req.logFile);
  try {
    log.add(`LifecycleEvent - ${req.event}`);
    for (const script of req.scripts) {
      const result = await runOneScript(req, script, log);
      results.push(result);
      if (result.error !== undefined) {
        return {
          event: req.event,
          ok: false,
          durationMs: performance.now() - started,
          scripts: results,
          error: result.error,
        };
      }
    }
    return { event: req.event, ok: true, durationMs: performance.now() - started, scripts: results };
  } finally {
    await log.close();
  }
}

async function runOneScript(
  req: HookRunRequest,
  script: HookScript,
  log: EventLog,
): Promise<ScriptRunResult> {
  const started = performance.now();
  const location = script.location.trim();
  const failed = (failure: ScriptFailureKind, error: string): ScriptRunResult => {
    log.note(error);
    return {
      location,
      exitCode: null,
      signal: null,
      timedOut: false,
      durationMs: performance.now() - started,
      outputTail: log.tail(),
      error,
      failure,
      ...agentCode(failure),
    };
  };

  if (req.signal?.aborted)
    return failed('aborted', `${errorPrefix(script)} was not started: the deployment was aborted`);
  if (!location) return failed('script-missing', `${req.event} lists a script with no location`);
  const timeoutSeconds = parseScriptTimeout(script.timeout);
  if (timeoutSeconds === undefined) {
    return failed(
      'invalid-timeout',
      `${errorPrefix(script)} has an invalid timeout value (${String(script.timeout)})`,
    );
  }
  const resolved = await resolveScriptPath(req.scriptRoot, location);
  if ('error' in resolved) return failed(resolved.failure, resolved.error);
  const notExecutable = await ensureExecutable(resolved.path, location);
  if (notExecutable) return failed('not-executable', notExecutable);
  const runAs = await decideRunAs(
    script.runas?.trim() || (script.sudo ? 'root' : undefined),
    req.identity ?? systemIdentity,
  );
  if (runAs.kind === 'error') return failed('runas', `${errorPrefix(script)} cannot run: ${runAs.message}`);
  log.add(`Script - ${location}`);
  if (runAs.kind === 'nologin') {
    // Conveyor cannot `su` to itself without a password; the agent, as root, would, and su would refuse.
    return failed(
      'runas',
      `${errorPrefix(script)} failed with exit code 1 (${noLoginHint(runAs.user, runAs.shell)})`,
    );
  }

  const tag = newProcessGroupTag();
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...req.env,
    LIFECYCLE_EVENT: req.event,
    DEPLOYMENT_ID: req.deployment.id,
    APPLICATION_NAME: req.deployment.applicationName,
    DEPLOYMENT_GROUP_NAME: req.deployment.groupName,
    DEPLOYMENT_GROUP_ID: req.deployment.groupId,
    [PROCESS_GROUP_TAG_ENV]: tag,
  };
  const timeoutMs = timeoutSeconds * 1000;
  const outcome = await spawnAndWait({
    // The agent's command line: `su USER -c <script>` for runas, else the script itself.
    command: runAs.kind === 'su' ? ['su', runAs.user, '-c', shellQuote(resolved.path)] : [resolved.path],
    cwd: req.cwd ?? '/',
    env,
    log,
    tag,
    timeoutMs,
    killGraceMs: req.killGraceMs ?? 2000,
    heldOutputGraceMs: req.heldOutputGraceMs ?? HELD_OUTPUT_GRACE_MS,
    signal: req.signal,
  });

  let leftRunningPgid: number | undefined;
  if (outcome.pgid !== undefined && processGroupAlive(outcome.pgid)) {
    leftRunningPgid = outcome.pgid;
    if (req.instanceRoot) {
      await recordProcessGroup(req.instanceRoot, {
        pgid: outcome.pgid,
        tag,
        event: req.event,
        location,
        deploymentId: req.deployment.id,
        recordedAt: new Date().toISOString(),
      });
    }
  }

  const failure = classify(outcome);
  let error: string | undefined;
  switch (failure) {
    case 'spawn-failed':
      error = `${errorPrefix(script)} could not be started: ${outcome.spawnError}`;
      break;
    case 'timed-out':
      error = `Script at specified location: ${location} failed to complete in ${timeoutSeconds} seconds`;
      if (outcome.signal === 'SIGKILL') {
        error += ` (it ignored SIGTERM and was killed after ${(req.killGraceMs ?? 2000) / 1000} s; the CodeDeploy agent sends only SIGTERM and waits for the script to end, however long that takes)`;
      }
      break;
    case 'aborted':
      error = `${errorPrefix(script)} was stopped: the deployment was aborted`;
      break;
    case 'output-left-open':
      error = `Script at specified location: ${location} failed to close ${outcome.heldOutput === 'stdout' ? 'STDOUT' : 'STDERR'} (${heldOutputHint(outcome, timeoutSeconds)})`;
      break;
    case 'signal':
      error = `${errorPrefix(script)} was killed by ${outcome.signal}`;
      break;
    case 'exit-code':
      error = `${errorPrefix(script)} failed with exit code ${outcome.exitCode}`;
      if (runAs.kind === 'su' && isNoLogin(runAs.shell))
        error += ` (${noLoginHint(runAs.user, runAs.shell)})`;
      break;
  }
  if (error) log.note(error);
  return {
    location,
    exitCode: outcome.exitCode,
    signal: outcome.signal,
    timedOut: outcome.timedOut,
    durationMs: performance.now() - started,
    outputTail: log.tail(),
    ...(leftRunningPgid === undefined ? {} : { leftRunningPgid }),
    ...(error && failure ? { error, failure, ...agentCode(failure) } : {}),
  };
}

function agentCode(failure: ScriptFailureKind): { agentErrorCode?: number } {
  const code = AGENT_ERROR_CODE[failure];
  return code === undefined ? {} : { agentErrorCode: code };
}

function classify(outcome: SpawnOutcome): ScriptFailureKind | undefined {
  if (outcome.spawnError) return 'spawn-failed';
  if (outcome.timedOut) return 'timed-out';
  if (outcome.aborted) return 'aborted';
  if (outcome.heldOutput) return 'output-left-open';
  if (outcome.signal) return 'signal';
  if (outcome.exitCode !== 0) return 'exit-code';
  return undefined;
}

function heldOutputHint(outcome: SpawnOutcome, timeoutSeconds: number): string {
  const stream = outcome.heldOutput ?? 'stdout';
  const who =
    outcome.holders && outcome.holders.length > 0
      ? `${outcome.holders.length > 1 ? 'processes' : 'process'} ${outcome.holders.join(', ')}`
      : 'a process it started in the background';
  const verb = outcome.holders && outcome.holders.length > 1 ? 'hold' : 'holds';
  return `the script exited, but ${who} still ${verb} its ${stream}; the CodeDeploy agent waits for that until the hook's timeout (${timeoutSeconds} s) and then fails the deployment with error code 6. Redirect the output of background processes, e.g. \`node server.js > /dev/null 2>&1 &\``;
}

interface SpawnOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  pgid?: number;
  spawnError?: string;
  /** The script exited but this stream stayed open past the grace period. */
  heldOutput?: 'stdout' | 'stderr';
  /** Processes holding it, as `pid (command)`. */
  holders?: string[];
}

async function spawnAndWait(opts: {
  command: string[];
  cwd: string;
  env: Record<string, string>;
  log: EventLog;
  /** The run's process-group tag, to name processes that hold its output. */
  tag: string;
  timeoutMs: number;
  killGraceMs: number;
  heldOutputGraceMs: number;
  signal: AbortSignal | undefined;
}): Promise<SpawnOutcome> {
  const startedAt = Date.now();
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(opts.command[0]!, opts.command.slice(1), {
      cwd: opts.cwd,
      env: opts.env,
      // Pipes, as the agent's popen3: a background process that inherits them keeps them open, and that shows.
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group (pgid = pid), so a timeout can signal the script and everything it started.
      detached: true,
    });
  } catch (err) {
    return {
      exitCode: null,
      signal: null,
      timedOut: false,
      aborted: false,
      spawnError: (err as Error).message,
    };
  }
  const stdout = child.stdout!;
  const stderr = child.stderr!;
  const open = { stdout: true, stderr: true };
  const ended = {
    stdout: pipeLines(stdout, '[stdout]', opts.log).then(() => (open.stdout = false)),
    stderr: pipeLines(stderr, '[stderr]', opts.log).then(() => (open.stderr = false)),
  };
  const bothClosed = Promise.all([ended.stdout, ended.stderr]);

  return new Promise<SpawnOutcome>((resolveOutcome) => {
    const pgid = child.pid;
    let timedOut = false;
    let aborted = false;
    let killing: Promise<unknown> | undefined;
    const killGroup = () => {
      if (pgid !== undefined && !killing) killing = terminateProcessGroups([pgid], opts.killGraceMs);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, opts.timeoutMs);
    const onAbort = () => {
      aborted = true;
      killGroup();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    let finished = false;
    const finish = async (outcome: Omit<SpawnOutcome, 'timedOut' | 'aborted' | 'pgid'>) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      // A killed script's children must be gone before we report, so nothing from it outlives the event.
      if (killing) await killing;
      stdout.destroy();
      stderr.destroy();
      resolveOutcome({ ...outcome, timedOut, aborted, ...(pgid === undefined ? {} : { pgid }) });
    };
    child.once('error', (err) => {
      void finish({ exitCode: null, signal: null, spawnError: err.message });
    });
    child.once('exit', (code, signal) => {
      const exited = { exitCode: code, signal };
      if (timedOut || aborted) return void finish(exited);
      // Like the agent, the script is done when its output is closed too; unlike it, do not wait for that until
      // the timeout: a server holding the pipe would make every such deployment take the whole timeout.
      const left = Math.max(0, opts.timeoutMs - (Date.now() - startedAt));
      const grace = setTimeout(
        () => {
          const heldOutput = open.stdout ? 'stdout' : 'stderr';
          void finish({ ...exited, heldOutput, holders: outputHolders(opts.tag, heldOutput) });
        },
        Math.min(opts.heldOutputGraceMs, left),
      );
      void bothClosed.then(() => {
        clearTimeout(grace);
        void finish(exited);
      });
    });
  });
}
