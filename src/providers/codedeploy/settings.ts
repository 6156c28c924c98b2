/**
 * The deployment group file's `codedeploy:` section: one TypeBox source for its JSON Schema and its type,
 * so the deployment-group schema can embed it (`codedeploy: CodeDeploySettingsSchema`).
 */
import { Value } from '@sinclair/typebox/value';
import { UsageError } from '../../core/errors.js';
import {
  CodeDeploySettingsSchema,
  type CodeDeploySettingsSpec,
} from '../../documents/deployment-group/codedeploy-schema.js';
import type { CodeDeployDeploymentRequest, RollbackSettings, Strategy } from './types.js';

export {
  type CodeDeployRevision,
  CodeDeployRevisionSchema,
  CodeDeploySettingsSchema,
  type CodeDeploySettingsSpec,
} from '../../documents/deployment-group/codedeploy-schema.js';

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
