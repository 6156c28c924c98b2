import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { APPSPEC_WITH, expectRolledBackToV1, type GroupFixture, makeGroup, servingV1 } from './helpers.js';

const fixtures: GroupFixture[] = [];
afterEach(async () => {
  for (const f of fixtures.splice(0)) await f.cleanup();
});

describe('hook failures roll back to the last good revision (2)', () => {
  it('a hook that exits non-zero, with its output shown', async () => {
    const f = await servingV1(fixtures);
    f.script('v2', 'after.sh', 'echo "migrations: table users is locked" >&2\nexit 3');
    f.appspec('v2', APPSPEC_WITH('  AfterInstall:\n    - location: scripts/after.sh\n'));
    const r = await f.cli(['deploy', '--revision', f.rev('v2')]);
    expect(r.stdout).toContain('table users is locked');
    const d = await expectRolledBackToV1(f, r);
    expect(d.reason).toMatch(/AfterInstall failed on a-1: .*(3|exit)/);
  });

  it('a hook that exceeds its timeout is killed', async () => {
    const f = await servingV1(fixtures);
    f.script('v2', 'slow.sh', 'sleep 30');
    f.appspec('v2', APPSPEC_WITH('  BeforeInstall:\n    - location: scripts/slow.sh\n      timeout: 1\n'));
    const started = Date.now();
    const d = await expectRolledBackToV1(f, await f.cli(['deploy', '--revision', f.rev('v2')]));
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(d.reason).toMatch(/BeforeInstall failed on a-1: .*slow\.sh failed to complete in 1 seconds/);
  });

  it('a server started without redirecting its output fails ApplicationStart as on CodeDeploy', async () => {
    const f = await servingV1(fixtures);
    // The most common CodeDeploy mistake: the agent fails the hook with error code 6 at its timeout.
    f.script(
      'v2',
      'start.sh',
      'cd "$INSTANCE_ROOT/srv/hello-web"\nnode server.js &\necho $! > "$INSTANCE_ROOT/server.pid"',
    );
    const d = await expectRolledBackToV1(f, await f.cli(['deploy', '--revision', f.rev('v2')]));
    expect(d.reason).toMatch(
      /ApplicationStart failed on a-1: Script at specified location: scripts\/start\.sh failed to close STDOUT \(.*node server\.js.*> \/dev\/null 2>&1 &/,
    );
  });

  it('scripts see a UUID as DEPLOYMENT_GROUP_ID, as on CodeDeploy, and run in /', async () => {
    const f = makeGroup('strategy: all-at-once');
    fixtures.push(f);
    f.script('v1', 'before.sh', 'echo "$DEPLOYMENT_GROUP_ID $(pwd)" > "$INSTANCE_ROOT/seen.txt"');
    f.appspec('v1', APPSPEC_WITH('  BeforeInstall:\n    - location: scripts/before.sh\n'));
    expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
    const [groupId, cwd] = readFileSync(join(f.groupDir, 'instances', 'a-1', 'seen.txt'), 'utf8')
      .trim()
      .split(' ');
    expect(groupId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(readFileSync(join(f.groupDir, 'group-id'), 'utf8').trim()).toBe(groupId);
    expect(cwd).toBe('/');
  });

  it('ValidateService failing stops the broken revision before it takes traffic', async () => {
    const f = await servingV1(fixtures);
    f.script('v2', 'validate.sh', 'echo "no answer on /health" >&2; exit 1');
    const d = await expectRolledBackToV1(f, await f.cli(['deploy', '--revision', f.rev('v2')]));
    expect(d.reason).toMatch(/ValidateService failed on a-1/);
  });

  it('rollback hooks run with the reason in their environment', async () => {
    const f = makeGroup(
      'strategy: all-at-once',
      'rollback:\n  hooks:\n    beforeRollback: before.sh\n    afterRollback: after.sh\n',
    );
    fixtures.push(f);
    const { writeFileSync, chmodSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    for (const name of ['before', 'after']) {
      writeFileSync(
        join(f.dir, `${name}.sh`),
        `#!/bin/sh\necho "${name} $CONVEYOR_ROLLBACK_TRIGGER: $CONVEYOR_ROLLBACK_REASON" >> "$(dirname "$0")/rollback.log"\n`,
      );
      chmodSync(join(f.dir, `${name}.sh`), 0o755);
    }
    expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
    f.script('v2', 'validate.sh', 'exit 1');
    await expectRolledBackToV1(f, await f.cli(['deploy', '--revision', f.rev('v2')]));
    const log = readFileSync(join(f.dir, 'rollback.log'), 'utf8').trim().split('\n');
    expect(log).toHaveLength(2);
    expect(log[0]).toMatch(/^before failure: ValidateService failed on a-1/);
    expect(log[1]).toMatch(/^after failure: /);
  });
});
