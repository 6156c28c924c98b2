import { existsSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parse } from 'yaml';
import { readTextFile } from '../../core/files.js';
import type { LocalActionsConfig } from './local-config.js';
import {
  type ActionDeclaration,
  actionKey,
  type PipelineDeclaration,
  providerLabel,
  type StageDeclaration,
} from './model.js';

/** How an action runs on this machine. */
export type Executor =
  | { kind: 'source' }
  | { kind: 'codebuild'; buildspec?: string }
  | { kind: 'commands' }
  | { kind: 'manual' }
  | { kind: 'codedeploy'; groupFile: string }
  | { kind: 'local-command'; command: string };

export interface PlannedAction {
  stage: string;
  action: ActionDeclaration;
  runOrder: number;
  executor: Executor;
}

export interface PreflightReport {
  /** Actions that cannot run here: the run does not start. */
  problems: string[];
  warnings: string[];
  executors: Map<string, Executor>;
}

const gitSources = new Set(['CodeCommit', 'CodeStarSourceConnection', 'GitHub', 'S3', 'Bitbucket', 'GitLab']);

/** Actions of a stage in runOrder groups: same runOrder runs in parallel, groups run in order. */
export function runOrderGroups(stage: StageDeclaration): ActionDeclaration[][] {
  const byOrder = new Map<number, ActionDeclaration[]>();
  for (const a of stage.actions) {
    const order = a.runOrder ?? 1;
    byOrder.set(order, [...(byOrder.get(order) ?? []), a]);
  }
  return [...byOrder.entries()].sort((a, b) => a[0] - b[0]).map(([, actions]) => actions);
}

/**
 * Decides, before anything runs, how each action runs locally, and lists the ones that cannot, so a run never
 * stops half-way on an action nobody could have run.
 */
export function preflight(
  pipeline: PipelineDeclaration,
  config: LocalActionsConfig,
  root: string,
): PreflightReport {
  const problems: string[] = [];
  const warnings: string[] = [];
  const executors = new Map<string, Executor>();
  const projects = new Set(
    pipeline.stages.flatMap((st) =>
      st.actions
        .filter((a) => a.actionTypeId.provider === 'CodeBuild')
        .map((a) => a.configuration?.ProjectName ?? ''),
    ),
  );
  const configName = config.file
    ? '.conveyor/local-actions.yml'
    : '.conveyor/local-actions.yml (not present yet)';
  for (const stage of pipeline.stages) {
    for (const a of stage.actions) {
      const key = actionKey(stage.name, a.name);
      const mapped = config.actions[key] ?? config.actions[a.name];
      const { category, provider } = a.actionTypeId;
      let executor: Executor | undefined;
      if (mapped !== undefined) executor = { kind: 'local-command', command: mapped };
      else if (category === 'Source' && gitSources.has(provider)) executor = { kind: 'source' };
      else if ((category === 'Build' || category === 'Test') && provider === 'CodeBuild') {
        const project = a.configuration?.ProjectName ?? '';
        // A mapping wins; else a buildspec `conveyor synth` emitted: under the project's name, or, when the pipeline
        // has a single CodeBuild project, the one emitted from the same source under the pipeline's name.
        const byProject = join('conveyor.out', 'builds', project, 'buildspec.yml');
        const byPipeline = join('conveyor.out', 'builds', pipeline.name, 'buildspec.yml');
        const emitted =
          project && existsSync(join(root, byProject))
            ? byProject
            : projects.size === 1 && existsSync(join(root, byPipeline))
              ? byPipeline
              : undefined;
        const buildspec = config.codebuild[project] ?? emitted;
        executor = buildspec ? { kind: 'codebuild', buildspec } : { kind: 'codebuild' };
        if (!config.codebuild[project] && emitted) {
          warnings.push(
            `${key}: CodeBuild project '${project}' runs ${emitted} (emitted by conveyor synth); map it under 'codebuild:' in ${configName} to choose another`,
          );
        }
        if (!buildspec) {
          warnings.push(
            `${key}: CodeBuild project '${project}' has no buildspec mapping in ${configName}; using buildspec.yml from its primary input artifact, as a project without an inline buildspec does`,
          );
        }
      } else if (category === 'Compute' && provider === 'Commands') executor = { kind: 'commands' };
      else if (category === 'Approval' && provider === 'Manual') executor = { kind: 'manual' };
      else if (category === 'Deploy' && provider === 'CodeDeploy') {
        const app = a.configuration?.ApplicationName ?? '';
        const group = a.configuration?.DeploymentGroupName ?? '';
        const groupFile = config.codedeploy[`${app}/${group}`] ?? findGroupFile(root, app, group);
        if (groupFile) executor = { kind: 'codedeploy', groupFile };
        else {
          problems.push(
            `${key} (${providerLabel(a)}): no local deployment group for ${app}/${group}; add "${app}/${group}: path/to/group.yml" under 'codedeploy:' in ${configName}`,
          );
          continue;
        }
      }
      if (!executor) {
        problems.push(
          `${key} (${providerLabel(a)}) cannot run locally; map it to a command under 'actions:' in ${configName}, e.g. "${key}": ./scripts/${a.name.toLowerCase()}.sh`,
        );
        continue;
      }
      executors.set(key, executor);
    }
    for (const [when, conditions] of [
      ['beforeEntry', stage.beforeEntry?.conditions],
      ['onSuccess', stage.onSuccess?.conditions],
      ['onFailure', stage.onFailure?.conditions],
    ] as const) {
      for (const c of conditions ?? []) {
        for (const r of c.rules ?? []) {
          if (r.ruleTypeId.provider !== 'VariableCheck') {
            warnings.push(
              `${stage.name} ${when} rule ${r.name} (${r.ruleTypeId.provider}) cannot be checked locally; treated as met`,
            );
          }
        }
      }
    }
  }
  for (const t of pipeline.triggers ?? []) {
    if (t.gitConfiguration.pullRequest?.length) {
      warnings.push(
        `trigger on ${t.gitConfiguration.sourceActionName}: pullRequest filters do not apply locally (there are no pull requests in a git push); only push filters are used`,
      );
    }
  }
  return { problems, warnings, executors };
}

/** A deployment group file (YAML/JSON) naming this application and group, under the usual folders. */
export function findGroupFile(root: string, application: string, group: string): string | undefined {
  for (const dir of [
    'pipelines',
    join('conveyor.out', 'deployment-groups'),
    'deployment-groups',
    'groups',
    'deploy',
    '.',
  ]) {
    const folder = join(root, dir);
    if (!existsSync(folder)) continue;
    const files = readdirSync(folder, { recursive: dir !== '.' }).map(String);
    for (const f of files.sort()) {
      if (!['.yml', '.yaml', '.json'].includes(extname(f))) continue;
      try {
        const v = parse(readTextFile(join(folder, f))) as Record<string, unknown> | null;
        if (v && v.application === application && v.deploymentGroup === group) return join(folder, f);
      } catch {
        // Not a group file.
      }
    }
  }
  return undefined;
}
