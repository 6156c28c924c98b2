import { describe, expect, it } from 'vitest';
import { createProgress, LiveBlock } from '../../../src/cli/deploy-progress.js';
import type { LedgerEvent } from '../../../src/deploy/events.js';
import { reduce } from '../../../src/deploy/state.js';
import { planDeployment } from '../../../src/deploy/strategies/plan.js';
import { Strategies } from '../../../src/deploy/strategies/strategy.js';

const plan = planDeployment(2, { slot: 'a', revision: 'v1' }, Strategies.canary(25, 10));
const events: LedgerEvent[] = [
  {
    type: 'created',
    deploymentId: 'd-1',
    at: 0,
    revision: { label: 'v2', dir: '/r' },
    plan,
    options: { creator: 'user', ignoreApplicationStopFailures: false, skipAnalysis: false },
    previous: { slot: 'a', revision: { label: 'v1', dir: '/r1' } },
  },
  { type: 'started', deploymentId: 'd-1', at: 1, pid: 5 },
  { type: 'hook', deploymentId: 'd-1', at: 2, instance: 'b-1', event: 'AfterInstall', status: 'started' },
  {
    type: 'hook',
    deploymentId: 'd-1',
    at: 3,
    instance: 'b-1',
    event: 'AfterInstall',
    status: 'succeeded',
    durationMs: 12,
  },
  {
    type: 'traffic',
    deploymentId: 'd-1',
    at: 4,
    table: { stable: ['a-1', 'a-2'], canary: ['b-1', 'b-2'], canaryWeight: 25 },
    revisions: { stable: 'v1', canary: 'v2' },
  },
  {
    type: 'verdict',
    deploymentId: 'd-1',
    at: 5,
    index: 3,
    result: 'fail',
    reasons: ['error rate 40.0% (4/10) > max 5.0%'],
    measured: { requests: 10 },
    thresholds: {},
  },
];

function run(isTTY: boolean, json = false) {
  let out = '';
  const progress = createProgress({ write: (s: string) => (out += s), isTTY }, json);
  for (let i = 0; i < events.length; i++)
    progress.onEvent(events[i]!, reduce(events.slice(0, i + 1)).deployments[0]!);
  progress.finish();
  return out;
}

