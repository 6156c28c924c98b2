/**
 * Action helpers: one named constructor per provider, with that provider's configuration keys typed
 * and its actionTypeId and artifact counts fixed. Each returns a plain ActionDeclaration (the
 * create-pipeline shape), so a custom action is just an object literal of the same type.
 */

import { compact } from '../definition.js';
import type { ActionDeclaration } from '../documents.js';
import type { Duration } from '../duration.js';

/** Members every action takes. */
export interface CommonActionProps {
  /** Action name, unique within its stage. 1-100 of `A-Za-z0-9.@_-`. */
  name: string;
  /**
   * Actions with the same runOrder in a stage run in parallel; higher numbers run later.
   * @default 1
   */
  runOrder?: number;
  /**
   * Namespace that makes this action's output variables referable as `#{Namespace.Variable}`.
   * @see https://docs.aws.amazon.com/codepipeline/latest/userguide/reference-variables.html
   */
  namespace?: string;
  /** Role CodePipeline assumes to run this action. @default the pipeline's role */
  roleArn?: string;
}

/** Members of actions that may run in another region than the pipeline. */
export interface RegionalActionProps extends CommonActionProps {
  /**
   * Region the action runs in. Needs an artifact store for that region (`artifactStores`).
   * @default the pipeline's region
   * @see https://docs.aws.amazon.com/codepipeline/latest/userguide/actions-create-cross-region.html
   */
  region?: string;
}

type Category = 'Source' | 'Build' | 'Test' | 'Deploy' | 'Invoke' | 'Approval' | 'Compute';

function action(
  common: CommonActionProps & { region?: string },
  type: { category: Category; provider: string; owner?: 'AWS' | 'ThirdParty' | 'Custom'; version?: string },
  configuration: Record<string, string | number | boolean | undefined>,
  artifacts: { inputs?: string[]; outputs?: string[] },
  extra: Partial<ActionDeclaration> = {},
): ActionDeclaration {
  const config: Record<string, string> = {};
  for (const [k, v] of Object.entries(configuration)) if (v !== undefined) config[k] = String(v);
  return compact({
    name: common.name,
    actionTypeId: {
      category: type.category,
      owner: type.owner ?? 'AWS',
      provider: type.provider,
      version: type.version ?? '1',
    },
    runOrder: common.runOrder ?? 1,
    configuration: Object.keys(config).length ? config : undefined,
    outputArtifacts: (artifacts.outputs ?? []).map((name) => ({ name })),
    inputArtifacts: (artifacts.inputs ?? []).map((name) => ({ name })),
    roleArn: common.roleArn,
    region: common.region,
    namespace: common.namespace,
    ...extra,
  });
}

function atMost(helper: string, what: string, list: readonly unknown[], max: number, min = 0): void {
  if (list.length < min || list.length > max) {
    const range = min === max ? `exactly ${min}` : `${min}-${max}`;
    throw new RangeError(`${helper}: ${what} must have ${range} entries, got ${list.length}`);
  }
}

// ---------------------------------------------------------------- sources (first stage only, no region)

export interface CodeStarConnectionSourceProps extends CommonActionProps {
  /** ARN of the CodeConnections/CodeStar connection to GitHub, GitLab or Bitbucket. */
  connectionArn: string;
  /** `owner/repo`. */
  repository: string;
  /** Branch used for manual starts and default change detection. */
  branch: string;
  /** Output artifact name. */
  output: string;
  /**
   * CODE_ZIP, or CODEBUILD_CLONE_REF (a git clone reference; only CodeBuild can consume it).
   * @default 'CODE_ZIP'
   */
  outputArtifactFormat?: 'CODE_ZIP' | 'CODEBUILD_CLONE_REF';
  /** Start the pipeline on new commits. Ignored when a V2 trigger with filters names this action. @default true */
  detectChanges?: boolean;
}

/** @see https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CodestarConnectionSource.html */
function codeStarConnectionSource(p: CodeStarConnectionSourceProps): ActionDeclaration {
  return action(
    p,
    { category: 'Source', provider: 'CodeStarSourceConnection' },
    {
      ConnectionArn: p.connectionArn,
      FullRepositoryId: p.repository,
      BranchName: p.branch,
      OutputArtifactFormat: p.outputArtifactFormat,
      DetectChanges: p.detectChanges,
    },
    { outputs: [p.output] },
  );
}

