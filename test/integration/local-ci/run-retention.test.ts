/** Retention of .conveyor/runs: `runs prune`, pruning after `build`/`run`, protected runs, concurrent pruners. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/run-cli.js';
import type { Clock } from '../../../src/core/clock.js';
import { systemClock } from '../../../src/core/clock.js';
import { distEntry } from '../../../src/core/paths.js';
import { tryLock } from '../../../src/local-ci/lock.js';
import type { RunRecord, StageRecord } from '../../../src/local-ci/run-store.js';
import { tempDir } from './helpers.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 30, 12, 0, 0);

/** A clock whose now() is fixed by the test (sleeps are real: builds wait on real processes). */
function clockAt(now: () => number): Clock {
  return { now, sleep: systemClock.sleep };
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
}

const dirs: { cleanup(): void }[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) d.cleanup();
});

function project(): string {
  const t = tempDir('conveyor-retention-');
  dirs.push(t);
  return t.dir;
}

let serial = 0;
/** A finished run record `daysAgo` old with a log of `logBytes` bytes; returns its id. */
function record(root: string, daysAgo: number, extra: Partial<RunRecord> = {}, logBytes = 1000): string {
  const at = NOW - daysAgo * DAY;
  const kind = extra.kind ?? 'build';
  const id = `${kind === 'build' ? 'b' : 'p'}-${stamp(at)}-${(serial++).toString(16).padStart(6, '0')}`;
  const dir = join(root, '.conveyor', 'runs', id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'build.log'), 'x'.repeat(logBytes));
  const r: RunRecord = {
    id,
    kind,
    status: 'Succeeded',
    trigger: { type: 'manual' },
    startedAt: new Date(at).toISOString(),
    endedAt: new Date(at + 1000).toISOString(),
    pid: 999_999_999,
    ...(kind === 'build' ? { project: 'app' } : { pipeline: 'release' }),
    ...extra,
  };
  writeFileSync(join(dir, 'run.json'), `${JSON.stringify(r)}\n`);
  return id;
}

