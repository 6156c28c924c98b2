/**
 * Pure comparison of an emitted pipeline with the live one. Named lists (stages, actions, variables,
 * artifacts) are compared by name, not position, so an inserted stage reads as one addition. Values AWS
 * fills in on its own (runOrder 1, executionMode SUPERSEDED, pipelineType V1, empty lists, `version`) and
 * values it masks (`****` for secret configuration) are not drift. The value of a secret-bearing field is never
 * part of a change, masked or not: the change says that it was set, changed or removed (`secret: true`).
 */
import type { PipelineDeclaration } from '@aws-sdk/client-codepipeline';
import { effectivePipelineType } from '../../documents/pipeline/pipeline-type.js';

export const MASKED = '****';

export type ChangeKind = 'add' | 'remove' | 'change';
export interface PipelineChange {
  kind: ChangeKind;
  /** Readable path, e.g. `stages.Build.actions.Compile.configuration.ProjectName`. */
  path: string;
  /** Absent when `secret`; secret fields inside an object are replaced by SECRET_NOT_SHOWN. */
  before?: unknown;
  after?: unknown;
  /** A secret-bearing field: its values are left out. */
  secret?: true;
}

/** What stands for a secret field's value inside an added or removed object. */
export const SECRET_NOT_SHOWN = '(secret, not shown)';

/**
 * Action configuration keys that carry a secret: GitHub (v1) `OAuthToken`, a webhook's `SecretToken`,
 * passwords, keys and tokens of partner and custom actions by name. AWS marks a custom action type's secret
 * properties itself and returns them as `****`: a key whose live value is masked counts too (`walk`).
 */
const SECRET_KEY = /token|secret|password|passwd|passphrase|credential|private.?key|api.?key|access.?key/i;
/** ...but not the name, id or ARN of a secret, which are references to it. */
const SECRET_REFERENCE = /(arn|id|name)$/i;

export function isSecretField(path: string): boolean {
  const m = /^stages\.[^.]+\.actions\.[^.]+\.configuration\.(.+)$/.exec(path);
  if (!m) return false;
  const key = m[1] as string;
  return SECRET_KEY.test(key) && !SECRET_REFERENCE.test(key);
}

/** `value` (at `path`) with the values of secret fields inside it replaced. */
function redact(value: unknown, path: string): unknown {
  if (Array.isArray(value)) return value.map((v, i) => redact(v, `${path}[${i}]`));
  if (!isObject(value)) return value;
  const out: Tree = {};
  for (const [key, v] of Object.entries(value)) {
    const child = path ? `${path}.${key}` : key;
    out[key] = isSecretField(child) ? SECRET_NOT_SHOWN : redact(v, child);
  }
  return out;
}

type Tree = { [key: string]: unknown };

