/** The dashboard's pure parts: page models from ledger events, bounded signal history, the request rules. */
import { describe, expect, it } from 'vitest';
import { applyPatch, groupChange } from '../../../src/dashboard/patch.js';
import type { GroupView } from '../../../src/dashboard/protocol.js';
import { allowedHosts, refuse } from '../../../src/dashboard/security.js';
import { mergeSamples, SignalHistory } from '../../../src/dashboard/signals.js';
import { GroupFollower, groupView, LIMITS } from '../../../src/dashboard/view.js';
import type { LedgerEvent } from '../../../src/deploy/events.js';

const plan = {
  strategy: 'canary',
  replacement: true,
  targetSlot: 'b' as const,
  steps: [
    { kind: 'setWeight' as const, percent: 20 },
    { kind: 'pause' as const },
    { kind: 'setWeight' as const, percent: 100 },
  ],
};
const id = 'd-1';
const at = (n: number) => 1_000_000 + n;
const info = {
  key: 'a/g',
  application: 'a',
  deploymentGroup: 'g',
  file: 'g.yml',
  thresholds: {},
  problems: [],
};

function canaryEvents(verdicts: number): LedgerEvent[] {
  const e: LedgerEvent[] = [
    {
      type: 'created',
      revision: { label: 'v2', dir: '/r' },
      plan,
      options: { creator: 'user', ignoreApplicationStopFailures: false, skipAnalysis: false },
      at: at(0),
      deploymentId: id,
    },
    { type: 'started', pid: 1, at: at(1), deploymentId: id },
    { type: 'step', index: 0, phase: 'started', description: 'w20', at: at(2), deploymentId: id },
    {
      type: 'hook',
      instance: 'b-1',
      event: 'ApplicationStart',
      status: 'started',
      at: at(3),
      deploymentId: id,
    },
    {
      type: 'hook',
      instance: 'b-1',
      event: 'ApplicationStart',
      status: 'failed',
      message: 'exit 1',
      output: 'x'.repeat(10_000),
      at: at(4),
      deploymentId: id,
    },
    {
      type: 'traffic',
      table: { stable: ['a-1'], canary: ['b-1'], canaryWeight: 20 },
      revisions: { stable: 'v1', canary: 'v2' },
      at: at(5),
      deploymentId: id,
    },
    { type: 'step', index: 0, phase: 'completed', description: 'w20', at: at(6), deploymentId: id },
    { type: 'step', index: 1, phase: 'started', description: 'pause', at: at(7), deploymentId: id },
    { type: 'paused', index: 1, reason: 'waiting for promote', at: at(8), deploymentId: id },
  ];
  for (let i = 0; i < verdicts; i++) {
    e.push({
      type: 'verdict',
      index: 1,
      result: 'pass',
      reasons: [],
      measured: { errorRate: 0 },
      thresholds: { maxErrorRate: 0.05 },
      at: at(10 + i),
      deploymentId: id,
    });
  }
  return e;
}

describe('groupView', () => {
  it('shows the plan as a timeline with the current step, the split over time and one row per hook', () => {
    const v = groupView(info, canaryEvents(2));
    const d = v.current!;
    expect(d.status).toBe('Paused');
    expect(d.pausedReason).toBe('waiting for promote');
    expect(d.steps.map((s) => s.state)).toEqual(['done', 'current', 'pending']);
    expect(d.split).toEqual([{ at: at(5), canary: 20, stable: 'v1', canaryRevision: 'v2' }]);
    expect(d.hooks).toHaveLength(1);
    expect(d.hooks[0]).toMatchObject({ status: 'failed', message: 'exit 1' });
    expect(d.hooks[0]!.output).toHaveLength(LIMITS.output);
    expect(v.history.map((h) => h.id)).toEqual([id]);
  });

  it('keeps only the latest verdicts of a long deployment, and counts them all', () => {
    const d = groupView(info, canaryEvents(5000)).current!;
    expect(d.verdicts).toHaveLength(LIMITS.verdicts);
    expect(d.verdictCount).toBe(5000);
    expect(d.verdicts.at(-1)!.at).toBe(at(10 + 4999));
    expect(d.events).toHaveLength(LIMITS.events);
  });

  it('marks the step a rolled-back deployment ended on', () => {
    const events: LedgerEvent[] = [
      ...canaryEvents(0),
      { type: 'finished', status: 'RolledBack', reason: 'gate breached', at: at(20), deploymentId: id },
    ];
    const d = groupView(info, events).current!;
    expect(d.steps.map((s) => s.state)).toEqual(['done', 'stopped', 'pending']);
    expect(d.reason).toBe('gate breached');
  });
});

