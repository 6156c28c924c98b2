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
    expect(lines('version: 1.0\nos: linux\n')).toEqual([
      'appspec.yml:1:10 error appspec/version version is 1.0; the only AppSpec version is 0.0',
    ]);
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

describe('appspec Lambda resources', () => {
  it('a version given as text equal to the current one is the version already serving', () => {
    expect(lines(lambda('Name: f, Alias: live, CurrentVersion: 2, TargetVersion: "2"'))).toEqual([
      'appspec.yml:5:76 warning appspec/lambda-same-version TargetVersion equals CurrentVersion (2); the deployment would shift traffic to the version already serving it',
    ]);
  });

  it('a version is a positive whole number: " 3 " is one, 3.5 and "07" are not', () => {
    expect(lines(lambda('Name: f, Alias: live, CurrentVersion: " 3 ", TargetVersion: 3.5'))).toEqual([
      'appspec.yml:5:80 error appspec/invalid-type `Resources[0].fn.Properties.TargetVersion` must be a positive whole number, found the number 3.5',
      'appspec.yml:5:80 error appspec/lambda-version TargetVersion is the number 3.5; a Lambda version is a positive whole number such as 3',
    ]);
    expect(lines(lambda('Name: f, Alias: live, CurrentVersion: 1, TargetVersion: "07"'))).toEqual([
      'appspec.yml:5:76 error appspec/lambda-version TargetVersion is the string "07"; a Lambda version is a positive whole number such as 3',
    ]);
  });

  it('a name or alias YAML 1.1 reads as a boolean is named; without a current version nothing is compared', () => {
    expect(lines(lambda('Name: yes, Alias: no, TargetVersion: 4'))).toEqual([
      'appspec.yml:5:7 error appspec/missing-key missing required key `CurrentVersion` in `Resources[0].fn.Properties`',
      'appspec.yml:5:26 warning appspec/yaml11-boolean `Resources[0].fn.Properties.Name` is the unquoted word `yes`, which YAML 1.1 parsers read as a boolean, not the text "yes" (quote it: "yes")',
      'appspec.yml:5:38 warning appspec/yaml11-boolean `Resources[0].fn.Properties.Alias` is the unquoted word `no`, which YAML 1.1 parsers read as a boolean, not the text "no" (quote it: "no")',
    ]);
  });
});

describe('appspec Lambda resources written oddly', () => {
  const hook = 'Hooks:\n  - BeforeAllowTraffic: Check\n';

  it('Resources as a mapping, or an empty entry, are type errors only', () => {
    expect(lines(`version: 0.0\nResources: {fn: {Type: AWS::Lambda::Function}}\n${hook}`)).toEqual([
      'appspec.yml:2:1 error appspec/invalid-type `Resources` must be a list, found a mapping',
    ]);
    expect(lines(`version: 0.0\nResources:\n  -\n${hook}`)).toEqual([
      'appspec.yml:3:4 error appspec/invalid-type `Resources[0]` must be a mapping, found nothing (an empty value)',
    ]);
  });

  it('"12" is a version and "3.0" is not; with neither version nothing is compared', () => {
    expect(lines(lambda('Name: f, Alias: live, CurrentVersion: "12", TargetVersion: "3.0"'))).toEqual([
      'appspec.yml:5:79 error appspec/lambda-version TargetVersion is the string "3.0"; a Lambda version is a positive whole number such as 3',
    ]);
    expect(lines(lambda('Name: f, Alias: live'))).toEqual([
      'appspec.yml:5:7 error appspec/missing-key missing required key `CurrentVersion` in `Resources[0].fn.Properties`',
      'appspec.yml:5:7 error appspec/missing-key missing required key `TargetVersion` in `Resources[0].fn.Properties`',
    ]);
  });
});