describe('deploy progress', () => {
  it('plain lines without escape codes when not a terminal, hook starts left out', () => {
    const out = run(false);
    expect(out).not.toContain('\x1b[');
    expect(out).toContain('d-1 traffic: stable 75% v1 [a-1, a-2] · new 25% v2 [b-1, b-2]');
    expect(out).toContain('hook b-1 AfterInstall succeeded (12 ms)');
    expect(out).not.toContain('AfterInstall started');
    expect(out).toContain('gate fail: error rate 40.0% (4/10) > max 5.0%');
  });

  it('a redrawn block with step, traffic, gate and hook on a terminal', () => {
    const out = run(true);
    expect(out).toMatch(/\x1b\[4A\x1b\[J/);
    expect(out).toContain('  traffic stable 75% v1 [a-1, a-2] · new 25% v2 [b-1, b-2]');
    expect(out).toContain('  hook    b-1 AfterInstall started');
    expect(out).toContain('  gate    fail: error rate 40.0% (4/10) > max 5.0%');
  });

  it('the terminal block counts a bake down and shows the elapsed time by the clock it is given', () => {
    let out = '';
    let now = 61_000;
    const progress = createProgress(
      { write: (s: string) => (out += s), isTTY: true, columns: 200 },
      false,
      () => now,
    );
    const baking: LedgerEvent[] = [
      ...events,
      { type: 'bake', deploymentId: 'd-1', at: 60_000, index: 3, until: 70_000 },
    ];
    progress.onEvent(baking.at(-1)!, reduce(baking).deployments[0]!);
    expect(out).toMatch(/d-1 InProgress {2}step \d+\/\d+: .* \(9s left\) {2}\[1m01s\]\n/);
    now = 65_500;
    out = '';
    progress.onEvent(baking.at(-1)!, reduce(baking).deployments[0]!);
    expect(out).toMatch(/\(5s left\) {2}\[1m05s\]/);
    progress.finish();
  });

  it('NDJSON events under --json', () => {
    const lines = run(false, true).trim().split('\n');
    expect(lines).toHaveLength(events.length);
    expect(JSON.parse(lines[4]!)).toMatchObject({ type: 'traffic', table: { canaryWeight: 25 } });
  });
});

describe('live block', () => {
  function terminal(columns: number) {
    const listeners: (() => void)[] = [];
    const t = {
      isTTY: true,
      columns,
      text: '',
      write: (s: string) => (t.text += s),
      on: (_: 'resize', fn: () => void) => listeners.push(fn),
      off: () => listeners.splice(0),
      resize(cols: number) {
        t.columns = cols;
        for (const fn of listeners) fn();
      },
    };
    return t;
  }

  it('cuts lines to the terminal width and clears exactly the rows it drew', () => {
    const t = terminal(20);
    const block = new LiveBlock(t);
    block.draw(['short', 'x'.repeat(30)]);
    expect(t.text).toBe(`short\n${'x'.repeat(18)}…\n`);
    t.text = '';
    block.draw(['one'], 'a permanent line');
    expect(t.text).toBe('\x1b[2A\x1b[Ja permanent line\none\n');
  });

  it('shows only the lines that fit the screen height, so cursor-up always reaches the frame', () => {
    const t = Object.assign(terminal(20), { rows: 3 });
    const block = new LiveBlock(t);
    block.draw(['a', 'b', 'c', 'd']);
    expect(t.text).toBe('a\nb\n');
    t.text = '';
    block.draw(['e']);
    expect(t.text).toBe('\x1b[2A\x1b[Je\n');
  });

  it('after a narrowing resize, counts the wrapped rows of the old frame before redrawing it narrower', () => {
    const t = terminal(20);
    const block = new LiveBlock(t);
    block.draw(['y'.repeat(25), 'ok']);
    t.text = '';
    t.resize(10);
    // The 19-column line now wraps onto 2 rows of a 10-column terminal: 3 rows in all.
    expect(t.text).toBe(`\x1b[3A\x1b[J${'y'.repeat(8)}…\nok\n`);
    block.close(true);
    t.text = '';
    t.resize(40);
    expect(t.text).toBe('');
  });

  it('a gate waiting for data: the verdict once when it changes, then a short reminder every 10 s, not every reading', () => {
    const inconclusive = (at: number): Extract<LedgerEvent, { type: 'verdict' }> => ({
      type: 'verdict',
      deploymentId: 'd-1',
      at,
      index: 3,
      result: 'inconclusive',
      reasons: [
        `only ${at % 3} canary requests in the last 1s (minRequests 5): no evidence`,
        "pausing for a human because noDataPolicy is 'pause' (conveyor promote / abort)",
      ],
      measured: { requests: at % 3 },
      thresholds: { minRequests: 5 },
    });
    const readings = Array.from({ length: 25 }, (_, i) => inconclusive(10_000 + i * 1000));
    const pass: LedgerEvent = {
      ...inconclusive(40_000),
      result: 'pass',
      reasons: ['error rate 0.0% <= 5.0%'],
    };
    const all = [...events.slice(0, 2), ...readings, pass];
    for (const isTTY of [false, true]) {
      let out = '';
      const progress = createProgress({ write: (s: string) => (out += s), isTTY, columns: 400 }, false);
      for (let i = 0; i < all.length; i++)
        progress.onEvent(all[i]!, reduce(all.slice(0, i + 1)).deployments[0]!);
      progress.finish();
      expect(out.match(/gate inconclusive: only/g)).toHaveLength(1);
      expect(out.match(/gate still inconclusive \(\d+ readings since 00:00:10\)/g)).toHaveLength(2);
      if (!isTTY) expect(out).toContain('gate pass: error rate 0.0% <= 5.0%');
    }
  });
});
