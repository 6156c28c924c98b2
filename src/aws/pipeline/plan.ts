/**
 * `conveyor plan` / `conveyor apply` as a library: load emitted pipeline files, compare them with the live
 * pipelines (GetPipeline), then create or update only what differs.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type {
  CodePipelineClient,
  GetPipelineOutput,
  PipelineDeclaration,
} from '@aws-sdk/client-codepipeline';
import type { Clock } from '../../core/clock.js';
import { UsageError, WorkFailedError } from '../../core/errors.js';
import { readTextFile } from '../../core/files.js';
import { type Diagnostic, formatDiagnostics } from '../../documents/diagnostics.js';
import { validateText } from '../../documents/validate.js';
import { loadCodePipeline } from '../clients.js';
import { awsCall, errorName, isRolePropagationDelay } from '../errors.js';
import { diffPipelines, MASKED, type PipelineChange } from './diff.js';

/** Where `conveyor synth` writes pipeline JSON by default (its `conveyor.out/`), relative to the project. */
export const DEFAULT_PIPELINE_DIR = join('conveyor.out', 'pipelines');

export interface PipelineFile {
  file: string;
  pipeline: PipelineDeclaration;
}

export interface PipelinePlan {
  name: string;
  file: string;
  action: 'create' | 'update' | 'none';
  /** Live version (from GetPipeline) an update is based on. */
  liveVersion?: number;
  changes: PipelineChange[];
  /** Updated although no difference is visible (`apply --force`, e.g. to rotate a masked secret). */
  forced?: boolean;
}

function isPipelineShape(v: unknown): v is PipelineDeclaration {
  const p = v as PipelineDeclaration | undefined;
  return typeof p === 'object' && p !== null && typeof p.name === 'string' && Array.isArray(p.stages);
}

/**
 * Reads one pipeline file (the create-pipeline shape `{"pipeline": {...}}`) and validates it with the
 * pipeline rules, so nothing invalid reaches AWS. Error diagnostics are added to `problems`.
 * Returns undefined for JSON that is not a pipeline at all.
 */
