import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  APPSPEC_WITH,
  expectRolledBackToV1,
  type GroupFixture,
  makeGroup,
  sample,
  servingV1,
} from './helpers.js';

const fixtures: GroupFixture[] = [];
afterEach(async () => {
  for (const f of fixtures.splice(0)) await f.cleanup();
});

describe('bad revisions are refused before anything is touched', () => {
  it('a folder without appspec.yml', async () => {
    const f = makeGroup('strategy: all-at-once');
    fixtures.push(f);
    const r = await f.cli(['deploy', '--revision', f.dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('has no appspec.yml at its root');
    expect(r.stderr).not.toContain('    at ');
    expect(existsSync(f.groupDir)).toBe(false);
  });

  it('an appspec that does not validate', async () => {
    const f = makeGroup('strategy: all-at-once');
    fixtures.push(f);
    f.appspec('v1', 'version: 0.0\nhooks: [oops\n');
    const r = await f.cli(['deploy', '--revision', f.rev('v1')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/revision .*v1 has an invalid appspec/);
    f.appspec('v1', 'version: 0.0\nhooks: {}\n');
    const r2 = await f.cli(['deploy', '--revision', f.rev('v1')]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/appspec\.yml:1:1 error appspec\/missing-key missing required key `os`/);
  });

  it('an invalid group file points at the line', async () => {
    const f = makeGroup('strategy:\n  type: canary\n  steps:\n    - setWeight: 300');
    fixtures.push(f);
    const r = await f.cli(['deploy', '--revision', f.rev('v1')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /group\.yml:20:18 error deployment-group\/invalid-value `strategy\.steps\[0\]\.setWeight` is the number 300; allowed: 0 to 100/,
    );
  });
});

describe('hook failures roll back to the last good revision', () => {
  it('a missing hook script is refused before the fleet is touched', async () => {
    const f = await servingV1(fixtures);
    f.appspec('v2', APPSPEC_WITH('  AfterInstall:\n    - location: scripts/missing.sh\n'));
    const r = await f.cli(['deploy', '--revision', f.rev('v2')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /appspec\.yml:\d+:\d+ error appspec\/hook-script-missing hook script `scripts\/missing\.sh` does not exist/,
    );
    const history = JSON.parse((await f.cli(['history', '--json'])).stdout) as unknown[];
    expect(history).toHaveLength(1);
    expect(await sample(f, 4)).toEqual({ v1: 4 });
  });

  it('a hook script deleted after the check fails its event and rolls back', async () => {
    const f = await servingV1(fixtures);
    // Valid when checked, gone when AfterInstall runs (a script that removes another one).
    f.script('v2', 'gone.sh', 'exit 0');
    f.script('v2', 'remove.sh', 'rm -f "$INSTANCE_ROOT"/.conveyor/deployment-archive/*/scripts/gone.sh');
    f.appspec(
      'v2',
      APPSPEC_WITH(
        '  BeforeInstall:\n    - location: scripts/remove.sh\n  AfterInstall:\n    - location: scripts/gone.sh\n',
      ),
    );
    const d = await expectRolledBackToV1(f, await f.cli(['deploy', '--revision', f.rev('v2')]));
    expect(d.reason).toMatch(/AfterInstall failed on a-1: .*gone\.sh/);
  });

  it('a hook script that is not executable is made executable first, as the CodeDeploy agent does', async () => {
    const f = await servingV1(fixtures);
    f.script('v2', 'after.sh', 'echo hi', false);
    f.appspec('v2', APPSPEC_WITH('  AfterInstall:\n    - location: scripts/after.sh\n'));
    const r = await f.cli(['deploy', '--revision', f.rev('v2')]);
    expect(r.code, r.stdout).toBe(0);
    expect(await sample(f, 4)).toEqual({ v2: 4 });
  });

  it('a hook location that is not a script file', async () => {
    const f = await servingV1(fixtures);
    f.appspec('v2', APPSPEC_WITH('  AfterInstall:\n    - location: scripts\n'));
    const d = await expectRolledBackToV1(f, await f.cli(['deploy', '--revision', f.rev('v2')]));
    expect(d.reason).toMatch(/AfterInstall failed on a-1: .*scripts is not a file/);
  });
});