describe('appspec ECS resources', () => {
  const ecs = (props: string) =>
    `version: 0.0\nResources:\n  - svc:\n      Type: AWS::ECS::Service\n      Properties:\n${props}`;

  it('a full service passes: a China-region ARN with a revision, port 65535, all three network settings, one base', () => {
    expect(
      lines(
        ecs(
          '        TaskDefinition: arn:aws-cn:ecs:cn-north-1:123456789012:task-definition/web:12\n' +
            '        LoadBalancerInfo: {ContainerName: web, ContainerPort: 65535}\n' +
            '        NetworkConfiguration:\n' +
            '          AwsvpcConfiguration: {Subnets: [s], SecurityGroups: [g], AssignPublicIp: DISABLED}\n' +
            '        CapacityProviderStrategy:\n' +
            '          - {CapacityProvider: A, Base: 1, Weight: 1}\n' +
            '          - {CapacityProvider: B, Base: 0, Weight: 0}\n',
        ),
      ),
    ).toEqual([]);
  });

  it('port 0 is out of range, port 1 is not; a port written as text is named with its number', () => {
    expect(
      lines(
        ecs(
          '        TaskDefinition: <TASK_DEFINITION>\n        LoadBalancerInfo: {ContainerName: web, ContainerPort: 0}\n',
        ),
      ),
    ).toEqual(['appspec.yml:7:63 warning appspec/container-port ContainerPort is 0; a port is 1 to 65535']);
    expect(
      lines(
        ecs(
          '        TaskDefinition: arn:aws:ecs:us-east-1:123456789012:task-definition/web\n' +
            '        LoadBalancerInfo: {ContainerName: web, ContainerPort: "8080"}\n' +
            '        CapacityProviderStrategy: []\n',
        ),
      ),
    ).toEqual([
      'appspec.yml:7:63 warning appspec/container-port ContainerPort is the string "8080"; the reference types it as a number (write `ContainerPort: 8080`)',
    ]);
  });

  it('an empty task definition is an empty value, and a revision that is not a number is not an ARN', () => {
    expect(
      lines(
        ecs('        TaskDefinition: ""\n        LoadBalancerInfo: {ContainerName: web, ContainerPort: 1}\n'),
      ),
    ).toEqual([
      'appspec.yml:6:25 error appspec/invalid-value `Resources[0].svc.Properties.TaskDefinition` is empty; it needs a value',
    ]);
    expect(
      lines(
        ecs(
          '        TaskDefinition: arn:aws:ecs:us-east-1:123456789012:task-definition/web:1x\n        LoadBalancerInfo: {ContainerName: web, ContainerPort: 1}\n',
        ),
      ),
    ).toEqual([
      'appspec.yml:6:25 error appspec/ecs-task-definition TaskDefinition is the string "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1x"; expected a task definition ARN, or the placeholder <TASK_DEFINITION> that CodePipeline fills in',
    ]);
  });
});

