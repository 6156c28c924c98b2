/**
 * One attempt of a local build, phase by phase: PROVISIONING (environment, cache), then install,
 * pre_build, build and post_build in one shell session (each phase's commands, its `finally`, and its
 * on-failure: CONTINUE, ABORT, RETRY or CodeBuild's default transitions), the whole-build timeout and
 * stop signal, and UPLOAD_ARTIFACTS and reports at the end.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { MaskStream, SecretMasker } from '../core/secret-mask.js';
import { provisionedEnvironment, readBack } from './build-environment.js';
import { collectReports, openBuildCache, uploadArtifacts } from './build-outputs.js';
import { PhaseLog } from './build-phase-log.js';
import { BuildProcessTag } from './build-processes.js';
import type { AttemptOutcome, BuildEvent, BuildOptions } from './build-types.js';
import type { ArtifactSpec, PhaseName } from './buildspec.js';
import { formatMs } from './durations.js';
import type { PhaseRecord, RunRecord } from './run-store.js';
import { scratchFolder } from './shell-scratch.js';
import { ShellSession } from './shell-session.js';

export const defaultBuildTimeoutMs = 60 * 60 * 1000;

const phaseTypeOf: Record<PhaseName, string> = {
  install: 'INSTALL',
  pre_build: 'PRE_BUILD',
  build: 'BUILD',
  post_build: 'POST_BUILD',
};

export interface AttemptContext {
  options: BuildOptions;
  /** The inherited environment with CodeBuild's variables. */
  env: Record<string, string>;
  srcDir: string;
  root: string;
  project: string;
  runDir: string;
  outDir: string;
  /** build.log, through the masker. */
  log: MaskStream;
  /** Secret values to mask; PROVISIONING adds the build's own. */
  masker: SecretMasker;
  emit: (e: BuildEvent) => void;
  record: RunRecord;
  save: (record: RunRecord) => void;
}

export async function runAttempt(ctx: AttemptContext): Promise<AttemptOutcome> {
  const { options, srcDir, emit } = ctx;
  const { plan, clock } = options;
  const phaseLog = new PhaseLog(ctx.log, clock, emit, (phases) => ctx.save({ ...ctx.record, phases }));
  const { phases } = phaseLog;
  const outcome: AttemptOutcome = { phases, status: 'Succeeded', artifacts: [], exported: {}, reports: [] };

  // PROVISIONING: environment (variables, parameter store, secrets) and cache.
  phaseLog.begin('PROVISIONING');
  const provisioned = provisionedEnvironment(ctx.env, plan, options);
  if (!provisioned.ok) {
    phaseLog.end('PROVISIONING', 'FAILED', provisioned.message);
    return { ...outcome, status: 'Failed', message: provisioned.message };
  }
  const { env, shell } = provisioned;
  ctx.masker.add(provisioned.secrets);
  const cache = await openBuildCache(plan, srcDir, ctx.root, ctx.project);
  try {
    const restored = await cache.restore();
    if (restored.length) phaseLog.write(`Restored cache: ${restored.join(', ')}`);
  } catch (err) {
    phaseLog.write(`Cache restore skipped: ${(err as Error).message}`);
  }
  phaseLog.end('PROVISIONING', 'SUCCEEDED');

  let currentPhaseName = 'PROVISIONING';
  const shellDir = scratchFolder(ctx.runDir);
  // Every process the commands start carries the tag, also one that leaves the shell's process group.
  const tag = new BuildProcessTag();
  const session = new ShellSession({
    shell,
    cwd: srcDir,
    env: { ...env, [tag.name]: '1' },
    workDir: shellDir,
    shellPerCommand: plan.version === '0.1',
    onOutput: (text) => {
      phaseLog.output(text);
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
        phaseLog.write(`Running command ${commands[i]}`);
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
      phaseLog.write(`Command did not exit successfully ${command} exit status ${last.exitCode}`);
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
      phaseLog.begin(type);
      if (phase?.runAs)
        phaseLog.write(`run-as ${phase.runAs} is not applied locally; commands run as the current user`);
      if (phase?.runtimeVersions) {
        phaseLog.write(
          `runtime-versions are not installed locally; using the tools on PATH (${Object.keys(phase.runtimeVersions).join(', ')})`,
        );
      }
      const record = phaseLog.record(type);
      const main = await runCommands(type, phase?.commands ?? [], record);
      // `finally` runs whether the commands succeeded or not (not after a timeout: the session is gone).
      const fin =
        phase && phase.finally.length > 0 && !interrupted
          ? await runCommands(type, phase.finally, record)
          : { ok: true };
      if (interrupted) {
        phaseLog.end(
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
        phaseLog.end(type, 'SUCCEEDED');
        continue;
      }
      const message = main.message ?? fin.message ?? 'command failed';
      phaseLog.end(type, 'FAILED', message);
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
      ? await readBack(session, join(shellDir, 'readback'), plan.exportedVariables, artifactSpecs, !failed)
      : undefined;
    if (values) outcome.exported = values.exported;
    await session.close();

    if (!interrupted && !skipUpload && (artifactSpecs.length > 0 || plan.cachePaths.length > 0)) {
      currentPhaseName = 'UPLOAD_ARTIFACTS';
      const message = await uploadArtifacts(
        phaseLog,
        { specs: artifactSpecs, names: values?.names, srcDir, outDir: ctx.outDir, root: ctx.root, cache },
        outcome.artifacts,
      );
      if (message) {
        failed = true;
        outcome.message ??= message;
      }
    } else if (!interrupted && !skipUpload) {
      phaseLog.begin('UPLOAD_ARTIFACTS');
      phaseLog.end('UPLOAD_ARTIFACTS', 'SUCCEEDED');
    }
    // Test reports are wanted most when tests fail: collected whatever the build's status.
    if (!interrupted && plan.reports.length > 0)
      outcome.reports = await collectReports(phaseLog, plan, srcDir, ctx.outDir);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    await session.kill(200);
    // What left the process group (setsid, daemons) goes too, as everything does when CodeBuild's container ends.
    const strays = tag.killAll();
    tag.release();
    if (strays > 0)
      phaseLog.write(
        `Killed ${strays} process(es) the commands left running outside the build's process group`,
      );
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
