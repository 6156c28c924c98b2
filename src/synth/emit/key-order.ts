/**
 * Stable key order for every emitted document: known keys in the order AWS documents them (the
 * SDK model's member order for API shapes), free-form maps (action configuration) sorted, and
 * anything else after, in source order. Same input, same bytes.
 */
export interface KeyOrder {
  /** Known keys, emitted first in this order. */
  keys?: readonly string[];
  /** Order of the value under a known key. */
  fields?: Readonly<Record<string, KeyOrder>>;
  /** Order of each array item. */
  items?: KeyOrder;
  /** Order of each value of a map whose keys are user data. */
  values?: KeyOrder;
  /** Sort the keys of this map alphabetically. */
  sort?: boolean;
}

export function orderKeys(value: unknown, order: KeyOrder | undefined): unknown {
  if (Array.isArray(value)) return value.map((item) => orderKeys(item, order?.items));
  if (value === null || typeof value !== 'object') return value;
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const place = (key: string) => {
    out[key] = orderKeys(source[key], order?.fields?.[key] ?? order?.values);
  };
  const known = order?.keys ?? [];
  for (const key of known) if (source[key] !== undefined && Object.hasOwn(source, key)) place(key);
  const rest = Object.keys(source).filter((k) => source[k] !== undefined && !known.includes(k));
  if (order?.sort) rest.sort();
  for (const key of rest) place(key);
  return out;
}

const artifactSet = {
  keys: ['files', 'name', 'discard-paths', 'base-directory', 'exclude-paths', 'enable-symlinks', 's3-prefix'],
};
const phase: KeyOrder = { keys: ['run-as', 'on-failure', 'runtime-versions', 'commands', 'finally'] };

export const buildspecOrder: KeyOrder = {
  keys: ['version', 'run-as', 'env', 'proxy', 'batch', 'phases', 'reports', 'artifacts', 'cache'],
  fields: {
    env: {
      keys: [
        'shell',
        'variables',
        'parameter-store',
        'secrets-manager',
        'exported-variables',
        'git-credential-helper',
      ],
    },
    proxy: { keys: ['upload-artifacts', 'logs'] },
    phases: { keys: ['install', 'pre_build', 'build', 'post_build'], values: phase },
    reports: { values: { keys: ['files', 'base-directory', 'discard-paths', 'file-format'] } },
    artifacts: {
      ...artifactSet,
      keys: [...artifactSet.keys, 'secondary-artifacts'],
      fields: { 'secondary-artifacts': { values: artifactSet } },
    },
    cache: { keys: ['key', 'fallback-keys', 'action', 'paths'] },
  },
};

export const serverAppspecOrder: KeyOrder = {
  keys: ['version', 'os', 'files', 'file_exists_behavior', 'permissions', 'hooks'],
  fields: {
    files: { items: { keys: ['source', 'destination'] } },
    permissions: {
      items: { keys: ['object', 'pattern', 'except', 'owner', 'group', 'mode', 'acls', 'context', 'type'] },
    },
    hooks: {
      keys: [
        'ApplicationStop',
        'BeforeBlockTraffic',
        'AfterBlockTraffic',
        'BeforeInstall',
        'AfterInstall',
        'ApplicationStart',
        'ValidateService',
        'BeforeAllowTraffic',
        'AfterAllowTraffic',
      ],
      values: { items: { keys: ['location', 'timeout', 'runas'] } },
    },
  },
};

export const ecsLambdaAppspecOrder: KeyOrder = {
  keys: ['version', 'Resources', 'Hooks'],
  fields: {
    Resources: {
      items: {
        values: {
          keys: ['Type', 'Properties'],
          fields: {
            Properties: {
              keys: [
                'TaskDefinition',
                'LoadBalancerInfo',
                'PlatformVersion',
                'NetworkConfiguration',
                'CapacityProviderStrategy',
                'Name',
                'Alias',
                'CurrentVersion',
                'TargetVersion',
              ],
              fields: {
                LoadBalancerInfo: { keys: ['ContainerName', 'ContainerPort'] },
                NetworkConfiguration: {
                  fields: { AwsvpcConfiguration: { keys: ['Subnets', 'SecurityGroups', 'AssignPublicIp'] } },
                },
                CapacityProviderStrategy: { items: { keys: ['Base', 'CapacityProvider', 'Weight'] } },
              },
            },
          },
        },
      },
    },
  },
};