export function readPipelineFile(
  path: string,
  cwd: string,
  problems: Diagnostic[] = [],
): PipelineFile | undefined {
  const file = relative(cwd, path) || path;
  const text = readTextFile(path);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file}: not readable JSON (${(err as Error).message})`);
  }
  const candidate = (data as { pipeline?: unknown })?.pipeline ?? data;
  if (!isPipelineShape(candidate)) return undefined;
  const errors = validateText(text, file, { kind: 'pipeline' }).diagnostics.filter(
    (d) => d.severity === 'error',
  );
  if (errors.length) {
    problems.push(...errors);
    return undefined;
  }
  const masked = findMasked(candidate);
  if (masked) {
    throw new UsageError(
      `${file}: ${masked} holds the masked value '${MASKED}'; applying it would overwrite the real secret`,
      'put the real value (or a reference the action resolves, e.g. a Secrets Manager name) in the file',
    );
  }
  return { file, pipeline: candidate };
}

function findMasked(value: unknown, path = ''): string | undefined {
  if (value === MASKED) return path || '(root)';
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findMasked(value[i], `${path}[${i}]`);
      if (hit) return hit;
    }
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      const hit = findMasked(v, path ? `${path}.${k}` : k);
      if (hit) return hit;
    }
  }
  return undefined;
}

/** Explicit files, or every pipeline JSON in `dir` (default: the synth output folder). */
export function loadPipelineFiles(cwd: string, paths: string[], dir?: string): PipelineFile[] {
  const explicit = paths.length > 0;
  let files: string[];
  if (explicit) {
    files = paths.map((p) => resolve(cwd, p));
    for (const f of files) if (!existsSync(f)) throw new UsageError(`${relative(cwd, f)}: no such file`);
  } else {
    const folder = resolve(cwd, dir ?? DEFAULT_PIPELINE_DIR);
    if (!existsSync(folder) || !statSync(folder).isDirectory()) {
      throw new UsageError(
        `no pipeline folder at ${relative(cwd, folder) || folder}`,
        'run `conveyor synth` first, pass --dir DIR, or name the pipeline JSON files',
      );
    }
    files = readdirSync(folder)
      .filter((f) => f.endsWith('.json') && !/\.(policy|iam)\.json$/.test(f))
      .sort()
      .map((f) => join(folder, f));
  }
  const out: PipelineFile[] = [];
  const problems: Diagnostic[] = [];
  for (const f of files) {
    const before = problems.length;
    const loaded = readPipelineFile(f, cwd, problems);
    if (loaded) out.push(loaded);
    else if (explicit && problems.length === before) {
      throw new UsageError(`${relative(cwd, f)}: not a pipeline declaration (needs "name" and "stages")`);
    }
  }
  if (problems.length) {
    throw new WorkFailedError(
      `invalid pipeline definition; nothing was sent to AWS:\n${formatDiagnostics(problems)}`,
    );
  }
  const seen = new Map<string, string>();
  for (const { file, pipeline } of out) {
    const other = seen.get(pipeline.name!);
    if (other) throw new UsageError(`pipeline '${pipeline.name}' is declared twice: ${other} and ${file}`);
    seen.set(pipeline.name!, file);
  }
  if (out.length === 0) throw new UsageError('no pipeline declarations found to plan');
  return out;
}

/** The live pipeline, or undefined when it does not exist yet. */
export async function getLivePipeline(
  client: CodePipelineClient,
  name: string,
): Promise<GetPipelineOutput | undefined> {
  const sdk = await loadCodePipeline();
  try {
    return await awsCall<GetPipelineOutput>(
      'CodePipeline',
      client,
      new sdk.GetPipelineCommand({ name }),
      `pipeline ${name}`,
    );
  } catch (err) {
    if (errorName(err) === 'PipelineNotFoundException') return undefined;
    throw err;
  }
}

export async function planPipeline(client: CodePipelineClient, desired: PipelineFile): Promise<PipelinePlan> {
  const name = desired.pipeline.name!;
  const live = await getLivePipeline(client, name);
  if (!live?.pipeline) return { name, file: desired.file, action: 'create', changes: [] };
  const changes = diffPipelines(live.pipeline, desired.pipeline);
  return {
    name,
    file: desired.file,
    action: changes.length ? 'update' : 'none',
    ...(live.pipeline.version !== undefined ? { liveVersion: live.pipeline.version } : {}),
    changes,
  };
}

/** `apply --force`: pipelines that exist are updated even when nothing differs visibly (masked secrets). */
export function forcePlan(plan: PipelinePlan): PipelinePlan {
  return plan.action === 'none' ? { ...plan, action: 'update', forced: true } : plan;
}

/** Strips what AWS manages itself from an emitted declaration before sending it. */
function outgoing(pipeline: PipelineDeclaration): PipelineDeclaration {
  const { version: _v, ...rest } = pipeline as PipelineDeclaration & { metadata?: unknown };
  delete (rest as { metadata?: unknown }).metadata;
  return rest;
}

export interface ApplyResult {
  name: string;
  action: PipelinePlan['action'];
  version?: number;
}

export interface ApplyOptions {
  /** Used to wait between retries while a new service role propagates through IAM. */
  clock?: Clock;
  /** Waits (ms) before each retry of a role-propagation failure; default 10 s, 20 s, 30 s. */
  roleRetryDelays?: number[];
}

/** Executes one plan entry. A plan with no changes makes no call at all. */
export async function applyPipelinePlan(
  client: CodePipelineClient,
  plan: PipelinePlan,
  desired: PipelineFile,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const delays = options.clock ? (options.roleRetryDelays ?? [10_000, 20_000, 30_000]) : [];
  for (let attempt = 0; ; attempt++) {
    try {
      return await applyOnce(client, plan, desired);
    } catch (err) {
      const delay = delays[attempt];
      if (delay === undefined || !isRolePropagationDelay(err)) throw err;
      await options.clock!.sleep(delay);
    }
  }
}

async function applyOnce(
  client: CodePipelineClient,
  plan: PipelinePlan,
  desired: PipelineFile,
): Promise<ApplyResult> {
  if (plan.action === 'none') {
    return { name: plan.name, action: 'none', ...(plan.liveVersion ? { version: plan.liveVersion } : {}) };
  }
  const sdk = await loadCodePipeline();
  if (plan.action === 'create') {
    const out = await awsCall<{ pipeline?: PipelineDeclaration }>(
      'CodePipeline',
      client,
      new sdk.CreatePipelineCommand({ pipeline: outgoing(desired.pipeline) }),
      `pipeline ${plan.name}`,
    );
    return { name: plan.name, action: 'create', version: out.pipeline?.version ?? 1 };
  }
  const out = await awsCall<{ pipeline?: PipelineDeclaration }>(
    'CodePipeline',
    client,
    new sdk.UpdatePipelineCommand({ pipeline: { ...outgoing(desired.pipeline), version: plan.liveVersion } }),
    `pipeline ${plan.name}`,
  );
  return {
    name: plan.name,
    action: 'update',
    ...(out.pipeline?.version ? { version: out.pipeline.version } : {}),
  };
}