describe('appspec hooks', () => {
  it('timeouts: text is converted with a warning, 0 is too short, and their sum is named at the event', () => {
    expect(
      lines(
        'version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: scripts/a.sh\n      timeout: "60"\n      runas: yes\n    - location: scripts/b.sh\n      timeout: 0\n    - location: ../outside.sh\n      timeout: 3600\n',
        ['scripts/a.sh', 'scripts/b.sh'],
      ),
    ).toEqual([
      "appspec.yml:4:3 error appspec/hook-timeout-total the timeouts of AfterInstall's scripts add up to 3660 seconds; one lifecycle event may take at most 3600",
      'appspec.yml:6:16 warning appspec/quoted-timeout timeout is the string "60"; the agent converts it, but write a number (write `timeout: 60`)',
      'appspec.yml:7:14 warning appspec/yaml11-boolean `hooks.AfterInstall[0].runas` is the unquoted word `yes`, which YAML 1.1 parsers read as a boolean, not the text "yes" (quote it: "yes")',
      'appspec.yml:9:16 error appspec/hook-timeout-max AfterInstall script timeout 0 must be at least 1 second',
      'appspec.yml:9:16 error appspec/invalid-value `hooks.AfterInstall[1].timeout` is the number 0; allowed: at least 1',
      'appspec.yml:10:17 error appspec/file-source-escapes hook script `../outside.sh` points outside the revision folder',
    ]);
  });

  it('one script over 3600 seconds is named alone, not the sum too; two scripts of exactly 3600 in all pass', () => {
    expect(
      lines(
        'version: 0.0\nos: linux\nhooks:\n  BeforeInstall:\n    - location: scripts/a.sh\n      timeout: 3601\n    - location: scripts/b.sh\n      timeout: 3600\n  ValidateService:\n    - location: scripts/c.sh\n      timeout: 1800\n    - location: scripts/d.sh\n      timeout: 1800\n',
        ['scripts/a.sh', 'scripts/b.sh', 'scripts/c.sh'],
      ),
    ).toEqual([
      'appspec.yml:6:16 error appspec/hook-timeout-max BeforeInstall script timeout 3601 exceeds the maximum of 3600 seconds',
      'appspec.yml:12:17 error appspec/hook-script-missing hook script `scripts/d.sh` does not exist in the revision',
    ]);
  });

  it('on Windows, runas is named and a script path with backslashes is found in the revision', () => {
    expect(
      lines(
        'version: 0.0\nos: windows\nhooks:\n  ApplicationStart:\n    - location: \\scripts\\start.ps1\n      runas: admin\n',
        ['scripts/start.ps1'],
      ),
    ).toEqual([
      'appspec.yml:6:7 warning appspec/runas-windows `runas` applies only to Linux instances; Windows hooks run as the agent user',
    ]);
  });

  it('Lambda hooks written lowercase are checked: reserved, misspelt, and an ECS event', () => {
    const hooks = '  - AllowTraffic: Fn\n  - BeforeAllowTraffik: Fn\n  - AfterAllowTestTraffic: Fn\n';
    const may = 'a Lambda AppSpec may hook: BeforeAllowTraffic, AfterAllowTraffic';
    expect(
      lines(lambda('Name: f, Alias: live, CurrentVersion: 1, TargetVersion: 2') + `hooks:\n${hooks}`),
    ).toEqual([
      'appspec.yml:6:1 warning appspec/key-casing this AppSpec mixes PascalCase keys (`Resources`) and lowercase keys (`hooks`); CodeDeploy accepts both, but pick one',
      `appspec.yml:7:5 error appspec/reserved-hook \`AllowTraffic\` is run by CodeDeploy itself and cannot have hooks; ${may}`,
      `appspec.yml:8:5 error appspec/hook-name unknown lifecycle event \`BeforeAllowTraffik\`; ${may} (did you mean \`BeforeAllowTraffic\`?)`,
      `appspec.yml:9:5 error appspec/hook-name \`AfterAllowTestTraffic\` is an ECS lifecycle event; ${may} (did you mean \`AfterAllowTraffic\`?)`,
    ]);
  });
});

describe('appspec files', () => {
  it('sources are paths inside the revision, backslashes too; destinations are absolute on Linux', () => {
    expect(
      lines(
        'version: 0.0\nos: linux\nfiles:\n  - source: \\config\\app.conf\n    destination: etc/app\n  - source: ..\n    destination: /srv\n  - source: /\n    destination: C:\\app\n  - source: dist\n    destination: /srv/app\n',
        ['config/app.conf'],
      ),
    ).toEqual([
      'appspec.yml:5:18 warning appspec/file-destination-relative files destination `etc/app` is not a fully qualified path; the agent would place files relative to its own working folder',
      'appspec.yml:6:13 error appspec/file-source-escapes files source `..` points outside the revision folder',
      'appspec.yml:9:18 warning appspec/file-destination-relative files destination `C:\\app` is not a fully qualified path; the agent would place files relative to its own working folder',
      'appspec.yml:10:13 error appspec/file-source-missing files source `dist` does not exist in the revision',
    ]);
  });

  it('on Windows a drive, a share or a leading backslash is absolute; a URL in any case is not a source', () => {
    expect(
      lines(
        'version: 0.0\nos: windows\nfiles:\n  - source: /\n    destination: C:\\app\n  - source: /\n    destination: \\\\server\\share\n  - source: /\n    destination: \\app\n  - source: /\n    destination: app\n  - source: HTTPS://example.com/a.zip\n    destination: D:/x\n',
      ),
    ).toEqual([
      'appspec.yml:11:18 warning appspec/file-destination-relative files destination `app` is not a fully qualified path; the agent would place files relative to its own working folder',
      'appspec.yml:12:13 error appspec/file-source-url files source `HTTPS://example.com/a.zip` is a URL; a source is a path inside the revision (`/` for all of it)',
    ]);
  });
});