export interface CodeCommitSourceProps extends CommonActionProps {
  repository: string;
  branch: string;
  output: string;
  /** Poll for changes; set false when an EventBridge rule starts the pipeline. @default true (by CodePipeline) */
  pollForSourceChanges?: boolean;
  /** @default 'CODE_ZIP' */
  outputArtifactFormat?: 'CODE_ZIP' | 'CODEBUILD_CLONE_REF';
}

/** @see https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CodeCommit.html */
function codeCommitSource(p: CodeCommitSourceProps): ActionDeclaration {
  return action(
    p,
    { category: 'Source', provider: 'CodeCommit' },
    {
      RepositoryName: p.repository,
      BranchName: p.branch,
      PollForSourceChanges: p.pollForSourceChanges,
      OutputArtifactFormat: p.outputArtifactFormat,
    },
    { outputs: [p.output] },
  );
}

export interface S3SourceProps extends CommonActionProps {
  bucket: string;
  /** Object key of the zip, e.g. `app/source.zip`. */
  key: string;
  output: string;
  /** @default true (by CodePipeline) */
  pollForSourceChanges?: boolean;
}

/** @see https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-S3.html */
function s3Source(p: S3SourceProps): ActionDeclaration {
  return action(
    p,
    { category: 'Source', provider: 'S3' },
    { S3Bucket: p.bucket, S3ObjectKey: p.key, PollForSourceChanges: p.pollForSourceChanges },
    { outputs: [p.output] },
  );
}

export interface EcrSourceProps extends CommonActionProps {
  repository: string;
  /** @default 'latest' */
  imageTag?: string;
  /** Output artifact (holds `imageDetail.json`). */
  output: string;
}

/** @see https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-ECR.html */
function ecrSource(p: EcrSourceProps): ActionDeclaration {
  return action(
    p,
    { category: 'Source', provider: 'ECR' },
    { RepositoryName: p.repository, ImageTag: p.imageTag },
    { outputs: [p.output] },
  );
}

// ---------------------------------------------------------------- build and test

export interface CodeBuildProps extends RegionalActionProps {
  /** CodeBuild project name. */
  project: string;
  /** Input artifacts (1-5). The first is the primary source unless `primarySource` says otherwise. */
  inputs: string[];
  /**
   * Input artifact whose directory is the build's working directory. Required (and defaulted to
   * the first input) when there is more than one input.
   * @default inputs[0] when inputs.length > 1
   */
  primarySource?: string;
  /**
   * Output artifacts (0-5). With more than one, each name must be a `secondary-artifacts` identifier
   * in the buildspec.
   * @default []
   */
  outputs?: string[];
  /**
   * Environment variables for this build, passed as the JSON string CodeBuild expects.
   * @see https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CodeBuild.html#action-reference-CodeBuild-config
   */
  environmentVariables?: {
    name: string;
    value: string;
    type?: 'PLAINTEXT' | 'PARAMETER_STORE' | 'SECRETS_MANAGER';
  }[];
  /** Run a batch build. @default false */
  batchEnabled?: boolean;
  /** Combine batch artifacts into one output. @default false */
  combineArtifacts?: boolean;
  /** Category: a build, or a test action. @default 'Build' */
  category?: 'Build' | 'Test';
}

/** @see https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CodeBuild.html */
function codeBuild(p: CodeBuildProps): ActionDeclaration {
  atMost('Action.codeBuild', 'inputs', p.inputs, 5, 1);
  atMost('Action.codeBuild', 'outputs', p.outputs ?? [], 5);
  const primarySource = p.primarySource ?? (p.inputs.length > 1 ? p.inputs[0] : undefined);
  return action(
    p,
    { category: p.category ?? 'Build', provider: 'CodeBuild' },
    {
      ProjectName: p.project,
      PrimarySource: primarySource,
      EnvironmentVariables:
        p.environmentVariables && JSON.stringify(p.environmentVariables.map((v) => compact({ ...v }))),
      BatchEnabled: p.batchEnabled,
      CombineArtifacts: p.combineArtifacts,
    },
    { inputs: p.inputs, outputs: p.outputs },
  );
}

