import { randomUUID } from 'node:crypto';
import {
  accessSync,
  constants,
  createWriteStream,
  mkdirSync,
  readdirSync,
  rmSync,
  statfsSync,
  type WriteStream,
} from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Clock } from '../core/clock.js';
import { processAlive } from '../core/process.js';
import type { CollectedArtifact } from './artifacts.js';
import type { ArtifactSpec, BuildPlan, OnFailure, PhaseName } from './buildspec.js';
import { git, headCommit, insideGitWorkTree } from './git.js';
import {
  newRunId,
  nextBuildNumber,
  type PhaseRecord,
  type RunRecord,
  type RunTrigger,
  writeRun,
  writeRunInBackground,
} from './run-store.js';
import { resolveSecrets, type SecretsSource } from './secrets.js';

/**
 * Where the session's driver and command files go. Every command is written to a file before the shell
 * sources it; on a journaling file system each such write costs up to a millisecond (ext4 flushes a
 * rewritten file on close), against microseconds in memory. So: a folder on tmpfs (/dev/shm) when
 * there is one we can write, else the run's own folder. Removed when the build ends.
 */
function scratchFolder(runDir: string): string {
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

/**
 * The run record while a build runs. Writes happen in the background, in order, so a phase never waits
 * for one (each ends in a rename the file system journals: about a millisecond here), and progress
 * reaches the record at most every PROGRESS_WRITE_MS (a short build changes phase several times within
 * a few milliseconds); `runs show` during a build lags by at most that interval. `finish` writes the
 * final record after every earlier write, and waits for it.
 */
const PROGRESS_WRITE_MS = 200;

class RecordWriter {
  private pending: RunRecord | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private last = Number.NEGATIVE_INFINITY;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (r: RunRecord) => Promise<void>,
    private readonly intervalMs: number,
  ) {}

  update(record: RunRecord): void {
    this.pending = structuredClone(record);
    if (this.timer) return;
    const wait = this.last + this.intervalMs - performance.now();
    if (wait <= 0) this.flush();
    else {
      this.timer = setTimeout(() => this.flush(), wait);
      // Never what keeps the process alive: the build's own work (or finish) decides that.
      this.timer.unref();
    }
  }

  /** Writes `record` after every earlier write, as the last one. */
  async finish(record: RunRecord): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    await this.chain;
    await this.write(record);
  }

  private flush(): void {
    this.timer = undefined;
    const record = this.pending;
    this.pending = undefined;
    if (!record) return;
    this.last = performance.now();
    // Progress only: a failed write is not the build's failure (finish() reports the final one's).
    this.chain = this.chain.then(() => this.write(record)).catch(() => undefined);
  }
}

import { resolveShell, ShellSession } from './shell-session.js';

/** Phases as CodeBuild names them in a build's phase list. */
export const recordedPhases = [
  'PROVISIONING',
  'INSTALL',
  'PRE_BUILD',
  'BUILD',
  'POST_BUILD',
  'UPLOAD_ARTIFACTS',
] as const;
const phaseTypeOf: Record<PhaseName, string> = {
  install: 'INSTALL',
  pre_build: 'PRE_BUILD',
  build: 'BUILD',
  post_build: 'POST_BUILD',
};

export type BuildEvent =
  | { type: 'build-start'; runId: string; buildId: string; project: string; logPath: string; attempt: number }
  | { type: 'phase-start'; phase: string }
  | { type: 'command-start'; phase: string; command: string }
  | { type: 'output'; phase: string; text: string }
  | { type: 'command-end'; phase: string; command: string; exitCode: number; durationMs: number }
  | { type: 'phase-end'; phase: string; status: PhaseRecord['status']; durationMs: number; message?: string }
  | { type: 'retry'; attempt: number; reason: string }
  | { type: 'build-end'; record: RunRecord };

