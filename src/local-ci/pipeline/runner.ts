import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { Clock } from '../../core/clock.js';
import { waitForApproval } from '../approvals.js';
import { type BuildEvent, runBuild } from '../build-runner.js';
import { type BuildPlan, loadBuildspecFile } from '../buildspec.js';
import { cleanGitEnv, git } from '../git.js';
import { readLockOwner, tryLock } from '../lock.js';
import {
  type ActionRecord,
  listRuns,
  newRunId,
  type RunRecord,
  type RunTrigger,
  type StageRecord,
  writeRun,
} from '../run-store.js';
import type { SecretsSource } from '../secrets.js';
import { cliDeployer, type LocalDeployer } from './deployer.js';
import { type ExecutionMode, executionGate } from './execution-mode.js';
import type { LocalActionsConfig } from './local-config.js';
import {
  type ActionDeclaration,
  actionKey,
  type Condition,
  type PipelineDeclaration,
  providerLabel,
  type StageDeclaration,
} from './model.js';
import { type Executor, runOrderGroups } from './plan.js';
import { resolveConfiguration, resolveVariables, type VariableScope } from './variables.js';

export type PipelineEvent =
  | {
      type: 'run-start';
      runId: string;
      pipeline: string;
      executionId: string;
      executionMode: ExecutionMode;
      commit?: string;
    }
  | { type: 'waiting'; runId: string; what: string; holder?: string }
  | { type: 'stage-start'; stage: string }
  | { type: 'action-start'; stage: string; action: string; provider: string }
  | { type: 'approval-waiting'; stage: string; action: string; hint: string }
  | {
      type: 'action-end';
      stage: string;
      action: string;
      status: ActionRecord['status'];
      durationMs: number;
      message?: string;
    }
  | { type: 'stage-end'; stage: string; status: StageRecord['status']; durationMs: number; message?: string }
  | { type: 'run-end'; record: RunRecord };

export interface PipelineRunOptions {
  pipeline: PipelineDeclaration;
  /** Project root holding `.conveyor/`. */
  root: string;
  /** Git repository (work tree or bare) source actions read from. */
  repoDir: string;
  /** The pushed commit; default: the source action's BranchName tip, else HEAD. */
  commit?: string;
  /** The pushed ref (refs/heads/x), for BranchName output variables. */
  ref?: string;
  variables?: Record<string, string>;
  trigger?: RunTrigger;
  config: LocalActionsConfig;
  executors: Map<string, Executor>;
  baseEnv: Record<string, string | undefined>;
  secrets: SecretsSource;
  clock: Clock;
  signal?: AbortSignal;
  onEvent?: (e: PipelineEvent) => void;
  deployer?: LocalDeployer;
  autoApprove?: boolean;
  approvalTimeoutMs?: number;
  deployLockTimeoutMs?: number;
  buildTimeoutMs?: number;
  runId?: string;
}

interface ActionOutcome {
  status: 'Succeeded' | 'Failed';
  message?: string;
  variables?: Record<string, string>;
  outputArtifacts?: string[];
  buildRunId?: string;
  logPath?: string;
}

