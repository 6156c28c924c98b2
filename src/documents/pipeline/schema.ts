/**
 * The CodePipeline create/update-pipeline structure (V1 and V2) as a TypeBox schema, following the
 * service model's shapes (patterns anchored, lengths, enums, list bounds).
 * @see https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_PipelineDeclaration.html
 * Unknown keys are errors here: the AWS CLI and SDK reject unknown parameters.
 */
import { Type } from '@sinclair/typebox';

const closed = { additionalProperties: false } as const;

const NAME = '^[A-Za-z0-9.@\\-_]+$';
const NAME_TEXT = '1-100 characters: letters, digits and . @ - _';

export const PipelineName = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: NAME,
  description: NAME_TEXT,
});
export const StageName = Type.String({ minLength: 1, maxLength: 100, pattern: NAME, description: NAME_TEXT });
export const ActionName = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: NAME,
  description: NAME_TEXT,
});
export const ArtifactName = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[a-zA-Z0-9_\\-]+$',
  description: '1-100 characters: letters, digits, _ and - (no dots)',
});
export const RoleArn = Type.String({
  maxLength: 1024,
  pattern: '^arn:aws(-[\\w]+)*:iam::[0-9]{12}:role/.*$',
  description: 'an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)',
});
export const Region = Type.String({ minLength: 4, maxLength: 30 });
export const Namespace = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[A-Za-z0-9@\\-_]+$',
  description: '1-100 characters: letters, digits and @ - _',
});

export const EncryptionKeySchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 400 }),
    type: Type.Literal('KMS'),
  },
  closed,
);

export const ArtifactStoreSchema = Type.Object(
  {
    type: Type.Literal('S3'),
    location: Type.String({
      minLength: 3,
      maxLength: 63,
      pattern: '^[a-zA-Z0-9\\-\\.]+$',
      description: 'an S3 bucket name (3-63 characters: letters, digits, - and .)',
    }),
    encryptionKey: Type.Optional(EncryptionKeySchema),
  },
  closed,
);

export type ActionCategoryName = 'Source' | 'Build' | 'Deploy' | 'Test' | 'Invoke' | 'Approval' | 'Compute';

export const ActionTypeIdSchema = Type.Object(
  {
    category: Type.Union([
      Type.Literal('Source'),
      Type.Literal('Build'),
      Type.Literal('Deploy'),
      Type.Literal('Test'),
      Type.Literal('Invoke'),
      Type.Literal('Approval'),
      Type.Literal('Compute'),
    ]),
    owner: Type.Union([Type.Literal('AWS'), Type.Literal('ThirdParty'), Type.Literal('Custom')]),
    provider: Type.String({
      minLength: 1,
      maxLength: 35,
      pattern: '^[0-9A-Za-z_-]+$',
      description: '1-35 characters: letters, digits, _ and -',
    }),
    version: Type.String({
      minLength: 1,
      maxLength: 9,
      pattern: '^[0-9A-Za-z_-]+$',
      description: '1-9 characters: letters, digits, _ and - (usually "1")',
    }),
  },
  closed,
);

export const ConfigurationSchema = Type.Record(
  Type.String({ minLength: 1, maxLength: 50 }),
  Type.String({ minLength: 1, maxLength: 1000 }),
  { maxProperties: 200 },
);

export const InputArtifactSchema = Type.Object({ name: ArtifactName }, closed);
export const OutputArtifactSchema = Type.Object(
  {
    name: ArtifactName,
    files: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { minItems: 1, maxItems: 10 }),
    ),
  },
  closed,
);

export const EnvironmentVariableSchema = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 128,
      pattern: '^[A-Za-z0-9_]+$',
      description: 'letters, digits and _',
    }),
    value: Type.String({ minLength: 1, maxLength: 2000 }),
    type: Type.Optional(Type.Union([Type.Literal('PLAINTEXT'), Type.Literal('SECRETS_MANAGER')])),
  },
  closed,
);

