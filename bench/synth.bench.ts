/**
 * Synth of 200 generated TS pipeline sources, against `conveyor validate` of the files it emits,
 * in the same run. Both run as the user runs them: the compiled CLI in a fresh process (the bench
 * runner itself has tsx hooks installed, which would tax every module synth imports). The sources
 * import from 'conveyor' like a user's do: the scratch project sits inside this package, so the
 * name resolves through the package's self-reference. Target: synth costs at most 2x validate.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const SOURCES = 200;
const ROUNDS = 3;
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(repoRoot, 'dist/cli/main.js');
const run = promisify(execFile);

function source(i: number): string {
  return `import { Action, definePipeline, rollbackOnFailure, stage, Trigger, variable } from 'conveyor';

export default definePipeline({
  name: 'service-${i}',
  roleArn: 'arn:aws:iam::123456789012:role/service-${i}-pipeline',
  artifactStore: { bucket: 'artifacts-service-${i}' },
  variables: [variable('Environment', { defaultValue: 'production' })],
  triggers: [Trigger.push('Source', { branches: { includes: ['main', 'release/*'] }, filePaths: { excludes: ['docs/**'] } })],
  stages: [
    stage('Source', [
      Action.codeStarConnectionSource({
        name: 'Source',
        connectionArn: 'arn:aws:codeconnections:us-east-1:123456789012:connection/00000000-0000-0000-0000-${String(i).padStart(12, '0')}',
        repository: 'example-org/service-${i}',
        branch: 'main',
        output: 'SourceOutput',
        namespace: 'SourceVariables',
      }),
    ]),
    stage('Build', [
      Action.codeBuild({ name: 'Build', project: 'service-${i}-build', inputs: ['SourceOutput'], outputs: ['BuildOutput'] }),
      Action.codeBuild({ name: 'Test', category: 'Test', project: 'service-${i}-test', inputs: ['SourceOutput'], runOrder: 2 }),
    ]),
    stage('Approve', [Action.manualApproval({ name: 'Approve', customData: 'service ${i}' })]),
    stage(
      'Deploy',
      [Action.codeDeploy({ name: 'Deploy', application: 'service-${i}', deploymentGroup: 'production', input: 'BuildOutput' })],
      { onFailure: rollbackOnFailure() },
    ),
  ],
});
`;
}

async function timed(argv: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  const start = process.hrtime.bigint();
  await run(process.execPath, [cli, ...argv], { cwd, env, maxBuffer: 64 * 1024 * 1024 });
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * NODE_EXTRA_CA_CERTS (set on this machine) makes every Node process parse a certificate file before
 * any JavaScript runs. It adds the same to both sides, which flatters the ratio: when it is set, the
 * comparison is also made without it.
 */
const environments: { label: string; env: NodeJS.ProcessEnv }[] = [{ label: '', env: process.env }];
if (process.env.NODE_EXTRA_CA_CERTS) {
  const { NODE_EXTRA_CA_CERTS: _ca, ...rest } = process.env;
  environments[0]!.label = ' [env as is: NODE_EXTRA_CA_CERTS set]';
  environments.push({ label: ' [without NODE_EXTRA_CA_CERTS]', env: rest });
}

/** Wall time to create `count` small files in a fresh folder under `root` (removed afterwards). */
function fileCreation(root: string, count: number): number {
  const dir = join(root, 'file-creation');
  mkdirSync(dir);
  const text = 'x'.repeat(2048);
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) writeFileSync(join(dir, `f${i}.json`), text);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

export default async function bench(): Promise<void> {
  mkdirSync(join(repoRoot, '.conveyor'), { recursive: true });
  const root = mkdtempSync(join(repoRoot, '.conveyor', 'synth-bench-'));
  try {
    mkdirSync(join(root, 'pipelines'));
    for (let i = 0; i < SOURCES; i++) writeFileSync(join(root, 'pipelines', `service-${i}.ts`), source(i));
    console.log(`sources: ${SOURCES} TS pipelines (${ROUNDS} rounds, median; each a fresh CLI process)`);
    console.log(
      `context: creating ${2 * SOURCES} files of 2 KB (as many as synth writes) in the bench folder takes ${fileCreation(root, 2 * SOURCES).toFixed(0)} ms right now (the file system's share; it varies a lot on this VM)`,
    );
    for (const { label, env } of environments) {
      const synthMs: number[] = [];
      const validateMs: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        rmSync(join(root, 'conveyor.out'), { recursive: true, force: true });
        synthMs.push(await timed(['synth'], root, env));
        validateMs.push(await timed(['validate', 'conveyor.out'], root, env));
      }
      const s = median(synthMs);
      const v = median(validateMs);
      console.log(
        `synth (bundle+load TS, emit, validate, write): ${s.toFixed(0)} ms wall, ${(s / SOURCES).toFixed(2)} ms/source  [rounds: ${synthMs.map((x) => x.toFixed(0)).join(', ')}]${label}`,
      );
      console.log(
        `validate of the emitted files (reference): ${v.toFixed(0)} ms wall, ${(v / SOURCES).toFixed(2)} ms/file  [rounds: ${validateMs.map((x) => x.toFixed(0)).join(', ')}]${label}`,
      );
      console.log(
        `ratio synth/validate: ${(s / v).toFixed(2)}x (target <= 2x): ${s / v <= 2 ? 'met' : 'NOT met'}${label}`,
      );
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
