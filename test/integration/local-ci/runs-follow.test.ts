/**
 * `runs`: a run held at a manual approval says so; `runs show ID --follow` streams a push-triggered run's
 * console output as another process writes it, until the run ends.
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/run-cli.js';
import { type RunRecord, writeRunSync } from '../../../src/local-ci/run-store.js';

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

function project(): string {
  root = mkdtempSync(join(tmpdir(), 'conveyor-runs-'));
  return root;
}

const pushRun = (over: Partial<RunRecord> = {}): RunRecord => ({
  id: 'p-20261203-101500-abcdef',
  kind: 'pipeline',
  status: 'InProgress',
  trigger: { type: 'push', ref: 'refs/heads/main' },
  startedAt: '2026-12-03T10:15:00.000Z',
  pid: process.pid,
  pipeline: 'release',
  ...over,
});

async function cli(args: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    cwd,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr, output: () => stdout };
}

describe('conveyor runs', () => {
  it('shows a run held at a manual approval as waiting for approval, not InProgress', async () => {
    const dir = project();
    writeRunSync(
      dir,
      pushRun({
        stages: [
          {
            name: 'Approve',
            status: 'InProgress',
            actions: [
              { name: 'Ship', provider: 'Manual', category: 'Approval', runOrder: 1, status: 'Waiting' },
            ],
          },
        ],
      }),
    );
    const list = await cli(['runs'], dir);
    expect(list.stdout).toContain('waiting for approval (Approve/Ship)');
    expect(list.stdout).not.toContain('InProgress');
    const show = await cli(['runs', 'show', 'p-20261203-101500-abcdef'], dir);
    expect(show.stdout.split('\n')[0]).toBe(
      'p-20261203-101500-abcdef  pipeline release  waiting for approval (Approve/Ship)',
    );
  });

  it('runs show --follow streams console output written after it started, then the summary', async () => {
    const dir = project();
    const run = pushRun();
    writeRunSync(dir, run);
    const log = join(dir, '.conveyor/runs', run.id, 'console.log');
    mkdirSync(join(dir, '.conveyor/runs', run.id), { recursive: true });
    writeFileSync(log, 'stage Source: started\n');

    let stdout = '';
    const following = runCli(['runs', 'show', run.id, '--follow'], {
      cwd: dir,
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stdout += s) },
    });
    // The first line arrives while the run is still going.
    const deadline = Date.now() + 10_000;
    while (!stdout.includes('stage Source: started') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(stdout).toBe('stage Source: started\n');

    appendFileSync(log, 'stage Build: started\n');
    while (!stdout.includes('stage Build') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(stdout).toBe('stage Source: started\nstage Build: started\n');

    appendFileSync(log, 'run Failed\n');
    writeRunSync(dir, { ...run, status: 'Failed', durationMs: 1200 });
    expect(await following).toBe(1);
    expect(stdout).toContain(
      'stage Build: started\nrun Failed\n\np-20261203-101500-abcdef  pipeline release  Failed\n',
    );
  });
});
