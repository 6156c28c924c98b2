import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type StatusJson, sample, status, useGroups, waitFor } from './helpers.js';

const group = useGroups();
const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

describe('faults around the fleet', () => {
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

  it('a router port already taken refuses the deployment with a clear message and records nothing (#12)', async () => {
    const blocker = createServer();
    servers.push(blocker);
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const f = group('strategy: all-at-once');
    writeFileSync(f.config, readFileSync(f.config, 'utf8').replace('routerPort: 0', `routerPort: ${port}`));
    const r = await f.cli(['deploy', '--revision', f.rev('v1')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`router port ${port} is already taken by another program`);
    expect(JSON.parse((await f.cli(['history', '--json'])).stdout)).toEqual([]);
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