/** Verdicts of two named checks, interleaved with the router gate's: `errors` passes then fails, `smoke` passes. */
function checkEvents(n: number): LedgerEvent[] {
  const e = canaryEvents(1);
  for (let i = 0; i < n; i++) {
    const failing = i === n - 1;
    e.push({
      type: 'verdict',
      index: 1,
      result: failing ? 'fail' : 'pass',
      reasons: [failing ? 'errors: result < 0.01 does not hold (result=0.2)' : 'errors: result < 0.01 holds'],
      measured: { result: failing ? 0.2 : 0.004 },
      thresholds: { failureLimit: 1, measurementErrorLimit: 3 },
      check: 'errors',
      provider: 'prometheus',
      point: 'rollout',
      condition: 'result < 0.01',
      at: at(100 + 2 * i),
      deploymentId: id,
    });
    e.push({
      type: 'verdict',
      index: 1,
      result: 'pass',
      reasons: ['smoke: exitCode == 0 holds (exitCode=0)'],
      measured: { exitCode: 0 },
      thresholds: { failureLimit: 1, measurementErrorLimit: 3 },
      check: 'smoke',
      provider: 'command',
      point: 'rollout',
      condition: 'exitCode == 0',
      output: 'all 12 smoke tests passed',
      at: at(101 + 2 * i),
      deploymentId: id,
    });
  }
  return e;
}

describe('analysis checks on the deployment view', () => {
  it('one row per named check: condition, latest verdict and output, the charted number over time, counts', () => {
    const d = groupView(info, checkEvents(3)).current!;
    // The router gate's own verdict (no check name) is not a check row; both are still in the verdict list.
    expect(d.checks.map((c) => c.name)).toEqual(['errors', 'smoke']);
    expect(d.verdictCount).toBe(7);
    const [errors, smoke] = d.checks;
    expect(errors).toMatchObject({
      provider: 'prometheus',
      condition: 'result < 0.01',
      metric: 'result',
      latest: {
        result: 'fail',
        at: at(104),
        point: 'rollout',
        measured: { result: 0.2 },
        reasons: ['errors: result < 0.01 does not hold (result=0.2)'],
      },
      counts: { pass: 2, fail: 1, inconclusive: 0 },
    });
    expect(d.checkPoints.filter((p) => p.check === 'errors')).toEqual([
      { check: 'errors', at: at(100), value: 0.004, result: 'pass' },
      { check: 'errors', at: at(102), value: 0.004, result: 'pass' },
      { check: 'errors', at: at(104), value: 0.2, result: 'fail' },
    ]);
    expect(smoke).toMatchObject({
      metric: 'exitCode',
      latest: { result: 'pass', output: 'all 12 smoke tests passed' },
      counts: { pass: 3, fail: 0, inconclusive: 0 },
    });
  });

  it('a failed measurement is a point without a value; a long deployment keeps its latest readings', () => {
    const events = checkEvents(LIMITS.checkPoints);
    events.push({
      type: 'verdict',
      index: 1,
      result: 'inconclusive',
      reasons: ['smoke: measurement failed: timed out after 10s'],
      measured: {},
      thresholds: { failureLimit: 1, measurementErrorLimit: 3 },
      check: 'smoke',
      provider: 'command',
      at: at(10_000),
      deploymentId: id,
    });
    const d = groupView(info, events).current!;
    expect(d.checkPoints).toHaveLength(LIMITS.checkPoints);
    expect(d.checkPoints.at(-1)).toEqual({ check: 'smoke', at: at(10_000), result: 'inconclusive' });
    // The oldest went first; the counts still count every reading.
    expect(d.checkPoints[0]!.at).toBeGreaterThan(at(101));
    const smoke = d.checks[1]!;
    expect(smoke.metric).toBe('exitCode');
    expect(smoke.counts).toEqual({ pass: LIMITS.checkPoints, fail: 0, inconclusive: 1 });
  });
});

