/**
 * Schema, types and generated validators come from one TypeBox source; these checks fail where they can
 * still drift: the committed build output, hand-kept key lists, and the AWS SDK's own pipeline types.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as Sdk from '@aws-sdk/client-codepipeline';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  Ec2AppSpecSchema,
  EcsAppSpecSchema,
  LambdaAppSpecSchema,
} from '../../../src/documents/appspec/schema.js';
import {
  CANONICAL_SERVICE_KEYS,
  type Ec2AppSpec,
  type EcsAppSpec,
  type LambdaAppSpec,
} from '../../../src/documents/appspec/types.js';
import type { Buildspec } from '../../../src/documents/buildspec/types.js';
import { compileValidator, generateValidatorSources } from '../../../src/documents/generate-validators.js';
import type { PipelineDeclaration, PipelineDocument } from '../../../src/documents/pipeline/types.js';
import { SCHEMAS } from '../../../src/documents/schemas.js';
import { validateText } from '../../../src/documents/validate.js';

const root = join(import.meta.dirname, '../../..');

/** Property names a schema defines (not the keys of free-form maps). */
function propertyNames(schema: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) for (const s of schema) propertyNames(s, out);
  else if (schema && typeof schema === 'object') {
    const s = schema as Record<string, unknown>;
    if (s.properties && typeof s.properties === 'object')
      for (const k of Object.keys(s.properties)) out.add(k);
    for (const v of Object.values(s)) propertyNames(v, out);
  }
  return out;
}

