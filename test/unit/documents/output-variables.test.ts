/**
 * pipeline/unknown-output-variable: each provider's list of output variables, what is never reported
 * (providers whose variables the definition cannot tell), and where the diagnostic points.
 */
import { describe, expect, it } from 'vitest';
import { type CheckedDocument, checkCrossFile } from '../../../src/documents/cross-file.js';
import type { Diagnostic } from '../../../src/documents/diagnostics.js';
import type { DocumentKind } from '../../../src/documents/kind.js';
import {
  emittedVariables,
  PROVIDER_OUTPUT_VARIABLES,
} from '../../../src/documents/pipeline/output-variables.js';
import { parseSource } from '../../../src/documents/source.js';
import { validateText } from '../../../src/documents/validate.js';

type Json = Record<string, unknown>;

const typeId = (owner: string, category: string, provider: string) => ({
  category,
  owner,
  provider,
  version: '1',
});

/** A source stage with `producer` (namespace `NS`) and a later stage whose Manual action reads `text`. */
function pipelineWith(producer: Json, text: string, extra: { stageTwo?: Json[]; variables?: Json[] } = {}) {
  const source = producer.actionTypeId && (producer.actionTypeId as Json).category === 'Source';
  const stages: Json[] = [];
  const src = {
    name: 'Repo',
    actionTypeId: typeId('AWS', 'Source', 'CodeCommit'),
    configuration: { RepositoryName: 'app', BranchName: 'main' },
    outputArtifacts: [{ name: 'Code' }],
  };
  stages.push({ name: 'Source', actions: source ? [{ ...producer, namespace: 'NS' }] : [src] });
  stages.push({
    name: 'Work',
    actions: [...(source ? [] : [{ ...producer, namespace: 'NS' }]), ...(extra.stageTwo ?? [])],
  });
  if (stages[1]!.actions && (stages[1]!.actions as Json[]).length === 0) stages.pop();
  stages.push({
    name: 'Check',
    actions: [
      {
        name: 'Approve',
        actionTypeId: typeId('AWS', 'Approval', 'Manual'),
        configuration: { CustomData: text },
      },
    ],
  });
  return JSON.stringify(
    {
      pipeline: {
        name: 'p',
        roleArn: 'arn:aws:iam::123456789012:role/p',
        artifactStore: { type: 'S3', location: 'bucket' },
        pipelineType: 'V2',
        ...(extra.variables ? { variables: extra.variables } : {}),
        stages,
      },
    },
    null,
    2,
  );
}

const variableRules = (text: string, file = 'p.json'): Diagnostic[] =>
  validateText(text, file, { kind: 'pipeline' }).diagnostics.filter((d) => d.ruleId.includes('variable'));

const sources: [string, Json, readonly string[]][] = [
  [
    'CodeCommit',
    {
      name: 'Src',
      actionTypeId: typeId('AWS', 'Source', 'CodeCommit'),
      configuration: { RepositoryName: 'app', BranchName: 'main' },
      outputArtifacts: [{ name: 'Out' }],
    },
    ['AuthorDate', 'BranchName', 'CommitId', 'CommitMessage', 'CommitterDate', 'RepositoryName'],
  ],
  [
    'CodeStarSourceConnection',
    {
      name: 'Src',
      actionTypeId: typeId('AWS', 'Source', 'CodeStarSourceConnection'),
      configuration: {
        ConnectionArn: 'arn:aws:codestar-connections:eu-west-1:123456789012:connection/x',
        FullRepositoryId: 'acme/app',
        BranchName: 'main',
      },
      outputArtifacts: [{ name: 'Out' }],
    },
    [
      'AuthorDate',
      'BranchName',
      'CommitId',
      'CommitMessage',
      'ConnectionArn',
      'FullRepositoryName',
      'SourceBranchName',
      'DestinationBranchName',
      'PullRequestId',
      'PullRequestTitle',
    ],
  ],
  [
    'S3',
    {
      name: 'Src',
      actionTypeId: typeId('AWS', 'Source', 'S3'),
      configuration: { S3Bucket: 'b', S3ObjectKey: 'app.zip' },
      outputArtifacts: [{ name: 'Out' }],
    },
    ['ETag', 'VersionId'],
  ],
  [
    'ECR',
    {
      name: 'Src',
      actionTypeId: typeId('AWS', 'Source', 'ECR'),
      configuration: { RepositoryName: 'app' },
      outputArtifacts: [{ name: 'Out' }],
    },
    ['RegistryId', 'RepositoryName', 'ImageTag', 'ImageDigest', 'ImageURI'],
  ],
  [
    'GitHub (version 1)',
    {
      name: 'Src',
      actionTypeId: typeId('ThirdParty', 'Source', 'GitHub'),
      configuration: { Owner: 'acme', Repo: 'app', Branch: 'main', OAuthToken: '****' },
      outputArtifacts: [{ name: 'Out' }],
    },
    ['AuthorDate', 'BranchName', 'CommitId', 'CommitMessage', 'CommitterDate', 'CommitUrl', 'RepositoryName'],
  ],
];

