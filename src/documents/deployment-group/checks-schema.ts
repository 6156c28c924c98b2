/**
 * `analysis.checks`: named gates read from outside the router (Prometheus, CloudWatch, an HTTP endpoint,
 * a command), each with its own condition, interval, no-data handling and failure limit.
 */
import { type Static, Type } from '@sinclair/typebox';

const Common = {
  /** Names the check in verdicts and status. */
  name: Type.String({ pattern: '^[A-Za-z0-9._-]+$', minLength: 1, maxLength: 64 }),
  /**
   * When the check must hold, e.g. `result < 0.01`, `status == 200 && body.ok == true`, `exitCode == 0`.
   * A small expression language (numbers, strings, booleans, `< <= > >= == !=`, `&& || !`, parentheses).
   */
  condition: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  /** How often the check is measured while the new revision takes traffic. @default analysis.intervalSeconds */
  intervalSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 3600 })),
  /** Longest one measurement may take; a slower one is a failed measurement. @default 10 */
  timeoutSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 3600 })),
  /** Breaching measurements (consecutive) before the check fails. @default 1 */
  failureLimit: Type.Optional(Type.Integer({ minimum: 1 })),
  /** What an empty result or a failed measurement means: pause for a human, fail, or pass. @default 'pause' */
  noDataPolicy: Type.Optional(
    Type.Union([Type.Literal('pause'), Type.Literal('fail'), Type.Literal('pass')]),
  ),
  /** Consecutive failed measurements before the check fails whatever the no-data policy. @default 3 */
  measurementErrorLimit: Type.Optional(Type.Integer({ minimum: 1 })),
  /**
   * Deployment points where the check runs (Flagger's webhooks): `pre-rollout` (before traffic shifts),
   * `rollout` (every interval while the new revision takes traffic), `confirm-promotion` (before full traffic),
   * `post-rollout` (after success), `rollback` (after a rollback). @default ['rollout']
   */
  at: Type.Optional(
    Type.Array(
      Type.Union([
        Type.Literal('pre-rollout'),
        Type.Literal('rollout'),
        Type.Literal('confirm-promotion'),
        Type.Literal('post-rollout'),
        Type.Literal('rollback'),
      ]),
      { minItems: 1 },
    ),
  ),
};

export const CheckSpecSchema = Type.Union([
  Type.Object(
    {
      ...Common,
      provider: Type.Literal('prometheus'),
      /** Server URL, e.g. http://127.0.0.1:9090 */
      address: Type.String({ pattern: '^https?://', minLength: 8 }),
      /** Instant PromQL query; `{{canaryRevision}}`, `{{stableRevision}}`, `{{canarySet}}`, `{{stableSet}}` are replaced. */
      query: Type.String({ minLength: 1 }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      ...Common,
      provider: Type.Literal('http'),
      url: Type.String({ pattern: '^https?://', minLength: 8 }),
      method: Type.Optional(Type.Union([Type.Literal('GET'), Type.Literal('POST')])),
      headers: Type.Optional(Type.Record(Type.String(), Type.String())),
      body: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      ...Common,
      provider: Type.Literal('command'),
      /** A shell line, or argv without a shell. */
      command: Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String(), { minItems: 1 })]),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      ...Common,
      provider: Type.Literal('cloudwatch'),
      /** @default AWS_REGION, AWS_DEFAULT_REGION or the profile's region */
      region: Type.Optional(Type.String({ pattern: '^[a-z]{2}(-[a-z]+)+-\\d$' })),
      /** A metric or composite alarm's state: the condition sees `state` (default condition `state != 'ALARM'`). */
      alarmName: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
      /**
       * GetMetricData queries (metric math allowed); the condition sees `result`, the newest value of the
       * first query returned (ReturnData), and each query's newest value by its id.
       */
      metricDataQueries: Type.Optional(
        Type.Array(
          Type.Object(
            {
              id: Type.String({ pattern: '^[a-z][A-Za-z0-9_]*$' }),
              expression: Type.Optional(Type.String({ minLength: 1 })),
              metricStat: Type.Optional(
                Type.Object(
                  {
                    namespace: Type.String({ minLength: 1 }),
                    metricName: Type.String({ minLength: 1 }),
                    dimensions: Type.Optional(Type.Record(Type.String(), Type.String())),
                    periodSeconds: Type.Integer({ minimum: 1 }),
                    stat: Type.String({ minLength: 1 }),
                  },
                  { additionalProperties: false },
                ),
              ),
              returnData: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
          { minItems: 1, maxItems: 20 },
        ),
      ),
      /** How far back GetMetricData reads, ending now. @default 300 */
      windowSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86400 })),
    },
    { additionalProperties: false },
  ),
]);
export type CheckSpec = Static<typeof CheckSpecSchema>;
export type CheckPoint = NonNullable<CheckSpec['at']>[number];
