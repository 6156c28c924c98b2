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

describe('buildspec rules: versions, phases and commands', () => {
  const bs = (body: string) => findings(`version: 0.2\n${body}`, 'buildspec.yml');
  const build = 'phases:\n  build:\n    commands: [make]\n';

  it('a batch buildspec needs the version as a number, and may leave out phases', () => {
    const batch = 'batch:\n  build-list:\n    - identifier: a\n';
    expect(findings(`version: "0.2"\n${batch}`, 'buildspec.yml')).toEqual([
      'buildspec/quoted-version version is the string "0.2"; batch builds need the number',
    ]);
    expect(findings(`version: 0.2\n${batch}`, 'buildspec.yml')).toEqual([]);
    expect(findings(`version: "0.2"\n${build}`, 'buildspec.yml')).toEqual([]);
    expect(bs('env:\n  shell: bash\n')).toEqual([
      'buildspec/phases-required missing required key `phases` at the top level (only a batch buildspec may leave it out)',
    ]);
  });

  it('a command YAML reads as a number or a boolean is named with its text', () => {
    expect(
      bs('phases:\n  build:\n    commands:\n      - make\n      - 3.10\n    finally:\n      - true\n'),
    ).toEqual([
      'buildspec/non-string-command command `3.10` is read by YAML as a number, not text; CodeBuild runs its text',
      'buildspec/non-string-command command `true` is read by YAML as a boolean, not text; CodeBuild runs its text',
    ]);
  });

  it('pre_build, build and post_build need commands, an empty one too', () => {
    expect(
      bs(
        'phases:\n  install:\n  pre_build:\n  build:\n    finally: [echo]\n  post_build:\n    commands: [echo]\n',
      ),
    ).toEqual([
      'buildspec/phase-commands phase `pre_build` is empty; a pre_build phase needs a `commands` list (give it commands or remove the phase)',
      'buildspec/phase-commands phase `build` has no `commands`; the buildspec reference requires a commands list in a build phase',
    ]);
  });

  it('environment_variables is the old spelling in version 0.2 only', () => {
    const old = 'environment_variables:\n  plaintext:\n    A: b\n';
    expect(bs(`${build}${old}`)).toEqual([
      'buildspec/version-key `environment_variables` is the version 0.1 spelling; version 0.2 ignores it',
    ]);
    expect(findings(`version: 0.1\n${build}${old}`, 'buildspec.yml')).toEqual([]);
  });

  it('a runtime version YAML reads as a different number is named', () => {
    const text =
      'phases:\n  install:\n    runtime-versions:\n      python: 3.10\n      nodejs: 18\n      java: "17"\n  build:\n    commands: [make]\n';
    expect(bs(text).filter((f) => f.startsWith('buildspec/runtime-version-number '))).toEqual([
      'buildspec/runtime-version-number python version `3.10` is read by YAML as the number 3.1, not the text "3.10"',
    ]);
  });
});

