/**
 * What `deploy` will ask CodeDeploy to do, and what it refuses, known without calling AWS: used by
 * `deploy --dry-run` (instead of a local-fleet plan) and by `validate` on deployment-group files, so both
 * apply the same checks as `deploy`. Pure: loads no SDK and reads nothing but the group file's values.
 */
import { UsageError } from '../core/errors.js';
import { autoRollbackFor, deploymentConfigFor } from '../providers/codedeploy/config.js';
import { parseCodeDeploySettings } from '../providers/codedeploy/settings.js';
import type { RollbackSettings } from '../providers/codedeploy/types.js';
import { resolveStrategy, type Strategy } from './strategies/strategy.js';

/** What CodeDeploy will be asked to do, known without calling AWS (deploy --dry-run, validate). */
export interface CodeDeployPreview {
  application: string;
  deploymentGroup: string;
  /** From the group file; undefined: deploy reads it from the live deployment group. */
  computePlatform?: string;
  region?: string;
  /** The deployment config deploy will use (and create first when `create` is set). */
  config?: { name: string; description: string; custom: boolean };
  /** CodeDeploy's automatic rollback events, as deploy sets them. */
  autoRollback: string[];
}

/**
 * The checks `deploy` makes that need no live data, and what they lead to: the strategy against the
 * compute platform (canary on Server is refused), the deployment config and the rollback settings.
 * Throws the UsageError deploy would throw.
 */
export function previewCodeDeploy(
  group: { application: string; deploymentGroup: string; codedeploy?: unknown; rollback?: unknown },
  strategy: Strategy,
  file?: string,
): CodeDeployPreview {
  const settings = parseCodeDeploySettings(group.codedeploy, file);
  const platform = settings.computePlatform;
  const config = platform ? deploymentConfigFor(strategy, platform) : undefined;
  return {
    application: group.application,
    deploymentGroup: group.deploymentGroup,
    ...(platform ? { computePlatform: platform } : {}),
    ...(settings.region ? { region: settings.region } : {}),
    ...(config
      ? { config: { name: config.name, description: config.description, custom: !!config.create } }
      : {}),
    autoRollback: autoRollbackFor(group.rollback as RollbackSettings | undefined).events ?? [],
  };
}

/** `previewCodeDeploy` as validation findings on a deployment-group file (strategy ↔ platform). */
export function codeDeployGroupFindings(
  group: unknown,
  file?: string,
): { path: string[]; message: string }[] {
  if (typeof group !== 'object' || group === null) return [];
  const g = group as {
    provider?: unknown;
    strategy?: unknown;
    application?: unknown;
    deploymentGroup?: unknown;
  };
  if (g.provider !== 'codedeploy') return [];
  try {
    previewCodeDeploy(
      {
        ...(group as object),
        application: String(g.application),
        deploymentGroup: String(g.deploymentGroup),
      },
      resolveStrategy(g.strategy as Parameters<typeof resolveStrategy>[0]),
      file,
    );
    return [];
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return [
      {
        path: ['strategy'],
        message: `conveyor deploy refuses this group: ${err.message}${err.hint ? ` (${err.hint})` : ''}`,
      },
    ];
  }
}
