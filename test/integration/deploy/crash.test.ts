import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { distEntry } from '../../../src/core/paths.js';
import { type GroupFixture, makeGroup, sample, waitFor } from './helpers.js';

const fixtures: GroupFixture[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const f of fixtures.splice(0)) await f.cleanup();
  for (const s of servers.splice(0)) s.close();
});
function group(strategy: string, extra = '') {
  const f = makeGroup(strategy, extra);
  fixtures.push(f);
  return f;
}

interface StatusJson {
  deployment: { id: string; status: string; bakeUntil?: number; reason?: string };
  runner: { alive: boolean; pid: number | null };
  router: { canaryWeight: number; stable: string[]; canary: string[] } | null;
  ledgerProblems: { line: number; reason: string }[];
}
async function status(f: GroupFixture): Promise<StatusJson> {
  return JSON.parse((await f.cli(['status', '--json'])).stdout) as StatusJson;
}

async function detachedCanaryBaking(f: GroupFixture): Promise<{ id: string; pid: number }> {
  expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
  const r = await f.cli(['deploy', '--revision', f.rev('v2'), '--detach', '--json']);
  expect(r.code, r.stderr).toBe(0);
  const { deploymentId, pid } = JSON.parse(r.stdout) as { deploymentId: string; pid: number };
  await waitFor('the bake', async () => ((await status(f)).deployment.bakeUntil ? true : undefined));
  return { id: deploymentId, pid };
}

async function waitDead(pid: number) {
  await waitFor(`pid ${pid} to exit`, async () => {
    try {
      process.kill(pid, 0);
      return undefined;
    } catch {
      return true;
    }
  });
}

