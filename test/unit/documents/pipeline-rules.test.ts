/**
 * Pipeline rules as a user meets them: a small CodePipeline declaration (YAML, so positions read easily) and the
 * exact lines `conveyor validate` prints for it (`file:line:col severity rule-id message`). Built to the structure
 * rules CodePipeline enforces (reference: aws-definitions-rules.md §4).
 */
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../../src/documents/diagnostics.js';
import { validateText } from '../../../src/documents/validate.js';

/** What `conveyor validate pipeline.yml` prints for this text, one line per finding. */
function lines(text: string): string[] {
  return validateText(text, 'pipeline.yml', { kind: 'pipeline' }).diagnostics.map(formatDiagnostic);
}

const head =
  'pipeline:\n  name: app\n  roleArn: arn:aws:iam::123456789012:role/p\n  artifactStore: {type: S3, location: bucket}\n';
const sourceAction =
  '      - name: Repo\n        actionTypeId: {category: Source, owner: AWS, provider: S3, version: "1"}\n' +
  '        configuration: {S3Bucket: b, S3ObjectKey: k}\n        outputArtifacts: [{name: Src}]\n';
const buildAction = (name: string) =>
  `      - name: ${name}\n        actionTypeId: {category: Build, owner: AWS, provider: CodeBuild, version: "1"}\n` +
  '        configuration: {ProjectName: p}\n        inputArtifacts: [{name: Src}]\n';
const stage = (name: string | undefined, actions: string) =>
  `${name === undefined ? '    -' : `    - name: ${name}\n     `} actions:\n${actions}`;

describe('pipeline structure rules', () => {
  it('a pipeline needs two stages, and says how many it has', () => {
    expect(lines(`${head}  stages:\n${stage('Source', sourceAction)}`)).toEqual([
      'pipeline.yml:5:3 error pipeline/min-stages the pipeline has 1 stage; a pipeline needs at least 2 (a source stage and one more)',
    ]);
    expect(lines(`${head}  stages: []\n`)).toEqual([
      'pipeline.yml:5:3 error pipeline/min-stages the pipeline has 0 stages; a pipeline needs at least 2 (a source stage and one more)',
    ]);
  });

  it('at most 500 actions in a pipeline: 501 are named, 500 pass', () => {
    const builds = (n: number) => Array.from({ length: n }, (_, i) => buildAction(`B${i}`)).join('');
    const declaration = (actions: number) => {
      const stages = [stage('Source', sourceAction)];
      for (let left = actions - 1, s = 1; left > 0; left -= 50, s++)
        stages.push(stage(`Build${s}`, builds(Math.min(50, left))));
      return `${head}  stages:\n${stages.join('')}`;
    };
    expect(lines(declaration(501))).toEqual([
      'pipeline.yml:5:3 error pipeline/action-limit the pipeline has 501 actions; at most 500 are allowed',
    ]);
    expect(lines(declaration(500))).toEqual([]);
  });

  it('stages without a name are reported missing a name, not as duplicates of each other', () => {
    expect(
      lines(`${head}  stages:\n${stage(undefined, sourceAction)}${stage(undefined, buildAction('B'))}`),
    ).toEqual([
      'pipeline.yml:6:7 error pipeline/missing-key missing required key `name` in `pipeline.stages[0]`',
      'pipeline.yml:11:7 error pipeline/missing-key missing required key `name` in `pipeline.stages[1]`',
    ]);
  });

  it('a first stage without a source action is named, and so is the source action in a later stage', () => {
    expect(
      lines(`${head}  stages:\n${stage('Build', buildAction('B'))}${stage('Source', sourceAction)}`),
    ).toEqual([
      'pipeline.yml:6:7 error pipeline/first-stage-source the first stage (Build) has no source action; a pipeline starts with a stage of source actions',
      'pipeline.yml:11:33 error pipeline/artifact-order artifact `Src` is consumed by Build/B (runOrder 1) before Source/Repo (runOrder 1) produces it',
      'pipeline.yml:15:34 error pipeline/source-not-first source action Source/Repo is in stage 2; source actions may only be in the first stage',
    ]);
  });

  it('a first stage with no actions is reported once, by its empty list', () => {
    const text = `${head}  stages:\n    - name: Source\n      actions: []\n${stage('Build', buildAction('B'))}`;
    expect(lines(text)).toEqual([
      'pipeline.yml:7:7 error pipeline/invalid-value `pipeline.stages[0].actions` has 0 entries; allowed: 1 to 50 entries',
      'pipeline.yml:13:33 error pipeline/artifact-not-produced input artifact `Src` of Build/B is not produced by any action; produced: none',
    ]);
  });

  it('a declaration that is not a mapping, or stages that are not a list, get one finding each', () => {
    expect(lines('pipeline: null\n')).toEqual([
      'pipeline.yml:1:11 error pipeline/invalid-type `pipeline` must be a mapping, found nothing (an empty value)',
    ]);
    expect(lines(`${head}  stages: {Source: {}}\n`)).toEqual([
      'pipeline.yml:5:3 error pipeline/invalid-type `pipeline.stages` must be a list, found a mapping',
    ]);
  });
});