describe('buildspec rules: variables, batches and reports', () => {
  const bs = (body: string) =>
    findings(`version: 0.2\nphases:\n  build:\n    commands: [make]\n${body}`, 'buildspec.yml');

  it('variables may not use the CODEBUILD_ prefix, and exported ones may not start with AWS_', () => {
    expect(
      bs(
        'env:\n  variables:\n    CODEBUILD_X: a\n    MODE: fast\n  exported-variables:\n    - AWS_REGION\n    - IMAGE\n',
      ),
    ).toEqual([
      'buildspec/reserved-variable variable `CODEBUILD_X` uses the reserved prefix CODEBUILD_; CodeBuild sets these itself',
      'buildspec/exported-variable-name exported variable `AWS_REGION` starts with AWS_, which CodeBuild does not export',
    ]);
    expect(bs('env:\n  exported-variables: AWS_X\n')).toEqual([
      'buildspec/exported-variable-name exported variable `AWS_X` starts with AWS_, which CodeBuild does not export',
    ]);
  });

  it('variables of each batch build are checked too', () => {
    expect(
      bs(
        'batch:\n  build-list:\n    - identifier: a\n      env:\n        variables:\n          CODEBUILD_Y: b\n',
      ),
    ).toEqual([
      'buildspec/reserved-variable variable `CODEBUILD_Y` uses the reserved prefix CODEBUILD_; CodeBuild sets these itself',
    ]);
  });

  it('a batch takes one kind, unique identifiers, and a build graph without unknown names or cycles', () => {
    expect(bs('batch:\n  build-list:\n    - identifier: a\n  build-matrix:\n    static: {}\n')).toEqual([
      'buildspec/batch-kind batch has build-list, build-matrix; a batch takes exactly one of build-list, build-matrix, build-graph, build-fanout',
    ]);
    expect(
      bs(
        'batch:\n  build-graph:\n    - identifier: a\n      depend-on: [c]\n    - identifier: b\n      depend-on: [a, x]\n    - identifier: c\n      depend-on: [b]\n    - identifier: a\n',
      ),
    ).toEqual([
      'buildspec/batch-cycle build-graph dependencies form a cycle: a -> c -> b -> a',
      'buildspec/batch-unknown-dependency `b` depends on `x`, which is not an identifier in build-graph; known: a, b, c',
      'buildspec/batch-duplicate-identifier batch identifier `a` is already used by build-graph[0]; identifiers must be unique',
    ]);
  });

  it('at most five report groups, each with a known file format in any case', () => {
    const groups = Array.from({ length: 6 }, (_, i) => `  g${i}:\n    files: [r.xml]\n`).join('');
    expect(bs(`reports:\n${groups}`)).toEqual([
      'buildspec/report-group-limit reports lists 6 report groups; a project may have at most 5',
    ]);
    expect(bs('reports:\n  unit:\n    files: [r.xml]\n    file-format: junitxml\n')).toEqual([]);
    expect(bs('reports:\n  unit:\n    files: [r.xml]\n    file-format: XUNIT\n')).toEqual([
      'buildspec/report-file-format `reports.unit.file-format` is the string "XUNIT"; allowed (any case): CUCUMBERJSON, JUNITXML, NUNITXML, NUNIT3XML, TESTNGXML, VISUALSTUDIOTRX, CLOVERXML, COBERTURAXML, JACOCOXML, SIMPLECOV',
    ]);
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

describe('deployment group rules', () => {
  const group = (strategy: string, extra = '') =>
    `application: hello\ndeploymentGroup: dev\nstrategy: ${strategy}\n${extra}`;
  const rules = (text: string) =>
    findings(text, 'group.yml').filter((f) => f.startsWith('deployment-group/') && !f.includes('unknown'));

  it('traffic steps must send some traffic to the new revision', () => {
    for (const type of ['canary', 'linear', 'steps']) {
      expect(rules(group(`{ type: ${type}, steps: [{ pause: { seconds: 5 } }] }`))).toEqual([
        'deployment-group/invalid-value the steps never send traffic to the new revision: add a setWeight step',
      ]);
      expect(rules(group(`{ type: ${type}, steps: [{ setWeight: 10 }, { pause: {} }] }`))).toEqual([]);
    }
  });

  it('rolling needs its floor; canary and linear need their numbers or a config name', () => {
    expect(rules(group('{ type: rolling }'))).toEqual([
      'deployment-group/invalid-value strategy rolling needs minimumHealthyHosts: {count: N} or {percent: P}',
    ]);
    const canary =
      'deployment-group/invalid-value strategy canary needs steps, or percent and intervalSeconds, or config (e.g. Canary10Percent5Minutes)';
    const linear =
      'deployment-group/invalid-value strategy linear needs stepPercent and intervalSeconds, or config (e.g. Linear10PercentEvery1Minute)';
    expect(rules(group('{ type: canary, percent: 10 }'))).toEqual([canary]);
    expect(rules(group('{ type: canary, intervalSeconds: 60 }'))).toEqual([canary]);
    expect(rules(group('{ type: canary, percent: 10, intervalSeconds: 60 }'))).toEqual([]);
    expect(rules(group('{ type: canary, config: Canary10Percent5Minutes }'))).toEqual([]);
    expect(rules(group('{ type: linear, stepPercent: 10 }'))).toEqual([linear]);
    expect(rules(group('{ type: linear, intervalSeconds: 60 }'))).toEqual([linear]);
    expect(rules(group('{ type: linear, stepPercent: 10, intervalSeconds: 60 }'))).toEqual([]);
    expect(rules(group('{ type: linear, config: Linear10PercentEvery1Minute }'))).toEqual([]);
    expect(rules(group('{ type: rolling, minimumHealthyHosts: { count: 1 } }'))).toEqual([]);
    expect(rules(group('one-at-a-time'))).toEqual([]);
  });

  it("points at the strategy's type, or at steps that send no traffic", () => {
    const at = (strategy: string) =>
      validateText(
        `application: hello\ndeploymentGroup: dev\nstrategy:\n${strategy}`,
        'group.yml',
      ).diagnostics.map((d) => `${d.line}:${d.col}`);
    expect(at('  type: rolling\n')).toEqual(['4:9']);
    expect(at('  type: canary\n  percent: 5\n')).toEqual(['4:9']);
    expect(at('  type: linear\n  stepPercent: 5\n')).toEqual(['4:9']);
    expect(at('  type: canary\n  steps:\n    - pause: {}\n')).toEqual(['5:3']);
  });

  it('names each rollback hook script that does not exist', () => {
    const text = group(
      'all-at-once',
      'rollback:\n  hooks:\n    beforeRollback: scripts/missing-before.sh\n    afterRollback: scripts/missing-after.sh\n',
    );
    expect(rules(text)).toEqual([
      'deployment-group/rollback-hook-missing rollback hook scripts/missing-before.sh does not exist (paths are relative to the group file)',
      'deployment-group/rollback-hook-missing rollback hook scripts/missing-after.sh does not exist (paths are relative to the group file)',
    ]);
    expect(
      rules(group('all-at-once', `rollback:\n  hooks:\n    afterRollback: ${import.meta.filename}\n`)),
    ).toEqual([]);
  });
  it("warns at file:line:col about a command check's program that is not beside the group file", () => {
    // Checked against the group file's folder, where the runner starts the check: this test file's own folder.
    const here = import.meta.dirname;
    const self = `./${import.meta.filename.slice(here.length + 1)}`;
    const text = [
      'application: hello',
      'deploymentGroup: dev',
      'analysis:',
      '  checks:',
      '    - { name: shell, provider: command, command: ./scripts/smoke.sh --fast }',
      '    - name: argv',
      '      provider: command',
      '      command: [bin/probe, --fast]',
      `    - { name: there, provider: command, command: [${self}] }`,
      `    - { name: there-too, provider: command, command: ${self} --x }`,
      '    - { name: path, provider: command, command: [curl, -fsS, http://127.0.0.1:1/] }',
      '    - { name: variable, provider: command, command: $HOME/gone.sh x }',
      '    - { name: variable-path, provider: command, command: scripts/$TARGET.sh x }',
      '    - { name: indented, provider: command, command: "  ./lead.sh x" }',
      '    - { name: absolute, provider: command, command: [/nonexistent/probe] }',
      '',
    ].join('\n');
    const diagnostics = validateText(text, `${here}/group.yml`).diagnostics.map(
      (d) => `group.yml:${d.line}:${d.col} ${d.severity} ${d.ruleId} ${d.message}`,
    );
    expect(diagnostics).toEqual([
      "group.yml:5:50 warning deployment-group/check-command-missing command check 'shell' runs ./scripts/smoke.sh, which does not exist (paths are relative to the group file)",
      "group.yml:8:17 warning deployment-group/check-command-missing command check 'argv' runs bin/probe, which does not exist (paths are relative to the group file)",
      "group.yml:14:53 warning deployment-group/check-command-missing command check 'indented' runs ./lead.sh, which does not exist (paths are relative to the group file)",
    ]);
  });
});