export const ActionDeclarationSchema = Type.Object(
  {
    name: ActionName,
    actionTypeId: ActionTypeIdSchema,
    runOrder: Type.Optional(Type.Integer({ minimum: 1, maximum: 999 })),
    configuration: Type.Optional(ConfigurationSchema),
    commands: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 1000 }), { minItems: 1, maxItems: 50 }),
    ),
    outputArtifacts: Type.Optional(Type.Array(OutputArtifactSchema)),
    inputArtifacts: Type.Optional(Type.Array(InputArtifactSchema)),
    outputVariables: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { minItems: 1, maxItems: 15 }),
    ),
    roleArn: Type.Optional(RoleArn),
    region: Type.Optional(Region),
    namespace: Type.Optional(Namespace),
    timeoutInMinutes: Type.Optional(Type.Integer({ minimum: 5, maximum: 86400 })),
    environmentVariables: Type.Optional(Type.Array(EnvironmentVariableSchema, { minItems: 1, maxItems: 10 })),
  },
  closed,
);

export const ResultEnum = Type.Union([
  Type.Literal('ROLLBACK'),
  Type.Literal('FAIL'),
  Type.Literal('RETRY'),
  Type.Literal('SKIP'),
]);

export const RuleDeclarationSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, pattern: NAME, description: NAME_TEXT }),
    ruleTypeId: Type.Object(
      {
        category: Type.Literal('Rule'),
        owner: Type.Optional(Type.Literal('AWS')),
        provider: Type.String({
          minLength: 1,
          maxLength: 35,
          pattern: '^[0-9A-Za-z_-]+$',
          description: '1-35 characters: letters, digits, _ and -',
        }),
        version: Type.Optional(
          Type.String({
            minLength: 1,
            maxLength: 9,
            pattern: '^[0-9A-Za-z_-]+$',
            description: '1-9 characters',
          }),
        ),
      },
      closed,
    ),
    configuration: Type.Optional(
      Type.Record(
        Type.String({ minLength: 1, maxLength: 50 }),
        Type.String({ minLength: 1, maxLength: 10000 }),
        {
          maxProperties: 200,
        },
      ),
    ),
    commands: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 1000 }), { minItems: 1, maxItems: 50 }),
    ),
    inputArtifacts: Type.Optional(Type.Array(InputArtifactSchema)),
    roleArn: Type.Optional(RoleArn),
    region: Type.Optional(Region),
    timeoutInMinutes: Type.Optional(Type.Integer({ minimum: 5, maximum: 86400 })),
  },
  closed,
);

export const ConditionSchema = Type.Object(
  {
    result: Type.Optional(ResultEnum),
    rules: Type.Optional(Type.Array(RuleDeclarationSchema, { minItems: 1, maxItems: 5 })),
  },
  closed,
);

const Conditions = Type.Array(ConditionSchema, { minItems: 1, maxItems: 1 });

export const BeforeEntryConditionsSchema = Type.Object({ conditions: Conditions }, closed);
export const SuccessConditionsSchema = Type.Object({ conditions: Conditions }, closed);
export const FailureConditionsSchema = Type.Object(
  {
    result: Type.Optional(ResultEnum),
    retryConfiguration: Type.Optional(
      Type.Object(
        {
          retryMode: Type.Optional(Type.Union([Type.Literal('FAILED_ACTIONS'), Type.Literal('ALL_ACTIONS')])),
        },
        closed,
      ),
    ),
    conditions: Type.Optional(Conditions),
  },
  closed,
);

export const StageDeclarationSchema = Type.Object(
  {
    name: StageName,
    blockers: Type.Optional(
      Type.Array(
        Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 100 }), type: Type.Literal('Schedule') },
          closed,
        ),
      ),
    ),
    actions: Type.Array(ActionDeclarationSchema, { minItems: 1, maxItems: 50 }),
    onFailure: Type.Optional(FailureConditionsSchema),
    onSuccess: Type.Optional(SuccessConditionsSchema),
    beforeEntry: Type.Optional(BeforeEntryConditionsSchema),
  },
  closed,
);

