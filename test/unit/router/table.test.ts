/** The routing table a runner sends to the router's admin endpoint: what is accepted, and every problem named. */
import { describe, expect, it } from 'vitest';
import { checkHealthCheck, checkRoutingTable } from '../../../src/router/table.js';

const up = (id: string, port = 8001) => ({ id, host: '127.0.0.1', port });

function problems(input: unknown): string[] {
  const r = checkRoutingTable(input);
  return r.ok ? [] : r.problems;
}

describe('routing table check', () => {
  it('accepts a table and keeps only what it knows, with defaults for canary, weight and host', () => {
    const r = checkRoutingTable({
      stable: [{ id: 'a-1', port: 8001, revision: 'v1', extra: true }],
      canary: [{ id: 'b-1', host: 'localhost', port: 8002, revision: 7 }],
      canaryWeight: 25,
      sticky: false,
      drainTimeoutMs: 0,
      healthCheck: { path: '/health', intervalMs: 500 },
    });
    expect(r).toEqual({
      ok: true,
      table: {
        stable: [{ id: 'a-1', host: '127.0.0.1', port: 8001, revision: 'v1' }],
        canary: [{ id: 'b-1', host: 'localhost', port: 8002 }],
        canaryWeight: 25,
        sticky: false,
        drainTimeoutMs: 0,
        healthCheck: { path: '/health', intervalMs: 500 },
      },
    });
    expect(checkRoutingTable({ stable: [up('a-1')] })).toStrictEqual({
      ok: true,
      table: { stable: [up('a-1')], canary: [], canaryWeight: 0 },
    });
  });

  it.each([null, [], 'table', 3])('refuses %j: not an object', (input) => {
    expect(problems(input)).toEqual(['routing table must be a JSON object']);
  });

  it('names every problem at once, with where and what was found', () => {
    expect(
      problems({
        stable: [
          'a-1',
          { id: '', port: 1 },
          { id: 'a,1', port: 1 },
          { id: 'a-3', host: '', port: 1 },
          { id: 'a-4', host: 5, port: 1 },
          { id: 'a-5', port: 0 },
          { id: 'a-6', port: 65536 },
          { id: 'a-7', port: 80.5 },
          { id: 'a-8', port: '80' },
        ],
        canary: {},
        canaryWeight: 101,
        sticky: 'yes',
        drainTimeoutMs: -1,
        healthCheck: 'often',
      }),
    ).toEqual([
      'stable[0] must be an object {id, host, port}',
      'stable[1].id must be a non-empty string without commas',
      'stable[2].id must be a non-empty string without commas',
      'stable[3].host must be a string',
      'stable[4].host must be a string',
      'stable[5].port must be an integer from 1 to 65535, got 0',
      'stable[6].port must be an integer from 1 to 65535, got 65536',
      'stable[7].port must be an integer from 1 to 65535, got 80.5',
      'stable[8].port must be an integer from 1 to 65535, got "80"',
      'canary must be an array of upstreams',
      'canaryWeight must be a number from 0 to 100, got 101',
      'sticky must be a boolean',
      'drainTimeoutMs must be a number >= 0, got -1',
      'healthCheck must be an object',
    ]);
    expect(problems({})).toEqual(['stable must be an array of upstreams']);
    expect(problems({ stable: [{ id: 5, port: 1 }] })).toEqual([
      'stable[0].id must be a non-empty string without commas',
    ]);
  });

  it.each([
    [0, true],
    [100, true],
    [-1, false],
    [100.5, false],
    ['50', false],
    [Number.POSITIVE_INFINITY, false],
    [Number.NaN, false],
  ])('canaryWeight %j is accepted: %s', (weight, accepted) => {
    expect(checkRoutingTable({ stable: [], canaryWeight: weight }).ok).toBe(accepted);
  });

  it('ports 1 and 65535 are the ends of the range', () => {
    expect(problems({ stable: [up('a-1', 1), up('a-2', 65535)] })).toEqual([]);
  });

  it('refuses a drain timeout that is not a number', () => {
    expect(problems({ stable: [], drainTimeoutMs: '5' })).toEqual([
      'drainTimeoutMs must be a number >= 0, got "5"',
    ]);
    expect(problems({ stable: [], drainTimeoutMs: Number.NaN })).toEqual([
      'drainTimeoutMs must be a number >= 0, got null',
    ]);
  });

  it('keeps the trusted proxies it is given, and refuses a list that is not addresses', () => {
    const r = checkRoutingTable({ stable: [], trustedProxies: ['10.0.0.0/8', '127.0.0.1'] });
    expect(r.ok && r.table.trustedProxies).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(problems({ stable: [], trustedProxies: '10.0.0.0/8' })).toEqual([
      'trustedProxies must be an array of IP addresses or CIDR ranges',
    ]);
  });

  it('an upstream id may appear once across both sets', () => {
    expect(problems({ stable: [up('a-1'), up('a-1', 8002)], canary: [up('a-1', 8003)] })).toEqual([
      "upstream id 'a-1' appears in stable and stable; ids must be unique",
      "upstream id 'a-1' appears in stable and canary; ids must be unique",
    ]);
  });
});

describe('health check settings in a table', () => {
  it('takes a path and positive timings, and only those', () => {
    expect(
      checkHealthCheck({
        path: '/ready',
        intervalMs: 1,
        timeoutMs: 2,
        unhealthyThreshold: 3,
        healthyThreshold: 4,
        other: 1,
      }),
    ).toEqual({ path: '/ready', intervalMs: 1, timeoutMs: 2, unhealthyThreshold: 3, healthyThreshold: 4 });
    expect(checkHealthCheck({})).toEqual({});
  });

  it.each([
    [{ path: 'health' }, `healthCheck.path must start with '/', got "health"`],
    [{ path: 5 }, `healthCheck.path must start with '/', got 5`],
    [{ intervalMs: 0 }, 'healthCheck.intervalMs must be a positive number, got 0'],
    [{ timeoutMs: '1' }, 'healthCheck.timeoutMs must be a positive number, got "1"'],
    [
      { unhealthyThreshold: Number.POSITIVE_INFINITY },
      'healthCheck.unhealthyThreshold must be a positive number, got null',
    ],
    [{ healthyThreshold: -2 }, 'healthCheck.healthyThreshold must be a positive number, got -2'],
    [[], 'healthCheck must be an object'],
  ])('%j is refused', (input, problem) => {
    expect(checkHealthCheck(input)).toBe(problem);
    expect(problems({ stable: [], healthCheck: input })).toEqual([problem]);
  });
});
