import { type AppspecDefinition, brand, compact } from '../definition.js';
import type {
  Ec2AppSpec,
  Ec2HookScript,
  Ec2LifecycleEvent,
  EcsAppSpec,
  EcsLifecycleEvent,
  LambdaAppSpec,
  LambdaLifecycleEvent,
} from '../documents.js';
import type { Duration } from '../duration.js';
import { assertName } from './names.js';

/** One script of an EC2/on-premises lifecycle hook. */
export interface HookScriptProps {
  /** Script path relative to the revision root. */
  location: string;
  /**
   * Time the script may run. The sum over one event may not exceed one hour.
   * @default Duration.hours(1) (CodeDeploy's default of 3600 seconds)
   * @see https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html
   */
  timeout?: Duration;
  /** User the script runs as (Linux only). @default the agent's user */
  runas?: string;
}

/** `hook('scripts/start.sh', { timeout: Duration.minutes(5) })`: one hook script. */
export function hook(location: string, options: Omit<HookScriptProps, 'location'> = {}): HookScriptProps {
  return { location, ...options };
}

function hookScript(props: HookScriptProps | string): Ec2HookScript {
  const p = typeof props === 'string' ? { location: props } : props;
  return compact({ location: p.location, timeout: p.timeout?.toSeconds(), runas: p.runas });
}

/** EC2/on-premises lifecycle events in the order the agent runs them (reserved events excluded). */
export const EC2_HOOK_ORDER: readonly Ec2LifecycleEvent[] = [
  'ApplicationStop',
  'BeforeBlockTraffic',
  'AfterBlockTraffic',
  'BeforeInstall',
  'AfterInstall',
  'ApplicationStart',
  'ValidateService',
  'BeforeAllowTraffic',
  'AfterAllowTraffic',
];
export const ECS_HOOK_ORDER: readonly EcsLifecycleEvent[] = [
  'BeforeInstall',
  'AfterInstall',
  'AfterAllowTestTraffic',
  'BeforeAllowTraffic',
  'AfterAllowTraffic',
];
export const LAMBDA_HOOK_ORDER: readonly LambdaLifecycleEvent[] = ['BeforeAllowTraffic', 'AfterAllowTraffic'];

export interface ServerAppspecProps {
  /** Names the emitted file: `apps/<name>/appspec.yml`. */
  name: string;
  /** EC2 or on-premises instances. */
  platform: 'server';
  /**
   * Must equal the instances' OS (the agent compares it with its own platform, case-sensitively).
   * @default 'linux'
   */
  os?: 'linux' | 'windows';
  /**
   * Files copied from the revision to the instance.
   * @see https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-files.html
   */
  files?: { source: string; destination: string }[];
  /**
   * What to do when a destination file already exists (overrides the deployment's setting).
   * @default the deployment's fileExistsBehavior, DISALLOW
   */
  fileExistsBehavior?: 'DISALLOW' | 'OVERWRITE' | 'RETAIN';
  /**
   * Linux permissions applied to installed files. `mode` is emitted quoted so `0644` is never read as octal.
   * @see https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-permissions.html
   */
  permissions?: Ec2AppSpec['permissions'];
  /**
   * Scripts per lifecycle event; emitted in CodeDeploy's run order.
   * @see https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html
   */
  hooks?: Partial<Record<Ec2LifecycleEvent, (HookScriptProps | string)[]>>;
}

export interface EcsAppspecProps {
  /** Names the emitted file: `apps/<name>/appspec.yaml`. */
  name: string;
  platform: 'ecs';
  /**
   * Task definition ARN. In a CodePipeline CodeDeployToECS action, keep the placeholder.
   * @default '<TASK_DEFINITION>'
   */
  taskDefinition?: string;
  /** The container and port that receive traffic from the load balancer. */
  container: { name: string; port: number };
  /** Fargate platform version. @default 'LATEST' (by CodeDeploy) */
  platformVersion?: string;
  /** awsvpc network settings; all three members are required together. */
  network?: { subnets: string[]; securityGroups: string[]; assignPublicIp: 'ENABLED' | 'DISABLED' };
  capacityProviderStrategy?: { base?: number; capacityProvider: string; weight?: number }[];
  /**
   * Lambda functions (names or ARNs) called at each event.
   * @see https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html#appspec-hooks-ecs
   */
  hooks?: Partial<Record<EcsLifecycleEvent, string>>;
}