describe('output variables of source providers', () => {
  describe.each(sources)('%s', (_name, action, names) => {
    it('has the documented list', () => {
      const type = action.actionTypeId as Json;
      expect(PROVIDER_OUTPUT_VARIABLES[`${type.owner}/${type.category}/${type.provider}`]).toEqual(names);
    });

    it('accepts a reference to every variable it emits', () => {
      const text = names.map((n) => `#{NS.${n}}`).join(' ');
      expect(variableRules(pipelineWith(action, text))).toEqual([]);
    });

    it('reports a variable it never emits, as an error', () => {
      const [d, ...rest] = variableRules(pipelineWith(action, 'sha #{NS.Sha256}'));
      expect(rest).toEqual([]);
      expect(d).toMatchObject({ ruleId: 'pipeline/unknown-output-variable', severity: 'error' });
      expect(d!.message).toContain(`reads \`Sha256\`, but Source/Src`);
      expect(d!.message).toContain(`emits only ${names.join(', ')}`);
    });
  });

  it('suggests the variable a near miss meant (case and spelling)', () => {
    const [commit, ecr] = [sources[0]!, sources[3]!];
    expect(variableRules(pipelineWith(commit[1], '#{NS.CommitID}'))[0]!.hint).toBe(
      'did you mean `CommitId`?',
    );
    expect(variableRules(pipelineWith(ecr[1], '#{NS.ImageUri}'))[0]!.hint).toBe('did you mean `ImageURI`?');
    expect(variableRules(pipelineWith(commit[1], '#{NS.Nonsense}'))[0]!.hint).toBeUndefined();
  });

  it('an S3 deploy action (not the source) has no fixed list, so nothing is reported', () => {
    expect(emittedVariables({ owner: 'AWS', category: 'Deploy', provider: 'S3', raw: {} }).known).toBe(false);
  });
});

describe('providers whose variables the definition cannot tell are never reported', () => {
  const cases: [string, Json][] = [
    [
      'CodeBuild without its buildspec',
      {
        name: 'Build',
        actionTypeId: typeId('AWS', 'Build', 'CodeBuild'),
        configuration: { ProjectName: 'p' },
        inputArtifacts: [{ name: 'Code' }],
      },
    ],
    [
      'CloudFormation (stack outputs)',
      {
        name: 'Stack',
        actionTypeId: typeId('AWS', 'Deploy', 'CloudFormation'),
        configuration: {
          ActionMode: 'CREATE_UPDATE',
          StackName: 's',
          RoleArn: 'arn:aws:iam::123456789012:role/cfn',
          TemplatePath: 'Code::t.yml',
        },
        inputArtifacts: [{ name: 'Code' }],
      },
    ],
    [
      'Lambda (outputs the function sets)',
      {
        name: 'Fn',
        actionTypeId: typeId('AWS', 'Invoke', 'Lambda'),
        configuration: { FunctionName: 'f' },
      },
    ],
    [
      'a Custom action',
      {
        name: 'Jenkins',
        actionTypeId: typeId('Custom', 'Build', 'Jenkins'),
        configuration: { ProjectName: 'j' },
        inputArtifacts: [{ name: 'Code' }],
      },
    ],
  ];
  it.each(cases)('%s', (_name, action) => {
    expect(variableRules(pipelineWith(action, '#{NS.AnythingAtAll} #{NS.Other}'))).toEqual([]);
  });
});

