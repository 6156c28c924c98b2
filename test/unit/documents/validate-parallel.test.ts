/**
 * A large validate run on worker threads (documents/validate-pool.ts, over the built dist/cli/validate-worker.js)
 * reports exactly what the single-threaded run reports: the same files, diagnostics and order, cross-file
 * findings with their positions, and the same existence checks for `--cache`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distEntry } from '../../../src/core/paths.js';
import { codeDeployGroupFindings } from '../../../src/deploy/codedeploy-preview.js';
import { formatSourceDiagnostic } from '../../../src/documents/diagnostics.js';
import {
  PARALLEL_THRESHOLD,
  type ParallelCheck,
  type ValidatePathsOptions,
  validatePaths,
} from '../../../src/documents/validate.js';
import { workerPool } from '../../../src/documents/validate-pool.js';

let dir = '';

function write(rel: string, text: string | Buffer): void {
  mkdirSync(dirname(join(dir, rel)), { recursive: true });
  writeFileSync(join(dir, rel), text);
}

const pipeline = (n: string, variable: string) =>
  JSON.stringify(
    {
      pipeline: {
        name: `p${n}`,
        roleArn: 'arn:aws:iam::123456789012:role/p',
        artifactStore: { type: 'S3', location: 'bucket' },
        stages: [
          {
            name: 'Source',
            actions: [
              {
                name: 'Src',
                actionTypeId: { category: 'Source', owner: 'AWS', provider: 'ECR', version: '1' },
                configuration: { RepositoryName: 'r' },
                outputArtifacts: [{ name: 'Src' }],
              },
            ],
          },
          {
            name: 'Build',
            actions: [
              {
                name: 'Build',
                namespace: 'BuildVariables',
                actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' },
                configuration: { ProjectName: `svc${n}` },
                inputArtifacts: [{ name: 'Src' }],
                outputArtifacts: [{ name: 'Out' }],
              },
              {
                name: 'Tag',
                runOrder: 2,
                actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' },
                configuration: {
                  ProjectName: 'tagger',
                  EnvironmentVariables: `[{"name":"TAG","value":"#{BuildVariables.${variable}}"}]`,
                },
                inputArtifacts: [{ name: 'Src' }],
              },
            ],
          },
        ],
      },
    },
    null,
    2,
  );

const CANARY_ON_SERVER = `application: api
deploymentGroup: prod
provider: codedeploy
codedeploy:
  computePlatform: Server
  region: eu-west-1
  revision:
    s3: { bucket: conveyor-revisions-111122223333, key: api/v2.zip, bundleType: zip }
strategy:
  type: canary
  steps:
    - setWeight: 10
    - pause: { seconds: 300 }
`;

/** A set above the threshold: every outcome a file can have, and pipelines checked against buildspecs. */
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'conveyor-parallel-'));
  const count = PARALLEL_THRESHOLD + 40;
  for (let i = 0; i < count; i++) {
    const n = String(Math.floor(i / 6)).padStart(4, '0');
    switch (i % 6) {
      case 0:
        write(
          `svc${n}/buildspec-svc${n}.yml`,
          `version: 0.2\nenv:\n  exported-variables: [IMAGE_TAG]\nphases:\n  build:\n    commands:\n      - make${i % 4 === 0 ? '\n      -' : ''}\n`,
        );
        break;
      case 1:
        // Every other pipeline reads a variable its buildspec does not export: a cross-file finding.
        write(`svc${n}/pipeline.json`, pipeline(n, i % 12 === 1 ? 'IMAGE_TAGG' : 'IMAGE_TAG'));
        break;
      case 2:
        write(
          `svc${n}/web.deploy.yml`,
          'application: web\ndeploymentGroup: dev\nrollback:\n  hooks:\n    beforeRollback: scripts/before.sh\n',
        );
        if (i % 4 === 0) write(`svc${n}/scripts/before.sh`, '#!/bin/sh\n');
        // A group deploy refuses (a canary on EC2): the deploy core's checks, loaded only for such files.
        if (i % 60 === 2) write(`svc${n}/api.deploy.yml`, CANARY_ON_SERVER);
        break;
      case 3:
        write(
          `svc${n}/appspec.yml`,
          i % 9 === 0 ? 'version: 0.0\nos: [linux\n' : 'version: 0.0\nos: linux\n',
        );
        break;
      case 4:
        write(`svc${n}/package.json`, '{"name": "not a definition"}\n');
        break;
      default:
        write(`svc${n}/buildspec/latin1.yml`, Buffer.from('version: 0.2\n# caf\xe9\n', 'latin1'));
    }
  }
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function run(parallel?: ParallelCheck) {
  const probes = new Map<string, boolean>();
  const opts: ValidatePathsOptions = {
    cwd: dir,
    loadGroupChecks: async () => codeDeployGroupFindings,
    probes,
  };
  const result = await validatePaths([dir], parallel ? { ...opts, parallel: { check: parallel } } : opts);
  return { ...result, text: result.diagnostics.map(formatSourceDiagnostic).join('\n'), probes };
}

describe('validate on worker threads', () => {
  it('reports what the single-threaded run reports, byte for byte, cross-file findings included', async () => {
    const pool = workerPool(distEntry('cli/validate-worker.js'), 2);
    let usedWorkers = false;
    const parallel = await run(async (jobs, textOpts, probes, loadGroupChecks) => {
      const outcomes = await pool(jobs, textOpts, probes, loadGroupChecks);
      usedWorkers = outcomes !== undefined;
      return outcomes;
    });
    const single = await run();
    expect(usedWorkers).toBe(true);
    expect(parallel.text).toBe(single.text);
    expect(parallel.files).toEqual(single.files);
    expect(parallel.diagnostics).toEqual(single.diagnostics);
    // The set holds each kind of finding, so the comparison covers them.
    const rules = new Set(single.diagnostics.map((d) => d.ruleId));
    for (const rule of [
      'cross/exported-variable',
      'deployment-group/rollback-hook-missing',
      'deployment-group/provider-refuses',
      'source/yaml-syntax',
      'source/not-utf8',
      'buildspec/empty-command',
    ])
      expect([rule, rules.has(rule)]).toEqual([rule, true]);
    // The existence checks --cache re-probes are recorded on the workers too.
    expect([...parallel.probes].sort()).toEqual([...single.probes].sort());
    expect(single.probes.size).toBeGreaterThan(0);
  });

  it('checks on this thread when the workers cannot start', async () => {
    const single = await run();
    const fallback = await run(workerPool(join(dir, 'no-such-worker.js'), 2));
    expect(fallback.text).toBe(single.text);
  });
});
