/**
 * The API's own parameter validation for the documents synth emits as AWS API input:
 * CreatePipeline's `pipeline` and CreateDeploymentConfig's input. Members, required members,
 * enums, lengths, patterns (anchored) and ranges are encoded from the service models; a unit test
 * checks member names, required members and enums against the installed SDK, so drift shows up.
 */
export type Shape =
  | { t: 'string'; min?: number; max?: number; pattern?: RegExp; enum?: readonly string[] }
  | { t: 'int'; min?: number; max?: number }
  | { t: 'list'; member: Shape; min?: number; max?: number }
  | { t: 'map'; key: Shape; value: Shape; max?: number }
  | { t: 'struct'; members: Readonly<Record<string, Shape>>; required?: readonly string[] };

export interface ShapeIssue {
  /** Logical path, e.g. `stages[2].actions[0].runOrder`. */
  path: string;
  message: string;
}

const str = (min?: number, max?: number, pattern?: RegExp): Shape => ({ t: 'string', min, max, pattern });
const oneOf = (...values: string[]): Shape => ({ t: 'string', enum: values });
const int = (min?: number, max?: number): Shape => ({ t: 'int', min, max });
const list = (member: Shape, min?: number, max?: number): Shape => ({ t: 'list', member, min, max });
const struct = (members: Record<string, Shape>, required: string[] = []): Shape => ({
  t: 'struct',
  members,
  required,
});

const NAME = /^[A-Za-z0-9.@\-_]+$/;
const ARTIFACT_NAME = /^[a-zA-Z0-9_-]+$/;
const NAMESPACE = /^[A-Za-z0-9@\-_]+$/;
const TYPE_PART = /^[0-9A-Za-z_-]+$/;
const ROLE_ARN = /^arn:aws(-[\w]+)*:iam::[0-9]{12}:role\/.*$/;

export const PIPELINE_ENUMS = {
  ActionCategory: ['Approval', 'Build', 'Compute', 'Deploy', 'Invoke', 'Source', 'Test'],
  ActionOwner: ['AWS', 'Custom', 'ThirdParty'],
  ArtifactStoreType: ['S3'],
  EncryptionKeyType: ['KMS'],
  BlockerType: ['Schedule'],
  ExecutionMode: ['PARALLEL', 'QUEUED', 'SUPERSEDED'],
  PipelineType: ['V1', 'V2'],
  Result: ['FAIL', 'RETRY', 'ROLLBACK', 'SKIP'],
  StageRetryMode: ['ALL_ACTIONS', 'FAILED_ACTIONS'],
  RuleCategory: ['Rule'],
  RuleOwner: ['AWS'],
  GitPullRequestEventType: ['CLOSED', 'OPEN', 'UPDATED'],
  PipelineTriggerProviderType: ['CodeStarSourceConnection'],
  EnvironmentVariableType: ['PLAINTEXT', 'SECRETS_MANAGER'],
} as const;

const E = PIPELINE_ENUMS;
const artifactStore = struct(
  {
    type: oneOf(...E.ArtifactStoreType),
    location: str(3, 63, /^[a-zA-Z0-9\-.]+$/),
    encryptionKey: struct({ id: str(1, 400), type: oneOf(...E.EncryptionKeyType) }, ['id', 'type']),
  },
  ['type', 'location'],
);
const inputArtifact = struct({ name: str(1, 100, ARTIFACT_NAME) }, ['name']);
const ruleDeclaration = struct(
  {
    name: str(1, 100, NAME),
    ruleTypeId: struct(
      {
        category: oneOf(...E.RuleCategory),
        owner: oneOf(...E.RuleOwner),
        provider: str(1, 35, TYPE_PART),
        version: str(1, 9, TYPE_PART),
      },
      ['category', 'provider'],
    ),
    configuration: { t: 'map', key: str(1, 50), value: str(1, 10000), max: 200 },
    commands: list(str(1, 1000), 1, 50),
    inputArtifacts: list(inputArtifact),
    roleArn: str(undefined, 1024, ROLE_ARN),
    region: str(4, 30),
    timeoutInMinutes: int(5, 86400),
  },
  ['name', 'ruleTypeId'],
);
const condition = struct({ result: oneOf(...E.Result), rules: list(ruleDeclaration, 1, 5) });
const conditionList = list(condition, 1, 1);
const gitCriteria = struct({ includes: list(str(1, 255), 1, 8), excludes: list(str(1, 255), 1, 8) });

