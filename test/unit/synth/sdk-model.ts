/**
 * Reads the Smithy schemas the installed AWS SDK clients ship (dist-es/schemas/schemas_0.js) and
 * walks a document against them: unknown members, missing required members, wrong types. The file
 * is data (nested arrays); its imports are stubbed and it is evaluated in a function scope.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

type Schema = unknown;

export function loadSdkSchemas(
  client: '@aws-sdk/client-codepipeline' | '@aws-sdk/client-codedeploy',
): Record<string, Schema> {
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve(`${client}/package.json`));
  let text = readFileSync(join(pkgDir, 'dist-es/schemas/schemas_0.js'), 'utf8');
  const names = new Set<string>();
  text = text.replace(/^import\s*\{([^}]*)\}\s*from\s*"[^"]*";/gm, (_m, list: string) => {
    const ids = list
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    return `const { ${ids.join(', ')} } = __stub;`;
  });
  text = text.replace(/^export (var|const) /gm, '$1 ');
  for (const m of text.matchAll(/^(?:var|const) ([A-Za-z0-9_$]+) =/gm)) if (m[1]) names.add(m[1]);
  // Every imported name is a no-op class whose statics and instances accept any call.
  const anything: ProxyHandler<object> = {
    get: (_t, key) => (key === 'prototype' ? {} : new Proxy(function stubbed() {}, anything)),
    apply: () => new Proxy(function stubbed() {}, anything),
    construct: () => new Proxy(function stubbed() {}, anything),
  };
  const stub = new Proxy({}, { get: () => new Proxy(function stubbed() {}, anything) });
  const body = `${text}\nreturn { ${[...names].join(', ')} };`;
  return new Function('__stub', body)(stub) as Record<string, Schema>;
}

export interface ModelIssue {
  path: string;
  message: string;
}

function resolve(schema: Schema): Schema {
  return typeof schema === 'function' ? resolve((schema as () => Schema)()) : schema;
}

/** Walks `value` against a Smithy schema from loadSdkSchemas. */
export function walkModel(
  value: unknown,
  schema: Schema,
  path = '',
  issues: ModelIssue[] = [],
): ModelIssue[] {
  const s = resolve(schema);
  const at = path || '(document)';
  if (typeof s === 'number') {
    const base = s & 63;
    if (s & 64) {
      if (!Array.isArray(value)) issues.push({ path: at, message: 'expected a list' });
      else for (const [i, v] of value.entries()) walkModel(v, base, `${path}[${i}]`, issues);
      return issues;
    }
    if (s & 128) {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        issues.push({ path: at, message: 'expected a map' });
      else for (const [k, v] of Object.entries(value)) walkModel(v, base, `${path}.${k}`, issues);
      return issues;
    }
    if (base === 0 && typeof value !== 'string')
      issues.push({ path: at, message: `expected a string, got ${typeof value}` });
    if (base === 1 && typeof value !== 'number')
      issues.push({ path: at, message: `expected a number, got ${typeof value}` });
    if (base === 2 && typeof value !== 'boolean')
      issues.push({ path: at, message: `expected a boolean, got ${typeof value}` });
    return issues;
  }
  if (!Array.isArray(s)) throw new Error(`unknown schema at ${at}`);
  const [kind] = s as [number];
  if (kind === 0) return walkModel(value, s[4], path, issues);
  if (kind === 1) {
    if (!Array.isArray(value)) issues.push({ path: at, message: 'expected a list' });
    else for (const [i, v] of value.entries()) walkModel(v, s[4], `${path}[${i}]`, issues);
    return issues;
  }
  if (kind === 2) {
    if (typeof value !== 'object' || value === null) issues.push({ path: at, message: 'expected a map' });
    else for (const [k, v] of Object.entries(value)) walkModel(v, s[5], path ? `${path}.${k}` : k, issues);
    return issues;
  }
  if (kind === 3) {
    const members = s[4] as string[];
    const types = s[5] as Schema[];
    const required = (s[6] as number | undefined) ?? 0;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      issues.push({ path: at, message: `expected a structure ${String(s[2])}` });
      return issues;
    }
    const record = value as Record<string, unknown>;
    members.slice(0, required).forEach((m) => {
      if (record[m] === undefined) issues.push({ path: at, message: `missing required member ${m}` });
    });
    for (const [k, v] of Object.entries(record)) {
      const i = members.indexOf(k);
      if (i < 0)
        issues.push({ path: path ? `${path}.${k}` : k, message: `${k} is not a member of ${String(s[2])}` });
      else walkModel(v, types[i], path ? `${path}.${k}` : k, issues);
    }
    return issues;
  }
  throw new Error(`unsupported schema kind ${kind} at ${at}`);
}

/** The member names and required-member names of a structure schema. */
export function structMembers(schema: Schema): { members: string[]; required: string[] } {
  const s = resolve(schema) as unknown[];
  const members = s[4] as string[];
  return { members: [...members], required: members.slice(0, (s[6] as number | undefined) ?? 0) };
}
