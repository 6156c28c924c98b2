/**
 * The invariants checked after every command, as pure functions over what was observed:
 * (a) the table `status --json` reports is the router's own table;
 * (b) the revisions that answer are the ones status says serve, in the stated shares;
 * (c) no request fails except a failing revision's own 500s, outside the outages the user asked for;
 * (d) serving capacity is zero only after `down` (or while an all-at-once the user chose installs);
 * (e) exit codes and `history` are checked by the model (model.ts).
 */
import type { TrafficTable } from '../../src/deploy/events.js';
import type { RouterState } from '../../src/router/api.js';
import type { Answer, CapacitySample } from './load.js';

export type Invariant = 'a' | 'b' | 'c' | 'd' | 'e';

export interface Finding {
  invariant: Invariant;
  message: string;
}

/** What `status --json` says about the group's latest deployment and the router. */
export interface StatusView {
  deployment: {
    id: string;
    status: string;
    traffic?: TrafficTable;
    trafficRevisions?: { stable?: string; canary?: string };
  };
  router: TrafficTable | null;
}

/** A time span in which failures (or zero capacity) are expected, optionally only for one instance. */
export interface Window {
  from: number;
  to: number;
  why: string;
  instance?: string;
}

/** The spans in which failed requests and zero capacity are expected, collected while a sequence runs. */
export class Outages {
  readonly windows: Window[] = [];
  private readonly open = new Map<string, { since: number; limitMs?: number }>();

  add(window: Window): void {
    this.windows.push(window);
  }

  /**
   * Keeps a named condition (down, a killed router, an all-at-once deployment) as a span: opened at `at` the first
   * time `on` holds, closed shortly after `now` once it no longer does. `limitMs` caps it (an outage that should
   * end by itself).
   */
  track(why: string, on: boolean, at: number, now: number, limitMs?: number): void {
    const open = this.open.get(why);
    if (on && !open) this.open.set(why, { since: at, ...(limitMs !== undefined ? { limitMs } : {}) });
    if (!on && open) {
      this.close(why, open, now + 300);
      this.open.delete(why);
    }
  }

  /** Closes every span still open (at the end of a sequence). */
  closeAll(): void {
    for (const [why, open] of this.open) this.close(why, open, Infinity);
    this.open.clear();
  }

  private close(why: string, open: { since: number; limitMs?: number }, to: number): void {
    const limit = open.limitMs === undefined ? to : Math.min(to, open.since + open.limitMs);
    this.windows.push({ from: open.since, to: limit, why });
  }
}

const ids = (xs: { id: string }[]) => xs.map((u) => u.id).join(',');
const fmt = (t: TrafficTable) =>
  `stable [${t.stable.join(',')}] canary [${t.canary.join(',')}] ${t.canaryWeight}%`;

/** (a) The recorded table, the table status reads from the router, and the router's admin API agree. */
export function checkTables(status: StatusView, router: RouterState | undefined, down: boolean): Finding[] {
  const out: Finding[] = [];
  if (!router) {
    if (!down) out.push({ invariant: 'a', message: 'the router does not answer on its admin socket' });
    if (status.router) out.push({ invariant: 'a', message: 'status reports a router table while none runs' });
    return out;
  }
  // After down nothing may serve; a router left with an empty table (a failed deployment after down) serves nothing.
  if (down && router.table.stable.length + router.table.canary.length > 0)
    out.push({ invariant: 'a', message: `the router still routes after down (${fmt(toTable(router))})` });
  const own = toTable(router);
  const recorded = status.deployment.traffic;
  if (!recorded) return out;
  if (fmt(recorded) !== fmt(own))
    out.push({
      invariant: 'a',
      message: `status says ${fmt(recorded)} (${status.deployment.id} ${status.deployment.status}), the router has ${fmt(own)}`,
    });
  if (status.router && fmt(status.router) !== fmt(own))
    out.push({
      invariant: 'a',
      message: `status's router line ${fmt(status.router)} differs from the router's ${fmt(own)}`,
    });
  // The revision status names for each set is the one the router's upstreams of that set run.
  for (const set of ['stable', 'canary'] as const) {
    const named = status.deployment.trafficRevisions?.[set];
    const actual = [...new Set(router.table[set].map((u) => u.revision ?? '?'))];
    if (router.table[set].length && named !== undefined && (actual.length !== 1 || actual[0] !== named))
      out.push({
        invariant: 'a',
        message: `status names ${set} ${named}, the router's ${set} upstreams [${ids(router.table[set])}] run ${actual.join(',')}`,
      });
  }
  return out;
}

function toTable(s: RouterState): TrafficTable {
  return {
    stable: s.table.stable.map((u) => u.id),
    canary: s.table.canary.map((u) => u.id),
    canaryWeight: s.table.canaryWeight,
  };
}

/** Fewest answers in a window for (b) to judge the shares. */
export const SHARE_SAMPLE = 20;

/**
 * (b) Answers in a window with a fixed router table come from the revisions status names, in its shares.
 * `serving` is the revision the model expects on stable when nothing is in progress.
 */