const action = struct(
  {
    name: str(1, 100, NAME),
    actionTypeId: struct(
      {
        category: oneOf(...E.ActionCategory),
        owner: oneOf(...E.ActionOwner),
        provider: str(1, 35, TYPE_PART),
        version: str(1, 9, TYPE_PART),
      },
      ['category', 'owner', 'provider', 'version'],
    ),
    runOrder: int(1, 999),
    configuration: { t: 'map', key: str(1, 50), value: str(1, 1000) },
    commands: list(str(1, 1000), 1, 50),
    outputArtifacts: list(
      struct({ name: str(1, 100, ARTIFACT_NAME), files: list(str(1, 128), 1, 10) }, ['name']),
    ),
    inputArtifacts: list(inputArtifact),
    outputVariables: list(str(1, 128), 1, 15),
    roleArn: str(undefined, 1024, ROLE_ARN),
    region: str(4, 30),
    namespace: str(1, 100, NAMESPACE),
    timeoutInMinutes: int(5, 86400),
    environmentVariables: list(
      struct({ name: str(1, 128), value: str(1, 2000), type: oneOf(...E.EnvironmentVariableType) }, [
        'name',
        'value',
      ]),
      1,
      10,
    ),
  },
  ['name', 'actionTypeId'],
);

export const pipelineDeclarationShape: Shape = struct(
  {
    name: str(1, 100, NAME),
    roleArn: str(undefined, 1024, ROLE_ARN),
    artifactStore,
    artifactStores: { t: 'map', key: str(4, 30), value: artifactStore },
    stages: list(
      struct(
        {
          name: str(1, 100, NAME),
          actions: list(action),
          blockers: list(struct({ name: str(1, 100), type: oneOf(...E.BlockerType) }, ['name', 'type'])),
          onFailure: struct({
            result: oneOf(...E.Result),
            retryConfiguration: struct({ retryMode: oneOf(...E.StageRetryMode) }),
            conditions: conditionList,
          }),
          onSuccess: struct({ conditions: conditionList }, ['conditions']),
          beforeEntry: struct({ conditions: conditionList }, ['conditions']),
        },
        ['name', 'actions'],
      ),
    ),
    version: int(1),
    executionMode: oneOf(...E.ExecutionMode),
    pipelineType: oneOf(...E.PipelineType),
    variables: list(
      struct(
        { name: str(1, 128, /^[A-Za-z0-9@\-_]+$/), defaultValue: str(1, 1000), description: str(0, 200) },
        ['name'],
      ),
      undefined,
      50,
    ),
    triggers: list(
      struct(
        {
          providerType: oneOf(...E.PipelineTriggerProviderType),
          gitConfiguration: struct(
            {
              sourceActionName: str(1, 100, NAME),
              push: list(struct({ tags: gitCriteria, branches: gitCriteria, filePaths: gitCriteria }), 1, 3),
              pullRequest: list(
                struct({
                  events: list(oneOf(...E.GitPullRequestEventType), 1, 3),
                  branches: gitCriteria,
                  filePaths: gitCriteria,
                }),
                1,
                3,
              ),
            },
            ['sourceActionName'],
          ),
        },
        ['providerType', 'gitConfiguration'],
      ),
      undefined,
      50,
    ),
  },
  ['name', 'roleArn', 'stages'],
);

export const DEPLOY_ENUMS = {
  MinimumHealthyHostsType: ['FLEET_PERCENT', 'HOST_COUNT'],
  TrafficRoutingType: ['AllAtOnce', 'TimeBasedCanary', 'TimeBasedLinear'],
  ComputePlatform: ['ECS', 'Lambda', 'Server'],
  MinimumHealthyHostsPerZoneType: ['FLEET_PERCENT', 'HOST_COUNT'],
} as const;

