/**
 * The deployment group file: one TypeBox source for the JSON Schema (validated by ajv) and the TS type.
 * Shapes a schema cannot express (a canary needs a percent or steps, paths exist) are checked in rules.ts.
 */
import { type Static, Type } from '@sinclair/typebox';
import { CodeDeploySettingsSchema } from './codedeploy-schema.js';

const Seconds = (description: string) => Type.Number({ minimum: 0, description });
const Percent = (description: string) => Type.Number({ minimum: 0, maximum: 100, description });

/** One explicit step: `setWeight: 10`, `pause: {seconds: 5}`, `pause: {}`, `analysis: {seconds: 10}`. */
export const StepSpecSchema = Type.Union([
  Type.Object(
    { setWeight: Percent('share of traffic (0-100) sent to the new revision') },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      pause: Type.Object(
        {
          seconds: Type.Optional(
            Seconds('bake time; without it the deployment waits for `conveyor promote`'),
          ),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      analysis: Type.Object(
        { seconds: Type.Optional(Seconds('how long the gates must keep passing (default: one interval)')) },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
]);
export type StepSpec = Static<typeof StepSpecSchema>;

export const StrategyTypes = [
  'all-at-once',
  'one-at-a-time',
  'half-at-a-time',
  'rolling',
  'rolling-with-additional-batch',
  'immutable',
  'blue-green',
  'canary',
  'linear',
  'steps',
] as const;
export type StrategyType = (typeof StrategyTypes)[number];

export const StrategySpecSchema = Type.Object(
  {
    type: Type.Union(
      StrategyTypes.map((t) => Type.Literal(t)),
      { description: 'the strategy family' },
    ),
    /** CodeDeploy predefined name, e.g. `Canary10Percent5Minutes`, `Linear10PercentEvery1Minute`, `CodeDeployDefault.HalfAtATime`. */
    config: Type.Optional(Type.String()),
    /** Canary shorthand (CodeDeploy TimeBasedCanary): first step percent, then 100 % after intervalSeconds. */
    percent: Type.Optional(Percent('canary percentage')),
    /** Linear shorthand (CodeDeploy TimeBasedLinear). */
    stepPercent: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })),
    intervalSeconds: Type.Optional(Seconds('bake between traffic steps')),
    steps: Type.Optional(Type.Array(StepSpecSchema, { minItems: 1 })),
    /** Rolling floor (CodeDeploy MinimumHealthyHosts): a host count or a fleet percent (< 100). */
    minimumHealthyHosts: Type.Optional(
      Type.Union([
        Type.Object({ count: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
        Type.Object(
          { percent: Type.Number({ minimum: 0, exclusiveMaximum: 100 }) },
          { additionalProperties: false },
        ),
      ]),
    ),
    /** Rolling with additional batch: instances per batch (count) — Elastic Beanstalk's batch size. */
    batchSize: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Blue/green: wait for `conveyor promote` before the traffic switch (CodeDeploy deploymentReadyOption). */
    readyWait: Type.Optional(
      Type.Object(
        {
          seconds: Type.Optional(Seconds('how long to wait; without it wait indefinitely')),
          actionOnTimeout: Type.Optional(Type.Union([Type.Literal('continue'), Type.Literal('stop')])),
        },
        { additionalProperties: false },
      ),
    ),
    /** Blue/green: keep the original fleet this long after the switch (CodeDeploy terminationWaitTime). */
    terminateBlueAfterSeconds: Type.Optional(Seconds('wait before terminating the original fleet')),
  },
  { additionalProperties: false },
);
export type StrategySpec = Static<typeof StrategySpecSchema>;

export const AnalysisSpecSchema = Type.Object(
  {
    intervalSeconds: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, description: 'how often gates are evaluated' }),
    ),
    maxErrorRate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    maxP99LatencyMs: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    minRequests: Type.Optional(Type.Integer({ minimum: 0 })),
    /** What a window without enough requests means: pause (wait for a human), fail, or pass. */
    noDataPolicy: Type.Optional(
      Type.Union([Type.Literal('pause'), Type.Literal('fail'), Type.Literal('pass')]),
    ),
    /** Failing evaluations before the gate breaches (default 1). */
    failureLimit: Type.Optional(Type.Integer({ minimum: 1 })),
    failureLimitMode: Type.Optional(Type.Union([Type.Literal('consecutive'), Type.Literal('total')])),
    /** Consecutive failed metric reads before the analysis fails (default 3). */
    measurementErrorLimit: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Judge the new revision against the stable one over the same window. */
    compareWithStable: Type.Optional(
      Type.Object(
        {
          maxErrorRateIncrease: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
          maxP99LatencyRatio: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type AnalysisSpec = Static<typeof AnalysisSpecSchema>;

export const NotificationSpecSchema = Type.Union([
  Type.Object(
    {
      command: Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1 })]),
      events: Type.Optional(Type.Array(Type.String())),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { webhook: Type.String({ pattern: '^https?://' }), events: Type.Optional(Type.Array(Type.String())) },
    { additionalProperties: false },
  ),
]);
export type NotificationSpec = Static<typeof NotificationSpecSchema>;

export const DeploymentGroupSchema = Type.Object(
  {
    application: Type.String({ pattern: '^[A-Za-z0-9._-]+$', minLength: 1, maxLength: 100 }),
    deploymentGroup: Type.String({ pattern: '^[A-Za-z0-9._-]+$', minLength: 1, maxLength: 100 }),
    provider: Type.Optional(Type.Union([Type.Literal('local'), Type.Literal('codedeploy')])),
    local: Type.Optional(
      Type.Object(
        {
          instances: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
          routerPort: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
          /** First instance port; omitted = free ephemeral loopback ports chosen at install. */
          basePort: Type.Optional(Type.Integer({ minimum: 1024, maximum: 65000 })),
          host: Type.Optional(Type.String()),
          /** Keep each client on the set (stable or new) it first reached while weights change. */
          sticky: Type.Optional(Type.Boolean()),
          /** How long in-flight requests may finish on instances leaving the router before they are stopped. */
          drainTimeoutSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 300 })),
          /**
           * Proxies in front of the router (IP addresses or CIDR ranges) whose X-Forwarded-For/-Proto/-Host and
           * Forwarded headers the router keeps. From any other client they are replaced by what the router saw.
           */
          trustedProxies: Type.Optional(
            Type.Array(
              Type.String({ minLength: 1, description: 'an IP address or CIDR range, e.g. 10.0.0.0/8' }),
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    /** `provider: codedeploy` settings (docs/aws.md), checked with the provider's own schema. */
    codedeploy: Type.Optional(CodeDeploySettingsSchema),
    healthCheck: Type.Optional(
      Type.Object(
        {
          path: Type.Optional(Type.String({ pattern: '^/' })),
          intervalSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
          unhealthyThreshold: Type.Optional(Type.Integer({ minimum: 1 })),
          timeoutSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
          /** How long a freshly installed instance has to become healthy. */
          startupSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
        },
        { additionalProperties: false },
      ),
    ),
    strategy: Type.Optional(Type.Union([Type.String(), StrategySpecSchema])),
    analysis: Type.Optional(AnalysisSpecSchema),
    rollback: Type.Optional(
      Type.Object(
        {
          onFailure: Type.Optional(Type.Boolean()),
          onGateBreach: Type.Optional(Type.Boolean()),
          onHealthFailure: Type.Optional(Type.Boolean()),
          hooks: Type.Optional(
            Type.Object(
              {
                beforeRollback: Type.Optional(Type.String({ minLength: 1 })),
                afterRollback: Type.Optional(Type.String({ minLength: 1 })),
                timeoutSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    notifications: Type.Optional(Type.Array(NotificationSpecSchema)),
    ignoreApplicationStopFailures: Type.Optional(Type.Boolean()),
    fileExistsBehavior: Type.Optional(
      Type.Union([Type.Literal('DISALLOW'), Type.Literal('OVERWRITE'), Type.Literal('RETAIN')]),
    ),
  },
  { additionalProperties: false },
);
export type DeploymentGroup = Static<typeof DeploymentGroupSchema>;
