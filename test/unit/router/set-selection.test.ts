/** Where the router sends a request: which set (force header, sticky cookie, weight) and which instance of it. */
import { describe, expect, it } from 'vitest';
import type { RoutingTable } from '../../../src/router/api.js';
import {
  buildRouting,
  forceSetOf,
  PLACED_BY_WEIGHT,
  REFUSALS,
  SET_CANARY,
  SET_STABLE,
  SetSelector,
  stickyCookieFor,
  stickyFromCookie,
} from '../../../src/router/set-selection.js';
import { UpstreamRuntime } from '../../../src/router/upstream-runtime.js';

const timeouts = { connectTimeoutMs: 1000, responseTimeoutMs: 1000 };
let port = 9000;
function instance(id: string, set: 'stable' | 'canary', healthy = true, inFlight = 0): UpstreamRuntime {
  const u = new UpstreamRuntime({ id, host: '127.0.0.1', port: port++ }, set, timeouts);
  u.healthy = healthy;
  u.inFlight = inFlight;
  return u;
}

/** A routing snapshot: `stable`/`canary` give each instance's health (true: healthy). */
function routing(
  stable: boolean[],
  canary: boolean[],
  canaryWeight: number,
  sticky?: boolean,
  generation = 1,
) {
  const s = stable.map((h, i) => instance(`a-${i + 1}`, 'stable', h));
  const c = canary.map((h, i) => instance(`b-${i + 1}`, 'canary', h));
  const table: RoutingTable = {
    stable: [],
    canary: [],
    canaryWeight,
    ...(sticky === undefined ? {} : { sticky }),
  };
  return buildRouting(generation, table, s, c);
}

/** The set of each of `n` new requests without header or cookie ('refused: reason' when answered 503). */
function place(r: ReturnType<typeof routing>, n: number, selector = new SetSelector()): string[] {
  return Array.from({ length: n }, () => {
    const placed = selector.place(r, -1, -1);
    if (placed < 0) return `refused: ${REFUSALS[-placed]}`;
    return (placed & 1) === SET_CANARY ? 'canary' : 'stable';
  });
}

const count = (sets: string[], which: string) => sets.filter((s) => s === which).length;

describe('routing snapshot', () => {
  it('keeps the weight when both sets have healthy instances', () => {
    const r = routing([true, false], [true], 30);
    expect(r).toMatchObject({ canaryWeight: 30, sticky: false, fallback: undefined, generation: 1 });
    expect(r.healthyStable.map((u) => u.upstream.id)).toEqual(['a-1']);
    expect(r.healthyCanary.map((u) => u.upstream.id)).toEqual(['b-1']);
  });

  it.each([
    [[], [], 30, 30, 'no instance in service (the table is empty)'],
    [[false], [false], 30, 30, 'no healthy upstream in either set: answering 503'],
    [[true], [], 30, 0, 'canary set is empty: all traffic to stable'],
    [[true], [false], 30, 0, 'canary set has no healthy upstream: all traffic to stable'],
    [[], [true], 30, 100, 'stable set is empty: all traffic to canary'],
    [[false], [true], 30, 100, 'stable set has no healthy upstream: all traffic to canary'],
  ])('stable %j, canary %j at weight %i: weight %i because %s', (stable, canary, weight, effective, why) => {
    const r = routing(stable, canary, weight);
    expect(r.canaryWeight).toBe(effective);
    expect(r.fallback).toBe(why);
  });

  it('needs no fallback when the weight already avoids the empty set', () => {
    expect(routing([true], [], 0).fallback).toBeUndefined();
    expect(routing([], [true], 100).fallback).toBeUndefined();
    expect(routing([true], [false], 0).canaryWeight).toBe(0);
  });

  it('is sticky only when the table says true', () => {
    expect(routing([true], [true], 50, true).sticky).toBe(true);
    expect(routing([true], [true], 50, false).sticky).toBe(false);
  });
});

describe('placing requests by weight', () => {
  it.each([1, 10, 25, 33, 50, 99])('sends exactly %i of every 100 requests to the canary', (weight) => {
    const sets = place(routing([true], [true], weight), 200);
    expect(count(sets.slice(0, 100), 'canary')).toBe(weight);
    expect(count(sets.slice(100), 'canary')).toBe(weight);
  });

  it('spreads the canary share instead of bunching it', () => {
    expect(place(routing([true], [true], 50), 4)).toEqual(['stable', 'canary', 'stable', 'canary']);
    expect(place(routing([true], [true], 25), 8)).toEqual([
      'stable',
      'stable',
      'stable',
      'canary',
      'stable',
      'stable',
      'stable',
      'canary',
    ]);
  });

  it('weights 0 and 100 send everything to one set', () => {
    expect(count(place(routing([true], [true], 0), 50), 'stable')).toBe(50);
    expect(count(place(routing([true], [true], 100), 50), 'canary')).toBe(50);
  });

  it('a new table starts a new run of 100', () => {
    const selector = new SetSelector();
    const r = routing([true], [true], 50);
    expect(place(r, 1, selector)).toEqual(['stable']);
    selector.resetWeight();
    expect(place(r, 2, selector)).toEqual(['stable', 'canary']);
  });

  it('says the weight decided, so a sticky cookie can be set', () => {
    const r = routing([true], [true], 100, true);
    const placed = new SetSelector().place(r, -1, -1);
    expect(placed).toBe(SET_CANARY | PLACED_BY_WEIGHT);
    expect(stickyCookieFor(r, placed)).toBe('conveyor-set=canary; Path=/; HttpOnly; SameSite=Lax');
    const stable = new SetSelector().place(routing([true], [true], 0, true), -1, -1);
    expect(stickyCookieFor(r, stable)).toBe('conveyor-set=stable; Path=/; HttpOnly; SameSite=Lax');
  });

  it('refuses with the reason when no set can take the request', () => {
    expect(place(routing([], [], 50, false, 0), 1)).toEqual(['refused: no-upstream-configured']);
    expect(routing([], [], 50, false, 0).fallback).toBe('no upstream configured');
    expect(place(routing([], [], 50), 1)).toEqual(['refused: no-instance-in-service']);
    expect(place(routing([false], [false], 50), 1)).toEqual(['refused: no-healthy-upstream']);
  });
});