describe('appspec permissions', () => {
  const perms = (body: string) =>
    lines(`version: 0.0\nos: linux\nfiles:\n  - source: /\n    destination: /srv\npermissions:\n${body}`);

  it('modes: a leading zero unquoted is read as octal; 888 is no mode; "0755" and 644 are', () => {
    expect(
      perms(
        '  - object: /srv\n    owner: yes\n    group: no\n    mode: 0750\n  - object: /srv/a\n    mode: "0755"\n  - object: /srv/b\n    mode: 888\n  - object: /srv/c\n    mode: 644\n  - object: /srv/d\n    mode: 07555\n',
      ),
    ).toEqual([
      'appspec.yml:8:12 warning appspec/yaml11-boolean `permissions[0].owner` is the unquoted word `yes`, which YAML 1.1 parsers read as a boolean, not the text "yes" (quote it: "yes")',
      'appspec.yml:9:12 warning appspec/yaml11-boolean `permissions[0].group` is the unquoted word `no`, which YAML 1.1 parsers read as a boolean, not the text "no" (quote it: "no")',
      'appspec.yml:10:11 warning appspec/octal-mode mode 0750 is unquoted: the CodeDeploy agent\'s YAML 1.1 parser reads a leading zero as octal (0750 becomes 488), giving the wrong permissions (quote it ("0750") or drop the leading zero (750))',
      'appspec.yml:14:11 error appspec/permission-mode mode is the number 888; a mode is 3 or 4 octal digits (0-7), such as 644 or "0755"',
      'appspec.yml:18:11 warning appspec/octal-mode mode 07555 is unquoted: the CodeDeploy agent\'s YAML 1.1 parser reads a leading zero as octal (07555 becomes 3949), giving the wrong permissions (quote it ("07555") or drop the leading zero (7555))',
    ]);
  });

  it('ACL entries: each malformed part is named; default entries only on folders; SELinux ranges', () => {
    expect(
      perms(
        '  - object: /srv\n    acls:\n      - d:u:bob:rwx\n      - default:user:bob:7\n      - u:bob\n      - x:bob:rw\n      - u:bob:rwxx\n      - m:bob:r\n      - u::rw\n      - d:u::rx\n      - a:b:c:d:e\n      - o::r\n      - g:staff:r-x\n' +
          '  - object: /srv/f\n    type: [file]\n    acls: [d:u:bob:r, u:bob:r]\n    context:\n      type: t\n      range: s0-s1:c0.c255,c3\n' +
          '  - object: /srv/g\n    context:\n      type: t\n      range: x0\n',
      ),
    ).toEqual([
      'appspec.yml:11:9 error appspec/acl-entry acl entry `u:bob` has permissions `bob`; write one octal digit or letters from rwx-',
      'appspec.yml:12:9 error appspec/acl-entry acl entry `x:bob:rw` has type `x`; allowed: u, g, m, o (user, group, mask, other)',
      'appspec.yml:13:9 error appspec/acl-entry acl entry `u:bob:rwxx` has permissions `rwxx`; write one octal digit or letters from rwx-',
      'appspec.yml:14:9 error appspec/acl-entry acl entry `m:bob:r` names a user or group, but mask and other entries take no name',
      'appspec.yml:15:9 error appspec/acl-entry acl entry `u::rw` has no user or group name; use `mode` to set the base entry',
      'appspec.yml:17:9 error appspec/acl-entry acl entry `a:b:c:d:e` must look like `u:name:rwx`, `g:name:rw`, `m::r` or `d:u:name:rx`',
      'appspec.yml:22:12 error appspec/acl-entry acl entry `d:u:bob:r` is a default ACL entry, which applies only to directories',
      'appspec.yml:29:14 error appspec/selinux-range SELinux range `x0` is not of the form s<low>[-s<high>][:c<a>[.c<b>],...]',
    ]);
  });
});

