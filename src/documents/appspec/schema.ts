/**
 * CodeDeploy AppSpec for the three compute platforms, as TypeBox schemas (JSON Schema + TS types).
 * EC2/on-premises follows the CodeDeploy agent; ECS and Lambda follow the service's documented keys.
 * ECS/Lambda keys are matched case-insensitively by CodeDeploy, so documents are normalised to the
 * PascalCase spelling below before the schema runs (see normalize.ts).
 * @see https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file.html
 */
import { Type } from '@sinclair/typebox';

const closed = { additionalProperties: false } as const;

/**
 * AppSpec version. YAML `0.0` is the number 0, which the EC2 agent requires; the quoted string "0.0"
 * is what the docs show and what ECS/Lambda accept (a rule warns about it for EC2).
 */
export const AppSpecVersion = Type.Union([Type.Literal(0), Type.Literal('0.0')], { description: '0.0' });

// ---------------------------------------------------------------- EC2 / on-premises

export const FileMappingSchema = Type.Object(
  {
    source: Type.String({ description: 'a path inside the revision (`/` for all of it)' }),
    destination: Type.String({ description: 'a fully qualified path on the instance' }),
  },
  closed,
);

export const SeLinuxContextSchema = Type.Object(
  {
    name: Type.Optional(Type.String()),
    type: Type.String(),
    range: Type.Optional(Type.String()),
  },
  closed,
);

export const PermissionSchema = Type.Object(
  {
    object: Type.String({ minLength: 1 }),
    pattern: Type.Optional(Type.String()),
    except: Type.Optional(Type.Array(Type.String())),
    type: Type.Optional(Type.Array(Type.Union([Type.Literal('file'), Type.Literal('directory')]))),
    owner: Type.Optional(Type.String()),
    group: Type.Optional(Type.String()),
    /** Octal mode such as "0644" or 755. Quote a leading zero: unquoted, YAML 1.1 reads 0644 as octal 420. */
    mode: Type.Optional(
      Type.Union([Type.String(), Type.Integer()], { description: 'an octal mode such as "0644"' }),
    ),
    acls: Type.Optional(Type.Array(Type.String())),
    context: Type.Optional(SeLinuxContextSchema),
  },
  closed,
);

export const Ec2HookScriptSchema = Type.Object(
  {
    location: Type.String({ minLength: 1 }),
    /** Seconds, default 3600; the agent also accepts a numeric string. */
    timeout: Type.Optional(
      Type.Union(
        [
          Type.Integer({ minimum: 1 }),
          Type.String({ pattern: '^\\s*[0-9]+\\s*$', description: 'a whole number of seconds' }),
        ],
        {
          description: 'a whole number of seconds',
        },
      ),
    ),
    runas: Type.Optional(Type.String()),
    /** Read by the agent though undocumented. */
    sudo: Type.Optional(Type.Boolean()),
  },
  closed,
);

export type Ec2HookName =
  | 'ApplicationStop'
  | 'BeforeInstall'
  | 'AfterInstall'
  | 'ApplicationStart'
  | 'ValidateService'
  | 'BeforeBlockTraffic'
  | 'AfterBlockTraffic'
  | 'BeforeAllowTraffic'
  | 'AfterAllowTraffic';

export const Ec2AppSpecSchema = Type.Object(
  {
    version: AppSpecVersion,
    os: Type.Union([Type.Literal('linux'), Type.Literal('windows')]),
    files: Type.Optional(Type.Union([Type.Array(FileMappingSchema), Type.Null()])),
    file_exists_behavior: Type.Optional(
      Type.Union([Type.Literal('DISALLOW'), Type.Literal('OVERWRITE'), Type.Literal('RETAIN')]),
    ),
    permissions: Type.Optional(Type.Union([Type.Array(PermissionSchema), Type.Null()])),
    hooks: Type.Optional(
      Type.Union([
        Type.Record(Type.String(), Type.Union([Type.Array(Ec2HookScriptSchema), Type.Null()])),
        Type.Null(),
      ]),
    ),
  },
  { ...closed, $id: 'appspec-ec2' },
);

// ---------------------------------------------------------------- ECS

/** A hook list entry: `- BeforeInstall: "NameOfLambdaFunction"`. */
export const LambdaHookEntrySchema = Type.Record(Type.String(), Type.String({ minLength: 1 }), {
  minProperties: 1,
  maxProperties: 1,
});

export const EcsTargetServiceSchema = Type.Object(
  {
    Type: Type.Literal('AWS::ECS::Service'),
    Properties: Type.Object(
      {
        /** The task definition ARN, or `<TASK_DEFINITION>` when CodePipeline fills it in. */
        TaskDefinition: Type.String({ minLength: 1 }),
        LoadBalancerInfo: Type.Object(
          {
            ContainerName: Type.String({ minLength: 1 }),
            ContainerPort: Type.Union(
              [Type.Integer(), Type.String({ pattern: '^[0-9]+$', description: 'a port number' })],
              {
                description: 'a port number',
              },
            ),
          },
          closed,
        ),
        PlatformVersion: Type.Optional(Type.String()),
        NetworkConfiguration: Type.Optional(
          Type.Object(
            {
              AwsvpcConfiguration: Type.Object(
                {
                  Subnets: Type.Optional(Type.Array(Type.String())),
                  SecurityGroups: Type.Optional(Type.Array(Type.String())),
                  AssignPublicIp: Type.Optional(
                    Type.Union([Type.Literal('ENABLED'), Type.Literal('DISABLED')]),
                  ),
                },
                closed,
              ),
            },
            closed,
          ),
        ),
        CapacityProviderStrategy: Type.Optional(
          Type.Array(
            Type.Object(
              {
                Base: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000 })),
                CapacityProvider: Type.String({ minLength: 1 }),
                Weight: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
              },
              closed,
            ),
          ),
        ),
      },
      closed,
    ),
  },
  closed,
);

export const EcsAppSpecSchema = Type.Object(
  {
    version: AppSpecVersion,
    /** Exactly one resource, conventionally named `TargetService`. */
    Resources: Type.Array(
      Type.Record(Type.String(), EcsTargetServiceSchema, { minProperties: 1, maxProperties: 1 }),
      {
        minItems: 1,
        maxItems: 1,
      },
    ),
    Hooks: Type.Optional(Type.Union([Type.Array(LambdaHookEntrySchema), Type.Null()])),
  },
  { ...closed, $id: 'appspec-ecs' },
);

// ---------------------------------------------------------------- Lambda

/** Lambda versions are positive whole numbers, often written as strings. */
const LambdaVersion = Type.Union([Type.String(), Type.Integer()], { description: 'a positive whole number' });

export const LambdaFunctionSchema = Type.Object(
  {
    Type: Type.Literal('AWS::Lambda::Function'),
    Properties: Type.Object(
      {
        Name: Type.String({ minLength: 1 }),
        Alias: Type.String({ minLength: 1 }),
        CurrentVersion: LambdaVersion,
        TargetVersion: LambdaVersion,
      },
      closed,
    ),
  },
  closed,
);

export const LambdaAppSpecSchema = Type.Object(
  {
    version: AppSpecVersion,
    /** Exactly one function, keyed by any logical name. */
    Resources: Type.Array(
      Type.Record(Type.String(), LambdaFunctionSchema, { minProperties: 1, maxProperties: 1 }),
      {
        minItems: 1,
        maxItems: 1,
      },
    ),
    Hooks: Type.Optional(Type.Union([Type.Array(LambdaHookEntrySchema), Type.Null()])),
  },
  { ...closed, $id: 'appspec-lambda' },
);