describe('groupChange / applyPatch (the live stream sends what changed)', () => {
  /**
   * The server as the dashboard runs it (one follower fed each event in turn) and what the page holds after each
   * event, applying what the server sends; both must equal the model built from scratch from the same events.
   */
  function follow(events: LedgerEvent[]) {
    const follower = new GroupFollower();
    let server: GroupView | undefined;
    let sentJson = '';
    let page: GroupView | undefined;
    const sizes: number[] = [];
    for (let n = 1; n <= events.length; n++) {
      follower.add(events[n - 1]!);
      const next = follower.view(info);
      expect(next).toEqual(groupView(info, events.slice(0, n)));
      // The model sent before is left as it was (the next patch is computed against it).
      if (server) expect(JSON.stringify(server)).toBe(sentJson);
      const change = groupChange(server, next);
      server = next;
      sentJson = JSON.stringify(next);
      if (!change) continue;
      sizes.push(JSON.stringify(change).length);
      // The page parses what crosses the wire.
      const sent = JSON.parse(JSON.stringify(change)) as typeof change;
      page = sent.type === 'group' ? sent.group : applyPatch(page!, sent.patch);
      expect(page).toEqual(server);
    }
    return { page: page!, server: server!, sizes };
  }

  it('brings the page to the same model as the server after every event, and removes fields that went away', () => {
    const events: LedgerEvent[] = [
      ...canaryEvents(3),
      { type: 'resumed', index: 1, by: 'promote', at: at(20), deploymentId: id },
      { type: 'bake', index: 2, until: at(99), at: at(21), deploymentId: id },
      { type: 'finished', status: 'Succeeded', at: at(22), deploymentId: id },
    ];
    const { page } = follow(events);
    expect(page.current!.status).toBe('Succeeded');
    expect(page.current!.pausedReason).toBeUndefined();
    expect(page.current!.bakeUntil).toBeUndefined();
  });

  it('brings the page to the server model through check verdicts too', () => {
    const { page } = follow(checkEvents(4));
    expect(page.current!.checks.map((c) => [c.name, c.latest.result])).toEqual([
      ['errors', 'fail'],
      ['smoke', 'pass'],
    ]);
    expect(page.current!.checkPoints).toHaveLength(8);
  });

  it('sends a check reading of a long deployment as one new point, not every check’s series', () => {
    // Past the bound: the oldest point drops off the front as the new one is added.
    const events = checkEvents(LIMITS.checkPoints);
    const before = groupView(info, events.slice(0, -1));
    const after = groupView(info, events);
    const change = groupChange(before, after)!;
    const size = JSON.stringify(change).length;
    expect(size).toBeLessThan(2000);
    expect(JSON.stringify(after.current!.checkPoints).length).toBeGreaterThan(10 * size);
    const page = change.type === 'patch' ? applyPatch(before, change.patch) : undefined;
    expect(page).toEqual(after);
  });

  it('sends a verdict of a long deployment as the new row, not the whole list', () => {
    const { sizes } = follow(canaryEvents(LIMITS.verdicts + 20));
    const wholeList = JSON.stringify(groupView(info, canaryEvents(LIMITS.verdicts + 20)).current!.verdicts);
    expect(sizes.at(-1)!).toBeLessThan(1000);
    expect(wholeList.length).toBeGreaterThan(10 * sizes.at(-1)!);
  });

  /** A canary of `weights` weight steps, each followed by a bake with one verdict, as the runner writes it. */
  function longCanary(weights: number): LedgerEvent[] {
    const steps = Array.from({ length: weights }, (_, i) => [
      { kind: 'setWeight' as const, percent: (i % 19) * 5 + 5 },
      { kind: 'pause' as const, seconds: 3 },
    ]).flat();
    let t = 0;
    const e = (event: Record<string, unknown>) =>
      ({ ...event, at: at(t++), deploymentId: id }) as LedgerEvent;
    const out: LedgerEvent[] = [
      e({ ...canaryEvents(0)[0]!, plan: { ...plan, steps } }),
      e({ type: 'started', pid: 1 }),
    ];
    steps.forEach((s, index) => {
      out.push(e({ type: 'step', index, phase: 'started', description: '' }));
      if (s.kind === 'setWeight') {
        const table = { stable: ['a-1'], canary: ['b-1'], canaryWeight: s.percent };
        out.push(e({ type: 'traffic', table, revisions: { stable: 'v1', canary: 'v2' } }));
      } else {
        out.push(e({ type: 'bake', index, until: at(t + 3000) }));
        const verdict = { index, result: 'pass', reasons: [], measured: {}, thresholds: {} };
        out.push(e({ type: 'verdict', ...verdict }));
      }
      out.push(e({ type: 'step', index, phase: 'completed', description: '' }));
    });
    return out;
  }

  it('sends a step of a long plan as the steps that changed, not the whole timeline', () => {
    const { page, sizes } = follow(longCanary(40));
    expect(page.current!.steps).toHaveLength(80);
    expect(page.current!.steps.every((s) => s.state === 'done')).toBe(true);
    // A step starting or finishing changes one or two rows of the plan (sizes[0] is the whole first model).
    const wholePlan = JSON.stringify(page.current!.steps).length;
    expect(Math.max(...sizes.slice(1))).toBeLessThan(1000);
    expect(wholePlan).toBeGreaterThan(5 * Math.max(...sizes.slice(1)));
  });

  it("keeps a long canary's split bounded with its latest changes exact, and sends new points alone", () => {
    const traffic = Array.from(
      { length: 1000 },
      (_, i): LedgerEvent => ({
        type: 'traffic',
        table: { stable: ['a-1'], canary: ['b-1'], canaryWeight: (i % 19) * 5 + 5 },
        revisions: { stable: 'v1', canary: 'v2' },
        at: at(100 + i),
        deploymentId: id,
      }),
    );
    const events = [...canaryEvents(0), ...traffic];
    const follower = new GroupFollower();
    let sent: GroupView | undefined;
    let whole = 0;
    for (const e of events) {
      follower.add(e);
      const next = follower.view(info);
      const change = groupChange(sent, next);
      if (change?.type === 'patch' && 'split' in change.patch.current.set) whole += 1;
      sent = next;
    }
    const split = sent!.current!.split;
    expect(split.length).toBeLessThanOrEqual(LIMITS.split);
    expect(split[0]!.at).toBe(at(5));
    expect(split.slice(-200).map((p) => p.at)).toEqual(traffic.slice(-200).map((e) => e.at));
    // Whole with its first point, then only when the older half is thinned: once every LIMITS.split / 4 points.
    expect(whole).toBe(1 + Math.ceil((1001 - LIMITS.split) / (LIMITS.split / 4)));
  });

  it('keeps the identity of what a patch does not change (the page re-renders only what changed)', () => {
    const events = canaryEvents(2);
    const before = groupView(info, events);
    const after = groupView(info, [
      ...events,
      {
        type: 'traffic',
        table: { stable: ['a-1'], canary: ['b-1'], canaryWeight: 40 },
        revisions: { stable: 'v1', canary: 'v2' },
        at: at(30),
        deploymentId: id,
      },
    ]);
    const change = groupChange(before, after);
    expect(change?.type).toBe('patch');
    if (change?.type !== 'patch') return;
    const page = applyPatch(before, change.patch)!;
    expect(page.current!.traffic!.canaryWeight).toBe(40);
    expect(page.current!.split.map((p) => p.canary)).toEqual([20, 40]);
    expect(page.current!.verdicts).toBe(before.current!.verdicts);
    expect(page.current!.steps).toBe(before.current!.steps);
    expect(page.history).toBe(before.history);
  });

  it('sends the whole model when another deployment is shown, and nothing when nothing changed', () => {
    const first = groupView(info, canaryEvents(1));
    const other = groupView(info, [
      ...canaryEvents(1),
      { type: 'finished', status: 'Succeeded', at: at(40), deploymentId: id },
      { ...(canaryEvents(0)[0] as LedgerEvent), deploymentId: 'd-2', at: at(41) },
    ]);
    expect(groupChange(first, other)?.type).toBe('group');
    expect(groupChange(other, groupView(info, [...canaryEvents(1)]))?.type).toBe('group');
    expect(groupChange(first, groupView(info, canaryEvents(1)))).toBeUndefined();
  });

  it('is refused for a model about another deployment', () => {
    const a = groupView(info, canaryEvents(1));
    const b = groupView(info, canaryEvents(2));
    const change = groupChange(a, b);
    if (change?.type !== 'patch') throw new Error('expected a patch');
    expect(applyPatch({ ...a, current: { ...a.current!, id: 'd-9' } }, change.patch)).toBeUndefined();
  });
});

