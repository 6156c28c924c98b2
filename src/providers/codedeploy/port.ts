/**
 * The narrow CodeDeploy port: only the SDK commands the provider uses. `sdkCodeDeployPort` sends them
 * through the real client (error mapping included); tests mock that client with aws-sdk-client-mock.
 */
import type {
  BatchGetDeploymentTargetsOutput,
  CodeDeployClient,
  ContinueDeploymentInput,
  CreateDeploymentConfigInput,
  CreateDeploymentInput,
  CreateDeploymentOutput,
  DeploymentGroupInfo,
  DeploymentInfo,
  DeploymentTarget,
  GetDeploymentGroupOutput,
  GetDeploymentOutput,
  ListDeploymentTargetsOutput,
  StopDeploymentOutput,
} from '@aws-sdk/client-codedeploy';
import { loadCodeDeploy } from '../../aws/clients.js';
import { awsCall, errorName } from '../../aws/errors.js';

export interface CodeDeployPort {
  getDeploymentGroup(applicationName: string, deploymentGroupName: string): Promise<DeploymentGroupInfo>;
  /** Creates a custom config; resolves false when one with that name already exists. */
  createDeploymentConfig(input: CreateDeploymentConfigInput): Promise<boolean>;
  createDeployment(input: CreateDeploymentInput): Promise<string>;
  getDeployment(deploymentId: string): Promise<DeploymentInfo>;
  /** Every target of a deployment (ListDeploymentTargets pages, then BatchGetDeploymentTargets in 25s). */
  deploymentTargets(deploymentId: string): Promise<DeploymentTarget[]>;
  continueDeployment(input: ContinueDeploymentInput): Promise<void>;
  stopDeployment(deploymentId: string, autoRollbackEnabled: boolean): Promise<StopDeploymentOutput>;
}

/** BatchGetDeploymentTargets accepts at most 25 target ids per call. */
export const TARGET_BATCH = 25;

export function sdkCodeDeployPort(client: CodeDeployClient): CodeDeployPort {
  const sdk = loadCodeDeploy();
  return {
    async getDeploymentGroup(applicationName, deploymentGroupName) {
      const { GetDeploymentGroupCommand } = await sdk;
      const out = await awsCall<GetDeploymentGroupOutput>(
        'CodeDeploy',
        client,
        new GetDeploymentGroupCommand({ applicationName, deploymentGroupName }),
        `${applicationName}/${deploymentGroupName}`,
      );
      return out.deploymentGroupInfo ?? {};
    },
    async createDeploymentConfig(input) {
      const { CreateDeploymentConfigCommand } = await sdk;
      try {
        await awsCall(
          'CodeDeploy',
          client,
          new CreateDeploymentConfigCommand(input),
          `config ${input.deploymentConfigName}`,
        );
        return true;
      } catch (err) {
        // Names encode every setting, so an existing config of that name is the one we need.
        if (errorName(err) === 'DeploymentConfigAlreadyExistsException') return false;
        throw err;
      }
    },
    async createDeployment(input) {
      const { CreateDeploymentCommand } = await sdk;
      const out = await awsCall<CreateDeploymentOutput>(
        'CodeDeploy',
        client,
        new CreateDeploymentCommand(input),
        `${input.applicationName}/${input.deploymentGroupName}`,
      );
      if (!out.deploymentId) throw new Error('CreateDeployment returned no deployment id');
      return out.deploymentId;
    },
    async getDeployment(deploymentId) {
      const { GetDeploymentCommand } = await sdk;
      const out = await awsCall<GetDeploymentOutput>(
        'CodeDeploy',
        client,
        new GetDeploymentCommand({ deploymentId }),
        deploymentId,
      );
      return out.deploymentInfo ?? {};
    },
    async deploymentTargets(deploymentId) {
      const { ListDeploymentTargetsCommand, BatchGetDeploymentTargetsCommand } = await sdk;
      const ids: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = await awsCall<ListDeploymentTargetsOutput>(
          'CodeDeploy',
          client,
          new ListDeploymentTargetsCommand({ deploymentId, ...(nextToken ? { nextToken } : {}) }),
          deploymentId,
        );
        ids.push(...(page.targetIds ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      const targets: DeploymentTarget[] = [];
      for (let i = 0; i < ids.length; i += TARGET_BATCH) {
        const out = await awsCall<BatchGetDeploymentTargetsOutput>(
          'CodeDeploy',
          client,
          new BatchGetDeploymentTargetsCommand({ deploymentId, targetIds: ids.slice(i, i + TARGET_BATCH) }),
          deploymentId,
        );
        targets.push(...(out.deploymentTargets ?? []));
      }
      return targets;
    },
    async continueDeployment(input) {
      const { ContinueDeploymentCommand } = await sdk;
      await awsCall('CodeDeploy', client, new ContinueDeploymentCommand(input), input.deploymentId);
    },
    async stopDeployment(deploymentId, autoRollbackEnabled) {
      const { StopDeploymentCommand } = await sdk;
      return awsCall<StopDeploymentOutput>(
        'CodeDeploy',
        client,
        new StopDeploymentCommand({ deploymentId, autoRollbackEnabled }),
        deploymentId,
      );
    },
  };
}
