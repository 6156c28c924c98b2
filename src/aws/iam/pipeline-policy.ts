/**
 * Least-privilege IAM policy for a pipeline's service role, derived from the actions the pipeline contains
 * and scoped to ARNs built from their configuration. Pure: no SDK, no I/O (synth calls it for every pipeline).
 *
 * Conventions:
 * - Account and partition come from the pipeline's roleArn; the region from options (default `*`), or from
 *   an action's own `region` for cross-region actions.
 * - Pipeline variables (`#{...}`) in a configuration value become `*` in the ARN: unknown until run time.
 * - An action with its own roleArn runs under that role, so the pipeline role only needs sts:AssumeRole on it.
 */
import type { ActionDeclaration, ArtifactStore, PipelineDeclaration } from '@aws-sdk/client-codepipeline';
import { PolicyBuilder, type PolicyDocument } from './policy.js';

export type { PolicyDocument, PolicyStatement } from './policy.js';

export interface PipelinePolicyOptions {
  /** Home region of the pipeline (default: `*`). */
  region?: string;
  /** Default: the account in the pipeline's roleArn, else `*`. */
  account?: string;
}

export interface PipelinePolicyResult {
  policy: PolicyDocument;
  /** Actions whose permissions could not be derived (unknown providers), for the user to review. */
  notes: string[];
}

interface Scope {
  partition: string;
  account: string;
  region: string;
  pipeline: string;
}

