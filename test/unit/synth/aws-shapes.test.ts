import * as codedeploy from '@aws-sdk/client-codedeploy';
import * as codepipeline from '@aws-sdk/client-codepipeline';
import { describe, expect, it } from 'vitest';
import {
  checkShape,
  createDeploymentConfigShape,
  DEPLOY_ENUMS,
  PIPELINE_ENUMS,
  pipelineDeclarationShape,
  type Shape,
} from '../../../src/synth/aws-shapes.js';
import { loadSdkSchemas, structMembers, walkModel } from './sdk-model.js';

const pipelineModel = loadSdkSchemas('@aws-sdk/client-codepipeline');
const deployModel = loadSdkSchemas('@aws-sdk/client-codedeploy');

/** Our shape tree beside the SDK's structure names, walked together. */
function structAt(shape: Shape, path: string[]): Shape {
  let s: Shape = shape;
  for (const key of path) {
    if (s.t === 'struct') s = s.members[key] as Shape;
    else if (s.t === 'list') s = s.member;
    else if (s.t === 'map') s = s.value;
    if (s.t === 'list') s = s.member;
    if (s.t === 'map' && key !== 'configuration') s = s.value;
  }
  return s;
}

const pipelineStructs: [string, string[]][] = [
  ['PipelineDeclaration$', []],
  ['ArtifactStore$', ['artifactStore']],
  ['EncryptionKey$', ['artifactStore', 'encryptionKey']],
  ['StageDeclaration$', ['stages']],
  ['ActionDeclaration$', ['stages', 'actions']],
  ['ActionTypeId$', ['stages', 'actions', 'actionTypeId']],
  ['OutputArtifact$', ['stages', 'actions', 'outputArtifacts']],
  ['InputArtifact$', ['stages', 'actions', 'inputArtifacts']],
  ['EnvironmentVariable$', ['stages', 'actions', 'environmentVariables']],
  ['BlockerDeclaration$', ['stages', 'blockers']],
  ['FailureConditions$', ['stages', 'onFailure']],
  ['SuccessConditions$', ['stages', 'onSuccess']],
  ['BeforeEntryConditions$', ['stages', 'beforeEntry']],
  ['Condition$', ['stages', 'beforeEntry', 'conditions']],
  ['RuleDeclaration$', ['stages', 'beforeEntry', 'conditions', 'rules']],
  ['RuleTypeId$', ['stages', 'beforeEntry', 'conditions', 'rules', 'ruleTypeId']],
  ['RetryConfiguration$', ['stages', 'onFailure', 'retryConfiguration']],
  ['PipelineVariableDeclaration$', ['variables']],
  ['PipelineTriggerDeclaration$', ['triggers']],
  ['GitConfiguration$', ['triggers', 'gitConfiguration']],
  ['GitPushFilter$', ['triggers', 'gitConfiguration', 'push']],
  ['GitPullRequestFilter$', ['triggers', 'gitConfiguration', 'pullRequest']],
  ['GitBranchFilterCriteria$', ['triggers', 'gitConfiguration', 'push', 'branches']],
];

describe('AWS shape constraints agree with the installed SDK models', () => {
  it.each(pipelineStructs)('codepipeline %s: same members and required members', (sdkName, path) => {
    const ours = structAt(pipelineDeclarationShape, path);
    expect(ours.t).toBe('struct');
    if (ours.t !== 'struct') return;
    const sdk = structMembers(pipelineModel[sdkName]);
    expect(Object.keys(ours.members).sort()).toEqual([...sdk.members].sort());
    expect([...(ours.required ?? [])].sort()).toEqual([...sdk.required].sort());
  });

  it.each([
    ['CreateDeploymentConfigInput$', []],
    ['MinimumHealthyHosts$', ['minimumHealthyHosts']],
    ['TrafficRoutingConfig$', ['trafficRoutingConfig']],
    ['TimeBasedCanary$', ['trafficRoutingConfig', 'timeBasedCanary']],
    ['TimeBasedLinear$', ['trafficRoutingConfig', 'timeBasedLinear']],
    ['ZonalConfig$', ['zonalConfig']],
  ] as [string, string[]][])('codedeploy %s: same members and required members', (sdkName, path) => {
    const ours = structAt(createDeploymentConfigShape, path);
    if (ours.t !== 'struct') throw new Error('not a struct');
    const sdk = structMembers(deployModel[sdkName]);
    expect(Object.keys(ours.members).sort()).toEqual([...sdk.members].sort());
    expect([...(ours.required ?? [])].sort()).toEqual([...sdk.required].sort());
  });

  it.each(Object.entries(PIPELINE_ENUMS))('codepipeline enum %s matches the SDK', (name, values) => {
    const sdk = (codepipeline as unknown as Record<string, Record<string, string>>)[name];
    expect(sdk, `SDK exports ${name}`).toBeDefined();
    expect(Object.values(sdk ?? {}).sort()).toEqual([...values].sort());
  });

  it.each(Object.entries(DEPLOY_ENUMS))('codedeploy enum %s matches the SDK', (name, values) => {
    const sdk = (codedeploy as unknown as Record<string, Record<string, string>>)[name];
    expect(sdk, `SDK exports ${name}`).toBeDefined();
    expect(Object.values(sdk ?? {}).sort()).toEqual([...values].sort());
  });
});

describe('checkShape', () => {
  const minimal = {
    name: 'p',
    roleArn: 'arn:aws:iam::123456789012:role/r',
    artifactStore: { type: 'S3', location: 'bucket' },
    stages: [
      {
        name: 'S',
        actions: [
          { name: 'A', actionTypeId: { category: 'Source', owner: 'AWS', provider: 'S3', version: '1' } },
        ],
      },
    ],
  };

  it('accepts a minimal declaration, which the SDK model also accepts', () => {
    expect(checkShape(minimal, pipelineDeclarationShape)).toEqual([]);
    expect(walkModel(minimal, pipelineModel.PipelineDeclaration$)).toEqual([]);
  });

  it('reports each violation with its path: enum, pattern, range, length, required, unknown member', () => {
    const bad = {
      ...minimal,
      name: 'has space',
      pipelineType: 'V3',
      artifactStore: { type: 'S3', location: 'b' },
      stages: [
        {
          name: 'S',
          actions: [
            {
              name: 'A',
              actionTypeId: { category: 'Source', owner: 'AWS', provider: 'S3' },
              runOrder: 0,
              colour: 'red',
            },
          ],
        },
      ],
    };
    const messages = checkShape(bad, pipelineDeclarationShape).map((i) => `${i.path}: ${i.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        "name: 'has space' does not match ^[A-Za-z0-9.@\\-_]+$",
        "pipelineType: 'V3' is not one of V1, V2",
        'artifactStore.location: length 1 is below the minimum of 3',
        "stages[0].actions[0].actionTypeId: required member 'version' is missing",
        'stages[0].actions[0].runOrder: 0 is below the minimum of 1',
        expect.stringMatching(/^stages\[0\]\.actions\[0\]\.colour: 'colour' is not a member/),
      ]),
    );
  });
});