const filterCriteria: KeyOrder = { keys: ['includes', 'excludes'] };
const ruleOrder: KeyOrder = {
  keys: [
    'name',
    'ruleTypeId',
    'configuration',
    'commands',
    'inputArtifacts',
    'roleArn',
    'region',
    'timeoutInMinutes',
  ],
  fields: {
    ruleTypeId: { keys: ['category', 'owner', 'provider', 'version'] },
    configuration: { sort: true },
  },
};
const conditionOrder: KeyOrder = { keys: ['result', 'rules'], fields: { rules: { items: ruleOrder } } };
const conditions: KeyOrder = { keys: ['conditions'], fields: { conditions: { items: conditionOrder } } };
const storeOrder: KeyOrder = {
  keys: ['type', 'location', 'encryptionKey'],
  fields: { encryptionKey: { keys: ['id', 'type'] } },
};

/** Member order of the SDK's PipelineDeclaration and its parts. */
export const pipelineOrder: KeyOrder = {
  keys: [
    'name',
    'roleArn',
    'artifactStore',
    'artifactStores',
    'stages',
    'version',
    'executionMode',
    'pipelineType',
    'variables',
    'triggers',
  ],
  fields: {
    artifactStore: storeOrder,
    artifactStores: { sort: true, values: storeOrder },
    stages: {
      items: {
        keys: ['name', 'blockers', 'actions', 'onFailure', 'onSuccess', 'beforeEntry'],
        fields: {
          actions: {
            items: {
              keys: [
                'name',
                'actionTypeId',
                'runOrder',
                'configuration',
                'commands',
                'outputArtifacts',
                'inputArtifacts',
                'outputVariables',
                'roleArn',
                'region',
                'namespace',
                'timeoutInMinutes',
                'environmentVariables',
              ],
              fields: {
                actionTypeId: { keys: ['category', 'owner', 'provider', 'version'] },
                configuration: { sort: true },
                outputArtifacts: { items: { keys: ['name', 'files'] } },
                environmentVariables: { items: { keys: ['name', 'value', 'type'] } },
              },
            },
          },
          onFailure: {
            keys: ['result', 'retryConfiguration', 'conditions'],
            fields: { conditions: conditions.fields?.conditions ?? {} },
          },
          onSuccess: conditions,
          beforeEntry: conditions,
        },
      },
    },
    variables: { items: { keys: ['name', 'defaultValue', 'description'] } },
    triggers: {
      items: {
        keys: ['providerType', 'gitConfiguration'],
        fields: {
          gitConfiguration: {
            keys: ['sourceActionName', 'push', 'pullRequest'],
            fields: {
              push: { items: { keys: ['tags', 'branches', 'filePaths'], values: filterCriteria } },
              pullRequest: { items: { keys: ['events', 'branches', 'filePaths'], values: filterCriteria } },
            },
          },
        },
      },
    },
  },
};

export const deploymentConfigOrder: KeyOrder = {
  keys: [
    'deploymentConfigName',
    'computePlatform',
    'minimumHealthyHosts',
    'trafficRoutingConfig',
    'zonalConfig',
  ],
  fields: {
    minimumHealthyHosts: { keys: ['type', 'value'] },
    trafficRoutingConfig: {
      keys: ['type', 'timeBasedCanary', 'timeBasedLinear'],
      fields: {
        timeBasedCanary: { keys: ['canaryPercentage', 'canaryInterval'] },
        timeBasedLinear: { keys: ['linearPercentage', 'linearInterval'] },
      },
    },
  },
};

export const deploymentGroupOrder: KeyOrder = {
  keys: [
    'application',
    'deploymentGroup',
    'provider',
    'local',
    'codedeploy',
    'healthCheck',
    'strategy',
    'analysis',
    'rollback',
  ],
};
