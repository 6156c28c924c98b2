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