describe('pipeline artifact store rules', () => {
  const top = 'pipeline:\n  name: app\n  roleArn: arn:aws:iam::123456789012:role/p\n';
  const store = '  artifactStore: {type: S3, location: bucket}\n';
  const stores =
    '  artifactStores:\n    us-east-1: {type: S3, location: bucket-east}\n    eu-west-1: {type: S3, location: bucket-west}\n';
  const inRegion = (name: string, region: string) => `${buildAction(name)}        region: ${region}\n`;
  const stages = (builds: string) => `  stages:\n${stage('Source', sourceAction)}${stage('Build', builds)}`;

  it('exactly one of artifactStore and artifactStores', () => {
    expect(lines(top + store + stores + stages(buildAction('B')))).toEqual([
      'pipeline.yml:5:3 error pipeline/artifact-store the pipeline sets both `artifactStore` and `artifactStores`; set exactly one',
    ]);
    expect(lines(top + stages(buildAction('B')))).toEqual([
      'pipeline.yml:1:1 error pipeline/artifact-store the pipeline has neither `artifactStore` nor `artifactStores`; set exactly one (an S3 bucket for artifacts)',
    ]);
    expect(lines(top + stores + stages(buildAction('B')))).toEqual([]);
  });

  it('artifactStores written as a list is shown as the map CodePipeline takes, with its own bucket', () => {
    expect(
      lines(`${top}  artifactStores:\n    - {type: S3, location: bucket-east}\n${stages(buildAction('B'))}`),
    ).toEqual([
      'pipeline.yml:4:3 error pipeline/artifact-store `artifactStores` is a list, but CodePipeline takes a map from region to store (write `"artifactStores": { "us-east-1": { "type": "S3", "location": "bucket-east" } }`, one entry per region, or use `artifactStore` for a single-region pipeline)',
    ]);
    expect(lines(`${top}  artifactStores:\n    - {type: S3}\n${stages(buildAction('B'))}`)).toEqual([
      'pipeline.yml:4:3 error pipeline/artifact-store `artifactStores` is a list, but CodePipeline takes a map from region to store (write `"artifactStores": { "us-east-1": { "type": "S3", "location": "my-bucket" } }`, one entry per region, or use `artifactStore` for a single-region pipeline)',
    ]);
  });

  it('a cross-region action needs a store in its region; one store serves one region only', () => {
    const twoRegions = inRegion('B', 'us-west-2') + inRegion('C', 'eu-west-1');
    expect(lines(top + stores + stages(twoRegions))).toEqual([
      'pipeline.yml:20:17 error pipeline/artifact-store action Build/B runs in us-west-2, but artifactStores has no store for that region (has: us-east-1, eu-west-1)',
    ]);
    expect(lines(top + store + stages(twoRegions))).toEqual([
      'pipeline.yml:4:3 error pipeline/artifact-store actions run in 2 regions (us-west-2, eu-west-1); cross-region actions need `artifactStores` with one store per region',
    ]);
    expect(lines(top + store + stages(inRegion('B', 'us-west-2') + inRegion('C', 'us-west-2')))).toEqual([]);
  });
});