/** Runs a pipeline locally, stage by stage; records the run under `.conveyor/runs/`. Never throws for a failure. */
export async function runPipeline(options: PipelineRunOptions): Promise<RunRecord> {
  const { pipeline, clock, root } = options;
  const startedAt = clock.now();
  const runId = options.runId ?? newRunId('pipeline', startedAt);
  const runDir = join(root, '.conveyor', 'runs', runId);
  const executionId = randomUUID();
  const mode: ExecutionMode = pipeline.executionMode ?? 'SUPERSEDED';
  await mkdir(runDir, { recursive: true });
  const record: RunRecord = {
    id: runId,
    kind: 'pipeline',
    status: 'InProgress',
    trigger: options.trigger ?? { type: 'manual' },
    startedAt: new Date(startedAt).toISOString(),
    pid: process.pid,
    logPath: join(runDir, 'pipeline.log'),
    pipeline: pipeline.name,
    executionId,
    executionMode: mode,
    stages: pipeline.stages.map((s) => ({
      name: s.name,
      status: 'Skipped',
      actions: s.actions.map((a) => ({
        name: a.name,
        provider: a.actionTypeId.provider,
        category: a.actionTypeId.category,
        runOrder: a.runOrder ?? 1,
        status: 'Skipped',
      })),
    })),
  };
  let saving = Promise.resolve();
  const save = () => {
    saving = saving.then(() => writeRun(root, record)).catch(() => {});
    return saving;
  };
  const logLines: string[] = [];
  const log = (line: string) => {
    logLines.push(`${new Date(clock.now()).toISOString()} ${line}`);
  };
  const emit = (e: PipelineEvent) => options.onEvent?.(e);
  const finish = async (status: RunRecord['status'], message?: string) => {
    record.status = status;
    if (message) record.message = message;
    record.endedAt = new Date(clock.now()).toISOString();
    record.durationMs = clock.now() - startedAt;
    log(`run ${status}${message ? `: ${message}` : ''}`);
    await writeFile(record.logPath!, `${logLines.join('\n')}\n`);
    await save();
    emit({ type: 'run-end', record });
    return record;
  };

  // Pipeline variables: declared defaults, overridden by --variable; an undeclared name is refused upfront by the CLI.
  const scope: VariableScope = new Map();
  const pipelineVariables: Record<string, string> = {};
  for (const v of pipeline.variables ?? [])
    if (v.defaultValue !== undefined) pipelineVariables[v.name] = v.defaultValue;
  Object.assign(pipelineVariables, options.variables ?? {});
  scope.set('variables', pipelineVariables);
  scope.set('codepipeline', { PipelineExecutionId: executionId });
  record.variables = pipelineVariables;

  const commit = options.commit ?? (await resolveSourceCommit(options));
  if (commit) record.commit = commit;
  await save();
  emit({
    type: 'run-start',
    runId,
    pipeline: pipeline.name,
    executionId,
    executionMode: mode,
    ...(commit ? { commit } : {}),
  });
  log(`run ${runId} of ${pipeline.name} (execution ${executionId}, ${mode})${commit ? ` at ${commit}` : ''}`);

  const gate = executionGate({
    root,
    pipeline: pipeline.name,
    mode,
    runId,
    startedAt,
    ...(options.signal ? { signal: options.signal } : {}),
    onWaiting: (what, holder) => {
      const text = `waiting: ${what === 'execution' ? 'QUEUED behind an earlier execution' : `stage ${what.replace(/^stage-/, '')} is held`}${holder ? ` (run ${holder})` : ''}`;
      log(text);
      emit({ type: 'waiting', runId, what, ...(holder ? { holder } : {}) });
      record.message = text;
      void save();
    },
  });
  try {
    const started = await gate.start();
    if (!started.go) return await finish('Superseded', `superseded by run ${started.supersededBy}`);
    record.message = undefined;
    let failed: string | undefined;
    for (const [index, stage] of pipeline.stages.entries()) {
      const stageRecord = record.stages![index]!;
      if (failed) continue;
      if (options.signal?.aborted) {
        failed = 'stopped';
        break;
      }
      const entered = await gate.enterStage(stage.name);
      if (!entered.go) {
        await gate.finish();
        return await finish(
          'Superseded',
          `superseded by run ${entered.supersededBy} before stage ${stage.name}`,
        );
      }
      const entry = checkConditions(stage.beforeEntry?.conditions, scope);
      if (!entry.met) {
        const result = stage.beforeEntry?.conditions[0]?.result ?? 'FAIL';
        stageRecord.message = `beforeEntry condition not met: ${entry.reason}`;
        stageRecord.status = result === 'SKIP' ? 'Skipped' : 'Failed';
        log(`stage ${stage.name}: ${stageRecord.message} -> ${result}`);
        emit({
          type: 'stage-end',
          stage: stage.name,
          status: stageRecord.status,
          durationMs: 0,
          message: stageRecord.message,
        });
        await gate.leaveStage(stage.name);
        if (result !== 'SKIP') failed = `stage ${stage.name}: ${stageRecord.message}`;
        continue;
      }
      let outcome = await runStage(
        stage,
        stageRecord,
        scope,
        runDir,
        runDir,
        record,
        options,
        emit,
        log,
        save,
      );
      if (outcome.failed && stage.onFailure?.result === 'RETRY') {
        const retryMode = stage.onFailure.retryConfiguration?.retryMode ?? 'FAILED_ACTIONS';
        log(`stage ${stage.name}: onFailure RETRY (${retryMode})`);
        outcome = await runStage(
          stage,
          stageRecord,
          scope,
          runDir,
          runDir,
          record,
          options,
          emit,
          log,
          save,
          retryMode === 'FAILED_ACTIONS',
        );
      }
      const onSuccess = outcome.failed
        ? { met: true, reason: '' }
        : checkConditions(stage.onSuccess?.conditions, scope);
      if (!onSuccess.met) {
        outcome = { failed: `onSuccess condition not met: ${onSuccess.reason}` };
        stageRecord.status = 'Failed';
        stageRecord.message = outcome.failed;
      }
      if (outcome.failed) {
        const result = !onSuccess.met
          ? (stage.onSuccess?.conditions[0]?.result ?? 'FAIL')
          : (stage.onFailure?.result ?? 'FAIL');
        if (result === 'ROLLBACK') {
          const rollback = await rollbackStage(stage, stageRecord, record, options, emit, log, save);
          stageRecord.status = rollback.ok ? 'RolledBack' : 'Failed';
          stageRecord.message = `${outcome.failed}; ${rollback.message}`;
        }
        emit({
          type: 'stage-end',
          stage: stage.name,
          status: stageRecord.status,
          durationMs: stageRecord.durationMs ?? 0,
          message: stageRecord.message,
        });
        failed = `stage ${stage.name} ${stageRecord.status === 'RolledBack' ? 'failed and was rolled back' : 'failed'}: ${outcome.failed}`;
      } else {
        emit({
          type: 'stage-end',
          stage: stage.name,
          status: 'Succeeded',
          durationMs: stageRecord.durationMs ?? 0,
        });
      }
      await gate.leaveStage(stage.name);
      await save();
    }
    await gate.finish();
    if (options.signal?.aborted) return await finish('Stopped', 'run stopped');
    return await finish(failed ? 'Failed' : 'Succeeded', failed);
  } catch (err) {
    await gate.finish();
    if (options.signal?.aborted) return await finish('Stopped', 'run stopped');
    return await finish('Failed', `internal error: ${(err as Error).message}`);
  }
}

