import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sample, underTraffic, useGroups, waitFor } from './helpers.js';

const group = useGroups();

describe('conveyor deploy on the local fleet', () => {
  it('deploys v1 then v2 in place, one instance at a time, behind the router', async () => {
    const f = group('strategy: one-at-a-time', '', 2);
    const v1 = await f.cli(['deploy', '--revision', f.rev('v1')]);
    expect(v1.code, v1.stderr).toBe(0);
    expect(await sample(f, 10)).toEqual({ v1: 10 });
    const v2 = await f.cli(['deploy', '--revision', f.rev('v2')]);
    expect(v2.code, v2.stderr).toBe(0);
    expect(v2.stdout).toMatch(/batch 2/);
    expect(await sample(f, 10)).toEqual({ v2: 10 });
    const history = JSON.parse((await f.cli(['history', '--json'])).stdout) as {
      status: string;
      revision: string;
    }[];
    expect(history.map((h) => `${h.revision} ${h.status}`)).toEqual(['v1 Succeeded', 'v2 Succeeded']);
  });

  it('--dry-run prints the plan with hooks per event and touches nothing', async () => {
    const f = group('strategy: { type: canary, percent: 25, intervalSeconds: 30 }');
    const r = await f.cli(['deploy', '--revision', f.rev('v1'), '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('run ApplicationStop … BeforeAllowTraffic on replacement [a-1]');
    expect(r.stdout).toContain('ApplicationStart: scripts/start.sh');
    expect(r.stdout).toMatch(/expected waiting time: 0s/);
    expect(existsSync(f.groupDir)).toBe(false);
    const json = JSON.parse(
      (await f.cli(['deploy', '--revision', f.rev('v1'), '--dry-run', '--json'])).stdout,
    );
    expect(json.plan.strategy).toBe('canary');
  });

  it('holds a canary at a manual pause until promote from another command, then finishes', async () => {
    const f = group('strategy:\n  type: canary\n  steps:\n    - setWeight: 50\n    - pause: {}');
    expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
    const started = await f.cli(['deploy', '--revision', f.rev('v2'), '--detach', '--json']);
    expect(started.code, started.stderr).toBe(0);
    const { deploymentId } = JSON.parse(started.stdout) as { deploymentId: string };
    await waitFor('Paused', async () => {
      const s = JSON.parse((await f.cli(['status', '--json'])).stdout);
      return s.deployment.status === 'Paused' ? s : undefined;
    });
    const seen = await sample(f, 40);
    expect(Object.keys(seen).sort()).toEqual(['v1', 'v2']);
    const status = await f.cli(['status']);
    expect(status.stdout).toContain('Paused');
    expect(status.stdout).toMatch(/stable 50% v1 \[a-1\] · new 50% v2 \[b-1\]/);
    // From the group's folder the deployment id is enough to find the group.
    const promoted = await f.bare(['promote', deploymentId]);
    expect(promoted.code, promoted.stderr).toBe(0);
    const watched = await f.cli(['status', deploymentId, '--watch']);
    expect(watched.code, watched.stdout).toBe(0);
    expect(await sample(f, 10)).toEqual({ v2: 10 });
  });

  it('rolls a broken canary back automatically when the gates see its errors', async () => {
    const f = group('strategy: { type: canary, percent: 50, intervalSeconds: 8 }');
    expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
    // Steady traffic so the gate has evidence.
    const { result: r } = await underTraffic(f, f.cli(['deploy', '--revision', f.rev('v3')]));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/gate fail: error rate/);
    expect(r.stdout).toMatch(/rollback finished, traffic back on stable in \d+ ms/);
    expect(await sample(f, 10)).toEqual({ v1: 10 });
    const s = JSON.parse((await f.cli(['status', '--json'])).stdout);
    expect(s.deployment.status).toBe('RolledBack');
  });
});