function runIds(root: string): string[] {
  const dir = join(root, '.conveyor', 'runs');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

async function cli(args: string[], cwd: string, clock: Clock = clockAt(() => NOW)) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    cwd,
    clock,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

interface PruneJson {
  dryRun: boolean;
  removed: { id: string; bytes: number; damaged?: string }[];
  bytesFreed: number;
  remaining: number;
  spared: { id: string; reason: string }[];
}

describe('runs prune', () => {
  it('keeps the newest N, removes the rest with their files and reports the bytes; --dry-run removes nothing', async () => {
    const root = project();
    const ids = [5, 4, 3, 2, 1].map((d) => record(root, d, {}, 2000 + d));
    // A damaged record, oldest of all by the time in its id.
    const damaged = `b-${stamp(NOW - 10 * DAY)}-dddddd`;
    mkdirSync(join(root, '.conveyor', 'runs', damaged), { recursive: true });
    writeFileSync(join(root, '.conveyor', 'runs', damaged, 'run.json'), '{"id": "b-');

    const dry = await cli(['runs', 'prune', '--keep', '2', '--dry-run', '--json'], root);
    expect(dry.code, dry.stderr).toBe(0);
    const planned = JSON.parse(dry.stdout) as PruneJson;
    expect(planned.dryRun).toBe(true);
    expect(planned.removed.map((r) => r.id).sort()).toEqual([damaged, ...ids.slice(0, 3)].sort());
    expect(runIds(root)).toHaveLength(6);

    const done = await cli(['runs', 'prune', '--keep', '2', '--json'], root);
    const result = JSON.parse(done.stdout) as PruneJson;
    expect(result.removed.map((r) => r.id)).toEqual(planned.removed.map((r) => r.id));
    expect(result.removed.find((r) => r.id === damaged)?.damaged).toMatch(/not valid JSON/);
    // Each removed run: its log plus its record.
    const build = result.removed.find((r) => r.id === ids[0])!;
    expect(build.bytes).toBeGreaterThan(2005);
    expect(result.bytesFreed).toBe(result.removed.reduce((n, r) => n + r.bytes, 0));
    expect(result.bytesFreed).toBe(planned.bytesFreed);
    expect(runIds(root)).toEqual(ids.slice(3).sort());
    expect(result.remaining).toBe(2);

    const text = await cli(['runs', 'prune', '--keep', '1'], root);
    expect(text.stdout).toMatch(/^removed 1 run\(s\), \d\.\d KB freed \(keeping the newest 1\); 1 left\n/);
    expect(text.stdout).toContain(`${ids[3]}  build app  Succeeded`);
    expect(runIds(root)).toEqual([ids[4]]);
  });

  it('leaves a fresh run folder without a record (a run starting) and prunes one left long ago', async () => {
    const root = project();
    const kept = record(root, 1);
    const starting = `p-${stamp(NOW - 5 * DAY)}-aaaaaa`;
    const leftover = `p-${stamp(NOW - 4 * DAY)}-bbbbbb`;
    for (const id of [starting, leftover])
      mkdirSync(join(root, '.conveyor', 'runs', id, 'logs'), { recursive: true });
    const longAgo = new Date(Date.now() - 3 * DAY);
    utimesSync(join(root, '.conveyor', 'runs', leftover), longAgo, longAgo);
    const r = JSON.parse(
      (await cli(['runs', 'prune', '--keep', '1', '--json'], root, systemClock)).stdout,
    ) as PruneJson;
    expect(r.removed).toEqual([expect.objectContaining({ id: leftover, damaged: 'no run.json' })]);
    expect(r.spared).toContainEqual({ id: starting, reason: 'being created (no record yet)' });
    expect(runIds(root)).toEqual([kept, starting].sort());
  });

  it('--older-than alone removes by age; with --keep both must hold', async () => {
    const root = project();
    const [old1, old2, recent] = [20, 10, 1].map((d) => record(root, d));
    const both = JSON.parse(
      (await cli(['runs', 'prune', '--keep', '2', '--older-than', '7d', '--json'], root)).stdout,
    ) as PruneJson;
    expect(both.removed.map((r) => r.id)).toEqual([old1]);
    const age = JSON.parse(
      (await cli(['runs', 'prune', '--older-than', '2d', '--json'], root)).stdout,
    ) as PruneJson;
    expect(age.removed.map((r) => r.id)).toEqual([old2]);
    expect(runIds(root)).toEqual([recent]);
  });

  it('spares runs in progress, the last successful run of each pipeline stage, and a pipeline’s builds with it', async () => {
    const root = project();
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(sleeper);
    const running = record(root, 30, { status: 'InProgress', pid: sleeper.pid! });
    const abandoned = record(root, 29, { status: 'InProgress', pid: 999_999_998 });
    const stages = (build: StageRecord['status'], deploy: StageRecord['status']): StageRecord[] => [
      { name: 'Build', status: build, actions: [] },
      { name: 'Deploy', status: deploy, actions: [] },
    ];
    const deployedOk = record(root, 9, { kind: 'pipeline', stages: stages('Succeeded', 'Succeeded') });
    const itsBuild = record(root, 9, { trigger: { type: 'pipeline', parentRunId: deployedOk } });
    const failed = record(root, 8, {
      kind: 'pipeline',
      status: 'Failed',
      stages: stages('Succeeded', 'Failed'),
    });
    const failedBuild = record(root, 8, { trigger: { type: 'pipeline', parentRunId: failed } });
    const newest = record(root, 7, {
      kind: 'pipeline',
      status: 'Failed',
      stages: stages('Succeeded', 'Failed'),
    });

    const r = JSON.parse((await cli(['runs', 'prune', '--keep', '1', '--json'], root)).stdout) as PruneJson;
    expect(r.removed.map((x) => x.id).sort()).toEqual([abandoned, failed, failedBuild].sort());
    expect(r.spared).toEqual(
      expect.arrayContaining([
        { id: running, reason: `InProgress (pid ${sleeper.pid})` },
        { id: deployedOk, reason: 'last successful run of stage Deploy of release (stage rollback source)' },
      ]),
    );
    expect(runIds(root)).toEqual([running, deployedOk, itsBuild, newest].sort());
    const text = await cli(['runs', 'prune', '--keep', '1'], root);
    expect(text.stdout).toContain(`kept ${deployedOk}: last successful run of stage Deploy of release`);
  });

  it('has nothing to do where no run was ever recorded, and creates nothing there', async () => {
    const root = project();
    const r = await cli(['runs', 'prune'], root);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('removed 0 run(s), 0 B freed (keeping the newest 50); 0 left\n');
    expect(existsSync(join(root, '.conveyor'))).toBe(false);
  });

  it('refuses a bad --keep, --older-than or runs.keep setting with a plain message', async () => {
    const root = project();
    expect((await cli(['runs', 'prune', '--keep', 'ten'], root)).stderr).toContain(
      "--keep 'ten' is not a whole number of runs",
    );
    const age = await cli(['runs', 'prune', '--older-than', 'soon'], root);
    expect(age.code).toBe(2);
    expect(age.stderr).toContain("--older-than 'soon' is not a duration");
    mkdirSync(join(root, '.conveyor'), { recursive: true });
    writeFileSync(join(root, '.conveyor', 'local-actions.yml'), 'runs:\n  keep: -3\n');
    const setting = await cli(['runs', 'prune'], root);
    expect(setting.code).toBe(2);
    expect(setting.stderr).toContain("'runs.keep' must be a whole number of runs (0 or more), found -3");
  });
});

describe('pruning after a run', () => {
  const buildspec = 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo hello > out.txt\n';

  it('conveyor build keeps runs.keep runs (or --keep N), never the one it just finished', async () => {
    const root = project();
    writeFileSync(join(root, 'buildspec.yml'), buildspec);
    mkdirSync(join(root, '.conveyor'), { recursive: true });
    writeFileSync(join(root, '.conveyor', 'local-actions.yml'), 'runs:\n  keep: 2\n');
    // Builds two minutes apart, so none of them counts as "just ended" for the next one's prune.
    let now = NOW;
    const clock = clockAt(() => now);
    const built: string[] = [];
    for (let i = 0; i < 4; i++) {
      now += 120_000;
      const r = await cli(['build', '--json'], root, clock);
      expect(r.code, r.stderr).toBe(0);
      const last = JSON.parse(r.stdout.trim().split('\n').pop()!) as { record: { id: string } };
      built.push(last.record.id);
    }
    expect(runIds(root)).toEqual(built.slice(2).sort());
    now += 120_000;
    const text = await cli(['build', '--keep', '1'], root, clock);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr).toMatch(
      /pruned 2 old run\(s\) from \.conveyor\/runs, [\d.]+ KB freed \(keeping the newest 1\)/,
    );
    expect(runIds(root)).toHaveLength(1);
    expect(runIds(root)[0]).not.toBe(built[3]);
  });

  it('skips while another process prunes; two CLI processes finishing at once keep each other’s runs', async () => {
    const root = project();
    writeFileSync(join(root, 'buildspec.yml'), buildspec);
    const old = [record(root, 3), record(root, 2)];
    const held = await tryLock(join(root, '.conveyor', 'locks', 'runs-prune'));
    expect(held).toBeDefined();
    const skipped = await cli(['build', '--keep', '0'], root, systemClock);
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(runIds(root)).toEqual(expect.arrayContaining(old));
    await held!.release();

    const two = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<{ code: number | null; err: string }>((resolve) => {
            const child = spawn(process.execPath, [distEntry('cli/main.js'), 'build', '--keep', '1'], {
              cwd: root,
              stdio: ['ignore', 'ignore', 'pipe'],
            });
            children.push(child);
            let err = '';
            child.stderr.on('data', (c: Buffer) => (err += c.toString()));
            child.on('close', (code) => resolve({ code, err }));
          }),
      ),
    );
    for (const r of two) expect(r.code, r.err).toBe(0);
    const left = runIds(root);
    // The old runs went; both new runs stayed (each process spares its own run and the other's fresh one).
    for (const id of old) expect(left).not.toContain(id);
    expect(left).toHaveLength(3);
  }, 30_000);
});