describe('the Commands action emits exactly its outputVariables', () => {
  const commands = (outputVariables?: string[]): Json => ({
    name: 'Run',
    actionTypeId: typeId('AWS', 'Compute', 'Commands'),
    commands: ['make'],
    inputArtifacts: [{ name: 'Code' }],
    ...(outputVariables ? { outputVariables } : {}),
  });

  it('accepts a declared variable and reports an undeclared one, with the declared list', () => {
    expect(variableRules(pipelineWith(commands(['IMAGE_TAG']), '#{NS.IMAGE_TAG}'))).toEqual([]);
    const [d] = variableRules(pipelineWith(commands(['IMAGE_TAG']), '#{NS.IMAGE_TAGS}'));
    expect(d).toMatchObject({
      ruleId: 'pipeline/unknown-output-variable',
      hint: 'did you mean `IMAGE_TAG`?',
    });
    expect(d!.message).toContain('exports only the variables its `outputVariables` lists (IMAGE_TAG)');
  });

  it('a Commands action without outputVariables exports nothing', () => {
    const [d] = variableRules(pipelineWith(commands(), '#{NS.IMAGE_TAG}'));
    expect(d!.message).toContain('lists (none)');
  });
});

describe('reserved and pipeline-level namespaces', () => {
  const src = sources[0]![1];

  it('codepipeline has PipelineExecutionId only', () => {
    expect(variableRules(pipelineWith(src, '#{codepipeline.PipelineExecutionId}'))).toEqual([]);
    const [d] = variableRules(pipelineWith(src, '#{codepipeline.PipelineExecutionID}'));
    expect(d).toMatchObject({
      ruleId: 'pipeline/unknown-output-variable',
      severity: 'error',
      hint: 'did you mean `PipelineExecutionId`?',
    });
  });

  it('#{variables.X} must name a declared pipeline variable, with a suggestion', () => {
    const variables = [{ name: 'DEPLOY_ENV', defaultValue: 'dev' }];
    expect(variableRules(pipelineWith(src, '#{variables.DEPLOY_ENV}', { variables }))).toEqual([]);
    const [d] = variableRules(pipelineWith(src, '#{variables.deploy_env}', { variables }));
    expect(d).toMatchObject({ ruleId: 'pipeline/unknown-variable', hint: 'did you mean `DEPLOY_ENV`?' });
    expect(d!.message).toContain('(declared: DEPLOY_ENV)');
  });

  it('a namespace no action declares gets a suggestion; one that runs later is an ordering error', () => {
    const [typo] = variableRules(pipelineWith(src, '#{Ns.CommitId}'));
    expect(typo).toMatchObject({ ruleId: 'pipeline/unknown-variable', hint: 'did you mean `NS`?' });
    // NS is declared by a Work-stage action, read by a Work-stage action with the same runOrder.
    const build = {
      name: 'Build',
      actionTypeId: typeId('AWS', 'Build', 'CodeBuild'),
      configuration: { ProjectName: 'p', EnvironmentVariables: '#{Late.X}' },
      inputArtifacts: [{ name: 'Code' }],
    };
    const later = {
      name: 'Later',
      actionTypeId: typeId('AWS', 'Approval', 'Manual'),
      namespace: 'Late',
      runOrder: 2,
    };
    const text = pipelineWith({ ...build, name: 'Unused', configuration: { ProjectName: 'p' } }, '', {
      stageTwo: [build, later],
    });
    const [order] = variableRules(text);
    expect(order).toMatchObject({ ruleId: 'pipeline/unknown-variable' });
    expect(order!.message).toBe(
      '#{Late.X} in Work/Build reads namespace `Late` of Work/Later, which does not run before it',
    );
  });
});

describe('positions', () => {
  it('point at the reference inside the string, each of several at its own column', () => {
    const text = pipelineWith(sources[2]![1], 'a #{NS.Key} b #{NS.Key} #{NS.ETag}');
    const found = variableRules(text);
    const line = text.split('\n').findIndex((l) => l.includes('"CustomData"')) + 1;
    const lineText = text.split('\n')[line - 1]!;
    const first = lineText.indexOf('#{NS.Key}') + 1;
    const second = lineText.indexOf('#{NS.Key}', first) + 1;
    expect(found.map((d) => [d.line, d.col, d.endCol])).toEqual([
      [line, first, first + '#{NS.Key}'.length],
      [line, second, second + '#{NS.Key}'.length],
    ]);
  });

  it('work in YAML too, including a block scalar over several lines', () => {
    const yaml = [
      'pipeline:',
      '  name: p',
      '  roleArn: arn:aws:iam::123456789012:role/p',
      '  artifactStore: { type: S3, location: bucket }',
      '  stages:',
      '    - name: Source',
      '      actions:',
      '        - name: Src',
      '          namespace: NS',
      '          actionTypeId: { category: Source, owner: AWS, provider: S3, version: "1" }',
      '          configuration: { S3Bucket: b, S3ObjectKey: app.zip }',
      '          outputArtifacts: [{ name: Out }]',
      '    - name: Check',
      '      actions:',
      '        - name: Approve',
      '          actionTypeId: { category: Approval, owner: AWS, provider: Manual, version: "1" }',
      '          configuration:',
      '            CustomData: |',
      '              first line',
      '              then #{NS.Etag} here',
      '',
    ].join('\n');
    const [d] = variableRules(yaml, 'p.yml');
    expect(d).toMatchObject({ line: 20, col: 20, hint: 'did you mean `ETag`?' });
  });
});

