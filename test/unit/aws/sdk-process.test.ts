import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { distEntry, packageRoot } from '../../../src/core/paths.js';
import { startFakeAws } from './fake-aws-server.js';
import { FIXTURES } from './helpers.js';

/** The real binary in its own process: what a user's terminal shows. */
describe('conveyor binary with the AWS SDK loaded', () => {
  let home: string;
  let fake: Awaited<ReturnType<typeof startFakeAws>> | undefined;
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'conveyor-sdk-proc-'));
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  const baseEnv = () => ({
    PATH: process.env.PATH ?? '',
    HOME: home,
    AWS_REGION: 'eu-west-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home, 'none-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'none-credentials'),
  });

  const run = async (args: string[], env: Record<string, string>) => {
    const { spawn } = await import('node:child_process');
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [distEntry('cli/main.js'), ...args], { cwd: FIXTURES, env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  };

  it('the SDK on this Node version would warn; the CLI shows nothing but its own output', async () => {
    // Baseline: constructing a client directly does print the SDK's NodeVersionSupportWarning on Node < 22.
    const major = Number(process.versions.node.split('.')[0]);
    const direct = spawnSync(
      process.execPath,
      [
        '-e',
        "const {CodePipelineClient}=require('@aws-sdk/client-codepipeline'); new CodePipelineClient({region:'eu-west-1'})",
      ],
      { cwd: packageRoot, env: baseEnv(), encoding: 'utf8' },
    );
    if (major < 22) expect(direct.stderr).toContain('NodeVersionSupportWarning');

    const live = JSON.parse(readFileSync(join(FIXTURES, 'live', 'legacy.get-pipeline.json'), 'utf8'));
    fake = await startFakeAws(() => ({ status: 200, body: live }));
    const result = await run(['plan', 'pipelines/legacy.json'], {
      ...baseEnv(),
      AWS_ENDPOINT_URL_CODEPIPELINE: fake.url,
      AWS_ACCESS_KEY_ID: 'AKIDTEST',
      AWS_SECRET_ACCESS_KEY: 'secret',
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('legacy (pipelines/legacy.json): no changes (live version 7)');
    expect(fake.requests).toHaveLength(1);
  });

  it('other process warnings still reach stderr', () => {
    const script = [
      "import('./dist/index.js').then(async (m) => {",
      "  await m.createCodePipelineClient({ env: { AWS_REGION: 'eu-west-1' } });",
      "  process.emitWarning('keep me', 'DeprecationWarning');",
      '});',
    ].join('\n');
    const out = spawnSync(process.execPath, ['-e', script], {
      cwd: packageRoot,
      env: baseEnv(),
      encoding: 'utf8',
    });
    expect(out.stderr).not.toContain('NodeVersionSupportWarning');
    expect(out.stderr).toContain('DeprecationWarning: keep me');
  });

  it('without credentials: a clear message, exit 2, no stack', async () => {
    fake = await startFakeAws(() => ({ status: 500, body: {} }));
    const result = await run(['plan', 'pipelines/legacy.json'], { ...baseEnv(), AWS_ENDPOINT_URL: fake.url });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'conveyor plan: no AWS credentials found for codepipeline:GetPipeline (pipeline legacy)',
    );
    expect(result.stderr).toContain('hint: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
    expect(result.stderr).not.toContain('    at ');
    expect(fake.requests).toHaveLength(0);
  });

  it('pipeline approve from the binary: no local run waits, so AWS gets PutApprovalResult', async () => {
    fake = await startFakeAws((req) =>
      req.target.endsWith('.GetPipelineState')
        ? {
            status: 200,
            body: {
              pipelineName: 'release',
              stageStates: [
                {
                  stageName: 'Deploy',
                  latestExecution: { pipelineExecutionId: 'e-1', status: 'InProgress' },
                  actionStates: [
                    { actionName: 'Approve', latestExecution: { status: 'InProgress', token: 'tok-42' } },
                  ],
                },
              ],
            },
          }
        : { status: 200, body: { approvedAt: 1795262400.0 } },
    );
    const result = await run(['pipeline', 'approve', 'release', 'Deploy', 'Approve'], {
      ...baseEnv(),
      AWS_ENDPOINT_URL: fake.url,
      AWS_ACCESS_KEY_ID: 'AKIDTEST',
      AWS_SECRET_ACCESS_KEY: 'secret',
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('approved release/Deploy/Approve (AWS)\n');
    expect(fake.requests.map((r) => r.target)).toEqual([
      'CodePipeline_20150709.GetPipelineState',
      'CodePipeline_20150709.PutApprovalResult',
    ]);
    expect(fake.requests[1]!.body).toEqual({
      pipelineName: 'release',
      stageName: 'Deploy',
      actionName: 'Approve',
      result: { summary: 'Approved with conveyor', status: 'Approved' },
      token: 'tok-42',
    });
  });

  it('without a region: exit 2 and how to set one', async () => {
    const env: Record<string, string> = { ...baseEnv() };
    delete env.AWS_REGION;
    const result = await run(['plan', 'pipelines/legacy.json'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no AWS region configured');
    expect(result.stderr).toContain('pass --region, set AWS_REGION');
  });
});

describe('lazy SDK loading', () => {
  const loadedSdkModules = (setup: string) => {
    const script = [
      "import { createRequire } from 'node:module';",
      setup,
      'const cache = createRequire(import.meta.url).cache;',
      "console.log(Object.keys(cache).filter((k) => k.includes('@aws-sdk')).length);",
    ].join('\n');
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: packageRoot,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(out.stderr).toBe('');
    return Number(out.stdout.trim());
  };

  it('importing the library and running local commands loads no @aws-sdk module', () => {
    expect(
      loadedSdkModules(
        "const { runCli } = await import('./dist/index.js'); await runCli(['validate', '--help'], { stdout: { write() {} }, stderr: { write() {} } });",
      ),
    ).toBe(0);
  });

  it('an AWS command does load it (the check above can fail)', () => {
    expect(
      loadedSdkModules(
        "const m = await import('./dist/index.js'); await m.createCodeDeployClient({ env: { AWS_REGION: 'eu-west-1' } });",
      ),
    ).toBeGreaterThan(0);
  });

  it('no source file imports SDK values statically', async () => {
    const { readdirSync, readFileSync: read } = await import('node:fs');
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (path.endsWith('.ts')) {
          const text = read(path, 'utf8');
          for (const m of text.matchAll(/^import\s+(?!type\b)[^;]*from\s+'@aws-sdk\/[^']+';/gms))
            offenders.push(`${path}: ${m[0]}`);
          // Dynamic loads go through src/aws/clients.ts, which filters the SDK's Node-version warning first.
          if (!path.endsWith(join('aws', 'clients.ts'))) {
            for (const m of text.matchAll(/(?:import|require)\(\s*'@aws-sdk\/[^']+'\s*\)/g))
              offenders.push(`${path}: ${m[0]}`);
          }
        }
      }
    };
    walk(join(packageRoot, 'src'));
    expect(offenders).toEqual([]);
  });
});
