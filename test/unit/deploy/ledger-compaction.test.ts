import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LedgerEvent } from '../../../src/deploy/events.js';
import { encodeLine, Ledger } from '../../../src/deploy/ledger.js';
import { lastGoodBefore, reduce } from '../../../src/deploy/state.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function file(): string {
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-ledger-big-'));
  dirs.push(dir);
  return join(dir, 'ledger.ndjson');
}

const plan = { strategy: 'canary', steps: [], targetSlot: 'a' as const, replacement: true };
const options = { creator: 'user' as const, ignoreApplicationStopFailures: false, skipAnalysis: false };

/** The events of one finished deployment, as a runner writes them (a few gate verdicts while baking). */
function deployment(n: number, status: 'Succeeded' | 'RolledBack'): LedgerEvent[] {
  const id = `d-${n}`;
  const at = n * 100;
  const revision = { label: `v${n}`, dir: `/state/revisions/${id}` };
  const slot = n % 2 === 0 ? ('a' as const) : ('b' as const);
  return [
    { type: 'created', deploymentId: id, at, revision, plan, options },
    { type: 'started', deploymentId: id, at: at + 1, pid: 1000 + n },
    { type: 'step', deploymentId: id, at: at + 2, index: 0, phase: 'started', description: 'install' },
    {
      type: 'traffic',
      deploymentId: id,
      at: at + 3,
      table: { stable: [], canary: [], canaryWeight: 10 } as never,
      revisions: { stable: `v${n - 1}`, canary: `v${n}` },
    },
    ...Array.from(
      { length: 5 },
      (_, i): LedgerEvent =>
        ({
          type: 'verdict',
          deploymentId: id,
          at: at + 10 + i,
          index: 1,
          result: 'pass',
          reasons: ['error rate 0.001 under 0.05'],
          measured: { requests: 100, errorRate: 0.001 },
          thresholds: { maxErrorRate: 0.05 },
        }) as never,
    ),
    ...(status === 'Succeeded'
      ? [
          {
            type: 'fleet',
            deploymentId: id,
            at: at + 20,
            slot,
            revision,
            instances: [`i-${slot}`],
          } as LedgerEvent,
        ]
      : []),
    { type: 'finished', deploymentId: id, at: at + 30, status },
  ];
}

/** Every third deployment rolls back, the others succeed. */
function history(from: number, to: number): LedgerEvent[] {
  const events: LedgerEvent[] = [];
  for (let n = from; n < to; n++) events.push(...deployment(n, n % 3 === 2 ? 'RolledBack' : 'Succeeded'));
  return events;
}

describe('a ledger of thousands of deployments', () => {
  it('is read with memory bounded by the deployments kept, giving the same fleet, traffic and last good revision', () => {
    const path = file();
    const all = history(0, 5000);
    let text = '';
    for (const e of all) text += encodeLine(e);
    appendFileSync(path, text);
    const { events, problems } = new Ledger(path).read();
    expect(problems).toEqual([]);
    const read = reduce(events);
    const full = reduce(all);
    expect(read.deployments.length).toBeLessThanOrEqual(100);
    expect(read.deployments.length).toBeGreaterThanOrEqual(50);
    expect(read.compacted?.deployments).toBe(5000 - read.deployments.length);
    expect(read.fleet).toEqual(full.fleet);
    expect(read.traffic).toEqual(full.traffic);
    expect(read.lastGood).toEqual(full.lastGood);
    // Each kept deployment's state is the one reduce(all) gives.
    for (const d of read.deployments) expect(d).toEqual(full.deployments.find((f) => f.id === d.id));
    expect(events.length).toBeLessThan(all.length / 40);
  });

  it('compacts to snapshot + tail: the file stays bounded over 3000 deployments, and status and rollback still know the fleet', () => {
    const path = file();
    const limits = { keepDeployments: 10, compactAboveBytes: 64 * 1024 };
    const writer = new Ledger(path, limits);
    const reader = new Ledger(path, limits);
    let largest = 0;
    let compactions = 0;
    for (let n = 0; n < 3000; n++) {
      // As engine.createUnderLock does before each new deployment.
      if (writer.compact()) compactions++;
      // Appended in one write per deployment (not fsync'd line by line) to keep the test quick.
      appendFileSync(
        path,
        deployment(n, n % 3 === 2 ? 'RolledBack' : 'Succeeded')
          .map(encodeLine)
          .join(''),
      );
      largest = Math.max(largest, statSync(path).size);
      // A reader that keeps its cache across compactions (status --watch) follows the new file.
      if (n % 500 === 0) expect(reduce(reader.read().events).deployments.at(-1)?.id).toBe(`d-${n}`);
    }
    expect(compactions).toBeGreaterThan(10);
    // Bounded by the threshold plus one deployment, whatever the count of deployments.
    expect(largest).toBeLessThan(limits.compactAboveBytes + 8 * 1024);
    const state = reduce(reader.read().events);
    const full = reduce(history(0, 3000));
    expect(state.fleet).toEqual(full.fleet);
    expect(state.lastGood).toEqual(full.lastGood);
    expect(state.traffic).toEqual(full.traffic);
    expect(state.deployments.map((d) => d.id)).toEqual(
      full.deployments.slice(-state.deployments.length).map((d) => d.id),
    );
    // Rollback of the newest finds the good one before it, even when it was compacted away.
    const oldestKept = state.deployments[0]!;
    expect(lastGoodBefore(state, oldestKept.id)).toBeDefined();
  });

  it('keeps a group stopped by `down` stopped when the deployments around it are folded', () => {
    const all: LedgerEvent[] = [
      ...history(0, 5),
      { type: 'down', deploymentId: 'd-4', at: 10_000, stopped: ['i-a'] },
      ...history(5, 8)
        .map((e) => ({ ...e, at: e.at + 10_000 }))
        .filter((e) => e.type !== 'fleet'),
    ];
    const path = file();
    appendFileSync(path, all.map(encodeLine).join(''));
    const ledger = new Ledger(path, { keepDeployments: 2, compactAboveBytes: 0 });
    ledger.compact();
    const state = reduce(ledger.read().events);
    expect(state.compacted?.deployments).toBe(6);
    expect(state.stopped).toBe(true);
    expect(state.stopped).toEqual(reduce(all).stopped);
    expect(state.fleet).toEqual(reduce(all).fleet);
  });
});