export interface BuildOptions {
  plan: BuildPlan;
  /** Folder the commands run in (CODEBUILD_SRC_DIR). */
  srcDir: string;
  /** Project root holding `.conveyor/` (runs, cache, build numbers). */
  root: string;
  /** Where artifacts go; default `.conveyor/runs/<id>/artifacts`. */
  outDir?: string;
  project?: string;
  /** Highest precedence, like a start-build override. */
  envOverrides?: Record<string, string>;
  /** The environment the commands inherit (PATH, HOME...). */
  baseEnv: Record<string, string | undefined>;
  secrets: SecretsSource;
  /** Whole-build timeout; CodeBuild's default is 60 minutes. */
  timeoutMs?: number;
  trigger?: RunTrigger;
  initiator?: string;
  /** Extra primary sources by artifact name: exported as CODEBUILD_SRC_DIR_<name>. */
  secondarySources?: Record<string, string>;
  /** Commit of the source when it is not a git work tree (pipeline artifacts). */
  sourceVersion?: string;
  runId?: string;
  signal?: AbortSignal;
  clock: Clock;
  onEvent?: (event: BuildEvent) => void;
}

export interface BuildResult {
  record: RunRecord;
  artifacts: CollectedArtifact[];
  runDir: string;
}

export const defaultBuildTimeoutMs = 60 * 60 * 1000;

interface AttemptOutcome {
  phases: PhaseRecord[];
  status: 'Succeeded' | 'Failed' | 'TimedOut' | 'Stopped';
  message?: string;
  artifacts: CollectedArtifact[];
  exported: Record<string, string>;
  reports: RunRecord['reports'];
  /** The failing phase's on-failure and message, for RETRY. */
  retry?: { onFailure: Extract<OnFailure, { kind: 'RETRY' }>; text: string };
}

