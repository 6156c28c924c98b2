import { brand, type DeploymentConfigDefinition, type DeploymentGroupDefinition } from '../definition.js';
import type { DeploymentGroupDocument } from '../documents.js';
import { assertName } from './names.js';

export type DeploymentGroupProps = DeploymentGroupDocument & {
  /**
   * A custom CodeDeploy deployment configuration this group uses (see `defineDeploymentConfig`).
   * Synth emits it next to the group as `deployment-configs/<name>.json`.
   */
  deploymentConfig?: DeploymentConfigDefinition;
};

/**
 * A deployment group file for `conveyor deploy --config` (local fleet or CodeDeploy). Synth emits
 * `deployment-groups/<application>.<deploymentGroup>.yml`.
 */
export function defineDeploymentGroup(props: DeploymentGroupProps): DeploymentGroupDefinition {
  const { deploymentConfig, ...document } = props;
  assertName('defineDeploymentGroup (application)', document.application);
  assertName('defineDeploymentGroup (deploymentGroup)', document.deploymentGroup);
  const name = `${document.application}.${document.deploymentGroup}`;
  return brand({ kind: 'deployment-group' as const, name, document, deploymentConfig });
}
