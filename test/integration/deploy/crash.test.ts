import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { distEntry } from '../../../src/core/paths.js';
import { type GroupFixture, killAndWait, sample, status, useGroups, waitFor } from './helpers.js';

const group = useGroups();

async function detachedCanaryBaking(f: GroupFixture): Promise<{ id: string; pid: number }> {
  expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
  const r = await f.cli(['deploy', '--revision', f.rev('v2'), '--detach', '--json']);
  expect(r.code, r.stderr).toBe(0);
  const { deploymentId, pid } = JSON.parse(r.stdout) as { deploymentId: string; pid: number };
  await waitFor('the bake', async () => ((await status(f)).deployment.bakeUntil ? true : undefined));
  return { id: deploymentId, pid };
}

describe('the runner dies, the data plane does not', () => {
  it('SIGKILL during a canary bake: traffic stays, status says so, rollback restores the stable revision', async () => {
    const f = group('strategy:\n  type: canary\n  steps:\n    - setWeight: 50\n    - pause: { seconds: 30 }');
    const { pid } = await detachedCanaryBaking(f);
    await killAndWait(pid);
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
    await killAndWait(pid);
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
});