// ---------------------------------------------------------------- deploy

export interface CodeDeployProps extends RegionalActionProps {
  application: string;
  deploymentGroup: string;
  /** The revision: an artifact with `appspec.yml` at its root. */
  input: string;
}

/** EC2/on-premises or Lambda deployment through CodeDeploy. @see https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CodeDeploy.html */
function codeDeploy(p: CodeDeployProps): ActionDeclaration {
  return action(
    p,
    { category: 'Deploy', provider: 'CodeDeploy' },
    { ApplicationName: p.application, DeploymentGroupName: p.deploymentGroup },
    { inputs: [p.input] },
  );
}

export interface CodeDeployToEcsProps extends RegionalActionProps {
  application: string;
  deploymentGroup: string;
  /** Artifact holding the task definition template. */
  taskDefinitionArtifact: string;
  /** @default 'taskdef.json' (by CodePipeline) */
  taskDefinitionPath?: string;
  /** Artifact holding the appspec. */
  appSpecArtifact: string;
  /** @default 'appspec.yaml' (by CodePipeline) */
  appSpecPath?: string;
  /**
   * Up to four images: the artifact (an ECR source's output) and the placeholder container name
   * (`<IMAGE1_NAME>` in the task definition) for each.
   */
  images?: { artifact: string; containerNamePlaceholder: string }[];
}

/** ECS blue/green through CodeDeploy. @see https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-ECSbluegreen.html */
function codeDeployToEcs(p: CodeDeployToEcsProps): ActionDeclaration {
  const images = p.images ?? [];
  atMost('Action.codeDeployToEcs', 'images', images, 4);
  const config: Record<string, string | undefined> = {
    ApplicationName: p.application,
    DeploymentGroupName: p.deploymentGroup,
    TaskDefinitionTemplateArtifact: p.taskDefinitionArtifact,
    TaskDefinitionTemplatePath: p.taskDefinitionPath,
    AppSpecTemplateArtifact: p.appSpecArtifact,
    AppSpecTemplatePath: p.appSpecPath,
  };
  images.forEach((image, i) => {
    config[`Image${i + 1}ArtifactName`] = image.artifact;
    config[`Image${i + 1}ContainerName`] = image.containerNamePlaceholder;
  });
  const inputs = [
    ...new Set([p.taskDefinitionArtifact, p.appSpecArtifact, ...images.map((i) => i.artifact)]),
  ];
  atMost('Action.codeDeployToEcs', 'input artifacts', inputs, 5, 1);
  return action(p, { category: 'Deploy', provider: 'CodeDeployToECS' }, config, { inputs });
}

export interface EcsDeployProps extends RegionalActionProps {
  cluster: string;
  service: string;
  /** Artifact with the image definitions file. */
  input: string;
  /** @default 'imagedefinitions.json' (by CodePipeline) */
  fileName?: string;
  /** How long to wait for the deployment. */
  deploymentTimeout?: Duration;
}

/** ECS rolling update. @see https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-ECS.html */
function ecsDeploy(p: EcsDeployProps): ActionDeclaration {
  return action(
    p,
    { category: 'Deploy', provider: 'ECS' },
    {
      ClusterName: p.cluster,
      ServiceName: p.service,
      FileName: p.fileName,
      DeploymentTimeout: p.deploymentTimeout?.toMinutes(),
    },
    { inputs: [p.input] },
  );
}

type CfnChangeSetMode = 'CHANGE_SET_REPLACE' | 'CHANGE_SET_EXECUTE';
interface CfnBase extends RegionalActionProps {
  stackName: string;
  /** Input artifacts (0-10): templates and configuration files. */
  inputs?: string[];
  /** One output artifact with the stack outputs. */
  output?: string;
  /** File in the output artifact that receives the stack outputs. */
  outputFileName?: string;
  capabilities?: ('CAPABILITY_IAM' | 'CAPABILITY_NAMED_IAM' | 'CAPABILITY_AUTO_EXPAND')[];
  /** JSON object of parameter values (at most 1 KB). */
  parameterOverrides?: Record<string, string>;
  /** `Artifact::path` of a template configuration file. */
  templateConfiguration?: string;
}

