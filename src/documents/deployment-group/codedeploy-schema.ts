/**
 * The `codedeploy:` section's schema alone (TypeBox only, nothing else at run time), so the deployment-group
 * schema can embed it without loading the provider.
 */
import { type Static, Type } from '@sinclair/typebox';

const Name = (description: string) =>
  Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._+=,@-]+$', description });

export const CodeDeployRevisionSchema = Type.Union([
  Type.Object(
    {
      s3: Type.Object(
        {
          bucket: Type.String({ minLength: 3, maxLength: 63 }),
          key: Type.String({ minLength: 1 }),
          bundleType: Type.Union([
            Type.Literal('zip'),
            Type.Literal('tar'),
            Type.Literal('tgz'),
            Type.Literal('YAML'),
            Type.Literal('JSON'),
          ]),
          version: Type.Optional(Type.String()),
          eTag: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      github: Type.Object(
        {
          repository: Type.String({ pattern: '^[^/\\s]+/[^/\\s]+$', description: 'owner/name' }),
          commitId: Type.String({ pattern: '^[0-9a-f]{40}$', description: 'full commit SHA' }),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
  Type.Object({ appSpecContent: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
]);

/** Where CodeDeploy gets the revision; `appSpecContent` (ECS, Lambda) is the appspec itself, sent inline. */
export type CodeDeployRevision = Static<typeof CodeDeployRevisionSchema>;

export const CodeDeploySettingsSchema = Type.Object(
  {
    applicationName: Type.Optional(Name('CodeDeploy application (default: the group file `application`)')),
    deploymentGroupName: Type.Optional(
      Name('CodeDeploy deployment group (default: the group file `deploymentGroup`)'),
    ),
    region: Type.Optional(Type.String({ pattern: '^[a-z]{2}(-[a-z]+)+-\\d+$' })),
    computePlatform: Type.Optional(
      Type.Union([Type.Literal('Server'), Type.Literal('ECS'), Type.Literal('Lambda')]),
    ),
    revision: Type.Optional(CodeDeployRevisionSchema),
    description: Type.Optional(Type.String({ maxLength: 100 })),
    pollSeconds: Type.Optional(
      Type.Number({
        minimum: 1,
        description: 'poll interval while following (default 15, the SDK waiter’s)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CodeDeploySettingsSpec = Static<typeof CodeDeploySettingsSchema>;
