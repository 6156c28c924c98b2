import { isRecord } from '../report.js';
import { CANONICAL_SERVICE_KEYS, type ComputePlatform } from './types.js';

const CANONICAL = new Map(CANONICAL_SERVICE_KEYS.map((k) => [k.toLowerCase(), k as string]));

/**
 * ECS/Lambda AppSpec keys are read case-insensitively by CodeDeploy (the docs show both `resources`
 * and `Resources`), so known keys are rewritten to one spelling before the schema runs. Resource
 * logical names and hook event names are left as written. Positions are still found because
 * `locate` falls back to a case-insensitive key match.
 */
export function normalizeServiceAppSpec(value: unknown): unknown {
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const key = CANONICAL.get(k.toLowerCase()) ?? k;
    if (key === 'Resources' && Array.isArray(v)) {
      out[key] = v.map((entry) =>
        isRecord(entry)
          ? Object.fromEntries(Object.entries(entry).map(([name, r]) => [name, canonicalDeep(r)]))
          : entry,
      );
    } else if (!(key in out)) {
      out[key] = v;
    }
  }
  return out;
}

function canonicalDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonicalDeep);
  if (!isRecord(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, inner] of Object.entries(v)) {
    const key = CANONICAL.get(k.toLowerCase()) ?? k;
    if (!(key in out)) out[key] = canonicalDeep(inner);
  }
  return out;
}

function get(obj: Record<string, unknown>, key: string): unknown {
  if (key in obj) return obj[key];
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

const SERVICE_HOOKS = new Set(['BeforeInstall', 'AfterInstall', 'AfterAllowTestTraffic']);

/** The EC2/on-premises top-level sections; an ECS or Lambda AppSpec carrying one has a stray section. */
export const EC2_ONLY_SECTIONS = ['os', 'files', 'permissions', 'file_exists_behavior'] as const;

/** ECS or Lambda when a `Resources` list holds a resource typed or shaped like one of theirs. */
function resourcePlatform(resources: unknown): ComputePlatform | undefined {
  if (!Array.isArray(resources)) return undefined;
  for (const entry of resources) {
    if (!isRecord(entry)) continue;
    for (const r of Object.values(entry)) {
      if (!isRecord(r)) continue;
      const type = String(get(r, 'type') ?? '');
      if (/lambda/i.test(type)) return 'lambda';
      if (/ecs/i.test(type)) return 'ecs';
      const props = get(r, 'properties');
      if (isRecord(props)) {
        if (get(props, 'taskdefinition') !== undefined || get(props, 'loadbalancerinfo') !== undefined)
          return 'ecs';
        if (get(props, 'alias') !== undefined || get(props, 'currentversion') !== undefined) return 'lambda';
      }
    }
  }
  return undefined;
}

/**
 * Which compute platform an AppSpec is written for, from the strongest evidence in its content: a
 * `Resources` list with an ECS service or Lambda function says more than any EC2 section (an ECS AppSpec
 * with a stray `files:` copied from an EC2 one is still an ECS AppSpec, and its stray section is reported
 * as such); then the EC2 sections; then the shape of `hooks`.
 */
export function detectPlatform(value: unknown): ComputePlatform {
  if (!isRecord(value)) return 'ec2';
  const resources = get(value, 'resources');
  const typed = resourcePlatform(resources);
  if (typed) return typed;
  if (EC2_ONLY_SECTIONS.some((k) => k in value)) return 'ec2';
  const hooks = get(value, 'hooks');
  if (isRecord(hooks)) return 'ec2';
  if (Array.isArray(hooks)) {
    const names = hooks.flatMap((h) => (isRecord(h) ? Object.keys(h) : []));
    if (names.some((n) => SERVICE_HOOKS.has(n))) return 'ecs';
    if (names.length > 0) return 'lambda';
  }
  if (resources !== undefined) return 'ecs';
  return 'ec2';
}

export interface WrittenKey {
  path: (string | number)[];
  written: string;
  canonical: string;
}

/** Known ECS/Lambda keys as the author wrote them, with their paths in the raw document. */
export function writtenServiceKeys(value: unknown): WrittenKey[] {
  const out: WrittenKey[] = [];
  const visit = (v: unknown, path: (string | number)[], skipNames: boolean) => {
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        visit(x, [...path, i], skipNames);
      });
      return;
    }
    if (!isRecord(v)) return;
    for (const [k, inner] of Object.entries(v)) {
      const canonical = CANONICAL.get(k.toLowerCase());
      if (skipNames) {
        // Resource logical names are free-form: look inside them, not at them.
        visit(inner, [...path, k], false);
        continue;
      }
      if (canonical) out.push({ path: [...path, k], written: k, canonical });
      if (canonical === 'Resources') visit(inner, [...path, k], true);
      else if (canonical !== 'Hooks' && canonical !== undefined) visit(inner, [...path, k], false);
    }
  };
  visit(value, [], false);
  return out;
}