export type CloudFormationProps =
  | (CfnBase & {
      actionMode: 'CREATE_UPDATE' | 'REPLACE_ON_FAILURE';
      /** `ArtifactName::path/template.yaml`; the artifact must be an input. */
      templatePath: string;
      /** Role CloudFormation uses for the stack. */
      stackRoleArn: string;
    })
  | (CfnBase & { actionMode: 'DELETE_ONLY'; stackRoleArn: string })
  | (CfnBase & {
      actionMode: 'CHANGE_SET_REPLACE';
      changeSetName: string;
      templatePath: string;
      stackRoleArn: string;
    })
  | (CfnBase & { actionMode: Exclude<CfnChangeSetMode, 'CHANGE_SET_REPLACE'>; changeSetName: string });

/** @see https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CloudFormation.html */
function cloudFormation(p: CloudFormationProps): ActionDeclaration {
  const inputs = p.inputs ?? [];
  atMost('Action.cloudFormation', 'inputs', inputs, 10);
  const templatePath = 'templatePath' in p ? p.templatePath : undefined;
  if (templatePath) {
    const artifact = templatePath.split('::')[0] ?? '';
    if (!templatePath.includes('::') || !inputs.includes(artifact)) {
      throw new TypeError(
        `Action.cloudFormation '${p.name}': templatePath '${templatePath}' must be 'Artifact::path' naming one of the inputs (${inputs.join(', ') || 'none'})`,
      );
    }
  }
  return action(
    p,
    { category: 'Deploy', provider: 'CloudFormation' },
    {
      ActionMode: p.actionMode,
      StackName: p.stackName,
      ChangeSetName: 'changeSetName' in p ? p.changeSetName : undefined,
      TemplatePath: templatePath,
      RoleArn: 'stackRoleArn' in p ? p.stackRoleArn : undefined,
      Capabilities: p.capabilities?.join(','),
      OutputFileName: p.outputFileName,
      ParameterOverrides: p.parameterOverrides && JSON.stringify(p.parameterOverrides),
      TemplateConfiguration: p.templateConfiguration,
    },
    { inputs, outputs: p.output ? [p.output] : [] },
  );
}

// ---------------------------------------------------------------- invoke and approval

export interface LambdaInvokeProps extends RegionalActionProps {
  functionName: string;
  /** A string passed to the function as the job's user parameters. */
  userParameters?: string;
  /** @default [] (0-5) */
  inputs?: string[];
  /** @default [] (0-5) */
  outputs?: string[];
}

/** @see https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-Lambda.html */
function lambdaInvoke(p: LambdaInvokeProps): ActionDeclaration {
  atMost('Action.lambdaInvoke', 'inputs', p.inputs ?? [], 5);
  atMost('Action.lambdaInvoke', 'outputs', p.outputs ?? [], 5);
  return action(
    p,
    { category: 'Invoke', provider: 'Lambda' },
    { FunctionName: p.functionName, UserParameters: p.userParameters },
    { inputs: p.inputs, outputs: p.outputs },
  );
}

export interface ManualApprovalProps extends CommonActionProps {
  /** SNS topic notified when the approval is pending. */
  notificationArn?: string;
  /** Text shown to the reviewer. */
  customData?: string;
  /** Link the reviewer should look at. */
  externalEntityLink?: string;
  /**
   * How long the approval waits before failing.
   * @default Duration.days(7)
   */
  timeout?: Duration;
}

/** @see https://docs.aws.amazon.com/codepipeline/latest/userguide/approvals-action-add.html */
function manualApproval(p: ManualApprovalProps): ActionDeclaration {
  return action(
    p,
    { category: 'Approval', provider: 'Manual' },
    {
      NotificationArn: p.notificationArn,
      CustomData: p.customData,
      ExternalEntityLink: p.externalEntityLink,
    },
    {},
    compact({ timeoutInMinutes: p.timeout?.toMinutes() }),
  );
}

/** Named constructors for the common action providers. */
export const Action = {
  codeStarConnectionSource,
  codeCommitSource,
  s3Source,
  ecrSource,
  codeBuild,
  codeDeploy,
  codeDeployToEcs,
  ecsDeploy,
  cloudFormation,
  lambdaInvoke,
  manualApproval,
};
