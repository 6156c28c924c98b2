/**
 * Checks a routing table sent to the admin endpoint. Bad input is reported as a list of
 * problems (returned, not thrown) so the admin answer can name every one of them.
 */
import type { HealthCheckConfig, RoutingTable, Upstream } from './api.js';
import { checkTrustedProxies } from './trusted-proxies.js';

export type TableCheck = { ok: true; table: RoutingTable } | { ok: false; problems: string[] };

export function checkRoutingTable(input: unknown): TableCheck {
  const problems: string[] = [];
  if (!isObject(input)) return { ok: false, problems: ['routing table must be a JSON object'] };
  const stable = checkUpstreams(input.stable, 'stable', problems);
  const canary = checkUpstreams(input.canary ?? [], 'canary', problems);
  const weight = input.canaryWeight ?? 0;
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0 || weight > 100) {
    problems.push(`canaryWeight must be a number from 0 to 100, got ${JSON.stringify(weight)}`);
  }
  const seen = new Map<string, string>();
  for (const [set, list] of [
    ['stable', stable],
    ['canary', canary],
  ] as const) {
    for (const u of list) {
      const other = seen.get(u.id);
      if (other) problems.push(`upstream id '${u.id}' appears in ${other} and ${set}; ids must be unique`);
      else seen.set(u.id, set);
    }
  }
  if (input.sticky !== undefined && typeof input.sticky !== 'boolean')
    problems.push('sticky must be a boolean');
  const drain = input.drainTimeoutMs;
  if (drain !== undefined && (typeof drain !== 'number' || !(drain >= 0))) {
    problems.push(`drainTimeoutMs must be a number >= 0, got ${JSON.stringify(drain)}`);
  }
  let healthCheck: HealthCheckConfig | undefined;
  if (input.healthCheck !== undefined) {
    const hc = checkHealthCheck(input.healthCheck);
    if (typeof hc === 'string') problems.push(hc);
    else healthCheck = hc;
  }
  if (input.trustedProxies !== undefined) problems.push(...checkTrustedProxies(input.trustedProxies));
  if (problems.length > 0) return { ok: false, problems };
  const table: RoutingTable = { stable, canary, canaryWeight: weight as number };
  if (input.sticky !== undefined) table.sticky = input.sticky as boolean;
  if (drain !== undefined) table.drainTimeoutMs = drain as number;
  if (healthCheck) table.healthCheck = healthCheck;
  if (input.trustedProxies !== undefined) table.trustedProxies = input.trustedProxies as string[];
  return { ok: true, table };
}

export function checkHealthCheck(input: unknown): HealthCheckConfig | string {
  if (!isObject(input)) return 'healthCheck must be an object';
  const out: HealthCheckConfig = {};
  if (input.path !== undefined) {
    if (typeof input.path !== 'string' || !input.path.startsWith('/')) {
      return `healthCheck.path must start with '/', got ${JSON.stringify(input.path)}`;
    }
    out.path = input.path;
  }
  for (const key of ['intervalMs', 'timeoutMs', 'unhealthyThreshold', 'healthyThreshold'] as const) {
    const v = input[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      return `healthCheck.${key} must be a positive number, got ${JSON.stringify(v)}`;
    }
    out[key] = v;
  }
  return out;
}

function checkUpstreams(input: unknown, set: string, problems: string[]): Upstream[] {
  if (!Array.isArray(input)) {
    problems.push(`${set} must be an array of upstreams`);
    return [];
  }
  const out: Upstream[] = [];
  input.forEach((u, i) => {
    const where = `${set}[${i}]`;
    if (!isObject(u)) {
      problems.push(`${where} must be an object {id, host, port}`);
      return;
    }
    if (typeof u.id !== 'string' || u.id === '' || u.id.includes(',')) {
      problems.push(`${where}.id must be a non-empty string without commas`);
      return;
    }
    const host = u.host ?? '127.0.0.1';
    if (typeof host !== 'string' || host === '') {
      problems.push(`${where}.host must be a string`);
      return;
    }
    if (typeof u.port !== 'number' || !Number.isInteger(u.port) || u.port < 1 || u.port > 65535) {
      problems.push(`${where}.port must be an integer from 1 to 65535, got ${JSON.stringify(u.port)}`);
      return;
    }
    const up: Upstream = { id: u.id, host, port: u.port };
    if (typeof u.revision === 'string') up.revision = u.revision;
    out.push(up);
  });
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
