/**
 * Runs the hook scripts of one lifecycle event on one instance, the way the CodeDeploy agent does
 * (hook_executor.rb): in order, stopping at the first failure, with CodeDeploy's environment variables, a
 * per-script timeout, `runas`, and a missing or non-executable script reported by location.
 *
 * Two deliberate differences from the Ruby agent, both to keep the runner from hanging:
 * - stdout/stderr go straight to the per-event log file as file descriptors, not pipes, and a script is done
 *   when its process exits. The agent reads pipes until EOF, so a script that starts a server which inherits
 *   stdout never "finishes" there (the well-known pitfall, error code 6); here it finishes when it exits.
 * - a timeout kills the script's whole process group, SIGTERM then SIGKILL after a grace period, so children a
 *   timed-out script spawned do not outlive it.
 * Processes a successful script leaves running (the server ApplicationStart starts) keep running and are
 * recorded per instance so `stopInstanceProcesses` can stop them later.
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { access, chmod, constants, mkdir, open, realpath, stat, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { DEFAULT_SCRIPT_TIMEOUT_SECONDS } from '../../../deploy/lifecycle-events.js';
import {
  newProcessGroupTag,
  PROCESS_GROUP_TAG_ENV,
  processGroupAlive,
  recordProcessGroup,
  terminateProcessGroups,
} from './process-groups.js';

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
  /** Working directory of the scripts. Default: the instance root, else the script root. */
  cwd?: string;
  /** Time between SIGTERM and SIGKILL when a script times out or is aborted. Default 2000 ms. */
  killGraceMs?: number;
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
  | 'exit-code'
  | 'signal'
  | 'aborted';

export interface ScriptRunResult {
  location: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  durationMs: number;
  /** Last ~4 KB of what the script wrote to the log (its stdout and stderr). */
  outputTail: string;
  error?: string;
  failure?: ScriptFailureKind;
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

export const OUTPUT_TAIL_BYTES = 4096;

/** The user a script runs as; tests substitute their own. */
export interface IdentityPort {
  currentUid(): number;
  currentUserName(): string;
  lookupUser(name: string): Promise<{ uid: number; gid: number; home: string } | undefined>;
}

export const systemIdentity: IdentityPort = {
  currentUid: () => process.getuid?.() ?? -1,
  currentUserName: () => userInfo().username,
  lookupUser: (name) =>
    new Promise((resolveUser) => {
      // getent consults NSS (LDAP, sssd…), not only /etc/passwd. No shell: the name is one argument.
      execFile('getent', ['passwd', name], { timeout: 5000 }, (err, stdout) => {
        if (err) return resolveUser(undefined);
        const fields = stdout.trim().split(':');
        const uid = Number(fields[2]);
        const gid = Number(fields[3]);
        if (!Number.isInteger(uid) || !Number.isInteger(gid)) return resolveUser(undefined);
        resolveUser({ uid, gid, home: fields[5] ?? '/' });
      });
    }),
};

export type RunAsDecision =
  | { kind: 'current' }
  | { kind: 'switch'; uid: number; gid: number; user: string; home: string }
  | { kind: 'error'; message: string };

/**
 * How to honour `runas`: nothing to do for the current user; switch uid/gid when we are root and the user
 * exists; otherwise refuse. Never silently run a script as someone other than the one asked for.
 */
export async function decideRunAs(
  runas: string | null | undefined,
  identity: IdentityPort,
): Promise<RunAsDecision> {
  const wanted = runas?.trim();
  if (!wanted) return { kind: 'current' };
  const current = identity.currentUserName();
  if (wanted === current) return { kind: 'current' };
  if (identity.currentUid() !== 0) {
    return {
      kind: 'error',
      message: `runas: ${wanted} needs the runner to be root to switch user, but it runs as ${current}; run conveyor as root or remove runas (scripts would run as ${current})`,
    };
  }
  const user = await identity.lookupUser(wanted);
  if (!user) return { kind: 'error', message: `runas: user ${wanted} does not exist on this machine` };
  return { kind: 'switch', uid: user.uid, gid: user.gid, user: wanted, home: user.home };
}

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

async function readTail(file: string, fromOffset: number): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    const start = Math.max(fromOffset, size - OUTPUT_TAIL_BYTES);
    const length = Math.max(0, size - start);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, start);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}

async function appendLog(file: string, line: string): Promise<void> {
  await writeFile(file, `${new Date().toISOString()} ${line}\n`, { flag: 'a' });
}

