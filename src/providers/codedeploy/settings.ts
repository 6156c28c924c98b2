/**
 * The deployment group file's `codedeploy:` section: one TypeBox source for its JSON Schema and its type,
 * so the deployment-group schema can embed it (`codedeploy: CodeDeploySettingsSchema`).
 */
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { UsageError } from '../../core/errors.js';
import type { CodeDeployDeploymentRequest } from './provider.js';
import type { RollbackSettings, Strategy } from './types.js';

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

/** Checks a `codedeploy:` section; a mistake is a UsageError naming the path and what is allowed. */
export function parseCodeDeploySettings(value: unknown, file = 'deployment group'): CodeDeploySettingsSpec {
  const input = value ?? {};
  if (Value.Check(CodeDeploySettingsSchema, input)) return input;
  const first = [...Value.Errors(CodeDeploySettingsSchema, input)][0];
  const path = `codedeploy${(first?.path ?? '').replace(/\//g, '.')}`;
  throw new UsageError(`${file}: ${path}: ${first?.message ?? 'invalid'}`);
}

/** The deployment group file fields the CodeDeploy provider reads (a structural subset of DeploymentGroup). */
export interface GroupFileForCodeDeploy {
  application: string;
  deploymentGroup: string;
  codedeploy?: unknown;
  analysis?: unknown;
  rollback?: RollbackSettings;
  fileExistsBehavior?: 'DISALLOW' | 'OVERWRITE' | 'RETAIN';
  ignoreApplicationStopFailures?: boolean;
}

/** Builds the provider request from a loaded group file, the resolved strategy and the revision folder. */
export function codeDeployRequestFromGroup(
  group: GroupFileForCodeDeploy,
  strategy: Strategy,
  revision?: { dir: string; label: string },
  file?: string,
): CodeDeployDeploymentRequest {
  const codedeploy = parseCodeDeploySettings(group.codedeploy, file);
  return {
    application: group.application,
    deploymentGroup: group.deploymentGroup,
    strategy,
    codedeploy,
    ...(group.analysis !== undefined ? { analysis: group.analysis } : {}),
    ...(group.rollback ? { rollback: group.rollback } : {}),
    ...(group.fileExistsBehavior ? { fileExistsBehavior: group.fileExistsBehavior } : {}),
    ...(group.ignoreApplicationStopFailures !== undefined
      ? { ignoreApplicationStopFailures: group.ignoreApplicationStopFailures }
      : {}),
    ...(revision ? { revisionDir: revision.dir, revisionLabel: revision.label } : {}),
  };
}