const GitPattern = Type.String({ minLength: 1, maxLength: 255 });
const Patterns = Type.Array(GitPattern, { minItems: 1, maxItems: 8 });
export const GitFilterSchema = Type.Object(
  { includes: Type.Optional(Patterns), excludes: Type.Optional(Patterns) },
  closed,
);

export const GitPushFilterSchema = Type.Object(
  {
    tags: Type.Optional(GitFilterSchema),
    branches: Type.Optional(GitFilterSchema),
    filePaths: Type.Optional(GitFilterSchema),
  },
  closed,
);

export const GitPullRequestFilterSchema = Type.Object(
  {
    events: Type.Optional(
      Type.Array(Type.Union([Type.Literal('OPEN'), Type.Literal('UPDATED'), Type.Literal('CLOSED')]), {
        minItems: 1,
        maxItems: 3,
      }),
    ),
    branches: Type.Optional(GitFilterSchema),
    filePaths: Type.Optional(GitFilterSchema),
  },
  closed,
);

export const TriggerSchema = Type.Object(
  {
    providerType: Type.Literal('CodeStarSourceConnection'),
    gitConfiguration: Type.Object(
      {
        sourceActionName: ActionName,
        push: Type.Optional(Type.Array(GitPushFilterSchema, { minItems: 1, maxItems: 3 })),
        pullRequest: Type.Optional(Type.Array(GitPullRequestFilterSchema, { minItems: 1, maxItems: 3 })),
      },
      closed,
    ),
  },
  closed,
);

export const PipelineVariableSchema = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 128,
      pattern: '^[A-Za-z0-9@\\-_]+$',
      description: '1-128 characters: letters, digits and @ - _',
    }),
    defaultValue: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
    description: Type.Optional(Type.String({ minLength: 0, maxLength: 200 })),
  },
  closed,
);

export const PipelineDeclarationSchema = Type.Object(
  {
    name: PipelineName,
    roleArn: RoleArn,
    artifactStore: Type.Optional(ArtifactStoreSchema),
    artifactStores: Type.Optional(
      Type.Record(Type.String({ minLength: 4, maxLength: 30 }), ArtifactStoreSchema),
    ),
    stages: Type.Array(StageDeclarationSchema, { maxItems: 50 }),
    version: Type.Optional(Type.Integer({ minimum: 1 })),
    executionMode: Type.Optional(
      Type.Union([Type.Literal('QUEUED'), Type.Literal('SUPERSEDED'), Type.Literal('PARALLEL')]),
    ),
    pipelineType: Type.Optional(Type.Union([Type.Literal('V1'), Type.Literal('V2')])),
    variables: Type.Optional(Type.Array(PipelineVariableSchema, { maxItems: 50 })),
    triggers: Type.Optional(Type.Array(TriggerSchema, { maxItems: 50 })),
  },
  closed,
);

/** Server-filled fields of `get-pipeline` output; accepted and ignored. */
export const PipelineMetadataSchema = Type.Object(
  {
    pipelineArn: Type.Optional(Type.String()),
    created: Type.Optional(Type.Union([Type.String(), Type.Number()])),
    updated: Type.Optional(Type.Union([Type.String(), Type.Number()])),
    pollingDisabledAt: Type.Optional(Type.Union([Type.String(), Type.Number()])),
  },
  { additionalProperties: true },
);

/** The file form: what `aws codepipeline create-pipeline --cli-input-json` takes and `get-pipeline` prints. */
export const PipelineDocumentSchema = Type.Object(
  {
    pipeline: PipelineDeclarationSchema,
    metadata: Type.Optional(PipelineMetadataSchema),
    tags: Type.Optional(
      Type.Array(
        Type.Object(
          { key: Type.String({ minLength: 1, maxLength: 128 }), value: Type.String({ maxLength: 256 }) },
          closed,
        ),
      ),
    ),
  },
  { ...closed, $id: 'pipeline' },
);
