/**
 * The document types the builders produce, taken from src/documents where the validator's schemas live
 * (TypeBox: one source for the JSON Schema and the TS type), so whatever type-checks is what the
 * validator checks. The deployment-config input has no validator kind: it is AWS's own SDK type
 * (CreateDeploymentConfigInput), checked against the service model by synth.
 */
export type { CreateDeploymentConfigInput } from '@aws-sdk/client-codedeploy';
export type {
  AppSpec,
  Ec2AppSpec,
  Ec2HookScript,
  EcsAppSpec,
  LambdaAppSpec,
} from '../documents/appspec/types.js';
export type { Buildspec } from '../documents/buildspec/types.js';
export type { DeploymentGroup as DeploymentGroupDocument } from '../documents/deployment-group/schema.js';
export type {
  ActionDeclaration,
  ConditionRule,
  PipelineDeclaration,
  PipelineDocument,
  PipelineTrigger,
  PipelineVariable,
  StageCondition,
  StageDeclaration,
  StageFailureConditions,
} from '../documents/pipeline/types.js';

/** EC2/on-premises lifecycle events that take scripts. */
export type Ec2LifecycleEvent =
  | 'ApplicationStop'
  | 'BeforeBlockTraffic'
  | 'AfterBlockTraffic'
  | 'BeforeInstall'
  | 'AfterInstall'
  | 'ApplicationStart'
  | 'ValidateService'
  | 'BeforeAllowTraffic'
  | 'AfterAllowTraffic';

export type EcsLifecycleEvent =
  | 'BeforeInstall'
  | 'AfterInstall'
  | 'AfterAllowTestTraffic'
  | 'BeforeAllowTraffic'
  | 'AfterAllowTraffic';

export type LambdaLifecycleEvent = 'BeforeAllowTraffic' | 'AfterAllowTraffic';
