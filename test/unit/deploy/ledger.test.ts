import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Ledger } from '../../../src/deploy/ledger.js';
import { reduce } from '../../../src/deploy/state.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function ledger() {
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-ledger-'));
  dirs.push(dir);
  return new Ledger(join(dir, 'ledger.ndjson'));
}

describe('Ledger', () => {
  it('round-trips events with a checksum on every line', () => {
    const l = ledger();
    l.append({ type: 'started', pid: 1, at: 1, deploymentId: 'd-1' });
    l.append({ type: 'paused', index: 2, reason: 'x', at: 2, deploymentId: 'd-1' });
    const text = readFileSync(l.file, 'utf8');
    expect(
      text
        .split('\n')
        .filter(Boolean)
        .every((line) => /^[0-9a-f]{8} \{/.test(line)),
    ).toBe(true);
    expect(l.read()).toEqual({
      events: [
        { type: 'started', pid: 1, at: 1, deploymentId: 'd-1' },
        { type: 'paused', index: 2, reason: 'x', at: 2, deploymentId: 'd-1' },
      ],
      problems: [],
    });
  });

  it('reports an altered line by number and does not use it', () => {
    const l = ledger();
    l.append({ type: 'started', pid: 1, at: 1, deploymentId: 'd-1' });
    l.append({ type: 'paused', index: 2, reason: 'x', at: 2, deploymentId: 'd-1' });
    const lines = readFileSync(l.file, 'utf8').split('\n');
    lines[1] = lines[1]!.replace('"index":2', '"index":7');
    writeFileSync(l.file, lines.join('\n'));
    const { events, problems } = l.read();
    expect(events).toHaveLength(1);
    expect(problems).toEqual([{ line: 2, reason: 'checksum mismatch (line altered or torn)' }]);
  });

  it('detects a torn last line and keeps later appends on their own line', () => {
    const l = ledger();
    l.append({ type: 'started', pid: 1, at: 1, deploymentId: 'd-1' });
    appendFileSync(l.file, '1234abcd {"type":"pau');
    expect(l.read().problems).toEqual([{ line: 2, reason: 'torn write (incomplete last line)' }]);
    l.append({ type: 'resumed', index: 0, by: 'promote', at: 3, deploymentId: 'd-1' });
    const { events, problems } = l.read();
    expect(events.map((e) => e.type)).toEqual(['started', 'resumed']);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.line).toBe(2);
  });

  it('a reader sees what other writers append, and starts over when the file is replaced', () => {
    const writer = ledger();
    const reader = new Ledger(writer.file);
    writer.append({ type: 'started', pid: 1, at: 1, deploymentId: 'd-1' });
    expect(reader.read().events).toHaveLength(1);
    writer.append({ type: 'promote-requested', full: true, at: 2, deploymentId: 'd-1' });
    expect(reader.read().events.map((e) => e.type)).toEqual(['started', 'promote-requested']);
    writeFileSync(writer.file, '');
    expect(reader.read()).toEqual({ events: [], problems: [] });
    writer.append({ type: 'runner', pid: 2, note: 'x', at: 3, deploymentId: 'd-1' });
    expect(reader.read().events.map((e) => e.type)).toEqual(['runner']);
  });

  it('reduce ignores events of unknown deployments and finds the active one', () => {
    const plan = { strategy: 'canary', steps: [], targetSlot: 'a' as const, replacement: true };
    const options = { creator: 'user' as const, ignoreApplicationStopFailures: false, skipAnalysis: false };
    const state = reduce([
      { type: 'created', deploymentId: 'd-1', at: 1, revision: { label: 'v1', dir: '/r1' }, plan, options },
      { type: 'finished', deploymentId: 'd-1', at: 2, status: 'Succeeded' },
      { type: 'created', deploymentId: 'd-2', at: 3, revision: { label: 'v2', dir: '/r2' }, plan, options },
      { type: 'started', deploymentId: 'd-2', at: 4, pid: 9 },
      { type: 'paused', deploymentId: 'd-x', at: 5, index: 0, reason: 'ghost' },
    ]);
    expect(state.lastGood?.label).toBe('v1');
    expect(state.active?.id).toBe('d-2');
    expect(state.active?.status).toBe('InProgress');
  });
});

describe('Ledger.readNew (a follower that keeps nothing)', () => {
  it('gives each appended event once, and starts over from the top when the file is replaced', () => {
    const l = ledger();
    const follower = new Ledger(l.file);
    expect(follower.readNew()).toEqual({ events: [], problems: [], restarted: true });
    l.append({ type: 'started', pid: 1, at: 1, deploymentId: 'd-1' });
    l.append({ type: 'paused', index: 2, reason: 'x', at: 2, deploymentId: 'd-1' });
    expect(follower.readNew().events.map((e) => e.at)).toEqual([1, 2]);
    l.append({ type: 'resumed', index: 2, by: 'promote', at: 3, deploymentId: 'd-1' });
    expect(follower.readNew()).toEqual({
      events: [{ type: 'resumed', index: 2, by: 'promote', at: 3, deploymentId: 'd-1' }],
      problems: [],
      restarted: false,
    });
    expect(follower.readNew()).toEqual({ events: [], problems: [], restarted: false });
    // Replaced by another file (what compaction does): everything again, marked as a restart.
    const other = ledger();
    other.append({ type: 'started', pid: 9, at: 9, deploymentId: 'd-2' });
    writeFileSync(`${l.file}.new`, readFileSync(other.file));
    renameSync(`${l.file}.new`, l.file);
    expect(follower.readNew()).toMatchObject({ events: [{ at: 9 }], restarted: true });
    // A torn last line is reported, and its event given once it is whole.
    const line = readFileSync(other.file, 'utf8').replace('"pid":9,"at":9', '"pid":9,"at":10');
    appendFileSync(l.file, line.slice(0, 20));
    expect(follower.readNew()).toMatchObject({
      events: [],
      problems: [{ reason: 'torn write (incomplete last line)' }],
    });
  });
});

describe('pruneRevisions', () => {
  it('keeps the recent and the needed revision copies, removes the rest', async () => {
    const { mkdirSync, readdirSync } = await import('node:fs');
    const { pruneRevisions } = await import('../../../src/deploy/revision.js');
    const dir = mkdtempSync(join(tmpdir(), 'conveyor-prune-'));
    dirs.push(dir);
    const ids = Array.from({ length: 8 }, (_, i) => `d-${i}`);
    for (const id of ids) mkdirSync(join(dir, 'revisions', id), { recursive: true });
    const removed = pruneRevisions(dir, ids, [join(dir, 'revisions', 'd-1')], 5);
    expect(removed.sort()).toEqual(['d-0', 'd-2']);
    expect(readdirSync(join(dir, 'revisions')).sort()).toEqual(['d-1', 'd-3', 'd-4', 'd-5', 'd-6', 'd-7']);
  });
});