/** A configuration value as an ARN segment: pipeline variables are unknown until run time. */
function seg(value: string | undefined): string {
  if (!value) return '*';
  return value.replace(/#\{[^}]*\}/g, '*');
}

function scopeOf(pipeline: PipelineDeclaration, options: PipelinePolicyOptions): Scope {
  const arn = /^arn:([^:]+):iam::(\d{12}):/.exec(pipeline.roleArn ?? '');
  return {
    partition: arn?.[1] ?? 'aws',
    account: options.account ?? arn?.[2] ?? '*',
    region: options.region ?? '*',
    pipeline: pipeline.name ?? '*',
  };
}

function artifactStores(pipeline: PipelineDeclaration): ArtifactStore[] {
  const stores: ArtifactStore[] = [];
  if (pipeline.artifactStore) stores.push(pipeline.artifactStore);
  for (const store of Object.values(pipeline.artifactStores ?? {})) stores.push(store);
  return stores;
}

function kmsKeyArn(id: string, scope: Scope, region: string): string {
  if (id.startsWith('arn:')) return id;
  if (id.startsWith('alias/')) return `arn:${scope.partition}:kms:${region}:${scope.account}:${id}`;
  return `arn:${scope.partition}:kms:${region}:${scope.account}:key/${id}`;
}

const S3_READ = ['s3:GetObject', 's3:GetObjectVersion'];

function addAction(
  b: PolicyBuilder,
  action: ActionDeclaration,
  scope: Scope,
  notes: string[],
  where: string,
): void {
  const type = action.actionTypeId;
  const c = action.configuration ?? {};
  const region = action.region ?? scope.region;
  const p = scope.partition;
  const acct = scope.account;
  if (action.roleArn) {
    // CodePipeline assumes the action's role; that role carries the action's permissions.
    b.allow('AssumeActionRoles', ['sts:AssumeRole'], [action.roleArn]);
    return;
  }
  const key = `${type?.owner}/${type?.category}/${type?.provider}`;
  switch (key) {
    case 'AWS/Source/CodeStarSourceConnection': {
      const arn = c.ConnectionArn ?? `arn:${p}:codestar-connections:${region}:${acct}:connection/*`;
      const service = arn.includes(':codeconnections:') ? 'codeconnections' : 'codestar-connections';
      b.allow('UseSourceConnections', [`${service}:UseConnection`], [seg(arn)]);
      return;
    }
    case 'AWS/Source/CodeCommit':
      b.allow(
        'CodeCommitSource',
        [
          'codecommit:CancelUploadArchive',
          'codecommit:GetBranch',
          'codecommit:GetCommit',
          'codecommit:GetRepository',
          'codecommit:GetUploadArchiveStatus',
          'codecommit:UploadArchive',
        ],
        [`arn:${p}:codecommit:${region}:${acct}:${seg(c.RepositoryName)}`],
      );
      return;
    case 'AWS/Source/S3':
      b.allow('S3SourceObjects', S3_READ, [`arn:${p}:s3:::${seg(c.S3Bucket)}/${seg(c.S3ObjectKey)}`]);
      b.allow('S3SourceBuckets', ['s3:GetBucketVersioning'], [`arn:${p}:s3:::${seg(c.S3Bucket)}`]);
      return;
    case 'AWS/Source/ECR':
      b.allow(
        'EcrSourceImages',
        ['ecr:DescribeImages'],
        [`arn:${p}:ecr:${region}:${acct}:repository/${seg(c.RepositoryName)}`],
      );
      return;
    case 'ThirdParty/Source/GitHub':
    case 'ThirdParty/Source/GitHubEnterpriseServer':
      return; // OAuth token in the configuration; no AWS permission involved.
    case 'AWS/Build/CodeBuild':
    case 'AWS/Test/CodeBuild': {
      const project = `arn:${p}:codebuild:${region}:${acct}:project/${seg(c.ProjectName)}`;
      const batch = c.BatchEnabled === 'true';
      b.allow(
        'CodeBuildProjects',
        [
          'codebuild:BatchGetBuilds',
          'codebuild:StartBuild',
          ...(batch ? ['codebuild:BatchGetBuildBatches', 'codebuild:StartBuildBatch'] : []),
        ],
        [project],
      );
      return;
    }
    case 'AWS/Deploy/CodeDeploy':
    case 'AWS/Deploy/CodeDeployToECS': {
      const app = seg(c.ApplicationName);
      b.allow(
        'CodeDeployDeployments',
        ['codedeploy:CreateDeployment', 'codedeploy:GetDeployment'],
        [`arn:${p}:codedeploy:${region}:${acct}:deploymentgroup:${app}/${seg(c.DeploymentGroupName)}`],
      );
      b.allow(
        'CodeDeployApplications',
        [
          'codedeploy:GetApplication',
          'codedeploy:GetApplicationRevision',
          'codedeploy:RegisterApplicationRevision',
        ],
        [`arn:${p}:codedeploy:${region}:${acct}:application:${app}`],
      );
      // The config is chosen by the deployment group, so any config of the account may be read.
      b.allow(
        'CodeDeployConfigs',
        ['codedeploy:GetDeploymentConfig'],
        [`arn:${p}:codedeploy:${region}:${acct}:deploymentconfig:*`],
      );
      if (type?.provider === 'CodeDeployToECS') {
        // RegisterTaskDefinition has no resource-level permissions; the task roles are named in taskdef.json.
        b.allow('EcsTaskDefinitions', ['ecs:RegisterTaskDefinition'], ['*']);
        b.allow('PassRolesToEcsTasks', ['iam:PassRole'], ['*'], {
          StringEqualsIfExists: { 'iam:PassedToService': ['ecs-tasks.amazonaws.com'] },
        });
      }
      return;
    }
    case 'AWS/Deploy/ECS':
      b.allow(
        'EcsServices',
        ['ecs:DescribeServices', 'ecs:UpdateService'],
        [`arn:${p}:ecs:${region}:${acct}:service/${seg(c.ClusterName)}/${seg(c.ServiceName)}`],
      );
      b.allow('EcsTaskDefinitions', ['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition'], ['*']);
      b.allow('PassRolesToEcsTasks', ['iam:PassRole'], ['*'], {
        StringEqualsIfExists: { 'iam:PassedToService': ['ecs-tasks.amazonaws.com'] },
      });
      return;
    case 'AWS/Deploy/CloudFormation': {
      b.allow(
        'CloudFormationStacks',
        [
          'cloudformation:CreateChangeSet',
          'cloudformation:CreateStack',
          'cloudformation:DeleteChangeSet',
          'cloudformation:DeleteStack',
          'cloudformation:DescribeChangeSet',
          'cloudformation:DescribeStacks',
          'cloudformation:ExecuteChangeSet',
          'cloudformation:SetStackPolicy',
          'cloudformation:UpdateStack',
        ],
        [`arn:${p}:cloudformation:${region}:${acct}:stack/${seg(c.StackName)}/*`],
      );
      b.allow('CloudFormationTemplates', ['cloudformation:ValidateTemplate'], ['*']);
      if (c.RoleArn) {
        b.allow('PassRolesToCloudFormation', ['iam:PassRole'], [seg(c.RoleArn)], {
          StringEqualsIfExists: { 'iam:PassedToService': ['cloudformation.amazonaws.com'] },
        });
      }
      return;
    }
    case 'AWS/Deploy/S3':
      b.allow(
        'S3DeployObjects',
        ['s3:PutObject', 's3:PutObjectAcl'],
        [`arn:${p}:s3:::${seg(c.BucketName)}/*`],
      );
      return;
    case 'AWS/Invoke/Lambda':
      b.allow(
        'InvokeLambdaFunctions',
        ['lambda:InvokeFunction'],
        [`arn:${p}:lambda:${region}:${acct}:function:${seg(c.FunctionName)}`],
      );
      return;
    case 'AWS/Invoke/StepFunctions': {
      const machine = c.StateMachineArn ?? `arn:${p}:states:${region}:${acct}:stateMachine:*`;
      b.allow('StepFunctionsExecutions', ['states:StartExecution'], [seg(machine)]);
      b.allow(
        'StepFunctionsDescribe',
        ['states:DescribeExecution'],
        [`${seg(machine).replace(':stateMachine:', ':execution:')}:*`],
      );
      return;
    }
    case 'AWS/Approval/Manual':
      if (c.NotificationArn) b.allow('ApprovalNotifications', ['sns:Publish'], [seg(c.NotificationArn)]);
      return;
    case 'AWS/Compute/Commands':
      b.allow(
        'CommandsActionLogs',
        ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        [
          `arn:${p}:logs:${region}:${acct}:log-group:/aws/codepipeline/${scope.pipeline}`,
          `arn:${p}:logs:${region}:${acct}:log-group:/aws/codepipeline/${scope.pipeline}:*`,
        ],
      );
      return;
    default:
      notes.push(`${where}: no permissions derived for action type ${key}; add them to the role by hand`);
  }
}

/** The service-role policy plus notes on actions whose permissions could not be derived. */
export function pipelinePolicyWithNotes(
  pipeline: PipelineDeclaration,
  options: PipelinePolicyOptions = {},
): PipelinePolicyResult {
  const scope = scopeOf(pipeline, options);
  const b = new PolicyBuilder();
  const notes: string[] = [];
  for (const store of artifactStores(pipeline)) {
    if (!store.location) continue;
    b.allow(
      'ArtifactStoreObjects',
      ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject'],
      [`arn:${scope.partition}:s3:::${store.location}/*`],
    );
    b.allow(
      'ArtifactStoreBuckets',
      ['s3:GetBucketLocation', 's3:GetBucketVersioning'],
      [`arn:${scope.partition}:s3:::${store.location}`],
    );
    if (store.encryptionKey?.id) {
      b.allow(
        'ArtifactStoreKeys',
        ['kms:Decrypt', 'kms:GenerateDataKey'],
        [kmsKeyArn(store.encryptionKey.id, scope, scope.region)],
      );
    }
  }
  for (const stage of pipeline.stages ?? []) {
    for (const action of stage.actions ?? []) {
      addAction(b, action, scope, notes, `${stage.name}/${action.name}`);
    }
  }
  return { policy: b.build(), notes };
}

/** `pipelinePolicy(pipeline)` → the IAM policy document the pipeline's service role needs, and nothing more. */
export function pipelinePolicy(
  pipeline: PipelineDeclaration,
  options: PipelinePolicyOptions = {},
): PolicyDocument {
  return pipelinePolicyWithNotes(pipeline, options).policy;
}
