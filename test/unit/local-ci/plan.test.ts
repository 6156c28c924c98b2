import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PipelineDeclaration } from '../../../src/local-ci/pipeline/model.js';
import { preflight, runOrderGroups } from '../../../src/local-ci/pipeline/plan.js';

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

const action = (name: string, category: string, provider: string, extra: Record<string, unknown> = {}) => ({
  name,
  actionTypeId: { category, owner: 'AWS', provider, version: '1' },
  ...extra,
});

const pipeline = {
  name: 'web-app',
  stages: [
    { name: 'Source', actions: [action('Src', 'Source', 'CodeStarSourceConnection')] },
    {
      name: 'Build',
      actions: [
        action('Unit', 'Test', 'CodeBuild', { runOrder: 2, configuration: { ProjectName: 'web-app-build' } }),
        action('Lint', 'Build', 'CodeBuild', {
          runOrder: 1,
          configuration: { ProjectName: 'web-app-build' },
        }),
        action('Types', 'Compute', 'Commands', { runOrder: 1, commands: ['tsc'] }),
      ],
    },
    {
      name: 'Deploy',
      actions: [
        action('Fleet', 'Deploy', 'CodeDeploy', {
          configuration: { ApplicationName: 'web-app', DeploymentGroupName: 'production' },
        }),
        action('Cdn', 'Deploy', 'CloudFormation'),
        action('Ask', 'Approval', 'Manual'),
      ],
    },
  ],
} as unknown as PipelineDeclaration;

describe('preflight and runOrder groups', () => {
  it('groups a stage by runOrder, in order', () => {
    expect(runOrderGroups(pipeline.stages[1]!).map((g) => g.map((a) => a.name))).toEqual([
      ['Lint', 'Types'],
      ['Unit'],
    ]);
  });

  it('finds synth output for CodeBuild and CodeDeploy, and lists what cannot run with the line to add', () => {
    const root = mkdtempSync(join(tmpdir(), 'conveyor-plan-'));
    dirs.push(root);
    mkdirSync(join(root, 'conveyor.out', 'builds', 'web-app'), { recursive: true });
    writeFileSync(join(root, 'conveyor.out', 'builds', 'web-app', 'buildspec.yml'), 'version: 0.2\n');
    mkdirSync(join(root, 'conveyor.out', 'deployment-groups'), { recursive: true });
    writeFileSync(
      join(root, 'conveyor.out', 'deployment-groups', 'g.yml'),
      'application: web-app\ndeploymentGroup: production\n',
    );
    const report = preflight(pipeline, { codebuild: {}, codedeploy: {}, actions: {} }, root);
    expect(report.problems).toEqual([
      expect.stringMatching(
        /^Deploy\/Cdn \(AWS\/Deploy\/CloudFormation\) cannot run locally; map it .*"Deploy\/Cdn": \.\/scripts\/cdn\.sh$/,
      ),
    ]);
    expect(report.executors.get('Build/Lint')).toEqual({
      kind: 'codebuild',
      buildspec: join('conveyor.out', 'builds', 'web-app', 'buildspec.yml'),
    });
    expect(report.executors.get('Deploy/Fleet')).toEqual({
      kind: 'codedeploy',
      groupFile: join(root, 'conveyor.out', 'deployment-groups', 'g.yml'),
    });
    expect(report.executors.get('Deploy/Ask')).toEqual({ kind: 'manual' });
    const mapped = preflight(
      pipeline,
      { codebuild: { 'web-app-build': 'ci/b.yml' }, codedeploy: {}, actions: { Cdn: 'true' } },
      root,
    );
    expect(mapped.problems).toEqual([]);
    expect(mapped.executors.get('Build/Unit')).toEqual({ kind: 'codebuild', buildspec: 'ci/b.yml' });
    expect(mapped.executors.get('Deploy/Cdn')).toEqual({ kind: 'local-command', command: 'true' });
  });
});
