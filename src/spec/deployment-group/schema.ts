/**
 * MINIMAL deployment-group schema written by the validate helper from DESIGN.md so `conveyor validate`
 * can check these files today. The deploy helper owns this folder and extends it (strategies, gates,
 * CodeDeploy settings); keep the export names `DeploymentGroupSchema` and `DeploymentGroup`.
 */
import { type Static, Type } from '@sinclair/typebox';

const closed = { additionalProperties: false } as const;

export const StrategyStepSchema = Type.Union([
  Type.Object({ setWeight: Type.Number({ minimum: 0, maximum: 100 }) }, closed),
  Type.Object(
    { pause: Type.Object({ seconds: Type.Optional(Type.Number({ minimum: 0 })) }, closed) },
    closed,
  ),
]);

export const DeploymentGroupSchema = Type.Object(
  {
    application: Type.String({ minLength: 1, maxLength: 100 }),
    deploymentGroup: Type.String({ minLength: 1, maxLength: 100 }),
    provider: Type.Union([Type.Literal('local'), Type.Literal('codedeploy')]),
    local: Type.Optional(
      Type.Object(
        {
          instances: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
          routerPort: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
        },
        closed,
      ),
    ),
    healthCheck: Type.Optional(
      Type.Object(
        {
          path: Type.Optional(Type.String({ pattern: '^/', description: 'a URL path starting with /' })),
          intervalSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
          unhealthyThreshold: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        closed,
      ),
    ),
    strategy: Type.Optional(
      Type.Object(
        {
          type: Type.Union(
            ['all-at-once', 'one-at-a-time', 'half-at-a-time', 'blue-green', 'canary', 'linear'].map((t) =>
              Type.Literal(t),
            ),
          ),
          steps: Type.Optional(Type.Array(StrategyStepSchema)),
        },
        closed,
      ),
    ),
    analysis: Type.Optional(
      Type.Object(
        {
          intervalSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
          maxErrorRate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
          maxP99LatencyMs: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
          minRequests: Type.Optional(Type.Integer({ minimum: 0 })),
        },
        closed,
      ),
    ),
    rollback: Type.Optional(
      Type.Object(
        {
          onFailure: Type.Optional(Type.Boolean()),
          onGateBreach: Type.Optional(Type.Boolean()),
          hooks: Type.Optional(
            Type.Object(
              { beforeRollback: Type.Optional(Type.String()), afterRollback: Type.Optional(Type.String()) },
              closed,
            ),
          ),
        },
        closed,
      ),
    ),
  },
  { ...closed, $id: 'deployment-group' },
);

export type DeploymentGroup = Static<typeof DeploymentGroupSchema>;