describe('pipeline artifact flow rules', () => {
  const connection =
    '      - name: Repo\n        actionTypeId: {category: Source, owner: AWS, provider: CodeStarSourceConnection, version: "1"}\n' +
    '        configuration: {ConnectionArn: "arn:aws:codeconnections:us-east-1:123456789012:connection/x", FullRepositoryId: o/r, BranchName: main, OutputArtifactFormat: CODEBUILD_CLONE_REF}\n' +
    '        outputArtifacts: [{name: Src}]\n';
  const deploy =
    '      - name: Ship\n        actionTypeId: {category: Deploy, owner: AWS, provider: CodeDeploy, version: "1"}\n' +
    '        configuration: {ApplicationName: a, DeploymentGroupName: g}\n        inputArtifacts: [{name: Src}]\n';

  it('a CODEBUILD_CLONE_REF source artifact is for CodeBuild only', () => {
    expect(
      lines(`${head}  stages:\n${stage('Source', connection)}${stage('Build', buildAction('B'))}`),
    ).toEqual([]);
    expect(lines(`${head}  stages:\n${stage('Source', connection)}${stage('Deploy', deploy)}`)).toEqual([
      'pipeline.yml:17:33 error pipeline/clone-ref-consumer artifact `Src` is a CODEBUILD_CLONE_REF (a git clone reference) that only CodeBuild actions can use; Deploy/Ship is CodeDeploy',
    ]);
  });

  it('a CodeCommit source can hand over a CODEBUILD_CLONE_REF too, for CodeBuild only', () => {
    const codecommit =
      '      - name: Repo\n        actionTypeId: {category: Source, owner: AWS, provider: CodeCommit, version: "1"}\n' +
      '        configuration: {RepositoryName: app, BranchName: main, OutputArtifactFormat: CODEBUILD_CLONE_REF}\n' +
      '        outputArtifacts: [{name: Src}]\n';
    expect(
      lines(`${head}  stages:\n${stage('Source', codecommit)}${stage('Build', buildAction('B'))}`),
    ).toEqual([]);
    expect(lines(`${head}  stages:\n${stage('Source', codecommit)}${stage('Deploy', deploy)}`)).toEqual([
      'pipeline.yml:17:33 error pipeline/clone-ref-consumer artifact `Src` is a CODEBUILD_CLONE_REF (a git clone reference) that only CodeBuild actions can use; Deploy/Ship is CodeDeploy',
    ]);
    const zip = codecommit.replace('CODEBUILD_CLONE_REF', 'CODE_ZIP');
    expect(lines(`${head}  stages:\n${stage('Source', zip)}${stage('Deploy', deploy)}`)).toEqual([]);
  });

  it('an input artifact nobody produces is named with the produced one it was probably meant to be', () => {
    const text = `${head}  stages:\n${stage('Source', sourceAction)}${stage('Build', buildAction('B').replace('{name: Src}', '{name: Srcs}'))}`;
    expect(lines(text)).toEqual([
      'pipeline.yml:17:33 error pipeline/artifact-not-produced input artifact `Srcs` of Build/B is not produced by any action; produced: Src (did you mean `Src`?)',
    ]);
  });
});