describe('appspec hooks and files written oddly', () => {
  it('a hook given as one string, an empty script item, and timeouts that are not whole numbers of seconds', () => {
    expect(
      lines(
        'version: 0.0\nos: linux\nhooks:\n  AfterInstall: scripts/a.sh\n  BeforeInstall:\n    -\n    - location: a.sh\n      timeout: [60]\n    - location: b.sh\n      timeout: 60s\n    - location: c.sh\n      timeout: 5m\n',
        ['a.sh', 'b.sh', 'c.sh'],
      ),
    ).toEqual([
      'appspec.yml:4:17 error appspec/invalid-type `hooks.AfterInstall` must be a list of mappings or empty, found the string "scripts/a.sh"',
    ]);
  });

  it('a script without a timeout still lets the others add up; a timeout of 1.5 is not counted', () => {
    const found = validateText(
      'version: 0.0\nos: linux\nhooks:\n  ValidateService:\n    - location: a.sh\n    - location: b.sh\n      timeout: 1800\n    - location: c.sh\n      timeout: 1801\n  AfterInstall:\n    - location: d.sh\n      timeout: 3599\n    - location: e.sh\n      timeout: 1.5\n',
      'appspec.yml',
    ).diagnostics;
    expect(found.map(formatDiagnostic)).toEqual([
      "appspec.yml:4:3 error appspec/hook-timeout-total the timeouts of ValidateService's scripts add up to 3601 seconds; one lifecycle event may take at most 3600",
      'appspec.yml:14:16 error appspec/invalid-type `hooks.AfterInstall[1].timeout` must be a whole number of seconds, found the number 1.5',
    ]);
    // The event's key, not its whole script list (what --json gives as the end).
    expect([found[0]!.endLine, found[0]!.endCol]).toEqual([4, 18]);
  });

  it('a Windows script without runas is fine; a location is found without its spaces; none at all is missing', () => {
    expect(
      lines(
        'version: 0.0\nos: windows\nhooks:\n  ApplicationStart:\n    - location: start.ps1\n    - location: " stop.ps1 "\n    - timeout: 10\n',
        ['start.ps1', 'stop.ps1'],
      ),
    ).toEqual([
      'appspec.yml:7:7 error appspec/missing-key missing required key `location` in `hooks.ApplicationStart[2]`',
    ]);
  });

  it('a service hook written as a string is a type error only', () => {
    expect(
      lines(
        `${lambda('Name: f, Alias: live, CurrentVersion: 1, TargetVersion: 2')}Hooks:\n  - BeforeAllowTraffic\n`,
      ),
    ).toEqual([
      'appspec.yml:7:5 error appspec/invalid-type `Hooks[0]` must be a mapping, found the string "BeforeAllowTraffic"',
    ]);
  });

  it('an empty files item, a source with two leading slashes, a destination ending in a slash, none at all', () => {
    expect(
      lines(
        'version: 0.0\nos: linux\nfiles:\n  -\n  - source: //dist\n    destination: srv/app/\n  - source: /\n',
        ['dist'],
      ),
    ).toEqual([
      'appspec.yml:4:4 error appspec/invalid-type `files[0]` must be a mapping, found nothing (an empty value)',
      'appspec.yml:6:18 warning appspec/file-destination-relative files destination `srv/app/` is not a fully qualified path; the agent would place files relative to its own working folder',
      'appspec.yml:7:5 error appspec/missing-key missing required key `destination` in `files[2]`',
    ]);
  });

  it('permissions on Windows are named at their key (its range in --json); an empty item is a type error', () => {
    const ds = validateText(
      'version: 0.0\nos: windows\nfiles:\n  - source: /\n    destination: C:\\app\npermissions:\n  -\n  - object: C:\\app\n    owner: me\n',
      'appspec.yml',
    ).diagnostics;
    expect(ds.map(formatDiagnostic)).toEqual([
      'appspec.yml:6:1 error appspec/permissions-windows `permissions` apply only to Linux instances; this AppSpec targets os: windows',
      'appspec.yml:7:4 error appspec/invalid-type `permissions[0]` must be a mapping, found nothing (an empty value)',
    ]);
    expect([ds[0]!.endLine, ds[0]!.endCol]).toEqual([6, 12]);
  });
});