describe('the runner dies, the data plane does not', () => {
  it('SIGKILL during a canary bake: traffic stays, status says so, rollback restores the stable revision', async () => {
    const f = group('strategy:\n  type: canary\n  steps:\n    - setWeight: 50\n    - pause: { seconds: 30 }');
    const { pid } = await detachedCanaryBaking(f);
    process.kill(pid, 'SIGKILL');
    await waitDead(pid);
    const s = await status(f);
    expect(s.deployment.status).toBe('InProgress');
    expect(s.runner.alive).toBe(false);
    expect(s.router).toMatchObject({ canaryWeight: 50, stable: ['a-1'], canary: ['b-1'] });
    expect(Object.keys(await sample(f, 30)).sort()).toEqual(['v1', 'v2']);
    const text = await f.cli(['status']);
    expect(text.stdout).toMatch(/runner +NOT RUNNING \(pid \d+ is gone\)/);
    // A new deploy is refused until the orphan is dealt with.
    const refused = await f.cli(['deploy', '--revision', f.rev('v3')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/did not finish: its runner stopped/);
    const rb = await f.cli(['rollback']);
    expect(rb.code, rb.stderr).toBe(0);
    expect(rb.stdout).toMatch(/RolledBack/);
    expect(await sample(f, 10)).toEqual({ v1: 10 });
  });

  it('deploy --resume after SIGKILL waits only for the rest of the bake', async () => {
    const f = group('strategy:\n  type: canary\n  steps:\n    - setWeight: 50\n    - pause: { seconds: 4 }');
    const { pid } = await detachedCanaryBaking(f);
    const { bakeUntil } = (await status(f)).deployment;
    process.kill(pid, 'SIGKILL');
    await waitDead(pid);
    await new Promise((r) => setTimeout(r, 1500));
    const resumed = await f.cli(['deploy', '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/runner resumed at step 4/);
    // It finished soon after the recorded deadline, not a whole bake after the resume.
    expect(Date.now() - bakeUntil!).toBeLessThan(3000);
    expect(await sample(f, 6)).toEqual({ v2: 6 });
  });

  it('Ctrl-C on a foreground deploy leaves traffic as it is and says how to go on', async () => {
    const f = group('strategy:\n  type: canary\n  steps:\n    - setWeight: 50\n    - pause: { seconds: 30 }');
    expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
    const child = spawn(
      process.execPath,
      [distEntry('cli/main.js'), 'deploy', '--config', f.config, '--revision', f.rev('v2')],
      {
        cwd: f.dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await waitFor('the bake', async () => ((await status(f)).deployment.bakeUntil ? true : undefined));
    child.kill('SIGINT');
    expect(await exited).toBe(1);
    expect(stderr).toMatch(
      /interrupted: d-\w+ stays InProgress with traffic as it is; resume with 'conveyor deploy --resume/,
    );
    const s = await status(f);
    expect(s.deployment.status).toBe('InProgress');
    expect(s.runner.alive).toBe(false);
    expect(s.router?.canaryWeight).toBe(50);
    const rb = await f.cli(['rollback']);
    expect(rb.code, rb.stderr).toBe(0);
    expect(await sample(f, 6)).toEqual({ v1: 6 });
  });

  it('a second deploy on the same group is refused, naming the running one', async () => {
    const f = group('strategy:\n  type: canary\n  steps:\n    - setWeight: 50\n    - pause: {}');
    expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
    const started = await f.cli(['deploy', '--revision', f.rev('v2'), '--detach']);
    const id = started.stdout.trim();
    await waitFor('Paused', async () =>
      (await status(f)).deployment.status === 'Paused' ? true : undefined,
    );
    const second = await f.cli(['deploy', '--revision', f.rev('v3')]);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`deployment ${id} (v2, Paused) is already running on this group`);
    const aborted = await f.cli(['abort']);
    expect(aborted.code, aborted.stderr).toBe(0);
    expect(aborted.stdout).toMatch(/RolledBack/);
    expect(await sample(f, 6)).toEqual({ v1: 6 });
  });
});

describe('faults around the fleet', () => {
  it('an instance process that dies during the bake triggers a health rollback', async () => {
    const f = group('strategy: { type: canary, percent: 50, intervalSeconds: 20 }');
    expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
    const deploying = f.cli(['deploy', '--revision', f.rev('v2')]);
    await waitFor('the bake', async () => ((await status(f)).deployment.bakeUntil ? true : undefined));
    const pid = Number(readFileSync(join(f.groupDir, 'instances', 'b-1', 'server.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    const r = await deploying;
    expect(r.code).toBe(1);
    const s = await status(f);
    expect(s.deployment.status).toBe('RolledBack');
    expect(s.deployment.reason).toMatch(/instance b-1 .*failed 2 health checks during the bake/);
    expect(await sample(f, 6)).toEqual({ v1: 6 });
  });

  it('a router port already taken fails the deployment with a clear message', async () => {
    const blocker = createServer();
    servers.push(blocker);
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const f = group('strategy: all-at-once');
    writeFileSync(f.config, readFileSync(f.config, 'utf8').replace('routerPort: 0', `routerPort: ${port}`));
    const r = await f.cli(['deploy', '--revision', f.rev('v1')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`router port ${port} is already taken by another program`);
    expect((await status(f)).deployment.status).toBe('Failed');
  });

  it('a damaged ledger line is reported by number and never used', async () => {
    const f = group('strategy: all-at-once');
    expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
    const ledger = join(f.groupDir, 'ledger.ndjson');
    const lines = readFileSync(ledger, 'utf8').split('\n');
    const i = lines.findIndex((l) => l.includes('"type":"finished"'));
    lines[i] = lines[i]!.replace('"Succeeded"', '"Failed"');
    writeFileSync(ledger, `${lines.join('\n')}0badc0de {"type":"pau`);
    const s = await f.cli(['status', '--json']);
    expect(s.stderr).toContain(
      `ledger.ndjson:${i + 1}: checksum mismatch (line altered or torn); the line is ignored`,
    );
    expect(s.stderr).toMatch(/torn write \(incomplete last line\)/);
    const parsed = JSON.parse(s.stdout) as StatusJson;
    // The altered "Failed" is not believed: the deployment never finished as far as the ledger can prove.
    expect(parsed.deployment.status).not.toBe('Failed');
    expect(parsed.ledgerProblems.map((p) => p.line)).toEqual([i + 1, lines.length]);
  });
});
