/**
 * `npm run bench validate`: throughput of Conveyor's validation (positions, detection, rules) against a
 * baseline of plain `yaml` parse + the same schemas compiled by ajv, on 2,400 generated documents; then
 * start-up of `conveyor validate <small file>` against `node -e 0`. Both comparisons print side by side.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { distEntry } from '../src/core/paths.js';
import { compileValidator } from '../src/documents/generate-validators.js';
import type { SchemaName } from '../src/documents/schemas.js';
import { validateText } from '../src/documents/validate.js';

interface Doc {
  file: string;
  text: string;
  schema: SchemaName;
}

/** Deterministic, realistic documents: 40-120 line buildspecs, EC2/ECS/Lambda appspecs, 3-6 stage pipelines. */
export function generate(count: number): Doc[] {
  const docs: Doc[] = [];
  for (let i = 0; i < count; i++) {
    const n = i % 6;
    if (n === 0 || n === 1) {
      const commands = Array.from(
        { length: 6 + (i % 10) },
        (_, j) => `npm run step-${j} -- --project app-${i}`,
      );
      const spec = {
        version: 0.2,
        env: {
          variables: { STAGE: `stage-${i % 3}`, RETRIES: i % 5 },
          'parameter-store': { DB_URL: `/app/${i}/db` },
          'exported-variables': ['IMAGE_TAG'],
        },
        phases: {
          install: { 'runtime-versions': { nodejs: 20 }, commands: ['npm ci'] },
          pre_build: {
            commands: ['aws ecr get-login-password | docker login --username AWS --password-stdin $REPO'],
          },
          build: { 'on-failure': 'ABORT', commands, finally: ['echo done'] },
          post_build: {
            commands: [
              'printf \'[{"name":"web","imageUri":"%s"}]\' $REPO:$IMAGE_TAG > imagedefinitions.json',
            ],
          },
        },
        reports: { [`unit-${i}`]: { files: ['reports/*.xml'], 'file-format': 'JUNITXML' } },
        artifacts: {
          files: ['imagedefinitions.json', 'appspec.yml', 'dist/**/*'],
          'secondary-artifacts': { Docs: { files: ['docs/**/*'] } },
        },
        cache: { paths: ['/root/.npm/**/*'] },
      };
      docs.push({ file: `app-${i}/buildspec.yml`, text: stringify(spec), schema: 'buildspec' });
    } else if (n === 2) {
      const spec = {
        version: 0.0,
        os: 'linux',
        files: [{ source: '/', destination: `/srv/app-${i}` }],
        file_exists_behavior: 'OVERWRITE',
        permissions: [
          { object: `/srv/app-${i}`, owner: 'app', group: 'app', mode: '0755', type: ['directory'] },
        ],
        hooks: Object.fromEntries(
          ['ApplicationStop', 'BeforeInstall', 'AfterInstall', 'ApplicationStart', 'ValidateService'].map(
            (h, j) => [
              h,
              [{ location: `scripts/${h.toLowerCase()}.sh`, timeout: 60 + j * 30, runas: 'root' }],
            ],
          ),
        ),
      };
      docs.push({
        file: `app-${i}/appspec.yml`,
        text: stringify(spec).replace('version: 0\n', 'version: 0.0\n'),
        schema: 'appspec-ec2',
      });
    } else if (n === 3) {
      const spec = {
        version: 0.0,
        Resources: [
          {
            TargetService: {
              Type: 'AWS::ECS::Service',
              Properties: {
                TaskDefinition: '<TASK_DEFINITION>',
                LoadBalancerInfo: { ContainerName: `web-${i}`, ContainerPort: 8080 },
                NetworkConfiguration: {
                  AwsvpcConfiguration: {
                    Subnets: ['subnet-1', 'subnet-2'],
                    SecurityGroups: ['sg-1'],
                    AssignPublicIp: 'DISABLED',
                  },
                },
              },
            },
          },
        ],
        Hooks: [{ AfterAllowTestTraffic: `Smoke${i}` }, { BeforeAllowTraffic: `Check${i}` }],
      };
      docs.push({
        file: `svc-${i}/appspec.yaml`,
        text: stringify(spec).replace('version: 0\n', 'version: 0.0\n'),
        schema: 'appspec-ecs',
      });
    } else {
      const stages = [
        {
          name: 'Source',
          actions: [
            {
              name: 'Source',
              actionTypeId: {
                category: 'Source',
                owner: 'AWS',
                provider: 'CodeStarSourceConnection',
                version: '1',
              },
              configuration: {
                ConnectionArn: 'arn:aws:codeconnections:us-east-1:123456789012:connection/x',
                FullRepositoryId: `acme/app-${i}`,
                BranchName: 'main',
              },
              outputArtifacts: [{ name: 'Src' }],
              namespace: 'SourceVariables',
            },
          ],
        },
        ...Array.from({ length: 2 + (i % 4) }, (_, s) => ({
          name: `Build${s}`,
          actions: [
            {
              name: 'Build',
              actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' },
              runOrder: 1,
              configuration: {
                ProjectName: `app-${i}-${s}`,
                EnvironmentVariables: '[{"name":"COMMIT","value":"#{SourceVariables.CommitId}"}]',
              },
              inputArtifacts: [{ name: 'Src' }],
              outputArtifacts: [{ name: `Out${s}` }],
            },
            {
              name: 'Deploy',
              actionTypeId: { category: 'Deploy', owner: 'AWS', provider: 'CodeDeploy', version: '1' },
              runOrder: 2,
              configuration: { ApplicationName: `app-${i}`, DeploymentGroupName: `group-${s}` },
              inputArtifacts: [{ name: `Out${s}` }],
            },
          ],
        })),
      ];
      const doc = {
        pipeline: {
          name: `app-${i}`,
          roleArn: 'arn:aws:iam::123456789012:role/pipeline',
          artifactStore: { type: 'S3', location: 'artifacts-bucket' },
          pipelineType: 'V2',
          stages,
        },
      };
      docs.push({ file: `app-${i}/pipeline.json`, text: JSON.stringify(doc, null, 2), schema: 'pipeline' });
    }
  }
  return docs;
}

