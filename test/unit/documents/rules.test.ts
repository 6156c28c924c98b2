/**
 * Document rules a user meets, one behaviour per test, as a second guard beside the golden files (a careless
 * UPDATE_GOLDEN=1 must not be able to erase them). Each test validates a small document and reads the findings.
 */
import { describe, expect, it } from 'vitest';
import { validateText } from '../../../src/documents/validate.js';

/** `rule-id message` of each finding, in order. */
function findings(text: string, file: string): string[] {
  return validateText(text, file).diagnostics.map((d) => `${d.ruleId} ${d.message}`);
}

function only(rule: string, text: string, file: string): string[] {
  return findings(text, file).filter((f) => f.startsWith(`${rule} `));
}

interface ActionSpec {
  name: string;
  category?: string;
  provider?: string;
  runOrder?: number;
  inputs?: string[];
  outputs?: string[];
  configuration?: Record<string, string>;
}

/** A CodePipeline definition whose stages hold these actions (CodeBuild unless said otherwise). */
function pipeline(stages: Record<string, ActionSpec[]>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    pipeline: {
      name: 'app',
      roleArn: 'arn:aws:iam::123456789012:role/pipeline',
      artifactStore: { type: 'S3', location: 'artifact-bucket' },
      stages: Object.entries(stages).map(([name, actions]) => ({
        name,
        actions: actions.map((a) => ({
          name: a.name,
          actionTypeId: {
            category: a.category ?? 'Build',
            owner: 'AWS',
            provider: a.provider ?? 'CodeBuild',
            version: '1',
          },
          runOrder: a.runOrder ?? 1,
          configuration: a.configuration ?? { ProjectName: a.name.toLowerCase() },
          inputArtifacts: (a.inputs ?? []).map((n) => ({ name: n })),
          outputArtifacts: (a.outputs ?? []).map((n) => ({ name: n })),
        })),
      })),
      version: 1,
      ...extra,
    },
  });
}

const source: ActionSpec = {
  name: 'Repo',
  category: 'Source',
  provider: 'S3',
  configuration: { S3Bucket: 'src-bucket', S3ObjectKey: 'app.zip' },
  outputs: ['Src'],
};

describe('buildspec rules', () => {
  it('an artifacts section must list its files', () => {
    const text = 'version: 0.2\nphases:\n  build:\n    commands: [make]\nartifacts:\n  name: out\n';
    expect(only('buildspec/missing-key', text, 'buildspec.yml')).toEqual([
      'buildspec/missing-key missing required key `files` in `artifacts`',
    ]);
    expect(findings(`${text}  files: ['**/*']\n`, 'buildspec.yml')).toEqual([]);
  });
});

describe('pipeline artifact rules', () => {
  it('an artifact consumed in the same runOrder as the action producing it is consumed too early', () => {
    const text = pipeline({
      Source: [source],
      Build: [
        { name: 'Compile', inputs: ['Src'], outputs: ['Bin'] },
        { name: 'Package', inputs: ['Bin'], outputs: ['Pkg'] },
      ],
    });
    expect(only('pipeline/artifact-order', text, 'pipeline.json')).toEqual([
      'pipeline/artifact-order artifact `Bin` is consumed by Build/Package (runOrder 1) before Build/Compile (runOrder 1) produces it',
    ]);
  });

  it('a later runOrder, or a later stage, may consume it', () => {
    const text = pipeline({
      Source: [source],
      Build: [
        { name: 'Compile', inputs: ['Src'], outputs: ['Bin'] },
        { name: 'Package', runOrder: 2, inputs: ['Bin'], outputs: ['Pkg'] },
      ],
      Test: [{ name: 'Check', category: 'Test', inputs: ['Pkg'] }],
    });
    expect(findings(text, 'pipeline.json')).toEqual([]);
  });
});

describe('appspec rules', () => {
  it('a Lambda appspec names exactly one function, and says so in the singular', () => {
    const text = [
      'version: 0.0',
      'Resources:',
      '  - one:',
      '      Type: AWS::Lambda::Function',
      '      Properties: { Name: one, Alias: live, CurrentVersion: 1, TargetVersion: 2 }',
      '  - two:',
      '      Type: AWS::Lambda::Function',
      '      Properties: { Name: two, Alias: live, CurrentVersion: 1, TargetVersion: 2 }',
      '',
    ].join('\n');
    expect(only('appspec/invalid-value', text, 'appspec.yml')).toEqual([
      'appspec/invalid-value `Resources` has 2 entries; allowed: exactly 1 entry',
    ]);
  });
});
