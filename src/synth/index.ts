/** The typed builders users import from 'conveyor'. */

export type {
  CloudFormationProps,
  CodeBuildProps,
  CodeCommitSourceProps,
  CodeDeployProps,
  CodeDeployToEcsProps,
  CodeStarConnectionSourceProps,
  CommonActionProps,
  EcrSourceProps,
  EcsDeployProps,
  LambdaInvokeProps,
  ManualApprovalProps,
  RegionalActionProps,
  S3SourceProps,
} from './builders/actions.js';
export { Action } from './builders/actions.js';
export type {
  AppspecProps,
  EcsAppspecProps,
  HookScriptProps,
  LambdaAppspecProps,
  ServerAppspecProps,
} from './builders/appspec.js';
export { defineAppspec, hook } from './builders/appspec.js';
export type { BuildspecProps } from './builders/buildspec.js';
export { defineBuildspec } from './builders/buildspec.js';
export type { DeploymentConfigProps, PredefinedDeploymentConfigName } from './builders/deployment-config.js';
export {
  defineDeploymentConfig,
  EcsDeploymentConfig,
  LambdaDeploymentConfig,
  MinimumHealthyHosts,
  ServerDeploymentConfig,
  TrafficRouting,
} from './builders/deployment-config.js';
export type { DeploymentGroupProps } from './builders/deployment-group.js';
export { Checks, defineDeploymentGroup } from './builders/deployment-group.js';
export type { ArtifactStoreProps, FilterCriteria, PipelineProps, StageOptions } from './builders/pipeline.js';
export {
  alarmRule,
  condition,
  definePipeline,
  retryOnFailure,
  rollbackOnFailure,
  stage,
  Trigger,
  variable,
} from './builders/pipeline.js';
export type { Definition, DefinitionKind } from './definition.js';
export { isDefinition } from './definition.js';
export { Duration } from './duration.js';
