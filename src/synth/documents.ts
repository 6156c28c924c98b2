/**
 * The document types the builders produce. Pipeline and deployment-config shapes are AWS's own
 * API input types (from the SDK models), so an emitted file is exactly what create-pipeline and
 * create-deployment-config accept. Buildspec, appspec and deployment-group types are re-exported
 * from src/spec, where the validator's schemas live (one source for schema and type).
 */
import type { CreateDeploymentConfigInput } from '@aws-sdk/client-codedeploy';
import type { ActionDeclaration, PipelineDeclaration, StageDeclaration } from '@aws-sdk/client-codepipeline';

export type { ActionDeclaration, CreateDeploymentConfigInput, PipelineDeclaration, StageDeclaration };

/** Provisional buildspec document (kebab-case keys exactly as in buildspec.yml). */
export interface Buildspec {
  version: 0.2 | 0.1;
  'run-as'?: string;
  env?: {
    shell?: string;
    variables?: Record<string, string>;
    'parameter-store'?: Record<string, string>;
    'secrets-manager'?: Record<string, string>;
    'exported-variables'?: string[];
    'git-credential-helper'?: 'yes' | 'no';
  };
  proxy?: { 'upload-artifacts'?: 'yes' | 'no'; logs?: 'yes' | 'no' };
  batch?: Record<string, unknown>;
  phases: Partial<Record<'install' | 'pre_build' | 'build' | 'post_build', BuildspecPhase>>;
  reports?: Record<string, BuildspecReport>;
  artifacts?: BuildspecArtifacts;
  cache?: { key?: string; 'fallback-keys'?: string[]; action?: string; paths?: string[] };
}

export interface BuildspecPhase {
  'run-as'?: string;
  'on-failure'?: string;
  'runtime-versions'?: Record<string, string | number>;
  commands?: string[];
  finally?: string[];
}

export interface BuildspecReport {
  files: string[];
  'base-directory'?: string;
  'discard-paths'?: 'yes' | 'no';
  'file-format'?: string;
}

export interface BuildspecArtifactSet {
  files: string[];
  name?: string;
  'discard-paths'?: 'yes' | 'no';
  'base-directory'?: string;
  'exclude-paths'?: string[];
  'enable-symlinks'?: 'yes' | 'no';
  's3-prefix'?: string;
}

export interface BuildspecArtifacts extends BuildspecArtifactSet {
  'secondary-artifacts'?: Record<string, BuildspecArtifactSet>;
}

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

export interface Ec2HookScript {
  location: string;
  timeout?: number;
  runas?: string;
}

export interface Ec2AppSpec {
  version: 0;
  os: 'linux' | 'windows';
  files?: { source: string; destination: string }[];
  file_exists_behavior?: 'DISALLOW' | 'OVERWRITE' | 'RETAIN';
  permissions?: {
    object: string;
    pattern?: string;
    except?: string[];
    owner?: string;
    group?: string;
    mode?: string;
    acls?: string[];
    context?: { name?: string; type: string; range?: string };
    type?: ('file' | 'directory')[];
  }[];
  hooks?: Partial<Record<Ec2LifecycleEvent, Ec2HookScript[]>>;
}

export type EcsLifecycleEvent =
  | 'BeforeInstall'
  | 'AfterInstall'
  | 'AfterAllowTestTraffic'
  | 'BeforeAllowTraffic'
  | 'AfterAllowTraffic';

export interface EcsAppSpec {
  version: 0;
  Resources: {
    TargetService: {
      Type: 'AWS::ECS::Service';
      Properties: {
        TaskDefinition: string;
        LoadBalancerInfo: { ContainerName: string; ContainerPort: number };
        PlatformVersion?: string;
        NetworkConfiguration?: {
          AwsvpcConfiguration: {
            Subnets: string[];
            SecurityGroups: string[];
            AssignPublicIp: 'ENABLED' | 'DISABLED';
          };
        };
        CapacityProviderStrategy?: { Base?: number; CapacityProvider: string; Weight?: number }[];
      };
    };
  }[];
  Hooks?: Partial<Record<EcsLifecycleEvent, string>>[];
}

export type LambdaLifecycleEvent = 'BeforeAllowTraffic' | 'AfterAllowTraffic';

export interface LambdaAppSpec {
  version: 0;
  Resources: Record<
    string,
    {
      Type: 'AWS::Lambda::Function';
      Properties: { Name: string; Alias: string; CurrentVersion: string; TargetVersion: string };
    }
  >[];
  Hooks?: Partial<Record<LambdaLifecycleEvent, string>>[];
}

export type AppSpec = Ec2AppSpec | EcsAppSpec | LambdaAppSpec;

/** Provisional deployment-group file (see DESIGN.md "Deployment group file"). */
export interface DeploymentGroupDocument {
  application: string;
  deploymentGroup: string;
  provider: 'local' | 'codedeploy';
  [key: string]: unknown;
}
