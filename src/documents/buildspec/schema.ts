/**
 * CodeBuild buildspec (versions 0.2 and 0.1) as a TypeBox schema: the single source for the JSON Schema
 * (compiled by ajv) and the TS types (`Static<>`, see types.ts).
 * @see https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html
 * Unknown keys are reported as warnings (CodeBuild ignores them), so objects stay closed here.
 */
import { type TSchema, Type } from '@sinclair/typebox';

const closed = { additionalProperties: false } as const;

/** CodeBuild takes a plain string wherever it takes a list of strings (a one-item list). */
export const StringOrList = Type.Union([Type.String(), Type.Array(Type.String())], {
  description: 'a string or a list of strings',
});

/** `yes`/`no` as documented; YAML 1.1 parsers read them as booleans, so both are accepted. */
export const YesNo = Type.Union([Type.Union([Type.Literal('yes'), Type.Literal('no')]), Type.Boolean()], {
  description: '`yes` or `no`',
});

/** Scalars CodeBuild turns into environment variable strings. */
const EnvValue = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()], {
  description: 'a string, number or boolean',
});

const StringMap = (value: TSchema = Type.String()) => Type.Record(Type.String(), value);

export const EnvSchema = Type.Object(
  {
    shell: Type.Optional(Type.String({ description: 'bash, /bin/sh, powershell.exe, cmd.exe, …' })),
    variables: Type.Optional(StringMap(EnvValue)),
    'parameter-store': Type.Optional(StringMap(Type.String({ minLength: 1 }))),
    'secrets-manager': Type.Optional(StringMap(Type.String({ minLength: 1 }))),
    'exported-variables': Type.Optional(StringOrList),
    'git-credential-helper': Type.Optional(YesNo),
  },
  closed,
);

/** Phase `on-failure`: ABORT, CONTINUE, RETRY, RETRY-<count>, RETRY-<regex>, RETRY-<count>-<regex>. */
export const OnFailure = Type.String({
  pattern: '^(ABORT|CONTINUE|RETRY(-.+)?)$',
  description: 'ABORT, CONTINUE, RETRY, RETRY-<count>, RETRY-<regex> or RETRY-<count>-<regex>',
});

export const PhaseSchema = Type.Object(
  {
    'run-as': Type.Optional(Type.String()),
    'on-failure': Type.Optional(OnFailure),
    commands: Type.Optional(StringOrList),
    finally: Type.Optional(StringOrList),
  },
  closed,
);

export const InstallPhaseSchema = Type.Object(
  {
    'run-as': Type.Optional(Type.String()),
    'on-failure': Type.Optional(OnFailure),
    'runtime-versions': Type.Optional(
      Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()], { description: 'a version' }), {
        minProperties: 1,
      }),
    ),
    commands: Type.Optional(StringOrList),
    finally: Type.Optional(StringOrList),
  },
  closed,
);

export const PhasesSchema = Type.Object(
  {
    install: Type.Optional(Type.Union([InstallPhaseSchema, Type.Null()])),
    pre_build: Type.Optional(Type.Union([PhaseSchema, Type.Null()])),
    build: Type.Optional(Type.Union([PhaseSchema, Type.Null()])),
    post_build: Type.Optional(Type.Union([PhaseSchema, Type.Null()])),
  },
  closed,
);

export const ReportGroupSchema = Type.Object(
  {
    files: StringOrList,
    'base-directory': Type.Optional(Type.String()),
    'discard-paths': Type.Optional(YesNo),
    'file-format': Type.Optional(Type.String()),
  },
  closed,
);

const artifactProps = {
  files: StringOrList,
  name: Type.Optional(Type.Union([Type.String(), Type.Number()])),
  'discard-paths': Type.Optional(YesNo),
  'base-directory': Type.Optional(Type.String()),
  'exclude-paths': Type.Optional(StringOrList),
  'enable-symlinks': Type.Optional(YesNo),
  's3-prefix': Type.Optional(Type.String()),
  /** 0.1-era key, deprecated in 0.2 but still read. */
  type: Type.Optional(Type.String()),
};

export const SecondaryArtifactSchema = Type.Object(artifactProps, closed);

