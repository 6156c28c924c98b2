import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CodePipelineClient, GetPipelineCommand } from '@aws-sdk/client-codepipeline';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diffPipelines, renderChanges } from '../../../src/aws/pipeline/diff.js';
import { runCli } from '../../../src/cli/run-cli.js';
import { awsContext, FIXTURES } from './helpers.js';

// Fake secrets, made up for these tests.
const TOKEN = 'ghp_FAKEtoken0000000001';
const OLD_TOKEN = 'ghp_FAKEtoken0000000000';
const PASSWORD = 'fake-password-5b2e';

const cp = mockClient(CodePipelineClient);
const readJson = (rel: string) => JSON.parse(readFileSync(join(FIXTURES, rel), 'utf8'));
const secrets = [TOKEN, OLD_TOKEN, PASSWORD, 'ghp_realtoken123'];
const leaked = (text: string) => secrets.filter((s) => text.includes(s));

let env: ReturnType<typeof awsContext>;
beforeEach(() => {
  cp.reset();
  env = awsContext();
});
afterEach(() => env.cleanup());

describe('plan: secret-bearing fields', () => {
  it('says that a secret was set, changed or removed, never what it is (masked or not)', () => {
    const live = readJson('live/legacy.get-pipeline.json').pipeline;
    const desired = readJson('pipelines/legacy.json').pipeline;
    // A GitHub token AWS returned in clear (it never should) and changed in the file.
    live.stages[0].actions[0].configuration.OAuthToken = OLD_TOKEN;
    desired.stages[0].actions[0].configuration.OAuthToken = TOKEN;
    // A custom action whose configuration is new as a whole, with a password in it.
    live.stages[1].actions.push({
      name: 'Scan',
      actionTypeId: { category: 'Test', owner: 'Custom', provider: 'Scanner', version: '1' },
      runOrder: 2,
    });
    desired.stages[1].actions.push({
      name: 'Scan',
      actionTypeId: { category: 'Test', owner: 'Custom', provider: 'Scanner', version: '1' },
      runOrder: 2,
      configuration: { Url: 'https://scan', Password: PASSWORD },
    });
    // A key the action type marks secret (AWS returns it as ****), gone from the file.
    live.stages[1].actions[0].configuration.BuildKey = '****';
    const changes = diffPipelines(live, desired);
    expect(changes).toEqual([
      { kind: 'change', path: 'stages.Source.actions.GitHub.configuration.OAuthToken', secret: true },
      { kind: 'remove', path: 'stages.Build.actions.Make.configuration.BuildKey', secret: true },
      {
        kind: 'add',
        path: 'stages.Build.actions.Scan.configuration',
        after: { Url: 'https://scan', Password: '(secret, not shown)' },
      },
    ]);
    const text = renderChanges(changes).join('\n');
    expect(text).toContain(
      '~ stages.Source.actions.GitHub.configuration.OAuthToken: (secret changed; value not shown)',
    );
    expect(text).toContain(
      '- stages.Build.actions.Make.configuration.BuildKey: (secret removed; value not shown)',
    );
    expect(text).not.toContain('****');
    expect(leaked(text + JSON.stringify(changes))).toEqual([]);
  });

  it('conveyor plan (text and --json) never prints a token added to the file', async () => {
    const live = readJson('live/legacy.get-pipeline.json');
    delete live.pipeline.stages[0].actions[0].configuration.OAuthToken;
    cp.on(GetPipelineCommand).resolves(live);
    const dir = mkdtempSync(join(tmpdir(), 'conveyor-plan-secret-'));
    try {
      const doc = readJson('pipelines/legacy.json');
      doc.pipeline.stages[0].actions[0].configuration.OAuthToken = TOKEN;
      writeFileSync(join(dir, 'legacy.json'), JSON.stringify(doc));
      expect(await runCli(['plan', join(dir, 'legacy.json')], { ...env.ctx, cwd: dir })).toBe(0);
      expect(await runCli(['plan', join(dir, 'legacy.json'), '--json'], { ...env.ctx, cwd: dir })).toBe(0);
      const out = env.out.text();
      expect(out).toContain(
        '    + stages.Source.actions.GitHub.configuration.OAuthToken: (secret set; value not shown)',
      );
      expect(out).toContain('"secret": true');
      expect(leaked(out + env.err.text())).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
