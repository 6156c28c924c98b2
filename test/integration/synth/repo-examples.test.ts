/**
 * The repo's own examples (pipelines/*.ts) and their committed output in conveyor.out/: the
 * output is current, parses back to exactly the defined documents, and every pipeline and
 * deployment config passes the AWS API's parameter validation (the SDK models' shapes).
 * The examples import from 'conveyor' (the package's self-reference), so this needs `npm run build`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { pipelinePolicy } from '../../../src/aws/iam/pipeline-policy.js';
import type { PipelineDeclaration } from '../../../src/documents/pipeline/types.js';
import { validateText } from '../../../src/documents/validate.js';
import {
  checkShape,
  createDeploymentConfigShape,
  pipelineDeclarationShape,
} from '../../../src/synth/aws-shapes.js';
import { planSynth, type SynthPlan } from '../../../src/synth/synth.js';
import { loadSdkSchemas, walkModel } from '../../unit/synth/sdk-model.js';
import { repoRoot, synth } from './helpers.js';

let plan: SynthPlan;
beforeAll(async () => {
  plan = await planSynth({ root: repoRoot });
});

describe('repo examples', () => {
  it('synth --check passes on the repo: the committed conveyor.out is current', async () => {
    const r = await synth(repoRoot, ['--check']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('conveyor.out is up to date');
    expect(r.code).toBe(0);
  });

  it('the three example sets are complete', () => {
    expect(plan.diagnostics).toEqual([]);
    const paths = plan.files.map((f) => f.path);
    for (const app of ['web-app', 'ecs-service', 'orders-api']) {
      expect(paths).toContain(`pipelines/${app}.json`);
      expect(paths).toContain(`pipelines/${app}.iam-policy.json`);
      expect(paths).toContain(`builds/${app}/buildspec.yml`);
      expect(paths.some((p) => p.startsWith(`apps/${app}/appspec.`))).toBe(true);
    }
    expect(paths).toContain('deployment-configs/orders-api-canary-25-percent-10-minutes.json');
  });

  it('every emitted file parses back to the document its definition holds', () => {
    for (const file of plan.files) {
      const text = readFileSync(join(repoRoot, 'conveyor.out', file.path), 'utf8');
      const parsed = file.path.endsWith('.json') ? JSON.parse(text) : parse(text);
      const expected =
        file.kind === 'pipeline'
          ? { pipeline: file.definition.document }
          : file.kind === 'iam-policy'
            ? pipelinePolicy(file.definition.document as PipelineDeclaration)
            : file.definition.document;
      expect(parsed, file.path).toEqual(expected);
    }
  });

  it('emits the typing AWS needs: unquoted version 0.0 / 0.2, quoted mode, JSON without metadata', () => {
    const appspec = readFileSync(join(repoRoot, 'conveyor.out/apps/web-app/appspec.yml'), 'utf8');
    expect(appspec).toMatch(/^version: 0\.0$/m);
    expect(appspec).toMatch(/^ {4}mode: "0755"$/m);
    const buildspec = readFileSync(join(repoRoot, 'conveyor.out/builds/web-app/buildspec.yml'), 'utf8');
    expect(buildspec).toMatch(/^version: 0\.2$/m);
    const pipeline = JSON.parse(readFileSync(join(repoRoot, 'conveyor.out/pipelines/web-app.json'), 'utf8'));
    expect(Object.keys(pipeline)).toEqual(['pipeline']);
  });

  it('every emitted appspec, buildspec, pipeline and deployment group passes conveyor validate with no findings', () => {
    const validated = plan.files.filter((f) => f.kind !== 'deployment-config' && f.kind !== 'iam-policy');
    expect(validated.length).toBe(14);
    for (const file of validated) {
      const text = readFileSync(join(repoRoot, 'conveyor.out', file.path), 'utf8');
      const result = validateText(text, file.path, { kind: file.kind as 'appspec' });
      expect(result.diagnostics, file.path).toEqual([]);
    }
  });

  const pipelineModel = loadSdkSchemas('@aws-sdk/client-codepipeline');
  const deployModel = loadSdkSchemas('@aws-sdk/client-codedeploy');

  it('every pipeline passes CreatePipeline parameter validation (SDK model and encoded constraints)', () => {
    const pipelines = plan.files.filter((f) => f.kind === 'pipeline');
    expect(pipelines.length).toBe(3);
    for (const file of pipelines) {
      const input = file.document as { pipeline: unknown };
      expect(walkModel(input, pipelineModel.CreatePipelineInput$), file.path).toEqual([]);
      expect(checkShape(input.pipeline, pipelineDeclarationShape), file.path).toEqual([]);
    }
  });

  it('every deployment config passes CreateDeploymentConfig parameter validation', () => {
    const configs = plan.files.filter((f) => f.kind === 'deployment-config');
    expect(configs.length).toBe(2);
    for (const file of configs) {
      expect(walkModel(file.document, deployModel.CreateDeploymentConfigInput$), file.path).toEqual([]);
      expect(checkShape(file.document, createDeploymentConfigShape), file.path).toEqual([]);
    }
  });
});