describe('schemas and types stay in step', () => {
  it('the generated validators are up to date with the schemas (run `npm run build` if not)', () => {
    const expected = generateValidatorSources();
    expect(Object.keys(expected).sort()).toEqual(
      Object.keys(SCHEMAS)
        .map((n) => `${n}.cjs`)
        .sort(),
    );
    for (const [file, code] of Object.entries(expected)) {
      const current = readFileSync(join(root, 'src/documents/generated', file), 'utf8');
      expect(current === code, file).toBe(true);
    }
  });

  it('every schema compiles under ajv strict mode', () => {
    for (const name of Object.keys(SCHEMAS) as (keyof typeof SCHEMAS)[])
      expect(() => compileValidator(name)).not.toThrow();
  });

  it('the case-insensitive key table covers every ECS and Lambda key', () => {
    const keys = new Set([...propertyNames(EcsAppSpecSchema), ...propertyNames(LambdaAppSpecSchema)]);
    expect([...keys].filter((k) => !(CANONICAL_SERVICE_KEYS as readonly string[]).includes(k))).toEqual([]);
    expect(propertyNames(Ec2AppSpecSchema).has('file_exists_behavior')).toBe(true);
  });

  it('types describe what users write, and such documents pass the schema', () => {
    const buildspec: Buildspec = {
      version: 0.2,
      env: {
        variables: { STAGE: 'prod', RETRIES: 3 },
        'exported-variables': 'IMAGE_TAG',
        'git-credential-helper': 'yes',
      },
      phases: {
        install: { 'runtime-versions': { nodejs: 20 } },
        build: { commands: 'make' },
        post_build: { commands: ['make test'] },
      },
      artifacts: {
        files: ['**/*'],
        'discard-paths': true,
        'secondary-artifacts': { Docs: { files: 'docs/**/*' } },
      },
      cache: { key: 'k', 'fallback-keys': ['a'], paths: '/root/.npm/**/*' },
    };
    const ec2: Ec2AppSpec = {
      version: 0,
      os: 'linux',
      files: [{ source: '/', destination: '/srv/app' }],
      permissions: [{ object: '/srv/app', mode: '0755', type: ['directory'], acls: ['u:app:rwx'] }],
      hooks: {
        AfterInstall: [{ location: 'scripts/a.sh', timeout: 300, runas: 'root' }],
      },
    };
    const ecs: EcsAppSpec = {
      version: 0,
      Resources: [
        {
          TargetService: {
            Type: 'AWS::ECS::Service',
            Properties: {
              TaskDefinition: '<TASK_DEFINITION>',
              LoadBalancerInfo: { ContainerName: 'web', ContainerPort: 80 },
            },
          },
        },
      ],
      Hooks: [{ AfterAllowTestTraffic: 'Smoke' }],
    };
    const lambda: LambdaAppSpec = {
      version: '0.0',
      Resources: [
        {
          fn: {
            Type: 'AWS::Lambda::Function',
            Properties: { Name: 'f', Alias: 'live', CurrentVersion: '1', TargetVersion: 2 },
          },
        },
      ],
    };
    const pipeline: PipelineDocument = {
      pipeline: {
        name: 'p',
        roleArn: 'arn:aws:iam::123456789012:role/p',
        artifactStore: { type: 'S3', location: 'bucket' },
        stages: [
          {
            name: 'Source',
            actions: [
              {
                name: 'S',
                actionTypeId: { category: 'Source', owner: 'AWS', provider: 'S3', version: '1' },
                configuration: { S3Bucket: 'b', S3ObjectKey: 'k' },
                outputArtifacts: [{ name: 'Src' }],
              },
            ],
          },
          {
            name: 'Approve',
            actions: [
              {
                name: 'A',
                actionTypeId: { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' },
              },
            ],
          },
        ],
      },
    };
    const docs: [unknown, 'buildspec' | 'appspec' | 'pipeline'][] = [
      [buildspec, 'buildspec'],
      [ec2, 'appspec'],
      [ecs, 'appspec'],
      [lambda, 'appspec'],
      [pipeline, 'pipeline'],
    ];
    for (const [doc, kind] of docs) {
      const { diagnostics } = validateText(JSON.stringify(doc, null, 2), 'doc.json', { kind });
      expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    }
    expectTypeOf<Buildspec['phases']>().toEqualTypeOf<Buildspec['phases']>();
    expectTypeOf<{ commands: string }>().toMatchTypeOf<
      NonNullable<NonNullable<Buildspec['phases']>['build']>
    >();
  });

  it('the schema knows every field of the AWS model (else valid get-pipeline output would hit unknown-key)', () => {
    type Stage = PipelineDeclaration['stages'][number];
    type Action = Stage['actions'][number];
    type Trigger = NonNullable<PipelineDeclaration['triggers']>[number];
    type Condition = NonNullable<NonNullable<Stage['beforeEntry']>['conditions']>[number];
    type Rule = NonNullable<Condition['rules']>[number];
    type Push = NonNullable<Trigger['gitConfiguration']['push']>[number];
    type Pull = NonNullable<Trigger['gitConfiguration']['pullRequest']>[number];
    expectTypeOf<keyof Sdk.PipelineDeclaration>().toMatchTypeOf<keyof PipelineDeclaration>();
    expectTypeOf<keyof Sdk.StageDeclaration>().toMatchTypeOf<keyof Stage>();
    expectTypeOf<keyof Sdk.ActionDeclaration>().toMatchTypeOf<keyof Action>();
    expectTypeOf<keyof Sdk.ActionTypeId>().toMatchTypeOf<keyof Action['actionTypeId']>();
    expectTypeOf<keyof Sdk.OutputArtifact>().toMatchTypeOf<
      keyof NonNullable<Action['outputArtifacts']>[number]
    >();
    expectTypeOf<keyof Sdk.EnvironmentVariable>().toMatchTypeOf<
      keyof NonNullable<Action['environmentVariables']>[number]
    >();
    expectTypeOf<keyof Sdk.ArtifactStore>().toMatchTypeOf<
      keyof NonNullable<PipelineDeclaration['artifactStore']>
    >();
    expectTypeOf<keyof Sdk.PipelineTriggerDeclaration>().toMatchTypeOf<keyof Trigger>();
    expectTypeOf<keyof Sdk.GitConfiguration>().toMatchTypeOf<keyof Trigger['gitConfiguration']>();
    expectTypeOf<keyof Sdk.GitPushFilter>().toMatchTypeOf<keyof Push>();
    expectTypeOf<keyof Sdk.GitPullRequestFilter>().toMatchTypeOf<keyof Pull>();
    expectTypeOf<keyof Sdk.FailureConditions>().toMatchTypeOf<keyof NonNullable<Stage['onFailure']>>();
    expectTypeOf<keyof Sdk.Condition>().toMatchTypeOf<keyof Condition>();
    expectTypeOf<keyof Sdk.RuleDeclaration>().toMatchTypeOf<keyof Rule>();
    expectTypeOf<keyof Sdk.RuleTypeId>().toMatchTypeOf<keyof Rule['ruleTypeId']>();
    expectTypeOf<keyof Sdk.PipelineVariableDeclaration>().toMatchTypeOf<
      keyof NonNullable<PipelineDeclaration['variables']>[number]
    >();
  });

  it('the schema enums are exactly the AWS model enums', () => {
    type Stage = PipelineDeclaration['stages'][number];
    type Action = Stage['actions'][number];
    type Pull = NonNullable<
      NonNullable<PipelineDeclaration['triggers']>[number]['gitConfiguration']['pullRequest']
    >[number];
    expectTypeOf<Action['actionTypeId']['category']>().toEqualTypeOf<Sdk.ActionCategory>();
    expectTypeOf<Action['actionTypeId']['owner']>().toEqualTypeOf<Sdk.ActionOwner>();
    expectTypeOf<NonNullable<PipelineDeclaration['executionMode']>>().toEqualTypeOf<Sdk.ExecutionMode>();
    expectTypeOf<NonNullable<PipelineDeclaration['pipelineType']>>().toEqualTypeOf<Sdk.PipelineType>();
    expectTypeOf<NonNullable<NonNullable<Stage['onFailure']>['result']>>().toEqualTypeOf<Sdk.Result>();
    expectTypeOf<NonNullable<Pull['events']>[number]>().toEqualTypeOf<Sdk.GitPullRequestEventType>();
    expectTypeOf<
      NonNullable<NonNullable<Action['environmentVariables']>[number]['type']>
    >().toEqualTypeOf<Sdk.EnvironmentVariableType>();
  });

  it('every pipeline the schema types allow is a valid AWS SDK PipelineDeclaration', () => {
    expectTypeOf<PipelineDeclaration>().toMatchTypeOf<Sdk.PipelineDeclaration>();
  });
});
