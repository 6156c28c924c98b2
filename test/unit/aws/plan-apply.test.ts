import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CodePipelineClient,
  CreatePipelineCommand,
  GetPipelineCommand,
  type PipelineDeclaration,
  PipelineNotFoundException,
  UpdatePipelineCommand,
} from '@aws-sdk/client-codepipeline';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diffPipelines } from '../../../src/aws/pipeline/diff.js';
import { createApplyCommand } from '../../../src/cli/commands/apply.js';
import { runCli } from '../../../src/cli/run-cli.js';
import { awsContext, FIXTURES } from './helpers.js';

const cp = mockClient(CodePipelineClient);
const readJson = (rel: string) => JSON.parse(readFileSync(join(FIXTURES, rel), 'utf8'));
const desiredLegacy = (): PipelineDeclaration => readJson('pipelines/legacy.json').pipeline;
const liveLegacy = () => readJson('live/legacy.get-pipeline.json');
const notFound = (name: string) =>
  new PipelineNotFoundException({
    message: `Account '111122223333' does not have a pipeline with name '${name}'`,
    $metadata: { httpStatusCode: 400 },
  });

let env: ReturnType<typeof awsContext>;
beforeEach(() => {
  cp.reset();
  env = awsContext();
});
afterEach(() => env.cleanup());

