/** Entry point for the deploy engine: a CodeDeploy provider wired to a real (lazily loaded) SDK client. */
import { type AwsSettings, createCodeDeployClient } from '../../aws/clients.js';
import { sdkCodeDeployPort } from './port.js';
import { CodeDeployProvider, type CodeDeployProviderOptions } from './provider.js';

export { autoRollbackFor, deploymentConfigFor, revisionLocationFor } from './config.js';
export type { CodeDeployPort } from './port.js';
export { sdkCodeDeployPort } from './port.js';
export type { CodeDeployDeploymentRequest, FollowResult, PreparedDeployment } from './provider.js';
export { CodeDeployProvider, conveyorStatus } from './provider.js';
export type * from './types.js';

export async function createCodeDeployProvider(
  settings: AwsSettings,
  options: CodeDeployProviderOptions,
): Promise<CodeDeployProvider> {
  const client = await createCodeDeployClient(settings);
  return new CodeDeployProvider(sdkCodeDeployPort(client), options);
}

export type { CodeDeploySettingsSpec, GroupFileForCodeDeploy } from './settings.js';
export { CodeDeploySettingsSchema, codeDeployRequestFromGroup, parseCodeDeploySettings } from './settings.js';

/**
 * One whole deployment on CodeDeploy: check (before anything starts), create, follow to the end.
 * `onStarted` receives CodeDeploy's deployment id as soon as it exists, so the caller can record it
 * (promote and abort from another process need it).
 */
export async function deployWithCodeDeploy(
  provider: CodeDeployProvider,
  request: import('./provider.js').CodeDeployDeploymentRequest,
  onEvent: (event: import('./types.js').CodeDeployEvent) => void,
  options: { signal?: AbortSignal; onStarted?: (deploymentId: string) => void } = {},
): Promise<import('./provider.js').FollowResult> {
  const prepared = await provider.prepare(request);
  const deploymentId = await provider.start(prepared);
  options.onStarted?.(deploymentId);
  return provider.follow(deploymentId, onEvent, options.signal);
}

/**
 * A provider for one deployment group file: its `codedeploy.region` (over the environment's) and
 * `codedeploy.pollSeconds` apply.
 */
export async function createCodeDeployProviderForGroup(
  env: AwsSettings['env'],
  group: import('./settings.js').GroupFileForCodeDeploy,
  clock: import('../../core/clock.js').Clock,
  file?: string,
  /** The command's --region / --profile: they win over the group file's region and the environment. */
  overrides: { region?: string; profile?: string } = {},
): Promise<CodeDeployProvider> {
  const { parseCodeDeploySettings } = await import('./settings.js');
  const settings = parseCodeDeploySettings(group.codedeploy, file);
  const region = overrides.region ?? settings.region;
  return createCodeDeployProvider(
    { env, ...(region ? { region } : {}), ...(overrides.profile ? { profile: overrides.profile } : {}) },
    { clock, ...(settings.pollSeconds ? { pollMs: settings.pollSeconds * 1000 } : {}) },
  );
}
