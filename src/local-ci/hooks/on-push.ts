import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanGitEnv, git } from '../git.js';
import { displayPath, listPipelineFiles, loadPipelineFile } from '../pipeline/load.js';
import type { PipelineDeclaration } from '../pipeline/model.js';
import { newRunId, QUEUED_RUN_PID_FILE, type RunRecord, writeRun } from '../run-store.js';
import type { HookKind } from './install.js';
import { matchPush, type RefUpdate, zeroSha } from './triggers.js';

export interface PushOutcome {
  pipeline: string;
  ref: string;
  commit: string;
  started: boolean;
  runId?: string;
  reason: string;
  /** With `wait`: the run's exit code (0 succeeded). */
  exitCode?: number;
}

/** post-receive: `<old> <new> <ref>`; pre-push: `<local ref> <local sha> <remote ref> <remote sha>`. */
export function parseHookInput(kind: HookKind, input: string): RefUpdate[] {
  const updates: RefUpdate[] = [];
  for (const line of input.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (kind === 'post-receive' && parts.length === 3) {
      updates.push({ oldSha: parts[0]!, newSha: parts[1]!, ref: parts[2]! });
    } else if (kind === 'pre-push' && parts.length === 4) {
      updates.push({ ref: parts[2]!, newSha: parts[1]!, oldSha: parts[3]! });
    }
  }
  return updates;
}

export async function changedFiles(repo: string, update: RefUpdate): Promise<string[]> {
  const tipOnly = () =>
    git(['diff-tree', '--no-commit-id', '--name-only', '-r', '--root', update.newSha], repo);
  let r = zeroSha.test(update.oldSha)
    ? await tipOnly()
    : await git(['diff', '--name-only', update.oldSha, update.newSha], repo);
  if (!r.ok) r = await tipOnly();
  return r.stdout.split('\n').filter(Boolean);
}

/**
 * Handles one push: for each pipeline of the project whose triggers match a pushed ref, starts `conveyor run` in its
 * own detached process (the push does not wait), after recording the run as Queued so it is never lost.
 */
export async function handlePush(options: {
  project: string;
  repo: string;
  kind: HookKind;
  input: string;
  node: string;
  cli: string;
  env: Record<string, string | undefined>;
  now: () => number;
  /** Run in the foreground and wait for the results (a blocking pre-push). */
  wait?: boolean;
}): Promise<PushOutcome[]> {
  const updates = parseHookInput(options.kind, options.input);
  const outcomes: PushOutcome[] = [];
  const pipelines: { file: string; pipeline: PipelineDeclaration }[] = [];
  for (const file of listPipelineFiles(options.project)) {
    const loaded = await loadPipelineFile(file);
    // A pipeline both written under pipelines/ and emitted by synth runs once: the first folder wins.
    if (loaded.pipeline && !pipelines.some((p) => p.pipeline.name === loaded.pipeline!.name)) {
      pipelines.push({ file, pipeline: loaded.pipeline });
    }
  }
  for (const update of updates) {
    const files = zeroSha.test(update.newSha) ? [] : await changedFiles(options.repo, update);
    for (const { file, pipeline } of pipelines) {
      const decision = matchPush(pipeline, update, files);
      const base = {
        pipeline: pipeline.name,
        ref: update.ref,
        commit: update.newSha,
        reason: decision.reason,
      };
      if (!decision.match) {
        outcomes.push({ ...base, started: false });
        continue;
      }
      const runId = newRunId('pipeline', options.now());
      const runDir = join(options.project, '.conveyor', 'runs', runId);
      await mkdir(runDir, { recursive: true });
      const queued: RunRecord = {
        id: runId,
        kind: 'pipeline',
        status: 'Queued',
        trigger: { type: 'push', ref: update.ref, detail: decision.reason },
        commit: update.newSha,
        startedAt: new Date(options.now()).toISOString(),
        pid: process.pid,
        pipeline: pipeline.name,
        message: `queued by a push to ${update.ref}`,
      };
      await writeRun(options.project, queued);
      const log = openSync(join(runDir, 'console.log'), 'a');
      try {
        const child = spawn(
          options.node,
          [
            options.cli,
            'run',
            displayPath(options.project, file),
            '--trigger',
            'push',
            '--ref',
            update.ref,
            '--commit',
            update.newSha,
            '--repo',
            options.repo,
            '--run-id',
            runId,
          ],
          {
            cwd: options.project,
            detached: !options.wait,
            stdio: ['ignore', log, log],
            env: cleanGitEnv(options.env),
          },
        );
        const exited = new Promise<number>((resolveExit) => {
          child.on('error', () => resolveExit(127));
          child.on('close', (code) => resolveExit(code ?? 1));
        });
        if (!options.wait) child.unref();
        if (child.pid === undefined) throw new Error('spawn failed');
        // From here on only the run process writes its record (it rewrites it within moments). Until it does,
        // the record is Queued under this hook's pid, which ends soon: the run's pid, kept beside the record,
        // keeps it Queued rather than Abandoned. Rewriting the record here instead raced with a run that
        // fails at once and had already written its final record (seen under load).
        await writeFile(join(runDir, QUEUED_RUN_PID_FILE), String(child.pid));
        outcomes.push({ ...base, started: true, runId, ...(options.wait ? { exitCode: await exited } : {}) });
      } catch (err) {
        await writeRun(options.project, {
          ...queued,
          status: 'Failed',
          message: `could not start the run: ${(err as Error).message}`,
        });
        outcomes.push({
          ...base,
          started: false,
          runId,
          reason: `could not start: ${(err as Error).message}`,
        });
      } finally {
        closeSync(log);
      }
    }
  }
  return outcomes;
}