describe('pipeline namespace and variable rules', () => {
  const v2 = (extra = '') => `${head}  pipelineType: V2\n${extra}`;
  const repo =
    '      - name: Repo\n        namespace: SourceVars\n' +
    '        actionTypeId: {category: Source, owner: AWS, provider: S3, version: "1"}\n' +
    '        configuration: {S3Bucket: b, S3ObjectKey: k}\n        outputArtifacts: [{name: Src}]\n';
  const build = (name: string, namespace: string, project = 'p') =>
    `      - name: ${name}\n        namespace: ${namespace}\n` +
    '        actionTypeId: {category: Build, owner: AWS, provider: CodeBuild, version: "1"}\n' +
    `        configuration: {ProjectName: "${project}"}\n        inputArtifacts: [{name: Src}]\n`;
  const stages = (builds: string) => `  stages:\n${stage('Source', repo)}${stage('Build', builds)}`;

  it('a namespace is declared once, is no artifact name and not a reserved one', () => {
    expect(lines(v2() + stages(build('A', 'BuildVars') + build('B', 'BuildVars')))).toEqual([
      'pipeline.yml:22:20 error pipeline/namespace-conflict namespace `BuildVars` is already declared by Build/A; namespaces must be unique',
    ]);
    expect(lines(v2() + stages(build('A', 'Src')))).toEqual([
      'pipeline.yml:17:20 error pipeline/namespace-conflict namespace `Src` has the same name as an artifact; namespaces cannot match artifact names',
    ]);
    expect(lines(v2() + stages(build('A', 'codepipeline') + build('B', 'variables')))).toEqual([
      'pipeline.yml:17:20 error pipeline/namespace-conflict namespace `codepipeline` is reserved by CodePipeline',
      'pipeline.yml:22:20 error pipeline/namespace-conflict namespace `variables` is reserved by CodePipeline',
    ]);
  });

  it('#{variables.X} names a declared pipeline variable; the declared ones are listed', () => {
    const declared = '  variables:\n    - {name: Env}\n    - {name: Region}\n';
    expect(lines(v2(declared) + stages(build('A', 'X', 'p-#{variables.Envv}')))).toEqual([
      'pipeline.yml:22:41 error pipeline/unknown-variable #{variables.Envv} names pipeline variable `Envv`, which `variables` does not declare (declared: Env, Region) (did you mean `Env`?)',
    ]);
    expect(lines(v2(declared) + stages(build('A', 'X', 'p-#{variables.Region}')))).toEqual([]);
    // Nothing declared (or a variable without a name): no list of declared ones.
    expect(lines(v2() + stages(build('A', 'X', 'p-#{variables.Env}')))).toEqual([
      'pipeline.yml:19:41 error pipeline/unknown-variable #{variables.Env} names pipeline variable `Env`, which `variables` does not declare',
    ]);
    expect(
      lines(v2('  variables:\n    - {defaultValue: x}\n') + stages(build('A', 'X', 'p-#{variables.Env}'))),
    ).toEqual([
      'pipeline.yml:7:7 error pipeline/missing-key missing required key `name` in `pipeline.variables[0]`',
      'pipeline.yml:21:41 error pipeline/unknown-variable #{variables.Env} names pipeline variable `Env`, which `variables` does not declare',
    ]);
  });

  it('a namespace no action declares is named with the declared ones; SecretsManager references are not checked', () => {
    expect(lines(v2() + stages(build('A', 'BuildVars', 'p-#{Sourcevars.ETag}')))).toEqual([
      'pipeline.yml:19:41 error pipeline/unknown-variable #{Sourcevars.ETag} uses namespace `Sourcevars`, which no action declares; declared: SourceVars, BuildVars (did you mean `SourceVars`?)',
    ]);
    expect(lines(v2() + stages(build('A', 'X', 'p-#{SecretsManager.db}')))).toEqual([]);
  });

  it('a stage condition rule reads variables too, and is named by its stage and place when unnamed', () => {
    const text =
      `${v2()}  stages:\n${stage('Source', repo)}    - beforeEntry:\n        conditions:\n          - rules:\n` +
      '              - ruleTypeId: {category: Rule, owner: AWS, provider: VariableCheck, version: "1"}\n' +
      '                configuration: {Variable: "#{codepipeline.Nope}", Value: x, Operator: EQ}\n' +
      `      actions:\n${build('A', 'X')}`;
    expect(lines(text)).toEqual([
      'pipeline.yml:14:7 error pipeline/missing-key missing required key `name` in `pipeline.stages[1]`',
      'pipeline.yml:17:17 error pipeline/missing-key missing required key `name` in `pipeline.stages[1].beforeEntry.conditions[0].rules[0]`',
      'pipeline.yml:18:44 error pipeline/unknown-output-variable #{codepipeline.Nope} in stage 2 beforeEntry rule 1 names `Nope`, which the reserved codepipeline namespace does not have (has: PipelineExecutionId)',
    ]);
  });

  it('empty stage and rule entries are reported as such, and references are still checked around them', () => {
    const reading =
      '      - name: B\n        actionTypeId: {category: Build, owner: AWS, provider: CodeBuild, version: "1"}\n' +
      '        configuration: {ProjectName: "p-#{Vars.X}"}\n        inputArtifacts: [{name: Src}]\n';
    const sourceOnly =
      '      - name: Repo\n        actionTypeId: {category: Source, owner: AWS, provider: S3, version: "1"}\n' +
      '        configuration: {S3Bucket: b, S3ObjectKey: k}\n        outputArtifacts: [{name: Src}]\n';
    const text =
      `${head}  stages:\n${stage('Source', sourceOnly)}    -\n    - name: Build\n      beforeEntry:\n        conditions:\n` +
      `          - rules:\n              -\n      actions:\n${reading}`;
    expect(lines(text)).toEqual([
      'pipeline.yml:12:6 error pipeline/invalid-type `pipeline.stages[1]` must be a mapping, found nothing (an empty value)',
      'pipeline.yml:14:7 warning pipeline/implicit-v2 pipelineType is not set, and stage `beforeEntry` makes CodePipeline create this pipeline as V2 (with V2 pricing) (write `pipelineType: V2` so the file says what AWS creates)',
      'pipeline.yml:17:16 error pipeline/invalid-type `pipeline.stages[2].beforeEntry.conditions[0].rules[0]` must be a mapping, found nothing (an empty value)',
      'pipeline.yml:21:41 error pipeline/unknown-variable #{Vars.X} uses namespace `Vars`, which no action declares',
    ]);
  });

  it('a condition without rules, or with a rule that is not a mapping, gets the schema finding only', () => {
    const text =
      `${v2()}  stages:\n${stage('Source', repo)}    - name: Build\n      beforeEntry:\n        conditions:\n` +
      `          - result: FAIL\n          - rules: [x]\n      actions:\n${build('A', 'X')}`;
    expect(lines(text)).toEqual([
      'pipeline.yml:16:9 error pipeline/invalid-value `pipeline.stages[1].beforeEntry.conditions` has 2 entries; allowed: exactly 1 entry',
      'pipeline.yml:18:21 error pipeline/invalid-type `pipeline.stages[1].beforeEntry.conditions[1].rules[0]` must be a mapping, found the string "x"',
    ]);
  });
});