describe('CodeBuild exported variables across files (cross/exported-variable)', () => {
  function doc(file: string, kind: DocumentKind, text: string): CheckedDocument {
    const source = parseSource(text, file);
    return { file, kind, value: source.value, source };
  }
  const build = {
    name: 'Build',
    actionTypeId: typeId('AWS', 'Build', 'CodeBuild'),
    configuration: { ProjectName: 'app' },
    inputArtifacts: [{ name: 'Code' }],
  };
  const spec = doc(
    'buildspec.yml',
    'buildspec',
    'version: 0.2\nenv:\n  exported-variables: [IMAGE_TAG]\nphases:\n  build:\n    commands: [make]\n',
  );

  it('checks references in commands and environment variables too, with a suggestion', () => {
    const commands = {
      name: 'Tag',
      actionTypeId: typeId('AWS', 'Compute', 'Commands'),
      commands: ['echo #{NS.IMAGE_TAGS}'],
      environmentVariables: [{ name: 'TAG', value: '#{NS.IMAGE_TAG}' }],
      inputArtifacts: [{ name: 'Code' }],
      runOrder: 2,
    };
    const found = checkCrossFile([
      spec,
      doc('p.json', 'pipeline', pipelineWith(build, '#{NS.IMAGE}', { stageTwo: [commands] })),
    ]);
    expect(found.map((d) => [d.ruleId, d.severity, d.message.split(' reads ')[0], d.hint])).toEqual([
      ['cross/exported-variable', 'warning', '#{NS.IMAGE_TAGS} in Work/Tag', 'did you mean `IMAGE_TAG`?'],
      [
        'cross/exported-variable',
        'warning',
        '#{NS.IMAGE} in Check/Approve',
        'add IMAGE to env.exported-variables',
      ],
    ]);
  });

  it('a CodeBuild namespace is not an unknown-output-variable error on its own', () => {
    expect(variableRules(pipelineWith(build, '#{NS.WHATEVER}'))).toEqual([]);
  });
});

describe('stage condition rules read variables too', () => {
  const withCondition = (block: 'beforeEntry' | 'onSuccess', variable: string, actionNamespace?: string) => {
    const doc = JSON.parse(pipelineWith(sources[0]![1], 'ok'));
    const check = doc.pipeline.stages[1];
    if (actionNamespace) check.actions[0].namespace = actionNamespace;
    check[block] = {
      conditions: [
        {
          result: block === 'beforeEntry' ? 'FAIL' : 'ROLLBACK',
          rules: [
            {
              name: 'Gate',
              ruleTypeId: { category: 'Rule', owner: 'AWS', provider: 'VariableCheck', version: '1' },
              configuration: { Variable: variable, Value: 'main', Operator: 'EQ' },
            },
          ],
        },
      ],
    };
    return variableRules(JSON.stringify(doc, null, 2));
  };

  it('a VariableCheck rule is held to the producer list', () => {
    expect(withCondition('beforeEntry', '#{NS.BranchName}')).toEqual([]);
    const [d] = withCondition('beforeEntry', '#{NS.Branch}');
    expect(d).toMatchObject({ ruleId: 'pipeline/unknown-output-variable' });
    expect(d!.message).toMatch(/^#\{NS\.Branch\} in Check beforeEntry rule Gate reads `Branch`/);
  });

  it('an entry condition cannot read its own stage; an onSuccess condition can', () => {
    const [d] = withCondition('beforeEntry', '#{Own.X}', 'Own');
    expect(d!.message).toBe(
      '#{Own.X} in Check beforeEntry rule Gate reads namespace `Own` of Check/Approve, which does not run before it',
    );
    expect(withCondition('onSuccess', '#{Own.X}', 'Own')).toEqual([]);
  });
});