export function checkShares(
  answers: Answer[],
  status: StatusView,
  expectStable: string | undefined,
): Finding[] {
  const out: Finding[] = [];
  const t = status.deployment.traffic;
  const names = status.deployment.trafficRevisions ?? {};
  if (expectStable !== undefined && names.stable !== expectStable && t && t.canaryWeight < 100)
    out.push({
      invariant: 'b',
      message: `status names ${names.stable ?? 'nothing'} as stable, the model expects ${expectStable} to serve`,
    });
  const answered = answers.filter((a) => a.revision !== null);
  if (!t || answered.length < SHARE_SAMPLE) return out;
  const expected = new Map<string, number>();
  const add = (rev: string | undefined, share: number) => {
    if (rev && share > 0) expected.set(rev, (expected.get(rev) ?? 0) + share);
  };
  add(names.stable, (100 - t.canaryWeight) / 100);
  add(names.canary, t.canaryWeight / 100);
  const seen = new Map<string, number>();
  for (const a of answered) seen.set(a.revision!, (seen.get(a.revision!) ?? 0) + 1);
  const n = answered.length;
  const shown = [...seen].map(([r, c]) => `${r} ${c}`).join(', ');
  for (const [rev, count] of seen)
    if (!expected.has(rev))
      out.push({
        invariant: 'b',
        message: `${rev} answered ${count}/${n} requests but status says ${fmt(t)} serving ${[...expected.keys()].join(' + ') || 'nothing'} (answers: ${shown})`,
      });
  for (const [rev, share] of expected) {
    const got = (seen.get(rev) ?? 0) / n;
    // The router's split is deterministic (exactly w of any 100 requests) and this load is its only client, so
    // the share is off only by the requests at the window's edges and the odd retry.
    const slack = 0.1 + 2 / n;
    if (Math.abs(got - share) > slack)
      out.push({
        invariant: 'b',
        message: `${rev} answered ${(got * 100).toFixed(0)}% of ${n} requests, status says ${(share * 100).toFixed(0)}% (answers: ${shown})`,
      });
  }
  return out;
}

/**
 * (b) While a deployment waits for `promote`, requests forced to the new set (`x-conveyor-canary: 1`) reach the new
 * revision: how a person tests it before it takes traffic (docs/router.md, blue/green ready wait).
 */
export function checkForced(answers: Answer[], label: string): Finding[] {
  const wrong = answers.filter((a) => a.revision !== label);
  if (!wrong.length) return [];
  const shown = wrong.map((a) => (a.revision ? a.revision : `${a.status} ${a.error ?? ''}`.trim()));
  return [
    {
      invariant: 'b',
      message: `${wrong.length} of ${answers.length} requests forced to the new set did not reach ${label}: ${[...new Set(shown)].join(', ')}`,
    },
  ];
}

/** How an answer counts for (c). */
export function classify(a: Answer, erroring: ReadonlySet<string>): 'ok' | 'own-error' | 'failed' {
  if (a.status === 200) return 'ok';
  if (a.status === 500 && a.error === null && a.revision !== null && erroring.has(a.revision))
    return 'own-error';
  return 'failed';
}

/** The expected outage a request (from `at` to `end`) or a sample overlaps. */
function tolerated(at: number, end: number, windows: Window[], instance?: string): Window | undefined {
  return windows.find((w) => at <= w.to && end >= w.from && (!w.instance || w.instance === instance));
}

/** The instance an error answer names (`upstream-refused a-2 ECONNREFUSED`, or the upstream header). */
function instanceOf(a: Answer): string | undefined {
  return a.upstream?.split('/')[1] ?? a.error?.split(' ')[1];
}

/** (c) Failed answers not explained by an expected outage; returns them with a summary finding. */
export function checkFailures(answers: Answer[], erroring: ReadonlySet<string>, windows: Window[]) {
  const failed = answers.filter(
    (a) => classify(a, erroring) === 'failed' && !tolerated(a.at, a.end, windows, instanceOf(a)),
  );
  const findings: Finding[] = [];
  if (failed.length) {
    const kinds = new Map<string, number>();
    for (const a of failed) {
      const k = `${a.status}${a.error ? ` ${a.error.replace(/ [ab]-\d+/, '')}` : ''}${a.revision ? ` from ${a.revision}` : ''}`;
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
    }
    findings.push({
      invariant: 'c',
      message: `${failed.length} of ${answers.length} requests failed: ${[...kinds].map(([k, c]) => `${c} × ${k}`).join('; ')}`,
    });
  }
  return { failed, findings };
}

/** (d) Moments with nothing to serve outside an expected outage. */
export function checkCapacity(samples: CapacitySample[], windows: Window[]): Finding[] {
  const zero = samples.filter((s) => s.serving === 0 && !tolerated(s.at, s.at, windows));
  if (!zero.length) return [];
  const first = zero[0]!;
  const last = zero[zero.length - 1]!;
  const why = zero.some((s) => !s.routerUp)
    ? 'router not answering'
    : 'no healthy upstream in a set with traffic';
  return [
    {
      invariant: 'd',
      message: `serving capacity was zero in ${zero.length} samples over ${last.at - first.at} ms (${why})`,
    },
  ];
}
