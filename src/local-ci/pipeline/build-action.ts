/**
 * Build actions: CodeBuild (with its buildspec), Commands and mapped local-command actions, all run through the
 * local build engine; input artifacts become the sources, collected build artifacts the output artifacts.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { type BuildEvent, runBuild } from '../build-runner.js';
import { type BuildPlan, loadBuildspecFile } from '../buildspec.js';
import { artifactDir, copyArtifactFolder } from './artifacts.js';
import type { ActionDeclaration, StageDeclaration } from './model.js';
import type { Executor } from './plan.js';
import type { ActionOutcome, RunContext } from './run-types.js';
import { resolveVariables } from './variables.js';

/** CodeBuild, Commands and mapped local-command actions all run through the local build engine. */
export async function runBuildAction(
  ctx: RunContext,
  stage: StageDeclaration,
  action: ActionDeclaration,
  executor: Extract<Executor, { kind: 'codebuild' | 'commands' | 'local-command' }>,
  config: Record<string, string>,
  inputs: string[],
  outputs: string[],
  work: string,
  runDir: string,
  artifactsRunDir: string,
): Promise<ActionOutcome> {
  const { record, options } = ctx;
  const primary = config.PrimarySource ?? inputs[0];
  const srcDir = join(work, 'src');
  if (primary) {
    if (!inputs.includes(primary))
      return { status: 'Failed', message: `PrimarySource ${primary} is not an input artifact` };
    await copyArtifactFolder(artifactDir(artifactsRunDir, primary), srcDir);
  } else await mkdir(srcDir, { recursive: true });
  const secondarySources: Record<string, string> = {};
  for (const name of inputs) {
    if (name === primary) continue;
    const dir = join(work, `src_${name}`);
    await copyArtifactFolder(artifactDir(artifactsRunDir, name), dir);
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
    ...(options.cleanEnv ? { cleanEnv: true } : {}),
    secrets: options.secrets,
    // Secrets of earlier builds reach this one through variables: its log masks them too.
    maskValues: ctx.masker.secrets,
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
  ctx.masker.add(result.secrets);
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
      await copyArtifactFolder(join(work, 'outputs', name), dest);
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
    await copyArtifactFolder(collected.folder, dest);
  }
  // Unmasked: later actions get the real values (the run's record masks them).
  let variables = result.exportedVariables;
  if (executor.kind === 'local-command')
    variables = { ...variables, ...(await readVariablesFile(join(work, 'variables.env'))) };
  return { ...base, status: 'Succeeded', variables, outputArtifacts: outputs };
}

/** The command's `NAME=value` lines; the file goes once read (it is in the run folder, and may hold a secret). */
async function readVariablesFile(file: string): Promise<Record<string, string>> {
  const text = await readFile(file, 'utf8').catch(() => '');
  await rm(file, { force: true });
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return out;
}
