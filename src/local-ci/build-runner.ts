/**
 * Runs a buildspec locally, the way CodeBuild runs it: `runBuild` sets up the run (record, log,
 * CodeBuild's variables), runs attempts until one is final (on-failure RETRY may ask for another) and
 * writes the final record. The phases live in build-phases.ts, the environment in build-environment.ts,
 * artifacts, reports and cache in build-outputs.ts, and the run record in build-record.ts.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { SecretMasker } from '../core/secret-mask.js';
import { codebuildEnvironment, sourceRepoUrl } from './build-environment.js';
import { logTimestamp } from './build-phase-log.js';
import { runAttempt } from './build-phases.js';
import { PROGRESS_WRITE_MS, RecordWriter, recordOutcome, startedBuildRecord } from './build-record.js';
import type { AttemptOutcome, BuildEvent, BuildOptions, BuildResult } from './build-types.js';
import { headCommit } from './git.js';
import { newRunId, nextBuildNumber, type RunRecord, writeRunInBackground } from './run-store.js';

export { recordInvalidBuild } from './build-record.js';
export type { BuildEvent, BuildOptions, BuildResult } from './build-types.js';

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
  const logFile = createWriteStream(logPath, { flags: 'a' });
  // Output of a stray process after the build ended must not take the whole process down.
  logFile.on('error', () => {});
  // Secret values never reach build.log, events or the record in clear; the build's own secrets are added
  // to the masker when PROVISIONING resolves them, before any command runs.
  const masker = new SecretMasker(options.maskValues);
  const log = masker.stream((text) => logFile.write(text));
  const buildNumber = await nextBuildNumber(root, project);
  const uuid = randomUUID();
  const buildId = `${project}:${uuid}`;
  const [commit, repoUrl] = await Promise.all([
    options.sourceVersion ? Promise.resolve(options.sourceVersion) : headCommit(srcDir),
    sourceRepoUrl(srcDir),
  ]);
  const record = startedBuildRecord({
    runId,
    trigger: options.trigger,
    commit,
    startedAt,
    logPath,
    project,
    buildId,
    buildNumber,
  });
  const progress = new RecordWriter((r) => writeRunInBackground(root, masker.maskDeep(r)), PROGRESS_WRITE_MS);
  // The first record (InProgress) goes out at once, in the background, while the shell starts.
  progress.update(record);
  const save = (r: RunRecord) => progress.update(r);
  const emit = maskedEvents(masker, options.onEvent);
  const env = codebuildEnvironment(options, {
    srcDir,
    project,
    buildId,
    uuid,
    buildNumber,
    commit,
    repoUrl,
    startedAt,
  });

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
      masker,
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
    log.write(`\n[Container] ${logTimestamp(clock.now())} ${reason}\n`);
    emit({ type: 'retry', attempt, reason });
  }
  const endedAt = clock.now();
  recordOutcome(record, outcome, attempt, startedAt, endedAt);
  log.write(
    `\n[Container] ${logTimestamp(endedAt)} Build ${record.status.toUpperCase()}${record.message ? `: ${record.message}` : ''}\n`,
  );
  log.flush();
  await new Promise<void>((r) => logFile.end(r));
  const shown = masker.maskDeep(record);
  // The final record is always the last one written (a pending progress write is dropped).
  try {
    await progress.finish(shown);
  } catch {
    // As before: a record that cannot be written does not change the build's outcome.
  }
  emit({ type: 'build-end', record: shown });
  return {
    record: shown,
    artifacts: outcome.artifacts,
    runDir,
    exportedVariables: outcome.exported,
    secrets: masker.secrets,
  };
}

/**
 * Events with secret values masked. Output goes through a masking stream (a secret split across two chunks is
 * still found); any other event first lets go of output held back, so the order of events is kept.
 */
function maskedEvents(
  masker: SecretMasker,
  onEvent: ((e: BuildEvent) => void) | undefined,
): (e: BuildEvent) => void {
  if (!onEvent) return () => {};
  let phase = '';
  const output = masker.stream((text) => onEvent({ type: 'output', phase, text }));
  return (e) => {
    if (e.type === 'output') {
      if (e.phase !== phase) output.flush();
      phase = e.phase;
      output.write(e.text);
      return;
    }
    output.flush();
    onEvent(masker.maskDeep(e));
  };
}

function safeMatch(pattern: string, text: string): boolean {
  try {
    return new RegExp(pattern, 's').test(text);
  } catch {
    return false;
  }
}
