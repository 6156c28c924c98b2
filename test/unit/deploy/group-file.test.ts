import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDeploymentGroup } from '../../../src/documents/deployment-group/load.js';
import { formatDiagnostics } from '../../../src/documents/diagnostics.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function check(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-group-'));
  dirs.push(dir);
  const file = join(dir, 'group.yml');
  writeFileSync(file, text);
  return formatDiagnostics(loadDeploymentGroup(file).diagnostics).replaceAll(`${dir}/`, '');
}

const HEAD = 'application: hello\ndeploymentGroup: dev\n';

describe('deployment group file', () => {
  it('accepts the DESIGN.md example (with its rollback scripts present) and every strategy shorthand', () => {
    expect(check(`${HEAD}strategy: Canary10Percent5Minutes\n`)).toBe('');
    expect(check(`${HEAD}strategy: { type: linear, stepPercent: 20, intervalSeconds: 5 }\n`)).toBe('');
    expect(check(`${HEAD}strategy: { type: rolling, minimumHealthyHosts: { percent: 75 } }\n`)).toBe('');
    expect(
      check(`${HEAD}strategy: { type: blue-green, readyWait: { seconds: 60, actionOnTimeout: continue } }\n`),
    ).toBe('');
  });

  it('checks the codedeploy section with the provider schema, each problem at its line and column', () => {
    const CD = `${HEAD}provider: codedeploy\ncodedeploy:\n`;
    expect(
      check(
        `${CD}  computePlatform: ECS\n  region: eu-west-1\n  pollSeconds: 5\n  revision:\n    github: { repository: acme/hello, commitId: ${'a'.repeat(40)} }\n`,
      ),
    ).toBe('');
    expect(
      check(
        `${CD}  computePlatform: Serverr\n  regoin: eu-west-1\n  revision:\n    s3: { bucket: conveyor-revisions, key: hello/v2.zip, bundleType: rar }\n`,
      ).split('\n'),
    ).toEqual([
      'group.yml:5:20 error deployment-group/invalid-value `codedeploy.computePlatform` is the string "Serverr"; allowed: Server, ECS, Lambda',
      'group.yml:6:3 error deployment-group/unknown-key unknown key `regoin` in `codedeploy` (not a key Conveyor knows: probably a typo); allowed keys: applicationName, deploymentGroupName, region, computePlatform, revision, description, pollSeconds',
      'group.yml:8:70 error deployment-group/invalid-value `codedeploy.revision.s3.bundleType` is the string "rar"; allowed: zip, tar, tgz, YAML, JSON',
    ]);
    expect(check(`${CD}  pollSeconds: 0\n`)).toMatch(/^group\.yml:5:16 error .*pollSeconds/);
  });

  it('says which step shapes exist when a step is none of them', () => {
    expect(check(`${HEAD}strategy:\n  type: canary\n  steps:\n    - setWeight: 30\n    - paws: {}\n`)).toBe(
      'group.yml:7:7 error deployment-group/invalid-value strategy step 2 must be one of setWeight: N, pause: {seconds?}, analysis: {seconds?}; found paws',
    );
  });

  it('points at a strategy whose type needs more keys', () => {
    expect(check(`${HEAD}strategy:\n  type: canary\n`)).toBe(
      'group.yml:4:9 error deployment-group/invalid-value strategy canary needs steps, or percent and intervalSeconds, or config (e.g. Canary10Percent5Minutes)',
    );
    expect(check(`${HEAD}strategy:\n  type: rolling\n`)).toMatch(/rolling needs minimumHealthyHosts/);
    expect(check(`${HEAD}strategy:\n  type: steps\n  steps:\n    - pause: {}\n`)).toMatch(
      /the steps never send traffic to the new revision: add a setWeight step/,
    );
  });

  it('reports a rollback hook that does not exist next to the group file', () => {
    expect(check(`${HEAD}rollback:\n  hooks:\n    beforeRollback: scripts/nope.sh\n`)).toBe(
      'group.yml:5:21 error deployment-group/rollback-hook-missing rollback hook scripts/nope.sh does not exist (paths are relative to the group file)',
    );
  });

  it('rejects unknown keys and out-of-range values with positions', () => {
    const out = check(
      `${HEAD}local:\n  instances: 0\n  extra: 1\nanalysis:\n  maxErrorRate: 2\n  noDataPolicy: maybe\n`,
    );
    expect(out).toContain(
      'group.yml:4:14 error deployment-group/invalid-value `local.instances` is the number 0; allowed: 1 to 64',
    );
    expect(out).toContain('group.yml:5:3 error deployment-group/unknown-key unknown key `extra` in `local`');
    expect(out).toMatch(/group\.yml:7:17 error deployment-group\/invalid-value `analysis\.maxErrorRate`/);
    expect(out).toMatch(/group\.yml:8:17 error deployment-group\/invalid-value `analysis\.noDataPolicy`/);
  });
});