describe('appspec permissions: modes, ACLs and SELinux ranges at their edges', () => {
  const perms = (body: string) =>
    lines(`version: 0.0\nos: linux\nfiles:\n  - source: /\n    destination: /srv\npermissions:\n${body}`);
  const mode = 'a mode is 3 or 4 octal digits (0-7), such as 644 or "0755"';
  const octal = (text: string, value: number, hint: string) =>
    `warning appspec/octal-mode mode ${text} is unquoted: the CodeDeploy agent's YAML 1.1 parser reads a leading zero as octal (${text} becomes ${value}), giving the wrong permissions (quote it ("${text}") or drop the leading zero (${hint}))`;

  it('modes: 0758 is no octal number, the hint keeps three digits, and 644.0, 8644, 10750 are no modes', () => {
    expect(
      perms(
        ['0758', '00644', '0064', '644.0', '8644', '10750']
          .map((m, i) => `  - object: /${i}\n    mode: ${m}\n`)
          .join(''),
      ),
    ).toEqual([
      `appspec.yml:8:11 error appspec/permission-mode mode is the number 758; ${mode}`,
      `appspec.yml:10:11 ${octal('00644', 420, '644')}`,
      `appspec.yml:12:11 ${octal('0064', 52, '064')}`,
      `appspec.yml:14:11 error appspec/permission-mode mode is the number 644; ${mode}`,
      `appspec.yml:16:11 error appspec/permission-mode mode is the number 8644; ${mode}`,
      `appspec.yml:18:11 error appspec/permission-mode mode is the number 10750; ${mode}`,
    ]);
  });

  it('ACLs: default entries on a folder, two-part entries, entries that are not text or have one part', () => {
    expect(
      perms(
        '  - object: /a\n    type: [directory]\n    acls: [d:u:bob:r, d:o:r, m:r, 5, rwx, users:bob:r]\n    context:\n      type: t\n      range: s10-s15:c100.c255,c300.c400\n',
      ),
    ).toEqual([
      'appspec.yml:9:35 error appspec/invalid-type `permissions[0].acls[3]` must be a string, found the number 5 (quote it: "5")',
      'appspec.yml:9:38 error appspec/acl-entry acl entry `rwx` must look like `u:name:rwx`, `g:name:rw`, `m::r` or `d:u:name:rx`',
      'appspec.yml:9:43 error appspec/acl-entry acl entry `users:bob:r` has type `users`; allowed: u, g, m, o (user, group, mask, other)',
    ]);
  });

  it('ACLs: a two-part d: entry is a type d, "defaults" is no default, group: is a group; s0:c1 is a range', () => {
    expect(
      perms(
        '  - object: /a\n    acls: [d:r, defaults:u:bob:r, group:staff:rx]\n    context: {type: t, range: s0:c1}\n',
      ),
    ).toEqual([
      'appspec.yml:8:12 error appspec/acl-entry acl entry `d:r` has type `d`; allowed: u, g, m, o (user, group, mask, other)',
      'appspec.yml:8:17 error appspec/acl-entry acl entry `defaults:u:bob:r` must look like `u:name:rwx`, `g:name:rw`, `m::r` or `d:u:name:rx`',
    ]);
  });

  it('SELinux ranges: s0 alone is one; xs0 and s0-s1x are not; a number is a type error only', () => {
    expect(
      perms(
        '  - object: /b\n    context:\n      type: t\n      range: 5\n  - object: /c\n    context: {type: t, range: s0}\n  - object: /d\n    context: {type: t, range: xs0}\n  - object: /e\n    context: {type: t, range: s0-s1x}\n',
      ),
    ).toEqual([
      'appspec.yml:10:14 error appspec/invalid-type `permissions[0].context.range` must be a string, found the number 5 (quote it: "5")',
      'appspec.yml:14:31 error appspec/selinux-range SELinux range `xs0` is not of the form s<low>[-s<high>][:c<a>[.c<b>],...]',
      'appspec.yml:16:31 error appspec/selinux-range SELinux range `s0-s1x` is not of the form s<low>[-s<high>][:c<a>[.c<b>],...]',
    ]);
  });
});