/** Runs a stage's runOrder groups; within a group actions run in parallel; a failure stops later groups. */
async function runStage(
  stage: StageDeclaration,
  stageRecord: StageRecord,
  scope: VariableScope,
  runDir: string,
  artifactsRunDir: string,
  record: RunRecord,
  options: PipelineRunOptions,
  emit: (e: PipelineEvent) => void,
  log: (line: string) => void,
  save: () => Promise<void>,
  onlyFailed = false,
): Promise<{ failed?: string }> {
  const { clock } = options;
  const stageStart = clock.now();
  stageRecord.status = 'InProgress';
  stageRecord.startedAt = new Date(stageStart).toISOString();
  stageRecord.message = undefined;
  emit({ type: 'stage-start', stage: stage.name });
  log(`stage ${stage.name} started`);
  void save();
  let failed: string | undefined;
  for (const group of runOrderGroups(stage)) {
    if (failed) break;
    const outcomes = await Promise.all(
      group.map(async (action) => {
        const actionRecord = stageRecord.actions.find((a) => a.name === action.name)!;
        if (onlyFailed && actionRecord.status === 'Succeeded') return { action, ok: true };
        const started = clock.now();
        actionRecord.status = 'InProgress';
        actionRecord.startedAt = new Date(started).toISOString();
        actionRecord.message = undefined;
        emit({
          type: 'action-start',
          stage: stage.name,
          action: action.name,
          provider: providerLabel(action),
        });
        log(`action ${stage.name}/${action.name} (${providerLabel(action)}) started`);
        void save();
        let outcome: ActionOutcome;
        try {
          outcome = await runAction(
            stage,
            action,
            actionRecord,
            scope,
            runDir,
            artifactsRunDir,
            record,
            options,
            emit,
            save,
          );
        } catch (err) {
          outcome = { status: 'Failed', message: `internal error: ${(err as Error).message}` };
        }
        actionRecord.status = outcome.status;
        actionRecord.durationMs = clock.now() - started;
        if (outcome.message) actionRecord.message = outcome.message;
        if (outcome.buildRunId) actionRecord.buildRunId = outcome.buildRunId;
        if (outcome.logPath) actionRecord.logPath = outcome.logPath;
        if (outcome.outputArtifacts) actionRecord.outputArtifacts = outcome.outputArtifacts;
        if (outcome.variables && Object.keys(outcome.variables).length > 0) {
          actionRecord.outputVariables = outcome.variables;
          if (action.namespace) scope.set(action.namespace, outcome.variables);
        }
        log(
          `action ${stage.name}/${action.name} ${outcome.status}${outcome.message ? `: ${outcome.message}` : ''}`,
        );
        emit({
          type: 'action-end',
          stage: stage.name,
          action: action.name,
          status: outcome.status,
          durationMs: actionRecord.durationMs,
          ...(outcome.message ? { message: outcome.message } : {}),
        });
        void save();
        return { action, ok: outcome.status === 'Succeeded', message: outcome.message };
      }),
    );
    const bad = outcomes.find((o) => !o.ok);
    if (bad)
      failed = `action ${bad.action.name} failed${'message' in bad && bad.message ? `: ${bad.message}` : ''}`;
  }
  stageRecord.durationMs = clock.now() - stageStart;
  stageRecord.status = failed ? 'Failed' : 'Succeeded';
  if (failed) stageRecord.message = failed;
  log(`stage ${stage.name} ${stageRecord.status}`);
  return failed ? { failed } : {};
}

