/**
 * AppSpec rules as a user meets them: a small AppSpec and the exact lines `conveyor validate appspec.yml` prints
 * for it (`file:line:col severity rule-id message (hint)`); with `--revision`, the revision's files are given as a
 * list (what exists), so no folder is needed. Reference: the CodeDeploy AppSpec reference.
 */
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../../src/documents/diagnostics.js';
import { validateText } from '../../../src/documents/validate.js';

/** What `conveyor validate [--revision /rev] appspec.yml` prints, with `revision` the files that exist in /rev. */
function lines(text: string, revision?: string[]): string[] {
  const files = new Set((revision ?? []).map((f) => `/rev/${f}`));
  return validateText(text, 'appspec.yml', {
    kind: 'appspec',
    ...(revision ? { revisionDir: '/rev', fileExists: (p: string) => files.has(p) } : {}),
  }).diagnostics.map(formatDiagnostic);
}

const lambda = (props: string) =>
  `version: 0.0\nResources:\n  - fn:\n      Type: AWS::Lambda::Function\n      Properties: {${props}}\n`;

describe('appspec version', () => {
  it('a missing version is named at the top level', () => {
    expect(lines('os: linux\nfiles:\n  - source: /\n    destination: /srv/app\n')).toEqual([
      'appspec.yml:1:1 error appspec/version missing required key `version` at the top level; AppSpec files need `version: 0.0`',
    ]);
  });

  it('0 and 0.00 are the version written another way; 0.0 after other keys is fine', () => {
    const hint =
      '(write `version: 0.0` (equal in value, but tools that compare text or types may reject other spellings))';
    expect(lines('version: 0\nos: linux\n')).toEqual([
      `appspec.yml:1:10 warning appspec/version-format version is written \`0\`; the AppSpec version is written 0.0 ${hint}`,
    ]);
    expect(lines('version: 0.00\nos: linux\n')).toEqual([
      `appspec.yml:1:10 warning appspec/version-format version is written \`0.00\`; the AppSpec version is written 0.0 ${hint}`,
    ]);
    expect(lines('os: linux\nversion: 0.0\n')).toEqual([]);
  });

  it('a quoted version is rejected by the EC2 agent, spaces and all; ECS and Lambda take it', () => {
    expect(lines('version: " 0.0 "\nos: linux\n')).toEqual([
      'appspec.yml:1:10 error appspec/quoted-version version is the string " 0.0 "; the CodeDeploy agent compares it with the number 0.0 and rejects a string (write `version: 0.0` without quotes)',
    ]);
    expect(
      lines(lambda('Name: f, Alias: live, CurrentVersion: 1, TargetVersion: 2').replace('0.0', '"0.0"')),
    ).toEqual([]);
  });
});