function errorPrefix(script: HookScript): string {
  const runas = script.runas?.trim();
  return `Script at specified location: ${script.location.trim()}${runas ? ` run as user ${runas}` : ''}`;
}

/** Run one event's scripts in order; stop at the first failure. */
export async function runHookScripts(req: HookRunRequest): Promise<HookRunResult> {
  const started = performance.now();
  const results: ScriptRunResult[] = [];
  if (req.scripts.length > 0) {
    await mkdir(dirname(req.logFile), { recursive: true });
    await appendLog(req.logFile, `LifecycleEvent - ${req.event}`);
  }
  for (const script of req.scripts) {
    const result = await runOneScript(req, script);
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
}

async function runOneScript(req: HookRunRequest, script: HookScript): Promise<ScriptRunResult> {
  const started = performance.now();
  const location = script.location.trim();
  const failed = (failure: ScriptFailureKind, error: string, outputTail = ''): ScriptRunResult => ({
    location,
    exitCode: null,
    signal: null,
    timedOut: false,
    durationMs: performance.now() - started,
    outputTail,
    error,
    failure,
  });

  await appendLog(req.logFile, `Script - ${location}`);
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
  if (runAs.kind === 'switch') {
    // What `su <user> -c` sets for a non-root target.
    Object.assign(env, { USER: runAs.user, LOGNAME: runAs.user, HOME: runAs.home });
  }

  const logStart = (await stat(req.logFile)).size;
  const outcome = await spawnAndWait({
    path: resolved.path,
    cwd: req.cwd ?? req.instanceRoot ?? req.scriptRoot,
    env,
    logFile: req.logFile,
    timeoutMs: timeoutSeconds * 1000,
    killGraceMs: req.killGraceMs ?? 2000,
    signal: req.signal,
    ids: runAs.kind === 'switch' ? { uid: runAs.uid, gid: runAs.gid } : undefined,
  });
  const outputTail = await readTail(req.logFile, logStart);
  const base = {
    location,
    exitCode: outcome.exitCode,
    signal: outcome.signal,
    timedOut: outcome.timedOut,
    outputTail,
  };

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
  const durationMs = performance.now() - started;
  const withPgid = leftRunningPgid === undefined ? {} : { leftRunningPgid };

  let failure: ScriptFailureKind | undefined;
  let error: string | undefined;
  if (outcome.spawnError) {
    failure = 'spawn-failed';
    error = `${errorPrefix(script)} could not be started: ${outcome.spawnError}`;
  } else if (outcome.timedOut) {
    failure = 'timed-out';
    error = `Script at specified location: ${location} failed to complete in ${timeoutSeconds} seconds`;
  } else if (outcome.aborted) {
    failure = 'aborted';
    error = `${errorPrefix(script)} was stopped: the deployment was aborted`;
  } else if (outcome.signal) {
    failure = 'signal';
    error = `${errorPrefix(script)} was killed by ${outcome.signal}`;
  } else if (outcome.exitCode !== 0) {
    failure = 'exit-code';
    error = `${errorPrefix(script)} failed with exit code ${outcome.exitCode}`;
  }
  if (error) await appendLog(req.logFile, error);
  return { ...base, durationMs, ...withPgid, ...(error ? { error, failure } : {}) };
}

interface SpawnOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  pgid?: number;
  spawnError?: string;
}

async function spawnAndWait(opts: {
  path: string;
  cwd: string;
  env: Record<string, string>;
  logFile: string;
  timeoutMs: number;
  killGraceMs: number;
  signal: AbortSignal | undefined;
  ids: { uid: number; gid: number } | undefined;
}): Promise<SpawnOutcome> {
  // One descriptor for both streams, opened for append: output lands in the file in the order it is written,
  // and nothing in this process has to drain a pipe.
  const fd = openSync(opts.logFile, 'a');
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(opts.path, [], {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', fd, fd],
      // Its own process group (pgid = pid), so a timeout can kill the script and everything it started.
      detached: true,
      ...(opts.ids ?? {}),
    });
  } catch (err) {
    closeSync(fd);
    return {
      exitCode: null,
      signal: null,
      timedOut: false,
      aborted: false,
      spawnError: (err as Error).message,
    };
  }
  closeSync(fd);

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
      resolveOutcome({ ...outcome, timedOut, aborted, ...(pgid === undefined ? {} : { pgid }) });
    };
    child.once('error', (err) => {
      void finish({ exitCode: null, signal: null, spawnError: err.message });
    });
    // 'exit', not 'close': the streams are files, and a background child may hold them open for hours.
    child.once('exit', (code, signal) => {
      void finish({ exitCode: code, signal });
    });
  });
}
