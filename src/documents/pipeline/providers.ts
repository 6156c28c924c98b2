/**
 * What CodePipeline expects of the common action providers: input/output artifact counts and required
 * configuration keys. From the CodePipeline action reference pages (and cfn-lint's artifact-count table).
 * Providers not listed here (custom and partner actions, newer AWS actions) are not checked.
 */
export interface ProviderRule {
  inputs: readonly [number, number];
  outputs: readonly [number, number];
  required: readonly string[];
  /** Only in V2 pipelines. */
  v2Only?: boolean;
}

const R = (
  inputs: [number, number],
  outputs: [number, number],
  required: string[] = [],
  v2Only = false,
): ProviderRule => ({
  inputs,
  outputs,
  required,
  ...(v2Only ? { v2Only } : {}),
});

/** Keyed by `owner/category/provider`. */
export const PROVIDERS: Record<string, ProviderRule> = {
  'AWS/Source/S3': R([0, 0], [1, 1], ['S3Bucket', 'S3ObjectKey']),
  'AWS/Source/CodeCommit': R([0, 0], [1, 1], ['RepositoryName', 'BranchName']),
  'AWS/Source/ECR': R([0, 0], [1, 1], ['RepositoryName']),
  'AWS/Source/CodeStarSourceConnection': R(
    [0, 0],
    [1, 1],
    ['ConnectionArn', 'FullRepositoryId', 'BranchName'],
  ),
  'ThirdParty/Source/GitHub': R([0, 0], [1, 1], ['Owner', 'Repo', 'Branch', 'OAuthToken']),
  'AWS/Build/CodeBuild': R([1, 5], [0, 5], ['ProjectName']),
  'AWS/Test/CodeBuild': R([1, 5], [0, 5], ['ProjectName']),
  'AWS/Test/DeviceFarm': R([1, 1], [0, 0]),
  'AWS/Approval/Manual': R([0, 0], [0, 0]),
  'AWS/Deploy/S3': R([1, 1], [0, 0], ['BucketName', 'Extract']),
  'AWS/Deploy/CloudFormation': R([0, 10], [0, 1], ['ActionMode', 'StackName']),
  'AWS/Deploy/CodeDeploy': R([1, 1], [0, 0], ['ApplicationName', 'DeploymentGroupName']),
  'AWS/Deploy/ElasticBeanstalk': R([1, 1], [0, 0], ['ApplicationName', 'EnvironmentName']),
  'AWS/Deploy/OpsWorks': R([1, 1], [0, 0]),
  'AWS/Deploy/ECS': R([1, 1], [0, 0], ['ClusterName', 'ServiceName']),
  'AWS/Deploy/ServiceCatalog': R([1, 1], [0, 0]),
  'AWS/Deploy/CodeDeployToECS': R(
    [1, 5],
    [0, 0],
    ['ApplicationName', 'DeploymentGroupName', 'TaskDefinitionTemplateArtifact', 'AppSpecTemplateArtifact'],
  ),
  'AWS/Invoke/Lambda': R([0, 5], [0, 5], ['FunctionName']),
  'ThirdParty/Deploy/AlexaSkillsKit': R([0, 2], [0, 0]),
  'AWS/Compute/Commands': R([1, 10], [0, 1], [], true),
};

export const SOURCE_CATEGORY = 'Source';

export const CLOUDFORMATION_ACTION_MODES = [
  'CREATE_UPDATE',
  'DELETE_ONLY',
  'REPLACE_ON_FAILURE',
  'CHANGE_SET_REPLACE',
  'CHANGE_SET_EXECUTE',
] as const;

/** CloudFormation keys required only in some action modes. */
export const CLOUDFORMATION_CONDITIONAL: Record<string, readonly string[]> = {
  ChangeSetName: ['CHANGE_SET_REPLACE', 'CHANGE_SET_EXECUTE'],
  TemplatePath: ['CREATE_UPDATE', 'REPLACE_ON_FAILURE', 'CHANGE_SET_REPLACE'],
  RoleArn: ['CREATE_UPDATE', 'REPLACE_ON_FAILURE', 'DELETE_ONLY', 'CHANGE_SET_REPLACE'],
};

export const CLOUDFORMATION_CAPABILITIES = [
  'CAPABILITY_IAM',
  'CAPABILITY_NAMED_IAM',
  'CAPABILITY_AUTO_EXPAND',
] as const;

export const CONDITION_RULE_PROVIDERS = [
  'CloudWatchAlarm',
  'DeploymentWindow',
  'LambdaInvoke',
  'VariableCheck',
  'Commands',
];
