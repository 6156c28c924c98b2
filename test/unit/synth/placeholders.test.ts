import { describe, expect, it } from 'vitest';
import { findPlaceholders } from '../../../src/synth/placeholders.js';
import { useCliProject } from '../../cli-project.js';

const project = useCliProject('conveyor-placeholders-');
const { write, run } = project;

const pipeline = (source: Record<string, string>) =>
  JSON.stringify(
    {
      pipeline: {
        name: 'release',
        roleArn: 'arn:aws:iam::<ACCOUNT_ID>:role/pipeline',
        artifactStore: { type: 'S3', location: 'release-artifacts' },
        pipelineType: 'V2',
        stages: [
          {
            name: 'Source',
            actions: [
              {
                name: 'Fetch',
                actionTypeId: {
                  category: 'Source',
                  owner: 'AWS',
                  provider: 'CodeStarSourceConnection',
                  version: '1',
                },
                configuration: { FullRepositoryId: 'acme/app', BranchName: 'main', ...source },
                outputArtifacts: [{ name: 'Src' }],
              },
            ],
          },
          {
            name: 'Build',
            actions: [
              {
                name: 'Compile',
                actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' },
                configuration: { ProjectName: 'app' },
                inputArtifacts: [{ name: 'Src' }],
              },
            ],
          },
        ],
      },
    },
    null,
    2,
  );

describe('synth refuses placeholders', () => {
  it('names each value that cannot be real, where it is, and writes nothing', async () => {
    write('pipelines/release.json', pipeline({ ConnectionArn: '…' }));
    const r = await run(['synth']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').filter((l) => l.includes('synth/placeholder'))).toEqual([
      'pipelines/release.json:4:16 error synth/placeholder "arn:aws:iam::<ACCOUNT_ID>:role/pipeline" is an ARN holding a <PLACEHOLDER>, not a real value; AWS would receive it as written (fill in the real value (a secret: reference it from Secrets Manager or a connection instead))',
      'pipelines/release.json:25:32 error synth/placeholder "…" is an ARN holding an ellipsis, not a real value; AWS would receive it as written (fill in the real value (a secret: reference it from Secrets Manager or a connection instead))',
    ]);
    expect(r.stderr).toContain('nothing written');
  });

  it('finds masked secrets, ellipses, templates and empty ARNs, and leaves real text and AWS tokens alone', () => {
    const found = findPlaceholders({
      OAuthToken: '****',
      Bucket: '{{ bucket }}',
      Name: '...',
      KMSEncryptionKeyARN: '',
      TopicArns: ['arn:aws:sns:eu-west-1:123456789012:deploys', 'arn:aws:sns:…'],
      commands: ['echo Building...', "docker inspect --format '{{.Id}}' app"],
      TaskDefinition: '<TASK_DEFINITION>',
    });
    expect(found.map((p) => `${p.path.join('.')}: ${p.why}`)).toEqual([
      'OAuthToken: a masked value (get-pipeline prints secrets as ****)',
      'Bucket: an unrendered {{ template }} value',
      'Name: an ellipsis',
      'KMSEncryptionKeyARN: an empty ARN',
      'TopicArns.1: an ARN holding an ellipsis',
    ]);
  });
});

describe('import reports the source document’s diagnostics', () => {
  it('refuses a buildspec with errors, listing them, and imports nothing', async () => {
    write('buildspec.yml', 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo Building: now\n');
    const r = await run(['import', 'buildspec.yml', '--out', 'buildspec/app.ts']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'buildspec.yml:5:9 error buildspec/invalid-type `phases.build.commands[0]` must be a string, found a mapping',
    );
    expect(r.stderr).toContain('buildspec.yml has 1 error (listed above); nothing imported');
    expect(r.stdout).toBe('');
  });

  it('imports a document with warnings and prints them', async () => {
    write('buildspec.yml', 'version: 0.2\nphases:\n  build:\n    commands:\n      - make\n      -\n');
    const r = await run(['import', 'buildspec.yml']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('buildspec.yml:6:8 warning buildspec/empty-command');
    expect(r.stdout).toContain('defineBuildspec(');
  });
});