export const createDeploymentConfigShape: Shape = struct(
  {
    deploymentConfigName: str(1, 100),
    minimumHealthyHosts: struct({ type: oneOf(...DEPLOY_ENUMS.MinimumHealthyHostsType), value: int() }),
    trafficRoutingConfig: struct({
      type: oneOf(...DEPLOY_ENUMS.TrafficRoutingType),
      timeBasedCanary: struct({ canaryPercentage: int(), canaryInterval: int() }),
      timeBasedLinear: struct({ linearPercentage: int(), linearInterval: int() }),
    }),
    computePlatform: oneOf(...DEPLOY_ENUMS.ComputePlatform),
    zonalConfig: struct({
      firstZoneMonitorDurationInSeconds: int(),
      monitorDurationInSeconds: int(),
      minimumHealthyHostsPerZone: struct({
        type: oneOf(...DEPLOY_ENUMS.MinimumHealthyHostsPerZoneType),
        value: int(),
      }),
    }),
  },
  ['deploymentConfigName'],
);

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/** Walks `value` against `shape`; returns every violation (never throws). */
export function checkShape(value: unknown, shape: Shape): ShapeIssue[] {
  const issues: ShapeIssue[] = [];
  walkShape(value, shape, [], issues);
  return issues;
}

/** The path is a stack of segments, formatted only for an issue: most documents have none. */
function walkShape(value: unknown, shape: Shape, path: (string | number)[], issues: ShapeIssue[]): void {
  const issue = (message: string, at: (string | number)[] = path) =>
    issues.push({ path: formatShapePath(at), message });
  switch (shape.t) {
    case 'string': {
      if (typeof value !== 'string') return void issue(`expected a string, got ${describe(value)}`);
      if (shape.enum && !shape.enum.includes(value))
        issue(`'${value}' is not one of ${shape.enum.join(', ')}`);
      if (shape.min !== undefined && value.length < shape.min)
        issue(`length ${value.length} is below the minimum of ${shape.min}`);
      if (shape.max !== undefined && value.length > shape.max)
        issue(`length ${value.length} exceeds the maximum of ${shape.max}`);
      if (shape.pattern && !shape.pattern.test(value))
        issue(`'${value}' does not match ${shape.pattern.source}`);
      return;
    }
    case 'int': {
      if (typeof value !== 'number' || !Number.isInteger(value))
        return void issue(`expected an integer, got ${describe(value)}`);
      if (shape.min !== undefined && value < shape.min)
        issue(`${value} is below the minimum of ${shape.min}`);
      if (shape.max !== undefined && value > shape.max) issue(`${value} exceeds the maximum of ${shape.max}`);
      return;
    }
    case 'list': {
      if (!Array.isArray(value)) return void issue(`expected a list, got ${describe(value)}`);
      if (shape.min !== undefined && value.length < shape.min)
        issue(`has ${value.length} entries, at least ${shape.min} required`);
      if (shape.max !== undefined && value.length > shape.max)
        issue(`has ${value.length} entries, at most ${shape.max} allowed`);
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        walkShape(value[i], shape.member, path, issues);
        path.pop();
      }
      return;
    }
    case 'map': {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return void issue(`expected a map, got ${describe(value)}`);
      const entries = Object.entries(value);
      if (shape.max !== undefined && entries.length > shape.max)
        issue(`has ${entries.length} entries, at most ${shape.max} allowed`);
      for (const [k, v] of entries) {
        path.push(k);
        const before = issues.length;
        walkShape(k, shape.key, path, issues);
        for (let i = before; i < issues.length; i++) {
          const found = issues[i] as ShapeIssue;
          issues[i] = { ...found, message: `key ${found.message}` };
        }
        walkShape(v, shape.value, path, issues);
        path.pop();
      }
      return;
    }
    case 'struct': {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return void issue(`expected an object, got ${describe(value)}`);
      const record = value as Record<string, unknown>;
      for (const key of shape.required ?? []) {
        if (record[key] === undefined) issue(`required member '${key}' is missing`);
      }
      for (const key of Object.keys(record)) {
        const memberShape = shape.members[key];
        path.push(key);
        if (!memberShape) {
          issue(`'${key}' is not a member (allowed: ${Object.keys(shape.members).join(', ')})`);
        } else if (record[key] !== undefined) {
          walkShape(record[key], memberShape, path, issues);
        }
        path.pop();
      }
      return;
    }
  }
}

/** `stages[2].actions[0].runOrder`; `(document)` for the root. */
function formatShapePath(path: readonly (string | number)[]): string {
  let out = '';
  for (const key of path) out = typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${key}` : key;
  return out || '(document)';
}