/** Runs a buildspec locally, recording the run under `.conveyor/runs/`. Never throws for a failing build. */
export async function runBuild(options: BuildOptions): Promise<BuildResult> {
  const { clock } = options;
  const srcDir = resolve(options.srcDir);
  const root = resolve(options.root);
  const project = options.project ?? basename(srcDir);
  const startedAt = clock.now();
  const runId = options.runId ?? newRunId('build', startedAt);
  const runDir = join(root, '.conveyor', 'runs', runId);
  const outDir = resolve(options.outDir ?? join(runDir, 'artifacts'));
  mkdirSync(runDir, { recursive: true });
  const logPath = join(runDir, 'build.log');
  const log = createWriteStream(logPath, { flags: 'a' });
  // Output of a stray process after the build ended must not take the whole process down.
  log.on('error', () => {});
  const buildNumber = await nextBuildNumber(root, project);
  const uuid = randomUUID();
  const buildId = `${project}:${uuid}`;
  const [headOfSrc, repoUrl] = await Promise.all([
    options.sourceVersion ? Promise.resolve(options.sourceVersion) : headCommit(srcDir),
    sourceRepoUrl(srcDir),
  ]);
  const commit = headOfSrc;
  const record: RunRecord = {
    id: runId,
    kind: 'build',
    status: 'InProgress',
    trigger: options.trigger ?? { type: 'manual' },
    ...(commit ? { commit } : {}),
    startedAt: new Date(startedAt).toISOString(),
    pid: process.pid,
    logPath,
    project,
    buildId,
    buildNumber,
    phases: recordedPhases.map((name) => ({ name, status: 'SKIPPED' })),
  };
  const progress = new RecordWriter((r) => writeRunInBackground(root, r), PROGRESS_WRITE_MS);
  // The first record (InProgress) goes out at once, in the background, while the shell starts.
  progress.update(record);
  const save = (r: RunRecord) => progress.update(r);
  const emit = (e: BuildEvent) => options.onEvent?.(e);
  const region = options.baseEnv.AWS_REGION ?? options.baseEnv.AWS_DEFAULT_REGION ?? 'us-east-1';
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.baseEnv)) if (v !== undefined) env[k] = v;
  Object.assign(env, {
    CODEBUILD_BUILD_ARN: `arn:aws:codebuild:${region}:000000000000:build/${buildId}`,
    CODEBUILD_BUILD_ID: buildId,
    CODEBUILD_BUILD_IMAGE: 'conveyor/local',
    CODEBUILD_BUILD_NUMBER: String(buildNumber),
    CODEBUILD_BUILD_SUCCEEDING: '1',
    CODEBUILD_CI: 'true',
    CODEBUILD_INITIATOR: options.initiator ?? options.baseEnv.USER ?? 'local',
    CODEBUILD_KMS_KEY_ID: `arn:aws:kms:${region}:000000000000:alias/aws/s3`,
    CODEBUILD_LOG_PATH: uuid,
    CODEBUILD_PROJECT_NAME: project,
    CODEBUILD_RESOLVED_SOURCE_VERSION: commit ?? '',
    CODEBUILD_SOURCE_REPO_URL: repoUrl,
    CODEBUILD_SOURCE_VERSION: commit ?? '',
    CODEBUILD_SRC_DIR: srcDir,
    CODEBUILD_START_TIME: String(startedAt),
    AWS_REGION: region,
    AWS_DEFAULT_REGION: options.baseEnv.AWS_DEFAULT_REGION ?? region,
  });
  for (const [name, dir] of Object.entries(options.secondarySources ?? {}))
    env[`CODEBUILD_SRC_DIR_${name}`] = dir;

  let attempt = 1;
  let outcome: AttemptOutcome;
  const retriesByPhase = new Map<string, number>();
  for (;;) {
    emit({ type: 'build-start', runId, buildId, project, logPath, attempt });
    outcome = await runAttempt({
      options,
      env,
      srcDir,
      root,
      project,
      runDir,
      outDir,
      log,
      emit,
      record,
      save,
    });
    const retry = outcome.retry;
    if (!retry || outcome.status !== 'Failed') break;
    const key = String(retry.onFailure.pattern ?? '') + retry.onFailure.count;
    const used = retriesByPhase.get(key) ?? 0;
    if (used >= retry.onFailure.count) break;
    if (retry.onFailure.pattern !== undefined && !safeMatch(retry.onFailure.pattern, retry.text)) break;
    retriesByPhase.set(key, used + 1);
    attempt += 1;
    const reason = `on-failure RETRY: attempt ${attempt} of ${retry.onFailure.count + 1}`;
    log.write(`\n[Container] ${stamp(clock.now())} ${reason}\n`);
    emit({ type: 'retry', attempt, reason });
  }
  const endedAt = clock.now();
  record.status = outcome.status;
  record.phases = outcome.phases;
  record.endedAt = new Date(endedAt).toISOString();
  record.durationMs = endedAt - startedAt;
  if (outcome.message) record.message = outcome.message;
  if (attempt > 1)
    record.message = `${record.message ? `${record.message}; ` : ''}${attempt} attempts (on-failure RETRY)`;
  record.artifacts = outcome.artifacts.map((a) => ({
    identifier: a.identifier,
    ...(a.name ? { name: a.name } : {}),
    files: a.files.length,
    folder: a.folder,
    zip: a.zip,
  }));
  if (outcome.reports?.length) record.reports = outcome.reports;
  if (Object.keys(outcome.exported).length > 0) record.exportedVariables = outcome.exported;
  log.write(
    `\n[Container] ${stamp(endedAt)} Build ${record.status.toUpperCase()}${record.message ? `: ${record.message}` : ''}\n`,
  );
  await new Promise<void>((r) => log.end(r));
  // The final record is always the last one written (a pending progress write is dropped).
  try {
    await progress.finish(record);
  } catch {
    // As before: a record that cannot be written does not change the build's outcome.
  }
  emit({ type: 'build-end', record });
  return { record, artifacts: outcome.artifacts, runDir };
}