export const ArtifactsSchema = Type.Object(
  {
    ...artifactProps,
    'secondary-artifacts': Type.Optional(Type.Record(Type.String(), SecondaryArtifactSchema)),
  },
  closed,
);

export const CacheSchema = Type.Object(
  {
    paths: Type.Optional(StringOrList),
    key: Type.Optional(Type.String()),
    'fallback-keys': Type.Optional(StringOrList),
    action: Type.Optional(Type.String()),
  },
  closed,
);

export const BatchEnvSchema = Type.Object(
  {
    'compute-type': Type.Optional(Type.String()),
    fleet: Type.Optional(Type.String()),
    image: Type.Optional(Type.String()),
    'privileged-mode': Type.Optional(Type.Boolean()),
    type: Type.Optional(Type.String()),
    variables: Type.Optional(StringMap(EnvValue)),
  },
  closed,
);

const batchTaskProps = {
  identifier: Type.String({ minLength: 1 }),
  buildspec: Type.Optional(Type.String()),
  'debug-session': Type.Optional(Type.Boolean()),
  'ignore-failure': Type.Optional(Type.Boolean()),
  env: Type.Optional(BatchEnvSchema),
};

export const BatchListItemSchema = Type.Object(batchTaskProps, closed);
export const BatchGraphItemSchema = Type.Object(
  { ...batchTaskProps, 'depend-on': Type.Optional(Type.Array(Type.String())) },
  closed,
);

export const BuildMatrixSchema = Type.Object(
  {
    static: Type.Optional(
      Type.Object(
        {
          'ignore-failure': Type.Optional(Type.Boolean()),
          env: Type.Optional(BatchEnvSchema),
        },
        closed,
      ),
    ),
    dynamic: Type.Optional(
      Type.Object(
        {
          buildspec: Type.Optional(StringOrList),
          env: Type.Optional(
            Type.Object(
              {
                'compute-type': Type.Optional(StringOrList),
                image: Type.Optional(StringOrList),
                variables: Type.Optional(
                  StringMap(
                    Type.Union([Type.Array(EnvValue), EnvValue], { description: 'a list of values' }),
                  ),
                ),
              },
              closed,
            ),
          ),
        },
        closed,
      ),
    ),
  },
  closed,
);

export const BuildFanoutSchema = Type.Object(
  {
    parallelism: Type.Optional(Type.Integer({ minimum: 1 })),
    'ignore-failure': Type.Optional(Type.Boolean()),
  },
  closed,
);

export const BatchSchema = Type.Object(
  {
    'fast-fail': Type.Optional(Type.Boolean()),
    'build-list': Type.Optional(Type.Array(BatchListItemSchema)),
    'build-matrix': Type.Optional(BuildMatrixSchema),
    'build-graph': Type.Optional(Type.Array(BatchGraphItemSchema)),
    'build-fanout': Type.Optional(BuildFanoutSchema),
  },
  closed,
);

/** Buildspec version: 0.2 (or legacy 0.1), as a YAML number; a quoted string also runs simple builds. */
export const BuildspecVersion = Type.Union(
  [Type.Literal(0.2), Type.Literal(0.1), Type.Literal('0.2'), Type.Literal('0.1')],
  { description: '0.2 (or the legacy 0.1)' },
);

export const BuildspecSchema = Type.Object(
  {
    version: BuildspecVersion,
    'run-as': Type.Optional(Type.String()),
    env: Type.Optional(EnvSchema),
    /** Version 0.1 spelling of `env`: `environment_variables.plaintext`. */
    environment_variables: Type.Optional(
      Type.Object({ plaintext: Type.Optional(StringMap(EnvValue)) }, closed),
    ),
    proxy: Type.Optional(
      Type.Object({ 'upload-artifacts': Type.Optional(YesNo), logs: Type.Optional(YesNo) }, closed),
    ),
    batch: Type.Optional(BatchSchema),
    /** Required by the reference; batch-only buildspecs without phases run in practice (checked by a rule). */
    phases: Type.Optional(PhasesSchema),
    reports: Type.Optional(Type.Record(Type.String(), ReportGroupSchema)),
    artifacts: Type.Optional(ArtifactsSchema),
    cache: Type.Optional(CacheSchema),
  },
  { ...closed, $id: 'buildspec' },
);
