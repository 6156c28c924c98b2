import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCliProject } from '../../cli-project.js';

const project = useCliProject('conveyor-validate-');
const { write } = project;
const run = (args: string[]) => project.run(['validate', ...args]);

const GOOD_BUILDSPEC =
  'version: 0.2\nphases:\n  build:\n    commands:\n      - make\nartifacts:\n  files: [appspec.yml, "dist/**/*"]\n';
const GOOD_APPSPEC = 'version: 0.0\nos: linux\nfiles:\n  - source: /\n    destination: /srv/app\n';

describe('conveyor validate', () => {
  it('exits 0 and prints nothing on stdout for valid files', async () => {
    write('buildspec.yml', GOOD_BUILDSPEC);
    const r = await run(['buildspec.yml']);
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(r.stderr).toContain('1 file checked: 0 errors, 0 warnings');
  });

  it('exits 0 with warnings only', async () => {
    write('appspec.yml', 'version: 0.0\nos: linux\nfiles:\n  - source: /\n    destination: app\n');
    const r = await run(['appspec.yml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'appspec.yml:5:18 warning appspec/file-destination-relative files destination `app` is not a fully qualified path; the agent would place files relative to its own working folder\n',
    );
  });

  it('exits 1 and prints every problem of every file, sorted', async () => {
    write('b/buildspec.yml', 'version: 0.2\nphases:\n  build:\n    on-failure: NOPE\n');
    write('a/appspec.yml', 'version: 1\nos: linux\nhooks:\n  Install:\n    - location: x.sh\n');
    const r = await run(['b', 'a']);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(' ').slice(0, 3).join(' '))).toEqual([
      'a/appspec.yml:1:10 error appspec/version',
      'a/appspec.yml:4:3 error appspec/reserved-hook',
      // `a` is a folder with appspec.yml at its root, so it is checked as the revision
      'a/appspec.yml:5:17 error appspec/hook-script-missing',
      'b/buildspec.yml:3:3 error buildspec/phase-commands',
      'b/buildspec.yml:4:17 error buildspec/invalid-value',
    ]);
  });

  it('gives the same findings as data with --json', async () => {
    write(
      'pipelines/release.json',
      '{"pipeline": {"name": "x", "roleArn": "arn:aws:iam::123456789012:role/r", "artifactStore": {"type": "S3", "location": "bucket"}, "stages": []}}',
    );
    const r = await run(['--json', 'pipelines']);
    expect(r.code).toBe(1);
    const data = JSON.parse(r.stdout);
    expect(data.files).toEqual(['pipelines/release.json']);
    expect(data.summary).toEqual({
      files: 1,
      errors: 1,
      warnings: 0,
      infos: 0,
      valid: false,
      failedBy: 'errors',
    });
    expect(data.diagnostics[0]).toMatchObject({
      ruleId: 'pipeline/min-stages',
      severity: 'error',
      file: 'pipelines/release.json',
      line: 1,
    });
  });

  it('walks the default folders when no path is given', async () => {
    write('buildspec/buildspec.yml', GOOD_BUILDSPEC);
    write('appspec/appspec.yml', GOOD_APPSPEC);
    const r = await run([]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('2 files checked');
  });

  it('exits 2 for a path that does not exist', async () => {
    const r = await run(['nope.yml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('path does not exist: nope.yml');
  });

  it('exits 2 for a folder with no documents, and skips files of other tools in folders', async () => {
    write('docs/readme.md', '# hi');
    write('docs/appspec.json', '{"name": "some other tool", "entry": "index.js"}');
    const r = await run(['docs']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no buildspec, appspec, pipeline or deployment-group documents found in docs');
  });

  it('exits 2 for an unknown --kind or option', async () => {
    expect((await run(['--kind', 'nope', '.'])).code).toBe(2);
    expect((await run(['--frobnicate'])).code).toBe(2);
  });

  it('forces the kind with --kind', async () => {
    write('ci/main.yml', 'version: 0.2\n');
    const r = await run(['--kind', 'buildspec', 'ci/main.yml']);
    expect(r.stdout).toContain('buildspec/phases-required');
  });

  it('reports a file whose kind cannot be told, when named explicitly', async () => {
    write('thing.yml', 'hello: world\n');
    const r = await run(['thing.yml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('source/unknown-kind');
  });

  it('checks AppSpec sources and hook scripts against --revision', async () => {
    write(
      'rev/appspec.yml',
      `${GOOD_APPSPEC}  - source: config/missing.conf\n    destination: /etc/app\nhooks:\n  AfterInstall:\n    - location: scripts/after.sh\n    - location: scripts/present.sh\n`,
    );
    write('rev/scripts/present.sh', '#!/bin/sh\n');
    const r = await run(['--revision', 'rev', 'rev/appspec.yml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('rev/appspec.yml:6:13 error appspec/file-source-missing');
    expect(r.stdout).toContain('error appspec/hook-script-missing hook script `scripts/after.sh`');
    expect(r.stdout).not.toContain('present.sh');
  });

  it('reports links in a revision that point outside it, and only those', async () => {
    write('rev/appspec.yml', GOOD_APPSPEC);
    write('rev/app/index.html', 'i');
    write('outside/victim', 'secret');
    symlinkSync(join(project.dir, 'outside/victim'), join(project.dir, 'rev/app/link'));
    symlinkSync('../../etc/passwd', join(project.dir, 'rev/app/up'));
    symlinkSync('index.html', join(project.dir, 'rev/app/current.html'));
    const r = await run(['--revision', 'rev', 'rev/appspec.yml']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l.includes('appspec/link-outside-revision'));
    expect(lines).toEqual([
      `rev/appspec.yml:4:13 warning appspec/link-outside-revision files source \`/\` holds the link \`app/link\` -> \`${join(project.dir, 'outside/victim')}\`, which points outside the revision; it is installed as a link, and nothing is written or given permissions through it`,
      'rev/appspec.yml:4:13 warning appspec/link-outside-revision files source `/` holds the link `app/up` -> `../../etc/passwd`, which points outside the revision; it is installed as a link, and nothing is written or given permissions through it',
    ]);
  });

  it('names at most five outside links per files source and counts the rest', async () => {
    write(
      'rev/appspec.yml',
      'version: 0.0\nos: linux\nfiles:\n  - source: five\n    destination: /srv/five\n  - source: seven\n    destination: /srv/seven\n',
    );
    write('outside/victim', 'secret');
    for (const [folder, count] of [
      ['five', 5],
      ['seven', 7],
    ] as const) {
      write(`rev/${folder}/index.html`, 'i');
      for (let i = 0; i < count; i++)
        symlinkSync(join(project.dir, 'outside/victim'), join(project.dir, `rev/${folder}/link${i}`));
    }
    const r = await run(['--revision', 'rev', 'rev/appspec.yml']);
    const found = r.stdout.split('\n').filter((l) => l.includes('appspec/link-outside-revision'));
    expect(
      found.filter((l) => l.startsWith('rev/appspec.yml:4:13 ') && l.includes('holds the link')),
    ).toHaveLength(5);
    expect(
      found.filter((l) => l.startsWith('rev/appspec.yml:6:13 ') && l.includes('holds the link')),
    ).toHaveLength(5);
    expect(found.filter((l) => !l.includes('holds the link'))).toEqual([
      'rev/appspec.yml:6:13 warning appspec/link-outside-revision files source `seven` holds 2 more links that point outside the revision',
    ]);
  });

  it('treats a folder given by name with appspec.yml at its root as the revision', async () => {
    write(
      'rev/appspec.yml',
      `${GOOD_APPSPEC}hooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n`,
    );
    const missing = await run(['rev']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain(
      'rev/appspec.yml:8:17 error appspec/hook-script-missing hook script `scripts/start.sh` does not exist in the revision',
    );
    write('rev/scripts/start.sh', '#!/bin/sh\n');
    expect((await run(['rev'])).code).toBe(0);
  });

  it('checks a pipeline against the buildspec it builds with (cross-file)', async () => {
    write(
      'buildspec/buildspec.yml',
      'version: 0.2\nphases:\n  build:\n    commands: [make]\nartifacts:\n  files: [target/app.jar]\n  secondary-artifacts:\n    Jar:\n      files: [target/app.jar]\n',
    );
    const action = (name: string, category: string, provider: string, extra: object) => ({
      name,
      actionTypeId: { category, owner: 'AWS', provider, version: '1' },
      ...extra,
    });
    const pipeline = {
      pipeline: {
        name: 'app',
        roleArn: 'arn:aws:iam::123456789012:role/p',
        artifactStore: { type: 'S3', location: 'bucket' },
        stages: [
          {
            name: 'Source',
            actions: [
              action('Src', 'Source', 'S3', {
                configuration: { S3Bucket: 'b', S3ObjectKey: 'k' },
                outputArtifacts: [{ name: 'Src' }],
              }),
            ],
          },
          {
            name: 'Build',
            actions: [
              action('Build', 'Build', 'CodeBuild', {
                configuration: { ProjectName: 'app' },
                inputArtifacts: [{ name: 'Src' }],
                outputArtifacts: [{ name: 'Jar' }, { name: 'Docs' }],
              }),
            ],
          },
          {
            name: 'Deploy',
            actions: [
              action('Deploy', 'Deploy', 'CodeDeploy', {
                configuration: { ApplicationName: 'a', DeploymentGroupName: 'g' },
                inputArtifacts: [{ name: 'Jar' }],
              }),
            ],
          },
        ],
      },
    };
    write('pipelines/app.json', JSON.stringify(pipeline, null, 2));
    const r = await run(['buildspec', 'pipelines']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'cross/codebuild-secondary-artifacts output artifact `Docs` of Build/Build is not a secondary-artifacts identifier in buildspec/buildspec.yml (has: Jar)',
    );
    expect(r.stdout).toContain(
      'cross/codedeploy-appspec Deploy/Deploy deploys artifact `Jar`, whose secondary-artifacts.Jar',
    );
  });
});