export interface LambdaAppspecProps {
  /** Names the emitted file: `apps/<name>/appspec.yaml`. */
  name: string;
  platform: 'lambda';
  /** The function whose alias shifts traffic. */
  functionName: string;
  /**
   * Key of the function's entry under `Resources`.
   * @default functionName
   */
  logicalId?: string;
  alias: string;
  /** Version the alias points at now (a positive integer, as text). */
  currentVersion: string | number;
  /** Version traffic moves to. */
  targetVersion: string | number;
  /** Validation functions run before and after traffic shifts. */
  hooks?: Partial<Record<LambdaLifecycleEvent, string>>;
}

export type AppspecProps = ServerAppspecProps | EcsAppspecProps | LambdaAppspecProps;

/**
 * A CodeDeploy AppSpec for EC2/on-premises (`platform: 'server'`), ECS or Lambda.
 * @see https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file.html
 */
export function defineAppspec(props: AppspecProps): AppspecDefinition {
  assertName('defineAppspec', props.name);
  switch (props.platform) {
    case 'server':
      return brand({
        kind: 'appspec' as const,
        name: props.name,
        platform: 'server' as const,
        document: server(props),
      });
    case 'ecs':
      return brand({
        kind: 'appspec' as const,
        name: props.name,
        platform: 'ecs' as const,
        document: ecs(props),
      });
    case 'lambda':
      return brand({
        kind: 'appspec' as const,
        name: props.name,
        platform: 'lambda' as const,
        document: lambda(props),
      });
    default:
      throw new TypeError(
        `defineAppspec: platform ${JSON.stringify((props as { platform?: unknown }).platform)} is not one of server, ecs, lambda`,
      );
  }
}

function server(p: ServerAppspecProps): Ec2AppSpec {
  let hooks: Ec2AppSpec['hooks'];
  if (p.hooks) {
    hooks = {};
    for (const event of EC2_HOOK_ORDER) {
      const scripts = p.hooks[event];
      if (scripts?.length) hooks[event] = scripts.map(hookScript);
    }
    const unknown = Object.keys(p.hooks).filter((e) => !EC2_HOOK_ORDER.includes(e as Ec2LifecycleEvent));
    if (unknown.length) {
      throw new TypeError(
        `defineAppspec: ${unknown.join(', ')} cannot have scripts (allowed: ${EC2_HOOK_ORDER.join(', ')})`,
      );
    }
  }
  return compact({
    version: 0 as const,
    os: p.os ?? 'linux',
    files: p.files,
    file_exists_behavior: p.fileExistsBehavior,
    permissions: p.permissions?.map((perm) =>
      compact({ ...perm, mode: perm.mode === undefined ? undefined : String(perm.mode) }),
    ),
    hooks,
  });
}

function hookList<E extends string>(order: readonly E[], hooks: Partial<Record<E, string>> | undefined) {
  if (!hooks) return undefined;
  const unknown = Object.keys(hooks).filter((e) => !order.includes(e as E));
  if (unknown.length)
    throw new TypeError(`defineAppspec: unknown hook ${unknown.join(', ')} (allowed: ${order.join(', ')})`);
  const list: Partial<Record<E, string>>[] = [];
  for (const event of order) {
    const fn = hooks[event];
    if (fn) list.push({ [event]: fn } as Partial<Record<E, string>>);
  }
  return list;
}

function ecs(p: EcsAppspecProps): EcsAppSpec {
  const properties: EcsAppSpec['Resources'][number]['TargetService']['Properties'] = compact({
    TaskDefinition: p.taskDefinition ?? '<TASK_DEFINITION>',
    LoadBalancerInfo: { ContainerName: p.container.name, ContainerPort: p.container.port },
    PlatformVersion: p.platformVersion,
    NetworkConfiguration: p.network && {
      AwsvpcConfiguration: {
        Subnets: p.network.subnets,
        SecurityGroups: p.network.securityGroups,
        AssignPublicIp: p.network.assignPublicIp,
      },
    },
    CapacityProviderStrategy: p.capacityProviderStrategy?.map((s) =>
      compact({ Base: s.base, CapacityProvider: s.capacityProvider, Weight: s.weight }),
    ),
  });
  return compact({
    version: 0 as const,
    Resources: [{ TargetService: { Type: 'AWS::ECS::Service' as const, Properties: properties } }],
    Hooks: hookList(ECS_HOOK_ORDER, p.hooks),
  });
}

function lambda(p: LambdaAppspecProps): LambdaAppSpec {
  return compact({
    version: 0 as const,
    Resources: [
      {
        [p.logicalId ?? p.functionName]: {
          Type: 'AWS::Lambda::Function' as const,
          Properties: {
            Name: p.functionName,
            Alias: p.alias,
            CurrentVersion: String(p.currentVersion),
            TargetVersion: String(p.targetVersion),
          },
        },
      },
    ],
    Hooks: hookList(LAMBDA_HOOK_ORDER, p.hooks),
  });
}
