/**
 * Reading a deployment group file: YAML (or JSON) → schema check (ajv, strict) → semantic rules.
 * Bad input comes back as diagnostics with file:line:col; nothing here throws for a user's mistake.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { isNode, LineCounter, parseDocument } from 'yaml';
import { errorMessage } from '../../core/errors.js';
import type { Diagnostic } from '../diagnostics.js';
import { type DeploymentGroup, DeploymentGroupSchema } from './schema.js';

export interface LoadedGroup {
  group: DeploymentGroup;
  /** Absolute path of the file. */
  file: string;
  /** Folder of the file: relative paths in it (rollback hooks, state) resolve from here. */
  dir: string;
}

export type GroupRuleCheck = (
  group: DeploymentGroup,
  dir: string,
) => { path: (string | number)[]; message: string; ruleId: string; severity?: 'error' | 'warning' }[];

let compiled: ReturnType<Ajv['compile']> | undefined;
function validator() {
  compiled ??= new Ajv({ strict: true, allErrors: true, allowUnionTypes: true }).compile(
    DeploymentGroupSchema,
  );
  return compiled;
}

function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function schemaMessage(e: ErrorObject): string {
  const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '(top level)';
  switch (e.keyword) {
    case 'additionalProperties':
      return `${where}: unknown key '${(e.params as { additionalProperty: string }).additionalProperty}'`;
    case 'required':
      return `${where}: missing required key '${(e.params as { missingProperty: string }).missingProperty}'`;
    default:
      return `${where} ${e.message ?? 'is invalid'}`;
  }
}

function valueAt(value: unknown, path: (string | number)[]): unknown {
  let v = value;
  for (const k of path)
    v = v && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined;
  return v;
}

function unionMessage(pointer: string, found: unknown): string {
  const where = pointer.slice(1).replace(/\//g, '.');
  const keys = found && typeof found === 'object' ? Object.keys(found).join(', ') : JSON.stringify(found);
  if (/\/steps\/\d+$/.test(pointer)) {
    return `${where}: a step is one of setWeight: N, pause: {seconds?}, analysis: {seconds?}; found ${keys || 'nothing'}`;
  }
  if (pointer === '/strategy') {
    return `strategy: expected a name (e.g. canary, Canary10Percent5Minutes) or an object with type; found ${keys}`;
  }
  return `${where}: does not match any allowed shape (found ${keys})`;
}

/** Semantic rules a schema cannot express. */
export const groupRules: GroupRuleCheck[] = [
  (group, dir) => {
    const out: ReturnType<GroupRuleCheck> = [];
    for (const name of ['beforeRollback', 'afterRollback'] as const) {
      const script = group.rollback?.hooks?.[name];
      if (script && !existsSync(resolve(dir, script))) {
        out.push({
          path: ['rollback', 'hooks', name],
          ruleId: 'deployment-group/rollback-hook-missing',
          message: `rollback hook ${script} does not exist (paths are relative to the group file)`,
        });
      }
    }
    return out;
  },
  (group) => {
    const s = group.strategy;
    if (typeof s !== 'object') return [];
    const out: ReturnType<GroupRuleCheck> = [];
    if ((s.type === 'canary' || s.type === 'linear' || s.type === 'steps') && s.steps) {
      const weights = s.steps.flatMap((x) => ('setWeight' in x ? [x.setWeight] : []));
      if (weights.length === 0) {
        out.push({
          path: ['strategy', 'steps'],
          ruleId: 'deployment-group/steps-without-weight',
          message: 'the steps never send traffic to the new revision: add a setWeight step',
        });
      }
    }
    if (s.type === 'rolling' && !s.minimumHealthyHosts) {
      out.push({
        path: ['strategy'],
        ruleId: 'deployment-group/rolling-needs-floor',
        message: 'strategy rolling needs minimumHealthyHosts: {count: N} or {percent: P}',
      });
    }
    if (
      s.type === 'canary' &&
      !s.steps &&
      !s.config &&
      (s.percent === undefined || s.intervalSeconds === undefined)
    ) {
      out.push({
        path: ['strategy'],
        ruleId: 'deployment-group/canary-shape',
        message:
          'strategy canary needs steps, or percent and intervalSeconds, or config (e.g. Canary10Percent5Minutes)',
      });
    }
    if (
      s.type === 'linear' &&
      !s.steps &&
      !s.config &&
      (s.stepPercent === undefined || s.intervalSeconds === undefined)
    ) {
      out.push({
        path: ['strategy'],
        ruleId: 'deployment-group/linear-shape',
        message:
          'strategy linear needs stepPercent and intervalSeconds, or config (e.g. Linear10PercentEvery1Minute)',
      });
    }
    return out;
  },
];

export function checkDeploymentGroupText(
  text: string,
  file: string,
  dir: string,
): { group?: DeploymentGroup; diagnostics: Diagnostic[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number | undefined) => {
    if (offset === undefined) return { line: 0, col: 0 };
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  const diagnostics: Diagnostic[] = [];
  for (const err of doc.errors) {
    diagnostics.push({
      ruleId: 'yaml/syntax',
      severity: 'error',
      file,
      ...at(err.pos[0]),
      message: err.message.split('\n')[0] ?? 'YAML syntax error',
    });
  }
  if (diagnostics.length) return { diagnostics };
  const value = doc.toJS() as unknown;
  const position = (path: (string | number)[]) => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return at(node.range[0]);
    }
    return { line: 1, col: 1 };
  };
  const validate = validator();
  if (!validate(value)) {
    const errors = validate.errors ?? [];
    // A union (anyOf) reports every branch's complaints at its own path: keep only deeper errors, and when
    // none are left say once what the value should have been.
    const unionPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
    for (const e of errors) {
      if (unionPaths.has(e.instancePath)) {
        if (e.keyword !== 'anyOf') continue;
        const deeper = errors.some(
          (x) => x.instancePath.startsWith(`${e.instancePath}/`) && !unionPaths.has(x.instancePath),
        );
        if (deeper) continue;
        const found = valueAt(value, pointerToPath(e.instancePath));
        diagnostics.push({
          ruleId: 'deployment-group/schema-shape',
          severity: 'error',
          file,
          ...position(pointerToPath(e.instancePath)),
          message: unionMessage(e.instancePath, found),
        });
        continue;
      }
      diagnostics.push({
        ruleId: `deployment-group/schema-${e.keyword}`,
        severity: 'error',
        file,
        ...position(pointerToPath(e.instancePath)),
        message: schemaMessage(e),
      });
    }
    return { diagnostics };
  }
  const group = value as DeploymentGroup;
  for (const rule of groupRules) {
    for (const r of rule(group, dir)) {
      diagnostics.push({
        ruleId: r.ruleId,
        severity: r.severity ?? 'error',
        file,
        ...position(r.path),
        message: r.message,
      });
    }
  }
  return { group, diagnostics };
}

/** Reads and checks a group file; `group` is set only when there is no error. */
export function loadDeploymentGroup(path: string): { loaded?: LoadedGroup; diagnostics: Diagnostic[] } {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return {
      diagnostics: [
        {
          ruleId: 'io/read',
          severity: 'error',
          file: path,
          line: 0,
          col: 0,
          message: `cannot read: ${errorMessage(err)}`,
        },
      ],
    };
  }
  const dir = dirname(file);
  const { group, diagnostics } = checkDeploymentGroupText(text, path, dir);
  if (!group || diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  return { loaded: { group, file, dir }, diagnostics };
}