async function sourceRepoUrl(srcDir: string): Promise<string> {
  // Most builds run at a repository's top: read its config instead of starting git.
  const config = await readFile(join(srcDir, '.git', 'config'), 'utf8').catch(() => undefined);
  if (config !== undefined) {
    const url = /\[remote "origin"\][^[]*?\n\s*url\s*=\s*(\S+)/.exec(config)?.[1];
    return url ?? `file://${srcDir}`;
  }
  if (!insideGitWorkTree(srcDir)) return `file://${srcDir}`;
  const r = await git(['config', '--get', 'remote.origin.url'], srcDir);
  return r.ok && r.stdout.trim() ? r.stdout.trim() : `file://${srcDir}`;
}

function safeMatch(pattern: string, text: string): boolean {
  try {
    return new RegExp(pattern, 's').test(text);
  } catch {
    return false;
  }
}

function stamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '');
}

interface AttemptContext {
  options: BuildOptions;
  env: Record<string, string>;
  srcDir: string;
  root: string;
  project: string;
  runDir: string;
  outDir: string;
  log: WriteStream;
  emit: (e: BuildEvent) => void;
  record: RunRecord;
  save: (record: RunRecord) => void;
}

async function runAttempt(ctx: AttemptContext): Promise<AttemptOutcome> {
  const { options, srcDir, log, emit } = ctx;
  const { plan, clock } = options;
  const phases: PhaseRecord[] = recordedPhases.map((name) => ({ name, status: 'SKIPPED' }));
  const phaseRecord = (name: string) => phases.find((p) => p.name === name)!;
  const outcome: AttemptOutcome = { phases, status: 'Succeeded', artifacts: [], exported: {}, reports: [] };
  let outputAtLineStart = true;
  const write = (line: string) => {
    log.write(`${outputAtLineStart ? '' : '\n'}[Container] ${stamp(clock.now())} ${line}\n`);
    outputAtLineStart = true;
  };
  const begin = (name: string) => {
    const p = phaseRecord(name);
    p.status = 'IN_PROGRESS';
    p.startedAt = new Date(clock.now()).toISOString();
    write(`Entering phase ${name}`);
    emit({ type: 'phase-start', phase: name });
    ctx.save({ ...ctx.record, phases });
  };
  const end = (name: string, status: PhaseRecord['status'], message?: string) => {
    const p = phaseRecord(name);
    p.status = status;
    p.durationMs = clock.now() - Date.parse(p.startedAt ?? new Date(clock.now()).toISOString());
    if (message) p.message = message;
    write(`Phase complete: ${name} State: ${status}`);
    if (message) write(`Phase context: ${message}`);
    emit({
      type: 'phase-end',
      phase: name,
      status,
      durationMs: p.durationMs,
      ...(message ? { message } : {}),
    });
  };

  // PROVISIONING: environment (variables, parameter store, secrets) and cache.
  begin('PROVISIONING');
  const env = { ...ctx.env };
  Object.assign(env, plan.variables);
  const secrets = resolveSecrets(plan.parameterStore, plan.secretsManager, options.secrets, options.baseEnv);
  let shell: string;
  try {
    shell = resolveShell(plan.shell, options.baseEnv);
  } catch (err) {
    end('PROVISIONING', 'FAILED', (err as Error).message);
    return { ...outcome, status: 'Failed', message: (err as Error).message };
  }
  if (!secrets.ok) {
    end('PROVISIONING', 'FAILED', secrets.message);
    return { ...outcome, status: 'Failed', message: secrets.message };
  }
  Object.assign(env, secrets.values, options.envOverrides ?? {});
  // Artifact and cache code (zip, globbing) is loaded only by builds that use it: start-up time is build overhead.
  const cacheModule = plan.cachePaths.length > 0 ? await import('./cache.js') : undefined;
  const cache =
    cacheModule?.cacheEntries(plan.cachePaths, srcDir, join(ctx.root, '.conveyor', 'cache', ctx.project)) ??
    [];
  try {
    const restored = cacheModule ? await cacheModule.restoreCache(cache) : [];
    if (restored.length) write(`Restored cache: ${restored.join(', ')}`);
  } catch (err) {
    write(`Cache restore skipped: ${(err as Error).message}`);
  }
  end('PROVISIONING', 'SUCCEEDED');

  let currentPhaseName = 'PROVISIONING';
  const shellDir = scratchFolder(ctx.runDir);
  const session = new ShellSession({
    shell,
    cwd: srcDir,
    env,
    workDir: shellDir,
    shellPerCommand: plan.version === '0.1',
    onOutput: (text) => {
      log.write(text);
      if (text) outputAtLineStart = text.endsWith('\n');
      emit({ type: 'output', phase: currentPhaseName, text });
    },
  });
  let interrupted: 'TimedOut' | 'Stopped' | undefined;
  const timeoutMs = options.timeoutMs ?? defaultBuildTimeoutMs;
  const timer = setTimeout(() => {
    interrupted = 'TimedOut';
    void session.kill(500);
  }, timeoutMs);
  const onAbort = () => {
    interrupted ??= 'Stopped';
    void session.kill(500);
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  let failed = false;
  let ended = false;
  let skipUpload = false;
  const runCommands = async (
    phase: string,
    commands: string[],
    record: PhaseRecord,
  ): Promise<{ ok: boolean; message?: string }> => {
    if (interrupted) return { ok: false };
    let started = clock.now();
    // The phase's commands go to the shell as one sequence: it runs them back to back and stops at the
    // first that fails (CodeBuild skips the rest of a phase after a failed command).
    const results = await session.runSequence(commands, !failed, {
      onStart: (i) => {
        started = clock.now();
        write(`Running command ${commands[i]}`);
        emit({ type: 'command-start', phase, command: commands[i] as string });
      },
      onEnd: (i, result) => {
        const durationMs = clock.now() - started;
        const command = commands[i] as string;
        record.commands ??= [];
        record.commands.push({ command, exitCode: result.exitCode, durationMs });
        emit({ type: 'command-end', phase, command, exitCode: result.exitCode, durationMs });
      },
    });
    if (interrupted) return { ok: false };
    const last = results[results.length - 1];
    if (last && last.exitCode !== 0) {
      const command = commands[results.length - 1] as string;
      // CODEBUILD_BUILD_SUCCEEDING turns 0 at once: `finally` and later phases see it.
      failed = true;
      const reason = last.signal ? `signal ${last.signal}` : `exit status ${last.exitCode}`;
      const message = `COMMAND_EXECUTION_ERROR: Error while executing command: ${command}. Reason: ${reason}`;
      write(`Command did not exit successfully ${command} exit status ${last.exitCode}`);
      return { ok: false, message };
    }
    return { ok: true };
  };

  try {
    for (const phaseName of ['install', 'pre_build', 'build', 'post_build'] as const) {
      const type = phaseTypeOf[phaseName];
      currentPhaseName = type;
      const phase = plan.phases.find((p) => p.name === phaseName);
      if (ended || interrupted) continue;
      begin(type);
      if (phase?.runAs)
        write(`run-as ${phase.runAs} is not applied locally; commands run as the current user`);
      if (phase?.runtimeVersions) {
        write(
          `runtime-versions are not installed locally; using the tools on PATH (${Object.keys(phase.runtimeVersions).join(', ')})`,
        );
      }
      const record = phaseRecord(type);
      const main = await runCommands(type, phase?.commands ?? [], record);
      // `finally` runs whether the commands succeeded or not (not after a timeout: the session is gone).
      const fin =
        phase && phase.finally.length > 0 && !interrupted
          ? await runCommands(type, phase.finally, record)
          : { ok: true };
      if (interrupted) {
        end(
          type,
          interrupted === 'TimedOut' ? 'TIMED_OUT' : 'STOPPED',
          interrupted === 'TimedOut'
            ? `BUILD_TIMED_OUT: build timed out after ${formatMs(timeoutMs)}`
            : 'build stopped',
        );
        ended = true;
        skipUpload = true;
        break;
      }
      if (main.ok && fin.ok) {
        end(type, 'SUCCEEDED');
        continue;
      }
      const message = main.message ?? fin.message ?? 'command failed';
      end(type, 'FAILED', message);
      failed = true;
      outcome.message ??= `${type} phase failed: ${message}`;
      const onFailure = phase?.onFailure ?? { kind: 'default' };
      if (onFailure.kind === 'RETRY' && !outcome.retry) outcome.retry = { onFailure, text: message };
      if (onFailure.kind === 'ABORT') {
        ended = true;
        skipUpload = true;
      } else if (onFailure.kind === 'CONTINUE') {
        // The next phase runs; the build is already failed.
      } else if (phaseName === 'install' || phaseName === 'pre_build') {
        // CodeBuild's phase transitions: an INSTALL or PRE_BUILD failure goes straight to FINALIZING.
        ended = true;
        skipUpload = true;
      }
      // A BUILD failure still runs POST_BUILD; a POST_BUILD failure still uploads artifacts.
    }

    // After the build phases, read back exported variables and shell-evaluated artifact names from the session.
    const artifactSpecs: ArtifactSpec[] = [
      ...(plan.artifacts ? [plan.artifacts] : []),
      ...plan.secondaryArtifacts,
    ];
    const readback = !interrupted && (plan.exportedVariables.length > 0 || artifactSpecs.some((a) => a.name));
    const values = readback
      ? await readBack(
          session,
          join(ctx.runDir, 'shell', 'readback'),
          plan.exportedVariables,
          artifactSpecs,
          !failed,
        )
      : undefined;
    if (values) outcome.exported = values.exported;
    await session.close();

    if (!interrupted && !skipUpload && (artifactSpecs.length > 0 || plan.cachePaths.length > 0)) {
      currentPhaseName = 'UPLOAD_ARTIFACTS';
      begin('UPLOAD_ARTIFACTS');
      const { ArtifactError, collectArtifact } = await import('./artifacts.js');
      try {
        await rm(ctx.outDir, { recursive: true, force: true });
        for (const spec of artifactSpecs) {
          const collected = await collectArtifact(spec, srcDir, ctx.outDir, values?.names[spec.identifier], [
            join(ctx.root, '.conveyor'),
          ]);
          write(`Artifact ${spec.identifier}: ${collected.files.length} file(s) -> ${collected.zip}`);
          outcome.artifacts.push(collected);
        }
        const saved = cacheModule ? await cacheModule.saveCache(cache) : [];
        if (saved.length) write(`Saved cache: ${saved.join(', ')}`);
        end('UPLOAD_ARTIFACTS', 'SUCCEEDED');
      } catch (err) {
        const message =
          err instanceof ArtifactError ? err.message : `UPLOAD_ARTIFACTS: ${(err as Error).message}`;
        end('UPLOAD_ARTIFACTS', 'FAILED', message);
        failed = true;
        outcome.message ??= message;
      }
    } else if (!interrupted && !skipUpload) {
      begin('UPLOAD_ARTIFACTS');
      end('UPLOAD_ARTIFACTS', 'SUCCEEDED');
    }
    if (!interrupted && plan.reports.length > 0) {
      // Test reports are wanted most when tests fail: collected whatever the build's status.
      const { collectReport } = await import('./artifacts.js');
      for (const spec of plan.reports) {
        try {
          const r = await collectReport(spec, srcDir, ctx.outDir);
          if (r.files.length === 0)
            write(`Report group ${spec.group}: no report files matched ${spec.files.join(', ')}`);
          outcome.reports!.push({
            group: r.group,
            fileFormat: r.fileFormat,
            files: r.files.length,
            folder: r.folder,
          });
        } catch (err) {
          write(`Report group ${spec.group}: ${(err as Error).message}`);
        }
      }
    }
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    await session.kill(200);
    // The driver and command files are scratch: every command is in the log.
    rmSync(shellDir, { recursive: true, force: true });
    rmSync(join(ctx.runDir, 'shell'), { recursive: true, force: true });
  }
  if (interrupted) {
    return {
      ...outcome,
      status: interrupted,
      message:
        interrupted === 'TimedOut'
          ? `build timed out after ${formatMs(timeoutMs)}; the process group was killed`
          : 'build stopped',
    };
  }
  return { ...outcome, status: failed ? 'Failed' : 'Succeeded' };
}

/** Reads exported variables and evaluated artifact names out of the live session, without logging them. */
async function readBack(
  session: ShellSession,
  dir: string,
  exported: string[],
  artifacts: ArtifactSpec[],
  succeeding: boolean,
): Promise<{ exported: Record<string, string>; names: Record<string, string> }> {
  await mkdir(dir, { recursive: true });
  const lines: string[] = [];
  // CodeBuild does not export names starting with AWS_.
  const valid = exported.filter((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n) && !n.startsWith('AWS_'));
  valid.forEach((name, i) => {
    lines.push(`if [ -n "\${${name}+x}" ]; then printf '%s' "\${${name}}" > '${dir}/var-${i}'; fi`);
  });
  artifacts.forEach((a, i) => {
    if (a.name)
      lines.push(`printf '%s' "${a.name.replace(/(["\\`])/g, '\\$1')}" > '${dir}/name-${i}' 2>/dev/null`);
  });
  await session.run(`{ ${lines.join('\n')}\n} >/dev/null 2>&1; true`, succeeding);
  const read = async (file: string) => readFile(join(dir, file), 'utf8').catch(() => undefined);
  const out = { exported: {} as Record<string, string>, names: {} as Record<string, string> };
  for (const [i, name] of valid.entries()) {
    const v = await read(`var-${i}`);
    if (v !== undefined) out.exported[name] = v;
  }
  for (const [i, a] of artifacts.entries()) {
    const v = a.name ? await read(`name-${i}`) : undefined;
    if (v) out.names[a.identifier] = v;
  }
  return out;
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${m} min ${s} s` : `${m} min`;
}

/** Records a build that could not start because its buildspec is invalid (CodeBuild: YAML_FILE_ERROR). */
export async function recordInvalidBuild(options: {
  root: string;
  project: string;
  clock: Clock;
  trigger?: RunTrigger;
  message: string;
  diagnostics: RunRecord['diagnostics'];
  runId?: string;
}): Promise<RunRecord> {
  const now = options.clock.now();
  const record: RunRecord = {
    id: options.runId ?? newRunId('build', now),
    kind: 'build',
    status: 'Failed',
    trigger: options.trigger ?? { type: 'manual' },
    startedAt: new Date(now).toISOString(),
    endedAt: new Date(now).toISOString(),
    durationMs: 0,
    pid: process.pid,
    project: options.project,
    phases: recordedPhases.map((name) =>
      name === 'PROVISIONING'
        ? { name, status: 'FAILED' as const, durationMs: 0, message: options.message }
        : { name, status: 'SKIPPED' as const },
    ),
    message: options.message,
    diagnostics: options.diagnostics,
  };
  await writeRun(options.root, record);
  return record;
}

/** `90` (minutes, as CodeBuild's timeoutInMinutes), `30s`, `5m`, `1h`, `500ms`. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|min|h)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 'm';
  const ms = unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'h' ? n * 3_600_000 : n * 60_000;
  return ms > 0 ? Math.round(ms) : undefined;
}