function measure(label: string, rounds: number, docs: Doc[], fn: (d: Doc) => void): number {
  for (const d of docs) fn(d); // warm-up
  const start = performance.now();
  for (let r = 0; r < rounds; r++) for (const d of docs) fn(d);
  const seconds = (performance.now() - start) / 1000;
  const perSecond = (rounds * docs.length) / seconds;
  console.log(`${label.padEnd(44)} ${perSecond.toFixed(0).padStart(8)} files/s`);
  return perSecond;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export default async function main(): Promise<void> {
  const docs = generate(2400);
  const bytes = docs.reduce((n, d) => n + d.text.length, 0);
  console.log(`throughput: ${docs.length} documents, ${(bytes / 1024).toFixed(0)} KiB, 3 rounds each`);
  const validators = new Map<SchemaName, ReturnType<typeof compileValidator>>();
  for (const d of docs) if (!validators.has(d.schema)) validators.set(d.schema, compileValidator(d.schema));
  let baselineErrors = 0;
  const baseline = measure('baseline: yaml parse + compiled ajv', 3, docs, (d) => {
    const value = d.file.endsWith('.json') ? JSON.parse(d.text) : parseYaml(d.text);
    if (!validators.get(d.schema)!(value)) baselineErrors++;
  });
  let conveyorErrors = 0;
  const conveyor = measure('conveyor: validateText (positions + rules)', 3, docs, (d) => {
    const r = validateText(d.text, d.file);
    if (r.diagnostics.some((x) => x.severity === 'error')) conveyorErrors++;
  });
  console.log(`overhead: ${(baseline / conveyor).toFixed(2)}x the baseline's time per file (target <= 1.5x)`);
  if (baselineErrors + conveyorErrors > 0)
    console.log(`note: invalid documents seen: baseline ${baselineErrors}, conveyor ${conveyorErrors}`);

  const dir = mkdtempSync(join(tmpdir(), 'conveyor-bench-'));
  try {
    const file = join(dir, 'buildspec.yml');
    writeFileSync(file, 'version: 0.2\nphases:\n  build:\n    commands:\n      - make\n');
    const cli = distEntry('cli/main.js');
    const runs = 15;
    const nodeTimes: number[] = [];
    const cliTimes: number[] = [];
    for (let i = 0; i < runs; i++) {
      let t = performance.now();
      execFileSync(process.execPath, ['-e', '0']);
      nodeTimes.push(performance.now() - t);
      t = performance.now();
      execFileSync(process.execPath, [cli, 'validate', file], { stdio: 'ignore' });
      cliTimes.push(performance.now() - t);
    }
    const a = median(nodeTimes);
    const b = median(cliTimes);
    console.log(`start-up (median of ${runs}, interleaved):`);
    console.log(`  node -e 0                                  ${a.toFixed(0).padStart(6)} ms`);
    console.log(`  node dist/cli/main.js validate <small>     ${b.toFixed(0).padStart(6)} ms`);
    console.log(`  ratio ${(b / a).toFixed(2)}x (target <= 4x)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