describe('appspec ECS resources written oddly', () => {
  const hook = 'Hooks:\n  - BeforeInstall: Check\n';
  const service = (props: string) =>
    `version: 0.0\nResources:\n  - svc:\n      Type: AWS::ECS::Service\n      Properties:\n${props}`;

  it('Resources as a mapping, an empty entry, a service without Properties: the schema findings only', () => {
    expect(lines(`version: 0.0\nResources: {svc: {Type: AWS::ECS::Service}}\n${hook}`)).toEqual([
      'appspec.yml:2:1 error appspec/invalid-type `Resources` must be a list, found a mapping',
    ]);
    expect(lines(`version: 0.0\nResources:\n  -\n  - svc:\n      Type: AWS::ECS::Service\n${hook}`)).toEqual([
      'appspec.yml:2:1 error appspec/invalid-value `Resources` has 2 entries; allowed: exactly 1 entry',
      'appspec.yml:3:4 error appspec/invalid-type `Resources[0]` must be a mapping, found nothing (an empty value)',
      'appspec.yml:4:5 error appspec/missing-key missing required key `Properties` in `Resources[1].svc`',
    ]);
    expect(lines(service('        TaskDefinition: <TASK_DEFINITION>\n'))).toEqual([
      'appspec.yml:5:7 error appspec/missing-key missing required key `LoadBalancerInfo` in `Resources[0].svc.Properties`',
    ]);
  });

  it('a task definition or port of the wrong type, and an empty network configuration, are the schema findings only', () => {
    expect(
      lines(
        service(
          '        TaskDefinition: 5\n        LoadBalancerInfo: {ContainerName: web, ContainerPort: abc}\n        NetworkConfiguration:\n          AwsvpcConfiguration: {}\n',
        ),
      ),
    ).toEqual([
      'appspec.yml:6:25 error appspec/invalid-type `Resources[0].svc.Properties.TaskDefinition` must be a string, found the number 5 (quote it: "5")',
      'appspec.yml:7:63 error appspec/invalid-value `Resources[0].svc.Properties.LoadBalancerInfo.ContainerPort` is the string "abc", which is not allowed; expected a port number',
    ]);
  });

  it('a port with its protocol, two of three network settings, capacity providers whose numbers are text', () => {
    expect(
      lines(
        service(
          '        TaskDefinition: <TASK_DEFINITION>\n        LoadBalancerInfo: {ContainerName: web, ContainerPort: 8080/tcp}\n' +
            '        NetworkConfiguration:\n          AwsvpcConfiguration: {Subnets: [s], SecurityGroups: [g]}\n' +
            '        CapacityProviderStrategy:\n          -\n          - {CapacityProvider: A, Base: "1", Weight: "1"}\n          - {CapacityProvider: B, Base: 1, Weight: 0}\n',
        ),
      ),
    ).toEqual([
      'appspec.yml:7:63 error appspec/invalid-value `Resources[0].svc.Properties.LoadBalancerInfo.ContainerPort` is the string "8080/tcp", which is not allowed; expected a port number',
      'appspec.yml:9:11 error appspec/ecs-network-configuration AwsvpcConfiguration sets Subnets, SecurityGroups but not AssignPublicIp; give all three or none',
      'appspec.yml:10:9 error appspec/ecs-capacity-provider no capacity provider has a Weight above 0; at least one must',
      'appspec.yml:11:12 error appspec/invalid-type `Resources[0].svc.Properties.CapacityProviderStrategy[0]` must be a mapping, found nothing (an empty value)',
      'appspec.yml:12:41 error appspec/invalid-type `Resources[0].svc.Properties.CapacityProviderStrategy[1].Base` must be a whole number, found the string "1"',
      'appspec.yml:12:54 error appspec/invalid-type `Resources[0].svc.Properties.CapacityProviderStrategy[1].Weight` must be a whole number, found the string "1"',
    ]);
  });
});
