/** `conveyor import --from-aws NAME`: the live pipeline (GetPipeline, mocked) becomes a TS source that synthesizes back to it. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CodePipelineClient, GetPipelineCommand } from '@aws-sdk/client-codepipeline';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/run-cli.js';
import { normalizeAction } from '../../../src/synth/import.js';
import { listFiles, repoRoot, synth, tempProject } from '../../integration/synth/helpers.js';
import { FIXTURES } from './helpers.js';

const cp = mockClient(CodePipelineClient);
afterAll(() => cp.restore());
beforeEach(() => cp.reset());
const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});

const env = {
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_CONFIG_FILE: '/nonexistent/aws-config',
};
const builderModule = join(repoRoot, 'src/synth/index.ts');

async function cli(args: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    cwd,
    env,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

type Json = Record<string, unknown>;
function normalizePipeline(p: Json): Json {
  const { version: _version, ...rest } = p;
  return {
    ...rest,
    stages: (rest.stages as Json[]).map((s) => ({
      ...s,
      actions: (s.actions as never[]).map(normalizeAction),
    })),
  };
}

describe('conveyor import --from-aws', () => {
  it('writes a TS source from GetPipeline that synthesizes back to an equivalent pipeline', async () => {
    const live = JSON.parse(readFileSync(join(FIXTURES, 'live', 'legacy.get-pipeline.json'), 'utf8')) as {
      pipeline: Json;
    };
    cp.on(GetPipelineCommand).resolves(live as never);
    const project = tempProject({});
    cleanups.push(project.cleanup);
    const r = await cli(
      [
        'import',
        '--from-aws',
        'legacy',
        '--region',
        'eu-west-1',
        '--module',
        builderModule,
        '--out',
        'pipelines/legacy.ts',
      ],
      project.root,
    );
    expect(r.code, r.stderr).toBe(0);
    const calls = cp.commandCalls(GetPipelineCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({ name: 'legacy' });
    expect(await calls[0]!.thisValue.config.region()).toBe('eu-west-1');
    expect(r.stdout).toContain("imported pipeline 'legacy' into pipelines/legacy.ts");
    // The masked GitHub token must be filled in by the user; import says so.
    expect(r.stdout).toMatch(/note: .*OAuthToken.*masked/);

    // Synth refuses the masked value until the user fills it in.
    const refused = await synth(project.root);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('OAuthToken error synth/placeholder "****" is a masked value');
    const sourceFile = join(project.root, 'pipelines', 'legacy.ts');
    writeFileSync(sourceFile, readFileSync(sourceFile, 'utf8').replaceAll("'****'", "'token-filled-in'"));
    const stages = live.pipeline.stages as { actions: { configuration?: Json }[] }[];
    stages[0]!.actions[0]!.configuration!.OAuthToken = 'token-filled-in';

    const s = await synth(project.root);
    expect(s.code, s.stderr).toBe(0);
    const emittedFile = listFiles(join(project.root, 'conveyor.out')).find(
      (f) => f.endsWith('.json') && !f.endsWith('.iam-policy.json'),
    );
    expect(emittedFile).toBe('pipelines/legacy.json');
    const emitted = JSON.parse(readFileSync(join(project.root, 'conveyor.out', emittedFile!), 'utf8')) as {
      pipeline: Json;
    };
    expect(normalizePipeline(emitted.pipeline)).toEqual(normalizePipeline(live.pipeline));
  });

  it('a pipeline that does not exist is a clear usage error (exit 2)', async () => {
    cp.on(GetPipelineCommand).rejects(
      Object.assign(new Error('Account 111122223333 does not have a pipeline with name missing'), {
        name: 'PipelineNotFoundException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const project = tempProject({});
    cleanups.push(project.cleanup);
    const r = await cli(['import', '--from-aws', 'missing', '--region', 'eu-west-1'], project.root);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("pipeline 'missing' does not exist in this account and region");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('refuses a FILE together with --from-aws, and --region without it', async () => {
    const project = tempProject({});
    cleanups.push(project.cleanup);
    const both = await cli(['import', 'x.json', '--from-aws', 'legacy'], project.root);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--from-aws takes the place of FILE');
    const regionOnly = await cli(['import', 'x.json', '--region', 'eu-west-1'], project.root);
    expect(regionOnly.code).toBe(2);
    expect(regionOnly.stderr).toContain('--region and --profile apply only with --from-aws');
    expect(cp.commandCalls(GetPipelineCommand)).toHaveLength(0);
  });
});
