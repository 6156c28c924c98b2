/**
 * AWS area figures: what lazy SDK loading saves a local command, what an AWS command pays to load the SDK
 * and make one call (against a loopback fake endpoint), and how fast a plan diff is on a large pipeline.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PipelineDeclaration, StageDeclaration } from '@aws-sdk/client-codepipeline';
import { diffPipelines } from '../src/aws/pipeline/diff.js';
import { distEntry, packageRoot } from '../src/core/paths.js';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function timeProcess(args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, args, { cwd: packageRoot, env, stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', () => resolve(performance.now() - start));
  });
}

async function medianOf(runs: number, args: string[], env: Record<string, string>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await timeProcess(args, env));
  return median(times);
}

function bigPipeline(stages: number, actions: number): PipelineDeclaration {
  const list: StageDeclaration[] = Array.from({ length: stages }, (_, s) => ({
    name: `Stage${s}`,
    actions: Array.from({ length: actions }, (_, a) => ({
      name: `Action${a}`,
      actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' },
      configuration: { ProjectName: `project-${s}-${a}`, EnvironmentVariables: '[{"name":"A","value":"1"}]' },
      inputArtifacts: [{ name: `In${s}` }],
      outputArtifacts: [{ name: `Out${s}_${a}` }],
      runOrder: (a % 3) + 1,
    })),
  }));
  return {
    name: 'big',
    roleArn: 'arn:aws:iam::111122223333:role/big',
    artifactStore: { type: 'S3', location: 'bucket' },
    stages: list,
  };
}

export default async function bench(): Promise<void> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  const main = distEntry('cli/main.js');
  const runs = 7;

  const lazy = await medianOf(runs, [main, 'validate', '--help'], env);
  // The same command with the three clients preloaded, as a static import at the top of the CLI would do.
  const dir = await mkdtemp(join(tmpdir(), 'conveyor-aws-bench-'));
  const preload = join(dir, 'eager-sdk.cjs');
  await writeFile(
    preload,
    `const r = require('node:module').createRequire(${JSON.stringify(join(packageRoot, 'package.json'))});\n` +
      "for (const c of ['client-codepipeline', 'client-codedeploy', 'client-codebuild']) r('@aws-sdk/' + c);\n",
  );
  const eager = await medianOf(runs, ['--require', preload, main, 'validate', '--help'], env);
  await rm(dir, { recursive: true, force: true });
  console.log(`local command start-up (validate --help), median of ${runs}:`);
  console.log(`  lazy SDK (as shipped)        ${lazy.toFixed(0)} ms`);
  console.log(`  if the 3 clients were eager  ${eager.toFixed(0)} ms   (${(eager / lazy).toFixed(2)}x)`);

  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(400, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-errortype': 'PipelineNotFoundException',
      });
      res.end(JSON.stringify({ __type: 'PipelineNotFoundException', message: 'not found' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    const planned = await medianOf(
      runs,
      [main, 'plan', join('test', 'fixtures', 'aws', 'pipelines', 'release.json')],
      {
        ...env,
        AWS_REGION: 'eu-west-1',
        AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
        AWS_ACCESS_KEY_ID: 'AKIDBENCH',
        AWS_SECRET_ACCESS_KEY: 'bench',
      },
    );
    console.log(
      `  plan of 1 pipeline (SDK load + validate + GetPipeline on loopback)  ${planned.toFixed(0)} ms   (${(planned / lazy).toFixed(2)}x validate --help)`,
    );
  } finally {
    server.close();
  }

  const live = bigPipeline(50, 20);
  const desired = bigPipeline(50, 20);
  desired.stages![25]!.actions![7]!.configuration!.ProjectName = 'changed';
  const iterations = 50;
  const start = performance.now();
  let changes = 0;
  for (let i = 0; i < iterations; i++) changes = diffPipelines(live, desired).length;
  const per = (performance.now() - start) / iterations;
  console.log(
    `plan diff of a 50-stage x 20-action pipeline: ${per.toFixed(2)} ms per diff (${changes} change found)`,
  );
}
