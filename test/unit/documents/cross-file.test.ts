import { describe, expect, it } from 'vitest';
import {
  artifactCarriesRootFile,
  type CheckedDocument,
  checkCrossFile,
  globToRegExp,
} from '../../../src/documents/cross-file.js';
import type { DocumentKind } from '../../../src/documents/kind.js';
import { parseSource } from '../../../src/documents/source.js';

function doc(file: string, kind: DocumentKind, text: string): CheckedDocument {
  const source = parseSource(text, file);
  return { file, kind, value: source.value, source };
}

const ecsPipeline = (config: Record<string, string>) =>
  JSON.stringify(
    {
      pipeline: {
        name: 'svc',
        roleArn: 'arn:aws:iam::123456789012:role/p',
        artifactStore: { type: 'S3', location: 'bucket' },
        stages: [
          {
            name: 'Source',
            actions: [
              {
                name: 'Src',
                actionTypeId: { category: 'Source', owner: 'AWS', provider: 'ECR', version: '1' },
                configuration: { RepositoryName: 'r' },
                outputArtifacts: [{ name: 'Src' }],
              },
            ],
          },
          {
            name: 'Build',
            actions: [
              {
                name: 'Build',
                actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' },
                configuration: { ProjectName: 'svc' },
                inputArtifacts: [{ name: 'Src' }],
                outputArtifacts: [{ name: 'BuildOut' }],
              },
            ],
          },
          {
            name: 'Deploy',
            actions: [
              {
                name: 'BlueGreen',
                actionTypeId: { category: 'Deploy', owner: 'AWS', provider: 'CodeDeployToECS', version: '1' },
                configuration: {
                  ApplicationName: 'a',
                  DeploymentGroupName: 'g',
                  TaskDefinitionTemplateArtifact: 'BuildOut',
                  AppSpecTemplateArtifact: 'BuildOut',
                  ...config,
                },
                inputArtifacts: [{ name: 'BuildOut' }],
              },
            ],
          },
        ],
      },
    },
    null,
    2,
  );

describe('cross-file rules', () => {
  it('matches CodeBuild artifact globs like CodeBuild does', () => {
    expect(globToRegExp('**/*').test('appspec.yml')).toBe(true);
    expect(globToRegExp('dist/**/*').test('appspec.yml')).toBe(false);
    expect(globToRegExp('*.yml').test('appspec.yml')).toBe(true);
    expect(
      artifactCarriesRootFile({ files: ['config/appspec.yml'], 'discard-paths': 'yes' }, ['appspec.yml']),
    ).toBe(true);
    expect(artifactCarriesRootFile({ files: ['config/appspec.yml'] }, ['appspec.yml'])).toBe(false);
    expect(artifactCarriesRootFile({ files: './appspec.yml' }, ['appspec.yml'])).toBe(true);
  });

  it('accepts a CodeDeployToECS action whose built artifact carries taskdef.json and appspec.yaml', () => {
    const buildspec = doc(
      'buildspec.yml',
      'buildspec',
      'version: 0.2\nphases:\n  build:\n    commands: [make]\nartifacts:\n  files: [appspec.yaml, taskdef.json, imageDetail.json]\n',
    );
    expect(checkCrossFile([buildspec, doc('pipeline.json', 'pipeline', ecsPipeline({}))])).toEqual([]);
  });

  it('reports the template file a CodeDeployToECS action cannot find in its artifact', () => {
    const buildspec = doc(
      'buildspec.yml',
      'buildspec',
      'version: 0.2\nphases:\n  build:\n    commands: [make]\nartifacts:\n  files: [appspec.yaml, taskdef.json]\n',
    );
    const found = checkCrossFile([
      buildspec,
      doc('pipeline.json', 'pipeline', ecsPipeline({ AppSpecTemplatePath: 'deploy/appspec.json' })),
    ]);
    expect(found.map((d) => [d.ruleId, d.file, d.message])).toEqual([
      [
        'cross/ecs-template-artifact',
        'pipeline.json',
        'Deploy/BlueGreen reads deploy/appspec.json from artifact `BuildOut`, but artifacts in buildspec.yml (files: appspec.yaml, taskdef.json) does not include it',
      ],
    ]);
    expect(found[0]!.line).toBeGreaterThan(1);
  });

  it('warns when a pipeline reads a CodeBuild variable the buildspec does not export', () => {
    const buildspec = doc(
      'buildspec.yml',
      'buildspec',
      'version: 0.2\nenv:\n  exported-variables: [IMAGE_TAG]\nphases:\n  build:\n    commands: [make]\nartifacts:\n  files: [appspec.yaml, taskdef.json]\n',
    );
    const pipeline = JSON.parse(
      ecsPipeline({ Image1ContainerName: '#{BuildVariables.IMAGE_URI}', Image1ArtifactName: 'BuildOut' }),
    );
    pipeline.pipeline.stages[1].actions[0].namespace = 'BuildVariables';
    const found = checkCrossFile([
      buildspec,
      doc('pipeline.json', 'pipeline', JSON.stringify(pipeline, null, 2)),
    ]);
    expect(found.map((d) => [d.ruleId, d.severity, d.message])).toEqual([
      [
        'cross/exported-variable',
        'warning',
        '#{BuildVariables.IMAGE_URI} in Deploy/BlueGreen reads `IMAGE_URI`, which buildspec.yml does not list in env.exported-variables (has: IMAGE_TAG)',
      ],
    ]);
  });

  it('does not guess when several buildspecs could belong to a CodeBuild action', () => {
    const a = doc(
      'buildspec-web.yml',
      'buildspec',
      'version: 0.2\nphases:\n  build:\n    commands: [make]\nartifacts:\n  files: [x]\n',
    );
    const b = doc(
      'buildspec-api.yml',
      'buildspec',
      'version: 0.2\nphases:\n  build:\n    commands: [make]\nartifacts:\n  files: [y]\n',
    );
    expect(checkCrossFile([a, b, doc('pipeline.json', 'pipeline', ecsPipeline({}))])).toEqual([]);
  });
});