function isObject(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Drops undefined, null, empty lists and empty objects: AWS returns them either way. */
function prune(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(prune).filter((v) => v !== undefined);
    return items.length ? items : undefined;
  }
  if (isObject(value)) {
    const out: Tree = {};
    for (const key of Object.keys(value)) {
      const v = prune(value[key]);
      if (v !== undefined) out[key] = v;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return value ?? undefined;
}

function byName(items: unknown, map: (item: Tree) => unknown = (x) => x): Tree | undefined {
  if (!Array.isArray(items) || items.length === 0) return undefined;
  const out: Tree = { order: items.map((i) => (isObject(i) ? String(i.name) : '?')).join(', ') };
  for (const item of items) if (isObject(item)) out[String(item.name)] = map(item);
  return out;
}

function artifactNames(list: unknown): string | undefined {
  if (!Array.isArray(list) || list.length === 0) return undefined;
  return list.map((a) => (isObject(a) ? String(a.name) : String(a))).join(', ');
}

/** The comparable form of a pipeline: server defaults filled in, named lists keyed by name. */
export function canonicalPipeline(p: PipelineDeclaration): Tree {
  const stages = byName(p.stages, (stage) => {
    const { name: _n, actions, ...rest } = stage;
    return {
      ...rest,
      actions: byName(actions, (action) => {
        const { name: _a, runOrder, inputArtifacts, outputArtifacts, ...more } = action;
        return {
          ...more,
          runOrder: runOrder ?? 1,
          inputArtifacts: artifactNames(inputArtifacts),
          outputArtifacts: artifactNames(outputArtifacts),
        };
      }),
    };
  });
  const tree: Tree = {
    roleArn: p.roleArn,
    artifactStore: p.artifactStore,
    artifactStores: p.artifactStores,
    pipelineType: effectivePipelineType(p),
    executionMode: p.executionMode ?? 'SUPERSEDED',
    variables: byName(p.variables),
    triggers: p.triggers,
    stages,
  };
  return (prune(tree) as Tree | undefined) ?? {};
}

function walk(before: unknown, after: unknown, path: string, out: PipelineChange[]): void {
  if (before === undefined && after === undefined) return;
  // A masked value is unknown, not different: AWS never returns the secret it stores.
  if (before === MASKED && typeof after === 'string') return;
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(after), ...Object.keys(before)])];
    for (const key of keys) walk(before[key], after[key], path ? `${path}.${key}` : key, out);
    return;
  }
  if (before === MASKED || isSecretField(path)) {
    const kind = before === undefined ? 'add' : after === undefined ? 'remove' : 'change';
    if (kind !== 'change' || JSON.stringify(before) !== JSON.stringify(after))
      out.push({ kind, path, secret: true });
    return;
  }
  if (before === undefined) {
    out.push({ kind: 'add', path, after: redact(after, path) });
    return;
  }
  if (after === undefined) {
    out.push({ kind: 'remove', path, before: redact(before, path) });
    return;
  }
  if (JSON.stringify(before) !== JSON.stringify(after)) {
    if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
      for (let i = 0; i < before.length; i++) walk(before[i], after[i], `${path}[${i}]`, out);
      return;
    }
    out.push({ kind: 'change', path, before: redact(before, path), after: redact(after, path) });
  }
}

/** Changes needed to turn `live` into `desired` (empty when they match). */
export function diffPipelines(live: PipelineDeclaration, desired: PipelineDeclaration): PipelineChange[] {
  const out: PipelineChange[] = [];
  walk(canonicalPipeline(live), canonicalPipeline(desired), '', out);
  return out;
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  const text = JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

/** A short description of an added or removed stage or action, instead of its whole canonical tree. */
function summarize(path: string, value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  if (/^stages\.[^.]+$/.test(path)) {
    const actions = isObject(value.actions) ? String(value.actions.order ?? '') : '';
    return `stage (actions: ${actions || 'none'})`;
  }
  if (/^stages\.[^.]+\.actions\.[^.]+$/.test(path)) {
    const t = isObject(value.actionTypeId) ? value.actionTypeId : {};
    return `action ${t.category}/${t.owner}/${t.provider} v${t.version}, runOrder ${value.runOrder ?? 1}`;
  }
  if (/^variables\.[^.]+$/.test(path))
    return `variable${value.defaultValue !== undefined ? ` (default ${JSON.stringify(value.defaultValue)})` : ''}`;
  return undefined;
}

/** One line per change: `~ path: before → after`, `+ path: value`, `- path: value`. */
export function renderChanges(changes: PipelineChange[], indent = '  '): string[] {
  return changes.map((c) => {
    if (c.secret) {
      const what = c.kind === 'add' ? 'set' : c.kind === 'remove' ? 'removed' : 'changed';
      return `${indent}${c.kind === 'add' ? '+' : c.kind === 'remove' ? '-' : '~'} ${c.path}: (secret ${what}; value not shown)`;
    }
    const summary = summarize(c.path, c.kind === 'remove' ? c.before : c.after);
    if (summary && c.kind === 'add') return `${indent}+ ${c.path}: ${summary}`;
    if (summary && c.kind === 'remove') return `${indent}- ${c.path}: ${summary}`;
    if (c.path.endsWith('.order') || c.path === 'order')
      return `${indent}~ ${c.path}: ${c.before} → ${c.after}`;
    if (c.kind === 'add') return `${indent}+ ${c.path}: ${show(c.after)}`;
    if (c.kind === 'remove') return `${indent}- ${c.path}: ${show(c.before)}`;
    return `${indent}~ ${c.path}: ${show(c.before)} → ${show(c.after)}`;
  });
}
