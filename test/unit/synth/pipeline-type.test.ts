/**
 * A missing pipelineType means what CodePipeline makes of it (V2 when a V2-only parameter is used, else
 * V1), the same in validate, import and the drift check.
 */
import type { PipelineDeclaration } from '@aws-sdk/client-codepipeline';
import { describe, expect, it } from 'vitest';
import { diffPipelines } from '../../../src/aws/pipeline/diff.js';
import { effectivePipelineType } from '../../../src/documents/pipeline/pipeline-type.js';
import { validateText } from '../../../src/documents/validate.js';
import { importDocument } from '../../../src/synth/import.js';

const stages = [
  {
    name: 'Source',
    actions: [
      {
        name: 'Fetch',
        actionTypeId: {
          category: 'Source',
          owner: 'AWS',
          provider: 'CodeStarSourceConnection',
          version: '1',
        },
        configuration: {
          ConnectionArn:
            'arn:aws:codeconnections:eu-west-1:123456789012:connection/0b8d2c3e-5f4a-4e1b-9c7d-2a6f8e1b3c4d',
          FullRepositoryId: 'acme/app',
          BranchName: 'main',
        },
        outputArtifacts: [{ name: 'Src' }],
      },
    ],
  },
  {
    name: 'Build',
    actions: [
      {
        name: 'Compile',
        actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' },
        configuration: { ProjectName: 'app' },
        inputArtifacts: [{ name: 'Src' }],
      },
    ],
  },
];
const base = {
  name: 'release',
  roleArn: 'arn:aws:iam::123456789012:role/pipeline',
  artifactStore: { type: 'S3', location: 'release-artifacts' },
  stages,
};
const triggers = [
  {
    providerType: 'CodeStarSourceConnection',
    gitConfiguration: { sourceActionName: 'Fetch', push: [{ branches: { includes: ['main'] } }] },
  },
];
const untypedWithTriggers = { ...base, triggers };

describe('a missing pipelineType', () => {
  it('is V2 when a V2-only parameter is used, else V1', () => {
    expect(effectivePipelineType(untypedWithTriggers)).toBe('V2');
    expect(effectivePipelineType(base)).toBe('V1');
    expect(effectivePipelineType({ ...base, pipelineType: 'V1' })).toBe('V1');
  });

  it('validates with a warning that CodePipeline makes it V2', () => {
    const r = validateText(JSON.stringify({ pipeline: untypedWithTriggers }, null, 2), 'p.json', {
      kind: 'pipeline',
    });
    expect(r.diagnostics.map((d) => `${d.severity} ${d.ruleId} ${d.message}`)).toEqual([
      'warning pipeline/implicit-v2 pipelineType is not set, and `triggers` makes CodePipeline create this pipeline as V2 (with V2 pricing)',
    ]);
  });

  it('is imported as V2 when the pipeline uses V2 parameters, and as V1 otherwise', () => {
    const v2 = importDocument(JSON.stringify({ pipeline: untypedWithTriggers }), 'release.json');
    expect(v2.source).toContain("pipelineType: 'V2'");
    const v1 = importDocument(JSON.stringify({ pipeline: base }), 'release.json');
    expect(v1.source).toContain("pipelineType: 'V1'");
  });

  it('is no drift against the live V2 pipeline it becomes', () => {
    const live = { ...untypedWithTriggers, pipelineType: 'V2' } as PipelineDeclaration;
    expect(diffPipelines(live, untypedWithTriggers as PipelineDeclaration)).toEqual([]);
  });
});