describe('V2 pipeline rules: triggers, their filters and stage conditions', () => {
  const declaration = (type: string, extra = '') =>
    `pipeline:\n  name: app\n  roleArn: arn:aws:iam::123456789012:role/p\n  artifactStore: {type: S3, location: bucket}\n${type ? `  pipelineType: ${type}\n` : ''}${extra}`;
  const connection =
    '      - name: Repo\n        actionTypeId: {category: Source, owner: AWS, provider: CodeStarSourceConnection, version: "1"}\n' +
    '        configuration: {ConnectionArn: "arn:aws:codeconnections:us-east-1:123456789012:connection/x", FullRepositoryId: o/r, BranchName: main}\n' +
    '        outputArtifacts: [{name: Src}]\n';
  const build =
    '      - name: B\n        actionTypeId: {category: Build, owner: AWS, provider: CodeBuild, version: "1"}\n' +
    '        configuration: {ProjectName: p}\n        inputArtifacts: [{name: Src}]\n';
  const stages = (buildStageExtra = '') =>
    `  stages:\n    - name: Source\n      actions:\n${connection}    - name: Build\n${buildStageExtra}      actions:\n${build}`;
  const trigger = (source: string, filters: string) =>
    `    - providerType: CodeStarSourceConnection\n      gitConfiguration:\n        sourceActionName: ${source}\n${filters}`;
  const triggers = (...list: string[]) =>
    lines(declaration('V2', `  triggers:\n${list.join('')}`) + stages());
  const onMain = '        push: [{branches: {includes: [main]}}]\n';

  it('a trigger names a source action of the pipeline, and one trigger per source action', () => {
    expect(triggers(trigger('Repoo', onMain))).toEqual([
      'pipeline.yml:9:27 error pipeline/trigger-source-action trigger names source action `Repoo`, which is not a source action of this pipeline; CodeStarSourceConnection actions: Repo',
    ]);
    expect(
      triggers(trigger('Repo', onMain), trigger('Repo', '        push: [{tags: {includes: [v1]}}]\n')),
    ).toEqual([
      'pipeline.yml:13:27 error pipeline/trigger-source-action source action `Repo` already has trigger 1; each source action takes one trigger',
    ]);
    expect(triggers(trigger('Repo', onMain))).toEqual([]);
  });

  it('filters: tags, branches, or branches + filePaths on push; branches (+ filePaths) on pull requests', () => {
    expect(triggers(trigger('Repo', '        pullRequest: [{filePaths: {includes: [src]}}]\n'))).toEqual([
      'pipeline.yml:10:23 error pipeline/trigger-filter a pullRequest filter needs branches',
      'pipeline.yml:10:24 error pipeline/trigger-filter a pullRequest filter with filePaths also needs branches (valid: branches, or branches + filePaths)',
    ]);
    expect(
      triggers(trigger('Repo', '        push: [{tags: {includes: [v1]}, branches: {includes: [main]}}]\n')),
    ).toEqual([
      'pipeline.yml:10:17 error pipeline/trigger-filter a push filter on tags cannot also filter branches or file paths (valid: tags, branches, or branches + filePaths)',
    ]);
    expect(triggers(trigger('Repo', '        pullRequest: [{events: [OPEN]}]\n'))).toEqual([
      'pipeline.yml:10:23 error pipeline/trigger-filter a pullRequest filter needs branches',
    ]);
    expect(
      triggers(
        trigger(
          'Repo',
          '        pullRequest: [{events: [OPEN], branches: {includes: [main]}, filePaths: {includes: [src]}}]\n',
        ),
      ),
    ).toEqual([]);
  });

  it('triggers in a V1 pipeline are an error; QUEUED without a type makes it V2 (a warning)', () => {
    expect(lines(declaration('V1', `  triggers:\n${trigger('Repo', onMain)}`) + stages())).toEqual([
      'pipeline.yml:6:3 error pipeline/v2-only `triggers` needs a V2 pipeline; this pipeline is V1 (set `pipelineType: V2`)',
    ]);
    expect(lines(declaration('', '  executionMode: QUEUED\n') + stages())).toEqual([
      'pipeline.yml:5:3 warning pipeline/implicit-v2 pipelineType is not set, and executionMode QUEUED makes CodePipeline create this pipeline as V2 (with V2 pricing) (write `pipelineType: V2` so the file says what AWS creates)',
    ]);
  });

  it('stage conditions take the results their place allows; SKIP on entry takes LambdaInvoke and VariableCheck rules', () => {
    expect(lines(declaration('V2') + stages('      onFailure:\n        result: FAIL\n'))).toEqual([
      'pipeline.yml:15:17 error pipeline/condition-result onFailure result is FAIL; allowed: ROLLBACK, RETRY',
    ]);
    const window =
      '              - name: W\n                ruleTypeId: {category: Rule, owner: AWS, provider: DeploymentWindow, version: "1"}\n' +
      '                configuration: {Cron: "0 9 ? * MON-FRI *"}\n';
    expect(
      lines(
        declaration('V2') +
          stages(
            `      beforeEntry:\n        conditions:\n          - result: ROLLBACK\n            rules:\n${window}`,
          ),
      ),
    ).toEqual([
      'pipeline.yml:16:21 error pipeline/condition-result a beforeEntry condition result is ROLLBACK; allowed: FAIL, SKIP',
    ]);
    const skipRules =
      '              - name: V\n                ruleTypeId: {category: Rule, owner: AWS, provider: VariableCheck, version: "1"}\n' +
      '                configuration: {Variable: "#{codepipeline.PipelineExecutionId}", Value: x, Operator: EQ}\n' +
      '              - name: L\n                ruleTypeId: {category: Rule, owner: AWS, provider: LambdaInvoke, version: "1"}\n' +
      '                configuration: {FunctionName: f}\n';
    expect(
      lines(
        declaration('V2') +
          stages(
            `      beforeEntry:\n        conditions:\n          - result: SKIP\n            rules:\n${skipRules}`,
          ),
      ),
    ).toEqual([]);
  });
});