const artifactDir = (runDir: string, name: string) => join(runDir, 'artifacts', name);

async function runAction(
  stage: StageDeclaration,
  action: ActionDeclaration,
  actionRecord: ActionRecord,
  scope: VariableScope,
  runDir: string,
  artifactsRunDir: string,
  record: RunRecord,
  options: PipelineRunOptions,
  emit: (e: PipelineEvent) => void,
  save: () => Promise<void>,
): Promise<ActionOutcome> {
  const key = actionKey(stage.name, action.name);
  const executor = options.executors.get(key);
  if (!executor) return { status: 'Failed', message: `${key} has no local runner` };
  const resolved = resolveConfiguration(action.configuration, scope);
  if (resolved.missing.length > 0) {
    return {
      status: 'Failed',
      message: `unresolved variable reference ${[...new Set(resolved.missing)].join(', ')}: no earlier action, pipeline variable or reserved namespace provides it`,
    };
  }
  const config = resolved.configuration;
  const inputs = (action.inputArtifacts ?? []).map((a) => a.name);
  const outputs = (action.outputArtifacts ?? []).map((a) => a.name);
  for (const name of inputs) {
    if (!existsSync(artifactDir(artifactsRunDir, name))) {
      return { status: 'Failed', message: `input artifact ${name} was not produced by an earlier action` };
    }
  }
  const work = join(runDir, 'work', `${stage.name}--${action.name}`.replace(/[^A-Za-z0-9.@_-]/g, '_'));
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  switch (executor.kind) {
    case 'source':
      return runSourceAction(action, config, outputs, runDir, record, options);
    case 'manual': {
      if (options.autoApprove)
        return { status: 'Succeeded', message: 'approved automatically (--auto-approve)' };
      const hint = `conveyor run approve ${record.pipeline} ${stage.name} ${action.name} [--reject] [--summary TEXT]`;
      actionRecord.status = 'Waiting';
      actionRecord.message = `waiting for approval: ${hint}`;
      await save();
      emit({ type: 'approval-waiting', stage: stage.name, action: action.name, hint });
      const timeoutMs = options.approvalTimeoutMs ?? (action.timeoutInMinutes ?? 7 * 24 * 60) * 60_000;
      const answer = await waitForApproval(
        runDir,
        {
          runId: record.id,
          pipeline: record.pipeline!,
          stage: stage.name,
          action: action.name,
          since: new Date().toISOString(),
          ...(config.CustomData ? { customData: config.CustomData } : {}),
          ...(config.ExternalEntityLink ? { externalEntityLink: config.ExternalEntityLink } : {}),
        },
        { timeoutMs, ...(options.signal ? { signal: options.signal } : {}) },
      );
      if (!answer)
        return {
          status: 'Failed',
          message: options.signal?.aborted ? 'stopped while waiting for approval' : 'approval timed out',
        };
      const summary = answer.summary ? `: ${answer.summary}` : '';
      return answer.decision === 'Approved'
        ? { status: 'Succeeded', message: `Approved${summary}` }
        : { status: 'Failed', message: `Rejected${summary}` };
    }
    case 'codebuild':
    case 'commands':
    case 'local-command':
      return runBuildLike(
        stage,
        action,
        executor,
        config,
        inputs,
        outputs,
        work,
        runDir,
        artifactsRunDir,
        record,
        options,
      );
    case 'codedeploy':
      return runDeployAction(
        stage,
        action,
        executor.groupFile,
        config,
        inputs,
        work,
        artifactsRunDir,
        record,
        options,
        emit,
        actionRecord,
        save,
      );
  }
}