describe('SignalHistory', () => {
  const sample = (n: number) => ({
    at: n,
    stable: { rps: 10, errorRate: 0, p50: 1, p99: n % 7, requests: 10 },
    canary: { rps: 1, errorRate: 0.5, p50: 1, p99: 2, requests: 1 },
  });

  it('stays bounded however long it runs: recent samples as they are, older ones merged', () => {
    const h = new SignalHistory({ recent: 60, older: 30, factor: 10 });
    for (let i = 0; i < 100_000; i++) h.add(sample(i));
    const series = h.series();
    expect(series.length).toBeLessThanOrEqual(60 + 30 + 10);
    expect(series.at(-1)!.at).toBe(99_999);
    expect(series.map((s) => s.at)).toEqual([...series.map((s) => s.at)].sort((a, b) => a - b));
  });

  it('merges by request weight and keeps the worst p99', () => {
    const m = mergeSamples([sample(3), sample(6)]);
    expect(m.stable.p99).toBe(6);
    expect(m.stable.requests).toBe(20);
    expect(m.canary.errorRate).toBe(0.5);
    expect(m.at).toBe(6);
  });
});

describe('refuse', () => {
  const hosts = allowedHosts('127.0.0.1', 7717);
  const base = {
    method: 'POST',
    host: '127.0.0.1:7717',
    cookie: 'conveyor_dashboard=tok',
    contentType: 'application/json',
  };
  const opts = { token: 'tok', hosts, write: true };

  it('lets a same-origin write with the token through', () => {
    expect(
      refuse({ ...base, origin: 'http://127.0.0.1:7717', secFetchSite: 'same-origin' }, opts),
    ).toBeUndefined();
    expect(
      refuse({ ...base, host: 'localhost:7717', origin: 'http://localhost:7717' }, opts),
    ).toBeUndefined();
  });

  it.each([
    ['no token', { cookie: undefined }, 401],
    ['a wrong token', { cookie: 'conveyor_dashboard=toK' }, 401],
    ['another Host', { host: 'evil.example:7717' }, 403],
    ['another origin', { origin: 'http://evil.example' }, 403],
    ['an origin on another port', { origin: 'http://127.0.0.1:9' }, 403],
    ['a null origin', { origin: 'null' }, 403],
    ['a cross-site fetch', { secFetchSite: 'cross-site' }, 403],
    ['a form body', { contentType: 'application/x-www-form-urlencoded' }, 415],
  ])('refuses a write with %s', (_what, change, status) => {
    expect(refuse({ ...base, ...change }, opts)?.status).toBe(status);
  });

  it('reads need the token but not a JSON body', () => {
    expect(
      refuse(
        { method: 'GET', host: '127.0.0.1:7717', authorization: 'Bearer tok' },
        { ...opts, write: false },
      ),
    ).toBeUndefined();
    expect(refuse({ method: 'GET', host: '127.0.0.1:7717' }, { ...opts, write: false })?.status).toBe(401);
  });
});