describe('pipeline diff', () => {
  it('treats masked secrets, runOrder 1, empty lists, version and default modes as no drift', () => {
    expect(diffPipelines(liveLegacy().pipeline, desiredLegacy())).toEqual([]);
  });

  it('reports changed configuration, an added stage and a changed mode by name', () => {
    const desired = desiredLegacy();
    desired.stages![1]!.actions![0]!.configuration!.ProjectName = 'legacy-build-v2';
    desired.stages!.push({
      name: 'Approve',
      actions: [
        {
          name: 'Gate',
          actionTypeId: { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' },
        },
      ],
    });
    desired.executionMode = 'QUEUED';
    const changes = diffPipelines(liveLegacy().pipeline, desired);
    expect(changes).toEqual([
      // QUEUED is V2-only: the untyped desired pipeline becomes V2 on AWS, a change worth showing
      { kind: 'change', path: 'pipelineType', before: 'V1', after: 'V2' },
      { kind: 'change', path: 'executionMode', before: 'SUPERSEDED', after: 'QUEUED' },
      { kind: 'change', path: 'stages.order', before: 'Source, Build', after: 'Source, Build, Approve' },
      {
        kind: 'change',
        path: 'stages.Build.actions.Make.configuration.ProjectName',
        before: 'legacy-build',
        after: 'legacy-build-v2',
      },
      {
        kind: 'add',
        path: 'stages.Approve',
        after: {
          actions: {
            order: 'Gate',
            Gate: {
              actionTypeId: { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' },
              runOrder: 1,
            },
          },
        },
      },
    ]);
  });

  it('a masked value in the emitted file is drift-free but a changed clear value is drift', () => {
    const live = liveLegacy().pipeline;
    live.stages[0].actions[0].configuration.Repo = 'legacy-old';
    const changes = diffPipelines(live, desiredLegacy());
    expect(changes.map((c) => c.path)).toEqual(['stages.Source.actions.GitHub.configuration.Repo']);
  });
});

describe('conveyor plan', () => {
  it('prints create for a missing pipeline and nothing for a matching one (masked token)', async () => {
    cp.on(GetPipelineCommand, { name: 'legacy' }).resolves(liveLegacy());
    cp.on(GetPipelineCommand, { name: 'release' }).rejects(notFound('release'));
    const code = await runCli(['plan', '--dir', 'pipelines'], env.ctx);
    expect(env.err.text()).toBe('');
    expect(code).toBe(0);
    expect(env.out.text()).toBe(
      [
        '  legacy (pipelines/legacy.json): no changes (live version 7)',
        '+ release (pipelines/release.json): create',
        'Plan: 1 to create, 0 to update, 1 unchanged.',
        '',
      ].join('\n'),
    );
    expect(cp.commandCalls(GetPipelineCommand).map((c) => c.args[0].input)).toEqual([
      { name: 'legacy' },
      { name: 'release' },
    ]);
  });

  it('--check exits 1 when a pipeline would change, and --json lists the changes', async () => {
    const live = liveLegacy();
    live.pipeline.stages[1].actions[0].configuration.ProjectName = 'old-project';
    cp.on(GetPipelineCommand).resolves(live);
    const code = await runCli(['plan', 'pipelines/legacy.json', '--check', '--json'], env.ctx);
    expect(code).toBe(1);
    expect(JSON.parse(env.out.text())).toEqual({
      pipelines: [
        {
          name: 'legacy',
          file: 'pipelines/legacy.json',
          action: 'update',
          liveVersion: 7,
          changes: [
            {
              kind: 'change',
              path: 'stages.Build.actions.Make.configuration.ProjectName',
              before: 'old-project',
              after: 'legacy-build',
            },
          ],
        },
      ],
    });
  });

  it('explains a missing folder with exit 2', async () => {
    const code = await runCli(['plan'], env.ctx);
    expect(code).toBe(2);
    expect(env.err.text()).toContain('no pipeline folder at conveyor.out/pipelines');
  });
});

describe('conveyor apply', () => {
  const yes = () => Promise.resolve(true);

  it('creates a missing pipeline with exactly the emitted declaration', async () => {
    cp.on(GetPipelineCommand).rejects(notFound('release'));
    cp.on(CreatePipelineCommand).resolves({
      pipeline: { ...readJson('pipelines/release.json').pipeline, version: 1 },
    });
    const code = await runCli(['apply', 'pipelines/release.json', '--yes'], env.ctx);
    expect(env.err.text()).toBe('');
    expect(code).toBe(0);
    expect(cp.commandCalls(CreatePipelineCommand)[0]!.args[0].input).toEqual(
      readJson('pipelines/release.json'),
    );
    expect(env.out.text()).toContain('created release (version 1)');
  });

  it('updates with the live version and sends the full structure', async () => {
    const live = liveLegacy();
    live.pipeline.stages[1].actions[0].configuration.ProjectName = 'old-project';
    cp.on(GetPipelineCommand).resolves(live);
    cp.on(UpdatePipelineCommand).resolves({ pipeline: { ...desiredLegacy(), version: 8 } });
    const command = createApplyCommand(() => yes());
    const code = await command.run(['pipelines/legacy.json'], env.ctx as never);
    expect(code).toBe(0);
    expect(cp.commandCalls(UpdatePipelineCommand)[0]!.args[0].input).toEqual({
      pipeline: { ...desiredLegacy(), version: 7 },
    });
    expect(env.out.text()).toContain('updated legacy (version 8)');
  });

  it('is a no-op without changes: no Create/Update call, no question asked', async () => {
    cp.on(GetPipelineCommand).resolves(liveLegacy());
    let asked = false;
    const command = createApplyCommand(() => {
      asked = true;
      return yes();
    });
    const code = await command.run(['pipelines/legacy.json'], env.ctx as never);
    expect(code).toBe(0);
    expect(asked).toBe(false);
    expect(cp.commandCalls(UpdatePipelineCommand)).toHaveLength(0);
    expect(cp.commandCalls(CreatePipelineCommand)).toHaveLength(0);
    expect(env.out.text()).toContain('Nothing to apply.');
  });

  it('without --yes and without a terminal is a usage error and changes nothing', async () => {
    cp.on(GetPipelineCommand).rejects(notFound('release'));
    const command = createApplyCommand(() => undefined);
    await expect(command.run(['pipelines/release.json'], env.ctx as never)).rejects.toThrow(
      'apply needs confirmation and no terminal is attached',
    );
    expect(cp.commandCalls(CreatePipelineCommand)).toHaveLength(0);
  });

  it('a "no" answer cancels with exit 1', async () => {
    cp.on(GetPipelineCommand).rejects(notFound('release'));
    const code = await createApplyCommand(() => Promise.resolve(false)).run(
      ['pipelines/release.json'],
      env.ctx as never,
    );
    expect(code).toBe(1);
    expect(cp.commandCalls(CreatePipelineCommand)).toHaveLength(0);
  });

  it('maps a concurrent update (InvalidStructureException on version) to a version-conflict message, exit 1', async () => {
    const live = liveLegacy();
    live.pipeline.stages[1].actions[0].configuration.ProjectName = 'old-project';
    cp.on(GetPipelineCommand).resolves(live);
    const { InvalidStructureException } = await import('@aws-sdk/client-codepipeline');
    cp.on(UpdatePipelineCommand).rejects(
      new InvalidStructureException({
        message: 'Pipeline version 7 is not the latest version of the pipeline (8)',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const code = await runCli(['apply', 'pipelines/legacy.json', '--yes'], env.ctx);
    expect(code).toBe(1);
    expect(env.err.text()).toContain('version conflict on codepipeline:UpdatePipeline (pipeline legacy)');
    expect(env.err.text()).toContain('run `conveyor plan` and try again');
  });
});

describe('validation before AWS', () => {
  it('refuses an invalid pipeline with positioned diagnostics, exit 1, and no AWS call', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'conveyor-plan-invalid-'));
    try {
      const doc = readJson('pipelines/legacy.json');
      doc.pipeline.stages[1].actions[0].inputArtifacts = [{ name: 'Nowhere' }];
      writeFileSync(join(dir, 'legacy.json'), JSON.stringify(doc, null, 2));
      const code = await runCli(['plan', '--dir', dir], env.ctx);
      expect(code).toBe(1);
      expect(env.err.text()).toContain('invalid pipeline definition; nothing was sent to AWS:');
      expect(env.err.text()).toMatch(/legacy\.json:\d+:\d+ error pipeline\/[a-z-]+ .*Nowhere/);
      expect(cp.calls()).toHaveLength(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('apply --force', () => {
  it('updates a pipeline whose only difference could hide behind a masked secret', async () => {
    cp.on(GetPipelineCommand).resolves(liveLegacy());
    cp.on(UpdatePipelineCommand).resolves({ pipeline: { ...desiredLegacy(), version: 8 } });
    const code = await runCli(['apply', 'pipelines/legacy.json', '--yes', '--force'], env.ctx);
    expect(code).toBe(0);
    expect(env.out.text()).toContain(
      '~ legacy (pipelines/legacy.json): update live version 7 (forced: no visible change)',
    );
    expect(
      cp.commandCalls(UpdatePipelineCommand)[0]!.args[0].input.pipeline?.stages?.[0]?.actions?.[0]
        ?.configuration?.OAuthToken,
    ).toBe('ghp_realtoken123');
  });
});

describe('apply right after the service role was created', () => {
  const propagation = () =>
    Object.assign(
      new Error(
        'CodePipeline is not authorized to perform AssumeRole on role arn:aws:iam::111122223333:role/conveyor-release-pipeline',
      ),
      { name: 'InvalidStructureException' },
    );

  it('retries while IAM propagates the role, then creates', async () => {
    const { settleInFakeTime } = await import('./helpers.js');
    const { FakeClock } = await import('../../../src/core/clock.js');
    cp.on(GetPipelineCommand).rejects(notFound('release'));
    cp.on(CreatePipelineCommand)
      .rejectsOnce(propagation())
      .resolves({ pipeline: { name: 'release', version: 1 } as never });
    const code = await settleInFakeTime(
      runCli(['apply', 'pipelines/release.json', '--yes'], env.ctx),
      env.ctx.clock as InstanceType<typeof FakeClock>,
      10_000,
    );
    expect(env.err.text()).toBe('');
    expect(code).toBe(0);
    expect(cp.commandCalls(CreatePipelineCommand)).toHaveLength(2);
  });

  it('gives up with a message naming the role (exit 1)', async () => {
    const { settleInFakeTime } = await import('./helpers.js');
    const { FakeClock } = await import('../../../src/core/clock.js');
    cp.on(GetPipelineCommand).rejects(notFound('release'));
    cp.on(CreatePipelineCommand).rejects(propagation());
    const code = await settleInFakeTime(
      runCli(['apply', 'pipelines/release.json', '--yes'], env.ctx),
      env.ctx.clock as InstanceType<typeof FakeClock>,
      10_000,
    );
    expect(code).toBe(1);
    expect(cp.commandCalls(CreatePipelineCommand)).toHaveLength(4);
    expect(env.err.text()).toContain(
      'conveyor apply: CodePipeline may not assume arn:aws:iam::111122223333:role/conveyor-release-pipeline (pipeline release)',
    );
  });

  it('an invalid declaration AWS rejects is a failed apply, not a usage error', async () => {
    cp.on(GetPipelineCommand).rejects(notFound('release'));
    cp.on(CreatePipelineCommand).rejects(
      Object.assign(
        new Error(
          'ActionConfiguration Map value must satisfy constraint: [Member must have length less than or equal to 1000]',
        ),
        {
          name: 'InvalidStructureException',
        },
      ),
    );
    expect(await runCli(['apply', 'pipelines/release.json', '--yes'], env.ctx)).toBe(1);
    expect(env.err.text()).toContain(
      'AWS rejected the pipeline definition (pipeline release): InvalidStructureException',
    );
    expect(cp.commandCalls(CreatePipelineCommand)).toHaveLength(1);
  });
});

describe('plan text', () => {
  it('names added stages and actions instead of dumping them, and shows order changes plainly', async () => {
    const live = liveLegacy();
    live.pipeline.stages[1].actions.push({
      name: 'Lint',
      actionTypeId: { category: 'Test', owner: 'AWS', provider: 'CodeBuild', version: '1' },
      runOrder: 2,
      configuration: { ProjectName: 'lint' },
    });
    cp.on(GetPipelineCommand).resolves(live);
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'conveyor-plan-text-'));
    try {
      const doc = readJson('pipelines/legacy.json');
      doc.pipeline.stages.push({
        name: 'Approve',
        actions: [
          {
            name: 'Gate',
            actionTypeId: { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' },
          },
        ],
      });
      writeFileSync(join(dir, 'legacy.json'), JSON.stringify(doc));
      expect(await runCli(['plan', join(dir, 'legacy.json')], { ...env.ctx, cwd: dir })).toBe(0);
      expect(env.out.text()).toBe(
        [
          '~ legacy (legacy.json): update live version 7, 4 changes',
          '    ~ stages.order: Source, Build → Source, Build, Approve',
          '    ~ stages.Build.actions.order: Make, Lint → Make',
          '    - stages.Build.actions.Lint: action Test/AWS/CodeBuild v1, runOrder 2',
          '    + stages.Approve: stage (actions: Gate)',
          'Plan: 0 to create, 1 to update, 0 unchanged.',
          '',
        ].join('\n'),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