describe('per-action rules', () => {
  const s3Source = (name: string, artifact: string) =>
    `      - name: ${name}\n        actionTypeId: {category: Source, owner: AWS, provider: S3, version: "1"}\n` +
    `        configuration: {S3Bucket: b, S3ObjectKey: k}\n        outputArtifacts: [{name: ${artifact}}]\n`;
  /** One action `A` in stage Work, after a source stage producing Src and Cfg. */
  const act = (
    category: string,
    provider: string,
    configuration: string,
    inputs = '[{name: Src}]',
    extra = '',
  ) =>
    `      - name: A\n        actionTypeId: {category: ${category}, owner: AWS, provider: ${provider}, version: "1"}\n` +
    `        configuration: ${configuration}\n        inputArtifacts: ${inputs}\n${extra}`;
  const work = (action: string) =>
    `${head}  stages:\n    - name: Source\n      actions:\n${s3Source('Repo', 'Src')}${s3Source('Conf', 'Cfg')}    - name: Work\n      actions:\n${action}`;

  it('CodeBuild: PrimarySource names one of several inputs; EnvironmentVariables is a JSON array of name/value/type', () => {
    expect(lines(work(act('Build', 'CodeBuild', '{ProjectName: p}', '[{name: Src}, {name: Cfg}]')))).toEqual([
      'pipeline.yml:20:9 error pipeline/missing-configuration CodeBuild action Work/A has 2 input artifacts, so it needs `PrimarySource` naming one of them',
    ]);
    expect(
      lines(
        work(act('Build', 'CodeBuild', '{ProjectName: p, PrimarySource: Cfg}', '[{name: Src}, {name: Cfg}]')),
      ),
    ).toEqual([]);
    expect(lines(work(act('Build', 'CodeBuild', '{ProjectName: p, PrimarySource: Cfg}')))).toEqual([
      'pipeline.yml:20:56 error pipeline/configuration-value PrimarySource of Work/A is `Cfg`, which is not one of its input artifacts (Src)',
    ]);
    expect(
      lines(work(act('Build', 'CodeBuild', `{ProjectName: p, EnvironmentVariables: '[{"name":'}`))),
    ).toEqual([
      'pipeline.yml:20:63 error pipeline/configuration-value EnvironmentVariables of Work/A is not valid JSON; write a JSON array of {"name","value","type"} objects',
    ]);
    expect(
      lines(work(act('Build', 'CodeBuild', `{ProjectName: p, EnvironmentVariables: '{"name":"A"}'}`))),
    ).toEqual([
      'pipeline.yml:20:63 error pipeline/configuration-value EnvironmentVariables of Work/A must be a JSON array of {"name","value","type"} objects',
    ]);
    expect(
      lines(
        work(
          act(
            'Build',
            'CodeBuild',
            `{ProjectName: p, EnvironmentVariables: '[{"name":"A","value":"1"},{"name":"B"}]'}`,
          ),
        ),
      ),
    ).toEqual([
      'pipeline.yml:20:63 error pipeline/configuration-value EnvironmentVariables of Work/A entry 1 needs a "name" and a "value"',
    ]);
    expect(
      lines(
        work(
          act(
            'Build',
            'CodeBuild',
            `{ProjectName: p, EnvironmentVariables: '[{"name":"A","value":"1","type":"SECRET"}]'}`,
          ),
        ),
      ),
    ).toEqual([
      'pipeline.yml:20:63 error pipeline/configuration-value EnvironmentVariables of Work/A entry 0 has type "SECRET"; allowed: PLAINTEXT, PARAMETER_STORE, SECRETS_MANAGER',
    ]);
    expect(
      lines(
        work(
          act(
            'Build',
            'CodeBuild',
            `{ProjectName: p, EnvironmentVariables: '[{"name":"A","value":"1","type":"PARAMETER_STORE"},{"name":"B","value":"2"}]'}`,
          ),
        ),
      ),
    ).toEqual([]);
    expect(
      lines(work(act('Build', 'CodeBuild', '{ProjectName: p, BatchEnabled: yes, CombineArtifacts: TRUE}'))),
    ).toEqual([
      'pipeline.yml:20:55 error pipeline/configuration-value BatchEnabled is `yes`; allowed: true, false',
      'pipeline.yml:20:78 error pipeline/invalid-type `pipeline.stages[1].actions[0].configuration.CombineArtifacts` must be a string, found the boolean true (quote it: "true")',
    ]);
  });

  it('CodeDeployToECS: template artifacts are inputs, and image artifact and container names come in pairs', () => {
    expect(
      lines(
        work(
          act(
            'Deploy',
            'CodeDeployToECS',
            '{ApplicationName: a, DeploymentGroupName: g, TaskDefinitionTemplateArtifact: Src, AppSpecTemplateArtifact: Nope, Image1ArtifactName: Src, Image2ContainerName: web}',
          ),
        ),
      ),
    ).toEqual([
      'pipeline.yml:20:9 error pipeline/missing-configuration Work/A sets only one of Image1ArtifactName and Image1ContainerName; `Image1ContainerName` is missing',
      'pipeline.yml:20:9 error pipeline/missing-configuration Work/A sets only one of Image2ArtifactName and Image2ContainerName; `Image2ArtifactName` is missing',
      'pipeline.yml:20:131 error pipeline/configuration-value AppSpecTemplateArtifact of Work/A is `Nope`, which is not one of its input artifacts (Src)',
    ]);
  });

  it('CloudFormation: a known ActionMode with the keys it needs, ArtifactName::path, known capabilities', () => {
    expect(lines(work(act('Deploy', 'CloudFormation', '{ActionMode: CREATE, StackName: s}')))).toEqual([
      'pipeline.yml:20:37 error pipeline/configuration-value ActionMode is `CREATE`; allowed: CREATE_UPDATE, DELETE_ONLY, REPLACE_ON_FAILURE, CHANGE_SET_REPLACE, CHANGE_SET_EXECUTE',
    ]);
    expect(
      lines(work(act('Deploy', 'CloudFormation', '{ActionMode: CHANGE_SET_REPLACE, StackName: s}'))),
    ).toEqual([
      'pipeline.yml:20:9 error pipeline/missing-configuration CloudFormation action Work/A in ActionMode CHANGE_SET_REPLACE is missing `ChangeSetName` (required for CHANGE_SET_REPLACE, CHANGE_SET_EXECUTE)',
      'pipeline.yml:20:9 error pipeline/missing-configuration CloudFormation action Work/A in ActionMode CHANGE_SET_REPLACE is missing `RoleArn` (required for CREATE_UPDATE, REPLACE_ON_FAILURE, DELETE_ONLY, CHANGE_SET_REPLACE)',
      'pipeline.yml:20:9 error pipeline/missing-configuration CloudFormation action Work/A in ActionMode CHANGE_SET_REPLACE is missing `TemplatePath` (required for CREATE_UPDATE, REPLACE_ON_FAILURE, CHANGE_SET_REPLACE)',
    ]);
    expect(
      lines(
        work(
          act(
            'Deploy',
            'CloudFormation',
            '{ActionMode: CHANGE_SET_EXECUTE, StackName: s, ChangeSetName: c, TemplatePath: "Src", TemplateConfiguration: "Other::c.json", Capabilities: "CAPABILITY_IAM, CAPABILITY_ALL"}',
          ),
        ),
      ),
    ).toEqual([
      'pipeline.yml:20:103 error pipeline/configuration-value TemplatePath is `Src`; write it as ArtifactName::path/in/artifact',
      'pipeline.yml:20:133 error pipeline/configuration-value TemplateConfiguration reads artifact `Other`, which is not an input artifact of Work/A (Src)',
      'pipeline.yml:20:164 error pipeline/configuration-value Capabilities lists `CAPABILITY_ALL`; allowed: CAPABILITY_IAM, CAPABILITY_NAMED_IAM, CAPABILITY_AUTO_EXPAND (comma-separated)',
    ]);
    expect(
      lines(
        work(
          act(
            'Deploy',
            'CloudFormation',
            '{ActionMode: CHANGE_SET_EXECUTE, StackName: s, ChangeSetName: c, TemplatePath: "Src::t.yml", TemplateConfiguration: "#{Vars.Art}::c.json", Capabilities: "CAPABILITY_IAM,CAPABILITY_AUTO_EXPAND"}',
          ),
        ),
      ),
    ).toEqual([
      'pipeline.yml:20:141 error pipeline/unknown-variable #{Vars.Art} uses namespace `Vars`, which no action declares',
    ]);
  });

  it('S3 deploy: Extract is true or false, and false needs ObjectKey', () => {
    expect(lines(work(act('Deploy', 'S3', '{BucketName: b, Extract: "no"}')))).toEqual([
      'pipeline.yml:20:49 error pipeline/configuration-value Extract is `no`; allowed: true, false',
    ]);
    expect(lines(work(act('Deploy', 'S3', '{BucketName: b, Extract: "FALSE"}')))).toEqual([
      'pipeline.yml:20:9 error pipeline/missing-configuration S3 deploy action Work/A has Extract false, so it needs `ObjectKey`',
    ]);
    expect(lines(work(act('Deploy', 'S3', '{BucketName: b, Extract: "false", ObjectKey: app.zip}')))).toEqual(
      [],
    );
  });

  it('artifact counts and required configuration per provider; timeoutInMinutes is for approvals', () => {
    expect(
      lines(work(act('Deploy', 'CodeDeploy', '{ApplicationName: a}', '[{name: Src}, {name: Cfg}]'))),
    ).toEqual([
      'pipeline.yml:20:9 error pipeline/missing-configuration CodeDeploy action Work/A is missing required configuration `DeploymentGroupName`; required: ApplicationName, DeploymentGroupName',
      'pipeline.yml:21:9 error pipeline/artifact-count CodeDeploy action Work/A has 2 input artifacts; AWS/Deploy/CodeDeploy takes exactly 1',
    ]);
    expect(
      lines(work(act('Approval', 'Manual', '{}', '[{name: Src}]', '        timeoutInMinutes: 60\n'))),
    ).toEqual([
      'pipeline.yml:21:9 error pipeline/artifact-count Manual action Work/A has 1 input artifact; AWS/Approval/Manual takes exactly 0',
    ]);
    expect(
      lines(
        work(
          act('Build', 'CodeBuild', '{ProjectName: p}', '[{name: Src}]', '        timeoutInMinutes: 60\n'),
        ),
      ),
    ).toEqual([
      'pipeline.yml:22:9 warning pipeline/action-timeout timeoutInMinutes is set on CodeBuild action Work/A; CodePipeline applies it only to manual approval actions',
    ]);
    expect(
      lines(
        work(
          act('Build', 'Jenkins', '{ProjectName: p}', '[{name: Src}]', '').replace(
            'owner: AWS',
            'owner: Custom',
          ),
        ),
      ),
    ).toEqual([]);
  });
});