describe('forced and sticky placement', () => {
  it('a force header picks the set, and is refused when that set has no healthy instance', () => {
    const r = routing([true], [false], 0);
    const selector = new SetSelector();
    expect(selector.place(r, SET_STABLE, -1)).toBe(SET_STABLE);
    expect(REFUSALS[-selector.place(r, SET_CANARY, -1)]).toBe('forced-canary-unavailable');
    const noStable = routing([false], [true], 100);
    expect(selector.place(noStable, SET_CANARY, -1)).toBe(SET_CANARY);
    expect(REFUSALS[-selector.place(noStable, SET_STABLE, -1)]).toBe('forced-stable-unavailable');
  });

  it('a sticky client keeps its set while it is healthy, and no new cookie is sent', () => {
    const r = routing([true], [true], 0, true);
    const selector = new SetSelector();
    const placed = selector.place(r, -1, SET_CANARY);
    expect(placed).toBe(SET_CANARY);
    expect(stickyCookieFor(r, placed)).toBeNull();
    const canaryDown = routing([true], [false], 0, true);
    expect(selector.place(canaryDown, -1, SET_CANARY)).toBe(SET_STABLE | PLACED_BY_WEIGHT);
  });

  it('a client pinned to stable stays there even when all new traffic goes to the canary', () => {
    const r = routing([true], [true], 100, true);
    const placed = new SetSelector().place(r, -1, SET_STABLE);
    expect(placed).toBe(SET_STABLE);
    expect(stickyCookieFor(r, placed)).toBeNull();
  });

  it('sends no cookie when the table is not sticky', () => {
    const r = routing([true], [true], 100, false);
    expect(stickyCookieFor(r, new SetSelector().place(r, -1, -1))).toBeNull();
  });

  it.each([
    ['1', SET_CANARY],
    ['true', SET_CANARY],
    ['canary', SET_CANARY],
    ['0', SET_STABLE],
    ['stable', SET_STABLE],
    ['yes', SET_STABLE],
  ])('force header %j picks set %i', (value, set) => {
    expect(forceSetOf(value)).toBe(set);
  });

  it.each([
    ['conveyor-set=canary', SET_CANARY],
    ['a=1; conveyor-set=stable', SET_STABLE],
    ['a=1;conveyor-set=canary', SET_CANARY],
    ['xconveyor-set=canary', -1],
    ['conveyor-set=blue', -1],
    ['conveyor-set=canar', -1],
    ['session=abc', -1],
    ['preference=xcanary', -1],
  ])('cookie %j places in set %i', (cookie, set) => {
    expect(stickyFromCookie(cookie, -1)).toBe(set);
  });
});

describe('choosing the instance in a set', () => {
  it('takes the instance with the fewest requests in flight', () => {
    const pool = [
      instance('a-1', 'stable', true, 3),
      instance('a-2', 'stable', true, 1),
      instance('a-3', 'stable', true, 2),
    ];
    const selector = new SetSelector();
    for (let i = 0; i < 3; i++) expect(selector.choose(pool, null)?.upstream.id).toBe('a-2');
  });

  it('breaks ties round-robin', () => {
    const pool = [instance('a-1', 'stable'), instance('a-2', 'stable'), instance('a-3', 'stable')];
    const selector = new SetSelector();
    expect(Array.from({ length: 6 }, () => selector.choose(pool, null)?.upstream.id)).toEqual([
      'a-1',
      'a-2',
      'a-3',
      'a-1',
      'a-2',
      'a-3',
    ]);
  });

  it('never picks the instance a retry avoids, nor an unhealthy one', () => {
    const a1 = instance('a-1', 'stable');
    const pool = [a1, instance('a-2', 'stable', false), instance('a-3', 'stable', true, 5)];
    const selector = new SetSelector();
    for (let i = 0; i < 3; i++) expect(selector.choose(pool, a1)?.upstream.id).toBe('a-3');
    expect(selector.choose([a1, instance('a-2', 'stable', false)], a1)).toBeNull();
  });

  it('a set of one is that instance, unless the retry avoids it', () => {
    const only = instance('a-1', 'stable');
    const selector = new SetSelector();
    expect(selector.choose([only], null)).toBe(only);
    expect(selector.choose([only], only)).toBeNull();
  });
});
