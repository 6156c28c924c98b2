import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/run-cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function cli(args: string[], cwd: string) {
  let out = '';
  let err = '';
  const code = await runCli(args, {
    cwd,
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
  });
  return { code, out, err };
}

/** A group whose rollback hook script has been deleted since the group was set up. */
function groupWithMissingRollbackHook(): string {
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-readonly-'));
  dirs.push(dir);
  writeFileSync(
    join(dir, 'group.yml'),
    'application: hello\ndeploymentGroup: dev\nstrategy: all-at-once\nrollback:\n  hooks:\n    beforeRollback: scripts/gone.sh\n',
  );
  return dir;
}

describe('group file with a missing rollback hook script', () => {
  it('still lets history, status and down look at or stop the group', async () => {
    const dir = groupWithMissingRollbackHook();
    const history = await cli(['history', '--config', 'group.yml', '--json'], dir);
    expect(history.err).not.toContain('rollback hook');
    expect(history.code).toBe(0);
    const down = await cli(['down', '--config', 'group.yml'], dir);
    expect(down.err).not.toContain('rollback hook');
    expect(down.code).toBe(0);
    const status = await cli(['status', '--config', 'group.yml'], dir);
    expect(status.err).not.toContain('rollback hook');
  });

  it('refuses a deployment, naming the missing script and its rule', async () => {
    const dir = groupWithMissingRollbackHook();
    const deploy = await cli(['deploy', '--config', 'group.yml', '--revision', '.', '--dry-run'], dir);
    expect(deploy.code).toBe(2);
    expect(deploy.err).toMatch(
      /deployment-group\/rollback-hook-missing rollback hook scripts\/gone\.sh does not exist/,
    );
  });
});