describe('per-action rules: source formats, V2-only providers, custom actions', () => {
  const typed = (type: string) =>
    `pipeline:\n  name: app\n  roleArn: arn:aws:iam::123456789012:role/p\n  artifactStore: {type: S3, location: bucket}\n  pipelineType: ${type}\n`;
  const codecommit = (format: string) =>
    '      - name: Repo\n        actionTypeId: {category: Source, owner: AWS, provider: CodeCommit, version: "1"}\n' +
    `        configuration: {RepositoryName: app, BranchName: main, OutputArtifactFormat: ${format}, PollForSourceChanges: "falsey"}\n` +
    '        outputArtifacts: [{name: Src}]\n';
  const work = (type: string, source: string, action: string) =>
    `${typed(type)}  stages:\n    - name: Source\n      actions:\n${source}    - name: Work\n      actions:\n      - name: A\n${action}`;
  const s3Deploy =
    '        actionTypeId: {category: Deploy, owner: AWS, provider: S3, version: "1"}\n' +
    '        configuration: {BucketName: b, Extract: "notfalse"}\n        inputArtifacts: [{name: Src}]\n';
  const commands =
    '        actionTypeId: {category: Compute, owner: AWS, provider: Commands, version: "1"}\n' +
    '        commands: [make]\n        inputArtifacts: [{name: Src}]\n';
  const jenkins =
    '        actionTypeId: {category: Build, owner: Custom, provider: Jenkins, version: "1"}\n' +
    '        configuration: {ProjectName: p}\n' +
    '        inputArtifacts: [{name: Src}, {name: Src}, {name: Src}, {name: Src}, {name: Src}, {name: Src}]\n';

  it('a source format, a true/false flag and Extract are checked as whole words', () => {
    expect(lines(work('V2', codecommit('ZIP'), s3Deploy))).toEqual([
      'pipeline.yml:11:86 error pipeline/configuration-value OutputArtifactFormat is `ZIP`; allowed: CODE_ZIP, CODEBUILD_CLONE_REF',
      'pipeline.yml:11:113 error pipeline/configuration-value PollForSourceChanges is `falsey`; allowed: true, false',
      'pipeline.yml:17:49 error pipeline/configuration-value Extract is `notfalse`; allowed: true, false',
    ]);
  });

  it('a Commands action in a V1 pipeline is named; a custom action takes 0 to 5 artifacts', () => {
    expect(lines(work('V1', codecommit('CODE_ZIP'), commands))).toEqual([
      'pipeline.yml:11:118 error pipeline/configuration-value PollForSourceChanges is `falsey`; allowed: true, false',
      'pipeline.yml:16:65 error pipeline/v2-only the Commands action is available only in V2 pipelines; this pipeline is V1 (set `pipelineType: V2`)',
    ]);
    expect(lines(work('V2', codecommit('CODE_ZIP'), jenkins))).toEqual([
      'pipeline.yml:11:118 error pipeline/configuration-value PollForSourceChanges is `falsey`; allowed: true, false',
      'pipeline.yml:18:9 error pipeline/artifact-count Jenkins action Work/A has 6 input artifacts; Custom/Build/Jenkins takes 0 to 5',
    ]);
  });
});
