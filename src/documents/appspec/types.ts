import type { Static } from '@sinclair/typebox';
import type {
  Ec2AppSpecSchema,
  Ec2HookScriptSchema,
  EcsAppSpecSchema,
  EcsTargetServiceSchema,
  FileMappingSchema,
  LambdaAppSpecSchema,
  LambdaFunctionSchema,
  LambdaHookEntrySchema,
  PermissionSchema,
} from './schema.js';

export type { Ec2HookName } from './schema.js';

export type ComputePlatform = 'ec2' | 'ecs' | 'lambda';

/** EC2/on-premises AppSpec (`version: 0.0`, `os`, `files`, `permissions`, `hooks`). */
export type Ec2AppSpec = Static<typeof Ec2AppSpecSchema>;
/** One script of an EC2 lifecycle event. */
export type AppSpecHook = Static<typeof Ec2HookScriptSchema>;
export type Ec2HookScript = AppSpecHook;
export type AppSpecFileMapping = Static<typeof FileMappingSchema>;
export type AppSpecPermission = Static<typeof PermissionSchema>;

/** ECS AppSpec in its canonical (PascalCase) spelling. */
export type EcsAppSpec = Static<typeof EcsAppSpecSchema>;
export type EcsTargetService = Static<typeof EcsTargetServiceSchema>;
/** Lambda AppSpec in its canonical (PascalCase) spelling. */
export type LambdaAppSpec = Static<typeof LambdaAppSpecSchema>;
export type LambdaFunctionResource = Static<typeof LambdaFunctionSchema>;
/** `{ BeforeAllowTraffic: 'ValidateFunction' }`: one entry of an ECS/Lambda `Hooks` list. */
export type LambdaHookEntry = Static<typeof LambdaHookEntrySchema>;

export type AppSpec = Ec2AppSpec | EcsAppSpec | LambdaAppSpec;

export const EC2_HOOKS = [
  'ApplicationStop',
  'BeforeInstall',
  'AfterInstall',
  'ApplicationStart',
  'ValidateService',
  'BeforeBlockTraffic',
  'AfterBlockTraffic',
  'BeforeAllowTraffic',
  'AfterAllowTraffic',
] as const;
export const ECS_HOOKS = [
  'BeforeInstall',
  'AfterInstall',
  'AfterAllowTestTraffic',
  'BeforeAllowTraffic',
  'AfterAllowTraffic',
] as const;
export const LAMBDA_HOOKS = ['BeforeAllowTraffic', 'AfterAllowTraffic'] as const;

/** Lifecycle events CodeDeploy runs itself; scripts cannot hook them. */
export const RESERVED_HOOKS: Record<ComputePlatform, readonly string[]> = {
  ec2: ['DownloadBundle', 'Install', 'BlockTraffic', 'AllowTraffic'],
  ecs: ['Start', 'Install', 'TestTraffic', 'AllowTraffic', 'End'],
  lambda: ['Start', 'AllowTraffic', 'End'],
};

export const HOOKS_BY_PLATFORM: Record<ComputePlatform, readonly string[]> = {
  ec2: EC2_HOOKS,
  ecs: ECS_HOOKS,
  lambda: LAMBDA_HOOKS,
};

/** Per-event limit for the sum of script timeouts (CodeDeploy quotas). */
export const MAX_HOOK_TIMEOUT_SECONDS = 3600;

/** Keys CodeDeploy reads case-insensitively in ECS/Lambda AppSpecs, in their canonical spelling. */
export const CANONICAL_SERVICE_KEYS = [
  'version',
  'Resources',
  'Hooks',
  'Type',
  'Properties',
  'TaskDefinition',
  'LoadBalancerInfo',
  'ContainerName',
  'ContainerPort',
  'PlatformVersion',
  'NetworkConfiguration',
  'AwsvpcConfiguration',
  'Subnets',
  'SecurityGroups',
  'AssignPublicIp',
  'CapacityProviderStrategy',
  'Base',
  'CapacityProvider',
  'Weight',
  'Name',
  'Alias',
  'CurrentVersion',
  'TargetVersion',
] as const;