async function resolveSourceCommit(options: PipelineRunOptions): Promise<string | undefined> {
  const source = options.pipeline.stages[0]?.actions.find((a) => a.actionTypeId.category === 'Source');
  const branch = source?.configuration?.BranchName;
  if (branch) {
    const r = await git(
      ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`],
      options.repoDir,
    );
    if (r.ok && r.stdout.trim()) return r.stdout.trim();
  }
  const head = await git(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], options.repoDir);
  return head.ok ? head.stdout.trim() || undefined : undefined;
}

/** A source action: the commit's tree (`git archive`) becomes the output artifact; commit details become variables. */
async function runSourceAction(
  action: ActionDeclaration,
  config: Record<string, string>,
  outputs: string[],
  runDir: string,
  record: RunRecord,
  options: PipelineRunOptions,
): Promise<ActionOutcome> {
  const commit = record.commit;
  if (!commit)
    return {
      status: 'Failed',
      message: `no commit to read in ${options.repoDir} (is it a git repository with commits?)`,
    };
  const out = outputs[0];
  if (out) {
    const dir = artifactDir(runDir, out);
    await mkdir(dir, { recursive: true });
    const extracted = await gitArchive(options.repoDir, commit, dir);
    if (!extracted.ok)
      return { status: 'Failed', message: `git archive ${commit} failed: ${extracted.message}` };
  }
  const show = await git(['show', '-s', '--format=%H%n%aI%n%cI%n%an%n%B', commit], options.repoDir);
  const [commitId = commit, authorDate = '', committerDate = '', author = '', ...message] =
    show.stdout.split('\n');
  const branch = options.ref?.startsWith('refs/heads/')
    ? options.ref.slice('refs/heads/'.length)
    : (config.BranchName ?? '');
  const variables: Record<string, string> = {
    CommitId: commitId,
    BranchName: branch,
    CommitMessage: message.join('\n').trim(),
    AuthorDate: authorDate,
    CommitterDate: committerDate,
    AuthorDisplayName: author,
  };
  const provider = action.actionTypeId.provider;
  if (provider === 'CodeCommit') variables.RepositoryName = config.RepositoryName ?? '';
  if (provider === 'CodeStarSourceConnection') {
    variables.FullRepositoryId = config.FullRepositoryId ?? '';
    variables.ConnectionArn = config.ConnectionArn ?? '';
  }
  if (provider === 'S3') {
    // A local S3 source is the repository's tree: the commit stands in for the object version.
    variables.ObjectKey = config.S3ObjectKey ?? '';
    variables.ETag = commitId;
    variables.VersionId = commitId;
  }
  return {
    status: 'Succeeded',
    message: `${commitId.slice(0, 12)}${branch ? ` (${branch})` : ''}`,
    variables,
    outputArtifacts: outputs,
  };
}

function gitArchive(
  repoDir: string,
  commit: string,
  dest: string,
): Promise<{ ok: boolean; message: string }> {
  return new Promise((resolvePromise) => {
    const env = cleanGitEnv();
    const archive = spawn('git', ['archive', '--format=tar', commit], {
      cwd: repoDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tar = spawn('tar', ['-x', '-f', '-', '-C', dest], { stdio: ['pipe', 'ignore', 'pipe'] });
    // tar ending early (bad archive, full disk) must fail this action, not crash the run with EPIPE.
    tar.stdin.on('error', () => {});
    archive.stdout.pipe(tar.stdin);
    let errors = '';
    archive.stderr.on('data', (c: Buffer) => (errors += c.toString()));
    tar.stderr.on('data', (c: Buffer) => (errors += c.toString()));
    // Both processes must have ended (in either order) before the outcome is known.
    const ended = (child: ChildProcess) =>
      new Promise<number | null>((resolveEnd) => {
        child.on('close', (code) => resolveEnd(code));
        child.on('error', (err) => {
          errors += `${err.message}\n`;
          resolveEnd(-1);
        });
      });
    void Promise.all([ended(archive), ended(tar)]).then(([archiveCode, tarCode]) =>
      resolvePromise({ ok: archiveCode === 0 && tarCode === 0, message: errors.trim() }),
    );
  });
}

/** CodeBuild, Commands and mapped local-command actions all run through the local build engine. */
async function runBuildLike(
  stage: StageDeclaration,
  action: ActionDeclaration,
  executor: Extract<Executor, { kind: 'codebuild' | 'commands' | 'local-command' }>,
  config: Record<string, string>,
  inputs: string[],
  outputs: string[],
  work: string,
  runDir: string,
  artifactsRunDir: string,
  record: RunRecord,
  options: PipelineRunOptions,
): Promise<ActionOutcome> {
  const primary = config.PrimarySource ?? inputs[0];
  const srcDir = join(work, 'src');
  if (primary) {
    if (!inputs.includes(primary))
      return { status: 'Failed', message: `PrimarySource ${primary} is not an input artifact` };
    await cp(artifactDir(artifactsRunDir, primary), srcDir, { recursive: true, verbatimSymlinks: true });
  } else await mkdir(srcDir, { recursive: true });
  const secondarySources: Record<string, string> = {};
  for (const name of inputs) {
    if (name === primary) continue;
    const dir = join(work, `src_${name}`);
    await cp(artifactDir(artifactsRunDir, name), dir, { recursive: true, verbatimSymlinks: true });
    secondarySources[name] = dir;
  }
  const envOverrides: Record<string, string> = {};
  let plan: BuildPlan;
  if (executor.kind === 'codebuild') {
    const candidates = executor.buildspec
      ? [
          isAbsolute(executor.buildspec) ? executor.buildspec : resolve(srcDir, executor.buildspec),
          resolve(options.root, executor.buildspec),
        ]
      : [join(srcDir, 'buildspec.yml'), join(srcDir, 'buildspec.yaml')];
    const file = candidates.find((c) => existsSync(c));
    if (!file) {
      return {
        status: 'Failed',
        message: executor.buildspec
          ? `YAML_FILE_ERROR: buildspec ${executor.buildspec} not found in input artifact ${primary ?? '(none)'} or the project`
          : `YAML_FILE_ERROR: no buildspec.yml in input artifact ${primary ?? '(none)'}; map project '${config.ProjectName}' under 'codebuild:' in .conveyor/local-actions.yml`,
      };
    }
    const loaded = await loadBuildspecFile(
      file,
      file.startsWith(srcDir) ? `${primary}::${file.slice(srcDir.length + 1)}` : file,
      { validatedCacheDir: join(options.root, '.conveyor', 'cache', 'validated') },
    );
    if (!loaded.plan) {
      return {
        status: 'Failed',
        message: `YAML_FILE_ERROR: ${loaded.diagnostics.map((d) => `${d.file}:${d.line}:${d.col} ${d.message}`).join('; ')}`,
      };
    }
    plan = loaded.plan;
    if (config.EnvironmentVariables) {
      let list: { name: string; value: string; type?: string }[];
      try {
        list = JSON.parse(config.EnvironmentVariables) as typeof list;
      } catch {
        return {
          status: 'Failed',
          message: 'EnvironmentVariables is not a JSON list of {name, value, type}',
        };
      }
      plan = {
        ...plan,
        parameterStore: { ...plan.parameterStore },
        secretsManager: { ...plan.secretsManager },
      };
      for (const v of list) {
        if (v.type === 'PARAMETER_STORE') plan.parameterStore[v.name] = v.value;
        else if (v.type === 'SECRETS_MANAGER') plan.secretsManager[v.name] = v.value;
        else envOverrides[v.name] = v.value;
      }
    }
  } else {
    const commands = executor.kind === 'commands' ? (action.commands ?? []) : [executor.command];
    const outDirs: Record<string, string> = {};
    if (executor.kind === 'local-command') {
      for (const name of outputs) {
        outDirs[name] = join(work, 'outputs', name);
        await mkdir(outDirs[name], { recursive: true });
        envOverrides[`CONVEYOR_OUTPUT_${name}`] = outDirs[name];
      }
      envOverrides.CONVEYOR_ACTION_CONFIGURATION = JSON.stringify(config);
      envOverrides.CONVEYOR_VARIABLES_FILE = join(work, 'variables.env');
    }
    for (const v of action.environmentVariables ?? [])
      envOverrides[v.name] = resolveVariables(v.value, new Map()).value;
    plan = {
      variables: {},
      parameterStore: {},
      secretsManager: {},
      exportedVariables: action.outputVariables ?? [],
      phases: [{ name: 'build', commands, finally: [], onFailure: { kind: 'default' } }],
      ...(executor.kind === 'commands' && outputs.length > 0
        ? {
            artifacts: {
              identifier: 'primary',
              files: ['**/*'],
              discardPaths: false,
              excludePaths: [],
              enableSymlinks: false,
            },
          }
        : {}),
      secondaryArtifacts: [],
      reports: [],
      cachePaths: [],
    };
  }
  const project = config.ProjectName ?? `${record.pipeline}-${action.name}`;
  const result = await runBuild({
    plan,
    srcDir,
    root: options.root,
    outDir: join(work, 'out'),
    project,
    envOverrides,
    baseEnv: options.baseEnv,
    secrets: options.secrets,
    ...(options.buildTimeoutMs !== undefined ? { timeoutMs: options.buildTimeoutMs } : {}),
    trigger: {
      type: 'pipeline',
      parentRunId: record.id,
      detail: `${record.pipeline} ${stage.name}/${action.name}`,
    },
    initiator: `codepipeline/${record.pipeline}`,
    secondarySources,
    ...(record.commit ? { sourceVersion: record.commit } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    clock: options.clock,
    onEvent: (_e: BuildEvent) => {},
  });
  const base = {
    buildRunId: result.record.id,
    ...(result.record.logPath ? { logPath: result.record.logPath } : {}),
  };
  if (result.record.status !== 'Succeeded') {
    return {
      ...base,
      status: 'Failed',
      message: `build ${result.record.status.toLowerCase()}: ${result.record.message ?? ''}`.trim(),
    };
  }
  // Output artifacts: one output takes the primary `artifacts`; several must match secondary identifiers by name.
  for (const name of outputs) {
    const dest = artifactDir(runDir, name);
    await rm(dest, { recursive: true, force: true });
    if (executor.kind === 'local-command') {
      await cp(join(work, 'outputs', name), dest, { recursive: true, verbatimSymlinks: true });
      continue;
    }
    const collected =
      outputs.length === 1
        ? (result.artifacts.find((a) => a.identifier === 'primary') ??
          result.artifacts.find((a) => a.identifier === name))
        : result.artifacts.find((a) => a.identifier === name);
    if (!collected) {
      return {
        ...base,
        status: 'Failed',
        message:
          outputs.length === 1
            ? `output artifact ${name}: the buildspec has no artifacts section`
            : `output artifact ${name}: no secondary artifact '${name}' in the buildspec (with several outputs, names must match secondary-artifacts identifiers)`,
      };
    }
    await cp(collected.folder, dest, { recursive: true, verbatimSymlinks: true });
  }
  let variables = result.record.exportedVariables ?? {};
  if (executor.kind === 'local-command')
    variables = { ...variables, ...(await readVariablesFile(join(work, 'variables.env'))) };
  return { ...base, status: 'Succeeded', variables, outputArtifacts: outputs };
}

async function readVariablesFile(file: string): Promise<Record<string, string>> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return out;
}

/**
 * A CodeDeploy action: the input artifact is the revision, deployed to the mapped local deployment group. Local
 * runs deploying to the same group take turns through a deploy lock; a run that waits says whom it waits for.
 */
async function runDeployAction(
  stage: StageDeclaration,
  action: ActionDeclaration,
  groupFile: string,
  config: Record<string, string>,
  inputs: string[],
  work: string,
  artifactsRunDir: string,
  record: RunRecord,
  options: PipelineRunOptions,
  emit: (e: PipelineEvent) => void,
  actionRecord: ActionRecord,
  save: () => Promise<void>,
): Promise<ActionOutcome> {
  const input = inputs[0];
  if (!input)
    return { status: 'Failed', message: 'a CodeDeploy action needs one input artifact (the revision)' };
  const lockName = `${config.ApplicationName}--${config.DeploymentGroupName}`.replace(
    /[^A-Za-z0-9.@_-]/g,
    '_',
  );
  const lockDir = join(options.root, '.conveyor', 'locks', 'deploy', lockName);
  const deadline = Date.now() + (options.deployLockTimeoutMs ?? 30 * 60_000);
  let waitedFor: string | undefined;
  const waitStart = Date.now();
  let held = await tryLock(lockDir, { runId: record.id, action: `${stage.name}/${action.name}` });
  while (!held) {
    const owner = await readLockOwner(lockDir);
    // No owner while the holder is just taking or releasing the lock: keep the last one we knew.
    const holder = owner
      ? typeof owner.runId === 'string'
        ? owner.runId
        : `pid ${String(owner.pid)}`
      : (waitedFor ?? 'another run');
    if (waitedFor !== holder) {
      waitedFor = holder;
      actionRecord.message = `waiting for the deploy lock of ${config.ApplicationName}/${config.DeploymentGroupName}, held by ${holder}`;
      await save();
      emit({
        type: 'waiting',
        runId: record.id,
        what: `deploy lock ${config.ApplicationName}/${config.DeploymentGroupName}`,
        holder,
      });
    }
    if (Date.now() > deadline || options.signal?.aborted) {
      return {
        status: 'Failed',
        message: `deploy lock of ${config.ApplicationName}/${config.DeploymentGroupName} still held by ${holder} after ${Math.round((Date.now() - waitStart) / 1000)} s; nothing was deployed`,
      };
    }
    await new Promise((r) => setTimeout(r, 100));
    held = await tryLock(lockDir, { runId: record.id, action: `${stage.name}/${action.name}` });
  }
  try {
    const revisionDir = join(work, 'revision');
    await cp(artifactDir(artifactsRunDir, input), revisionDir, { recursive: true, verbatimSymlinks: true });
    const logPath = join(work, 'deploy.log');
    const deployer = options.deployer ?? cliDeployer;
    const result = await deployer.deploy({
      configFile: groupFile,
      revisionDir,
      cwd: options.root,
      logPath,
      env: options.baseEnv,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const waited = waitedFor
      ? ` (waited ${Math.round((Date.now() - waitStart) / 1000)} s for the deploy lock held by ${waitedFor})`
      : '';
    return {
      status: result.ok ? 'Succeeded' : 'Failed',
      message: `${result.message}${waited}`.trim(),
      logPath,
    };
  } finally {
    await held.release();
  }
}

/** VariableCheck rules are evaluated; other rule providers cannot run locally and count as met (warned upfront). */
function checkConditions(
  conditions: Condition[] | undefined,
  scope: VariableScope,
): { met: boolean; reason: string } {
  for (const c of conditions ?? []) {
    for (const rule of c.rules ?? []) {
      if (rule.ruleTypeId.provider !== 'VariableCheck') continue;
      const cfg = rule.configuration ?? {};
      const actual = resolveVariables(cfg.Variable ?? '', scope).value;
      const expected = cfg.Value ?? '';
      const op = (cfg.Operator ?? 'EQ').toUpperCase();
      const ok =
        op === 'EQ'
          ? actual === expected
          : op === 'NE'
            ? actual !== expected
            : op === 'CONTAINS'
              ? actual.includes(expected)
              : op === 'MATCHES'
                ? safeRegex(expected).test(actual)
                : true;
      if (!ok)
        return {
          met: false,
          reason: `rule ${rule.name}: ${cfg.Variable} is '${actual}', expected ${op} '${expected}'`,
        };
    }
  }
  return { met: true, reason: '' };
}

function safeRegex(pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch {
    return /$^/;
  }
}

/**
 * Stage rollback (onFailure ROLLBACK): re-runs the stage with the artifacts of the most recent earlier execution in
 * which this stage succeeded, as CodePipeline rolls a stage back to its last successful execution.
 */
async function rollbackStage(
  stage: StageDeclaration,
  stageRecord: StageRecord,
  record: RunRecord,
  options: PipelineRunOptions,
  emit: (e: PipelineEvent) => void,
  log: (line: string) => void,
  save: () => Promise<void>,
): Promise<{ ok: boolean; message: string }> {
  const previous = (await listRuns(options.root)).find(
    (r) =>
      r.kind === 'pipeline' &&
      r.pipeline === record.pipeline &&
      r.id !== record.id &&
      r.stages?.some((s) => s.name === stage.name && s.status === 'Succeeded'),
  );
  if (!previous)
    return { ok: false, message: 'rollback: no earlier successful execution of this stage to roll back to' };
  const prevRunDir = join(options.root, '.conveyor', 'runs', previous.id);
  log(`stage ${stage.name}: rolling back to execution ${previous.executionId} (run ${previous.id})`);
  const rollbackRecord: StageRecord = {
    name: stage.name,
    status: 'InProgress',
    actions: stage.actions.map((a) => ({
      name: a.name,
      provider: a.actionTypeId.provider,
      category: a.actionTypeId.category,
      runOrder: a.runOrder ?? 1,
      status: 'Skipped',
    })),
  };
  const prevScope: VariableScope = new Map();
  for (const s of previous.stages ?? []) {
    for (const a of s.actions) {
      const decl = options.pipeline.stages
        .find((x) => x.name === s.name)
        ?.actions.find((x) => x.name === a.name);
      if (decl?.namespace && a.outputVariables) prevScope.set(decl.namespace, a.outputVariables);
    }
  }
  prevScope.set('variables', previous.variables ?? {});
  prevScope.set('codepipeline', { PipelineExecutionId: previous.executionId ?? '' });
  const runDir = join(options.root, '.conveyor', 'runs', record.id, 'rollback');
  const again = await runStage(
    stage,
    rollbackRecord,
    prevScope,
    runDir,
    prevRunDir,
    { ...record, commit: previous.commit ?? '' },
    options,
    emit,
    log,
    save,
  );
  stageRecord.actions.push(...rollbackRecord.actions.map((a) => ({ ...a, name: `${a.name} (rollback)` })));
  return again.failed
    ? { ok: false, message: `rollback to run ${previous.id} failed: ${again.failed}` }
    : {
        ok: true,
        message: `rolled back to run ${previous.id} (commit ${previous.commit?.slice(0, 12) ?? '?'})`,
      };
}
