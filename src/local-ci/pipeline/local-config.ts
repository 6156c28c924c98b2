import { join } from 'node:path';
import { parse } from 'yaml';
import { readTextFileAsync } from '../../core/files.js';
import { localConfigFile } from './local-config-file.js';

/**
 * `.conveyor/local-actions.yml`: how a pipeline's AWS actions map to this machine.
 *
 *   codebuild:              # CodeBuild ProjectName -> buildspec (relative to the input artifact, else the project)
 *     my-app-build: buildspec/app.yml
 *   codedeploy:             # "ApplicationName/DeploymentGroupName" -> deployment group file for `conveyor deploy`
 *     hello/dev: pipelines/groups/dev.yml
 *   actions:                # "Stage/Action" (or just "Action") -> a shell command, for providers with no local runner
 *     Deploy/PublishDocs: ./scripts/publish-docs-locally.sh
 *   runs:                   # retention of .conveyor/runs/ (local builds and pipeline runs)
 *     keep: 50              # the newest runs kept; older ones are pruned after each run
 */
export interface LocalActionsConfig {
  codebuild: Record<string, string>;
  codedeploy: Record<string, string>;
  actions: Record<string, string>;
  runs?: { keep?: number };
  file?: string;
}

export { localConfigFile };

export async function loadLocalConfig(
  root: string,
  file = join(root, localConfigFile),
): Promise<LocalActionsConfig> {
  let text: string;
  try {
    text = await readTextFileAsync(file);
  } catch {
    return { codebuild: {}, codedeploy: {}, actions: {}, runs: {} };
  }
  let value: unknown;
  try {
    value = parse(text);
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  const obj = (value ?? {}) as Record<string, unknown>;
  const map = (key: string): Record<string, string> => {
    const v = obj[key];
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`${file}: '${key}' must be a map`);
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, String(x)]));
  };
  const runs = (): { keep?: number } => {
    const v = obj.runs;
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`${file}: 'runs' must be a map`);
    const keep = (v as Record<string, unknown>).keep;
    if (keep === undefined || keep === null) return {};
    if (typeof keep !== 'number' || !Number.isInteger(keep) || keep < 0)
      throw new Error(
        `${file}: 'runs.keep' must be a whole number of runs (0 or more), found ${JSON.stringify(keep)}`,
      );
    return { keep };
  };
  // `localBuildspec` is accepted as another name for `codebuild`.
  return {
    codebuild: { ...map('localBuildspec'), ...map('codebuild') },
    codedeploy: map('codedeploy'),
    actions: map('actions'),
    runs: runs(),
    file,
  };
}
