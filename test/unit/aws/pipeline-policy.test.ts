import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PipelineDeclaration } from '@aws-sdk/client-codepipeline';
import { describe, expect, it } from 'vitest';
import { pipelinePolicy, pipelinePolicyWithNotes } from '../../../src/aws/iam/pipeline-policy.js';
import { FIXTURES } from './helpers.js';

const release = (): PipelineDeclaration =>
  JSON.parse(readFileSync(join(FIXTURES, 'pipelines', 'release.json'), 'utf8')).pipeline;

describe('pipelinePolicy', () => {
  it('grants exactly what the release pipeline’s actions need, scoped to their resources', () => {
    expect(pipelinePolicy(release(), { region: 'eu-west-1' })).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ArtifactStoreBuckets',
          Effect: 'Allow',
          Action: ['s3:GetBucketLocation', 's3:GetBucketVersioning'],
          Resource: ['arn:aws:s3:::conveyor-artifacts-111122223333'],
        },
        {
          Sid: 'ArtifactStoreObjects',
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject'],
          Resource: ['arn:aws:s3:::conveyor-artifacts-111122223333/*'],
        },
        {
          Sid: 'CodeBuildProjects',
          Effect: 'Allow',
          Action: ['codebuild:BatchGetBuilds', 'codebuild:StartBuild'],
          Resource: ['arn:aws:codebuild:eu-west-1:111122223333:project/hello-build'],
        },
        {
          Sid: 'CodeDeployApplications',
          Effect: 'Allow',
          Action: [
            'codedeploy:GetApplication',
            'codedeploy:GetApplicationRevision',
            'codedeploy:RegisterApplicationRevision',
          ],
          Resource: ['arn:aws:codedeploy:eu-west-1:111122223333:application:hello'],
        },
        {
          Sid: 'CodeDeployConfigs',
          Effect: 'Allow',
          Action: ['codedeploy:GetDeploymentConfig'],
          Resource: ['arn:aws:codedeploy:eu-west-1:111122223333:deploymentconfig:*'],
        },
        {
          Sid: 'CodeDeployDeployments',
          Effect: 'Allow',
          Action: ['codedeploy:CreateDeployment', 'codedeploy:GetDeployment'],
          Resource: ['arn:aws:codedeploy:eu-west-1:111122223333:deploymentgroup:hello/prod'],
        },
        {
          Sid: 'UseSourceConnections',
          Effect: 'Allow',
          Action: ['codeconnections:UseConnection'],
          Resource: [
            'arn:aws:codeconnections:eu-west-1:111122223333:connection/4f2b0c1e-9d7a-4a53-8a7e-2f1c3b5d6e7f',
          ],
        },
      ],
    });
  });

  it('covers multi-region stores with KMS, variables, cross-region and role-assuming actions, and notes unknown types', () => {
    const pipeline: PipelineDeclaration = {
      name: 'multi',
      roleArn: 'arn:aws-us-gov:iam::444455556666:role/multi-pipeline',
      artifactStores: {
        'us-gov-west-1': {
          type: 'S3',
          location: 'art-west',
          encryptionKey: { id: 'alias/pipeline', type: 'KMS' },
        },
        'us-gov-east-1': { type: 'S3', location: 'art-east' },
      },
      stages: [
        {
          name: 'Source',
          actions: [
            {
              name: 'Repo',
              actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeCommit', version: '1' },
              configuration: { RepositoryName: 'svc', BranchName: 'main' },
            },
            {
              name: 'Image',
              actionTypeId: { category: 'Source', owner: 'AWS', provider: 'ECR', version: '1' },
              configuration: { RepositoryName: 'svc-base', ImageTag: 'latest' },
            },
          ],
        },
        {
          name: 'Deploy',
          actions: [
            {
              name: 'Stack',
              region: 'us-gov-east-1',
              actionTypeId: { category: 'Deploy', owner: 'AWS', provider: 'CloudFormation', version: '1' },
              configuration: {
                ActionMode: 'CREATE_UPDATE',
                StackName: 'svc-#{variables.ENV}',
                RoleArn: 'arn:aws-us-gov:iam::444455556666:role/cfn-deployer',
              },
            },
            {
              name: 'Smoke',
              actionTypeId: { category: 'Invoke', owner: 'AWS', provider: 'Lambda', version: '1' },
              configuration: { FunctionName: 'smoke-test' },
            },
            {
              name: 'Other account',
              roleArn: 'arn:aws-us-gov:iam::777788889999:role/deployer',
              actionTypeId: { category: 'Deploy', owner: 'AWS', provider: 'ECS', version: '1' },
              configuration: { ClusterName: 'c', ServiceName: 's' },
            },
            {
              name: 'Beanstalk',
              actionTypeId: { category: 'Deploy', owner: 'AWS', provider: 'ElasticBeanstalk', version: '1' },
              configuration: { ApplicationName: 'a', EnvironmentName: 'e' },
            },
          ],
        },
      ],
    };
    const { policy, notes } = pipelinePolicyWithNotes(pipeline, { region: 'us-gov-west-1' });
    const bySid = Object.fromEntries(policy.Statement.map((s) => [s.Sid, s]));
    expect(bySid.ArtifactStoreObjects!.Resource).toEqual([
      'arn:aws-us-gov:s3:::art-east/*',
      'arn:aws-us-gov:s3:::art-west/*',
    ]);
    expect(bySid.ArtifactStoreKeys!.Resource).toEqual([
      'arn:aws-us-gov:kms:us-gov-west-1:444455556666:alias/pipeline',
    ]);
    expect(bySid.CodeCommitSource!.Resource).toEqual([
      'arn:aws-us-gov:codecommit:us-gov-west-1:444455556666:svc',
    ]);
    expect(bySid.EcrSourceImages).toEqual({
      Sid: 'EcrSourceImages',
      Effect: 'Allow',
      Action: ['ecr:DescribeImages'],
      Resource: ['arn:aws-us-gov:ecr:us-gov-west-1:444455556666:repository/svc-base'],
    });
    expect(bySid.CloudFormationStacks!.Resource).toEqual([
      'arn:aws-us-gov:cloudformation:us-gov-east-1:444455556666:stack/svc-*/*',
    ]);
    expect(bySid.PassRolesToCloudFormation).toEqual({
      Sid: 'PassRolesToCloudFormation',
      Effect: 'Allow',
      Action: ['iam:PassRole'],
      Resource: ['arn:aws-us-gov:iam::444455556666:role/cfn-deployer'],
      Condition: { StringEqualsIfExists: { 'iam:PassedToService': ['cloudformation.amazonaws.com'] } },
    });
    expect(bySid.InvokeLambdaFunctions!.Resource).toEqual([
      'arn:aws-us-gov:lambda:us-gov-west-1:444455556666:function:smoke-test',
    ]);
    expect(bySid.AssumeActionRoles!.Resource).toEqual(['arn:aws-us-gov:iam::777788889999:role/deployer']);
    // The ECS action runs under its own role: the pipeline role gets no ECS permissions.
    expect(bySid.EcsServices).toBeUndefined();
    expect(notes).toEqual([
      'Deploy/Beanstalk: no permissions derived for action type AWS/Deploy/ElasticBeanstalk; add them to the role by hand',
    ]);
    // Nothing is granted on every resource except the calls AWS does not scope.
    const star = policy.Statement.filter((s) => s.Resource.includes('*')).map((s) => s.Sid);
    expect(star).toEqual(['CloudFormationTemplates']);
  });
});
