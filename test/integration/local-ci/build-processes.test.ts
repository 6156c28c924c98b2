import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { distEntry } from '../../../src/core/paths.js';
import { processAlive } from '../../../src/core/process.js';
import type { RunRecord } from '../../../src/local-ci/run-store.js';
import { cli, lastEvent, tempDir, write } from './helpers.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

function project(buildspec: string): string {
  const t = tempDir('conveyor-strays-');
  cleanups.push(t.cleanup);
  write(t.dir, 'buildspec.yml', buildspec);
  return t.dir;
}

/** The pid a command wrote to `file`; whatever the test's outcome, that process is killed afterwards. */
function strayPid(dir: string, file: string): number {
  const pid = Number(readFileSync(join(dir, file), 'utf8'));
  expect(pid).toBeGreaterThan(1);
  cleanups.push(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone, as it should be.
    }
  });
  return pid;
}

async function gone(pid: number): Promise<boolean> {
  // SIGKILL lands asynchronously; an unreaped zombie counts as gone.
  for (let i = 0; i < 40 && processAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  return !processAlive(pid);
}

/** A command that leaves the build's process group: a new session, its pid in `file`, then a long sleep. */
const leaveGroup = (file: string) =>
  `setsid sh -c 'echo $$ > ${file}; exec sleep 302' </dev/null >/dev/null 2>&1 &`;
const waitFor = (file: string) => `for i in $(seq 1 100); do [ -s ${file} ] && break; sleep 0.05; done`;

describe('conveyor build: processes that left the process group', () => {
  it('kills a setsid child when the build ends, and says so in build.log', async () => {
    const dir = project(`version: 0.2
phases:
  build:
    commands:
      - ${leaveGroup('escaped.pid')}
      - ${waitFor('escaped.pid')}
`);
    const r = await cli(['build', '--json'], dir);
    expect(r.code).toBe(0);
    const pid = strayPid(dir, 'escaped.pid');
    expect(await gone(pid)).toBe(true);
    const record = (lastEvent(r.stdout) as { record: RunRecord }).record;
    expect(readFileSync(record.logPath!, 'utf8')).toContain(
      "Killed 1 process(es) the commands left running outside the build's process group",
    );
  });

  it('kills it on timeout', async () => {
    const dir = project(`version: 0.2
phases:
  build:
    commands:
      - ${leaveGroup('escaped.pid')}
      - ${waitFor('escaped.pid')}; sleep 30
`);
    const started = Date.now();
    const r = await cli(['build', '--json', '--timeout', '2s'], dir);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((lastEvent(r.stdout) as { record: RunRecord }).record.status).toBe('TimedOut');
    expect(await gone(strayPid(dir, 'escaped.pid'))).toBe(true);
  });

  it.each([
    ['Ctrl-C (SIGINT)', 1],
    ['a second Ctrl-C, which ends Conveyor at once', 2],
  ])('kills it on %s', async (_what, interrupts) => {
    const dir = project(`version: 0.2
phases:
  build:
    commands:
      - ${leaveGroup('escaped.pid')}
      - trap '' TERM; ${waitFor('escaped.pid')}; touch ready; sleep 30
`);
    const child = spawn(process.execPath, [distEntry('cli/main.js'), 'build', '--json'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(() => child.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    for (let i = 0; i < 200 && !existsSync(join(dir, 'ready')); i++)
      await new Promise((r) => setTimeout(r, 50));
    const pid = strayPid(dir, 'escaped.pid');
    // The shell ignores SIGTERM, so stopping takes the 500 ms grace before SIGKILL: the second Ctrl-C lands in it.
    child.kill('SIGINT');
    if (interrupts === 2) {
      await new Promise((r) => setTimeout(r, 100));
      child.kill('SIGINT');
    }
    const code = await new Promise<number | null>((r) => child.on('close', r));
    if (interrupts === 1) {
      expect(code).toBe(1);
      expect((lastEvent(out) as { record: RunRecord }).record.status).toBe('Stopped');
    } else expect(code).toBe(130);
    expect(await gone(pid)).toBe(true);
  });
});
