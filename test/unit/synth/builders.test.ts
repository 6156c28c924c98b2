import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Buildspec } from '../../../src/documents/buildspec/types.js';
import type { PipelineDeclaration } from '../../../src/documents/pipeline/types.js';
import { validateText } from '../../../src/documents/validate.js';
import { strategyFor } from '../../../src/synth/builders/deployment-group.js';
import {
  Action,
  alarmRule,
  Checks,
  condition,
  Duration,
  defineAppspec,
  defineBuildspec,
  defineDeploymentConfig,
  defineDeploymentGroup,
  definePipeline,
  EcsDeploymentConfig,
  hook,
  LambdaDeploymentConfig,
  MinimumHealthyHosts,
  retryOnFailure,
  rollbackOnFailure,
  ServerDeploymentConfig,
  stage,
  TrafficRouting,
  Trigger,
  variable,
} from '../../../src/synth/index.js';

describe('Duration', () => {
  it('converts to the unit each field wants and refuses lossy conversions', () => {
    expect(Duration.minutes(5).toSeconds()).toBe(300);
    expect(Duration.hours(2).toMinutes()).toBe(120);
    expect(() => Duration.seconds(90).toMinutes()).toThrow('90s is not a whole number of minutes');
    expect(() => Duration.minutes(-1)).toThrow(RangeError);
  });
});

describe('action helpers', () => {
  it('fix actionTypeId and map typed props to the provider configuration keys', () => {
    expect(
      Action.codeStarConnectionSource({
        name: 'Source',
        connectionArn: 'arn:c',
        repository: 'o/r',
        branch: 'main',
        output: 'Src',
        detectChanges: false,
        namespace: 'SourceVariables',
      }),
    ).toEqual({
      name: 'Source',
      actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeStarSourceConnection', version: '1' },
      runOrder: 1,
      configuration: {
        ConnectionArn: 'arn:c',
        FullRepositoryId: 'o/r',
        BranchName: 'main',
        DetectChanges: 'false',
      },
      outputArtifacts: [{ name: 'Src' }],
      inputArtifacts: [],
      namespace: 'SourceVariables',
    });
  });

  it('CodeBuild: primary source defaults to the first of several inputs; env vars become the JSON string', () => {
    const a = Action.codeBuild({
      name: 'B',
      project: 'p',
      inputs: ['A', 'B'],
      environmentVariables: [{ name: 'X', value: '1', type: 'PLAINTEXT' }],
      category: 'Test',
    });
    expect(a.actionTypeId.category).toBe('Test');
    expect(a.configuration).toEqual({
      ProjectName: 'p',
      PrimarySource: 'A',
      EnvironmentVariables: '[{"name":"X","value":"1","type":"PLAINTEXT"}]',
    });
    expect(() =>
      Action.codeBuild({ name: 'B', project: 'p', inputs: ['1', '2', '3', '4', '5', '6'] }),
    ).toThrow('inputs must have 1-5 entries, got 6');
  });

  it('CodeDeployToECS: image pairs numbered, inputs deduplicated', () => {
    const a = Action.codeDeployToEcs({
      name: 'D',
      application: 'app',
      deploymentGroup: 'g',
      taskDefinitionArtifact: 'Build',
      appSpecArtifact: 'Build',
      images: [{ artifact: 'Image', containerNamePlaceholder: 'IMAGE1_NAME' }],
    });
    expect(a.inputArtifacts).toEqual([{ name: 'Build' }, { name: 'Image' }]);
    expect(a.configuration).toMatchObject({
      Image1ArtifactName: 'Image',
      Image1ContainerName: 'IMAGE1_NAME',
    });
  });

  it('CloudFormation: the template path must name an input artifact', () => {
    expect(() =>
      Action.cloudFormation({
        name: 'Deploy',
        actionMode: 'CREATE_UPDATE',
        stackName: 's',
        templatePath: 'Other::t.yaml',
        stackRoleArn: 'arn:r',
        inputs: ['Build'],
      }),
    ).toThrow("templatePath 'Other::t.yaml' must be 'Artifact::path' naming one of the inputs (Build)");
  });

  it('manual approval timeout is whole minutes', () => {
    expect(Action.manualApproval({ name: 'A', timeout: Duration.hours(2) }).timeoutInMinutes).toBe(120);
  });
});

describe('definePipeline', () => {
  const stages = [
    stage('Source', [Action.s3Source({ name: 'S', bucket: 'bkt', key: 'k.zip', output: 'Src' })]),
    stage('Build', [Action.codeBuild({ name: 'B', project: 'p', inputs: ['Src'] })], {
      onFailure: retryOnFailure(),
      onSuccess: {
        conditions: [
          condition('ROLLBACK', [
            alarmRule({ name: 'R', alarmName: 'errors', waitTime: Duration.minutes(5) }),
          ]),
        ],
      },
    }),
  ];

  it('builds a V2 declaration with triggers, variables and conditions', () => {
    const p = definePipeline({
      name: 'p',
      roleArn: 'arn:aws:iam::123456789012:role/r',
      artifactStore: { bucket: 'bucket', kmsKeyId: 'alias/k' },
      variables: [variable('Env', { defaultValue: 'prod' })],
      triggers: [
        Trigger.git('S', {
          push: [{ tags: { includes: ['v*'] } }],
          pullRequest: [{ branches: { includes: ['main'] } }],
        }),
      ],
      stages,
    });
    expect(p.kind).toBe('pipeline');
    expect(p.document.pipelineType).toBe('V2');
    expect(p.document.artifactStore).toEqual({
      type: 'S3',
      location: 'bucket',
      encryptionKey: { id: 'alias/k', type: 'KMS' },
    });
    expect(p.document.triggers).toEqual([
      {
        providerType: 'CodeStarSourceConnection',
        gitConfiguration: {
          sourceActionName: 'S',
          push: [{ tags: { includes: ['v*'] } }],
          pullRequest: [{ branches: { includes: ['main'] } }],
        },
      },
    ]);
    expect(p.document.stages[1]?.onSuccess?.conditions[0]?.rules?.[0]?.configuration).toEqual({
      AlarmName: 'errors',
      WaitTime: '5',
    });
    expect(rollbackOnFailure()).toEqual({ result: 'ROLLBACK' });
  });

  it('needs exactly one of artifactStore and artifactStores', () => {
    const base = { name: 'p', roleArn: 'arn:aws:iam::123456789012:role/r', stages };
    expect(() => definePipeline(base)).toThrow('an artifactStore (or artifactStores per region) is required');
    expect(() =>
      definePipeline({
        ...base,
        artifactStore: { bucket: 'aaa' },
        artifactStores: { 'us-east-1': { bucket: 'bbb' } },
      }),
    ).toThrow('give either artifactStore or artifactStores, not both');
  });

  it('produces the validator schema types (types and schemas come from one source)', () => {
    const p = definePipeline({
      name: 'p',
      roleArn: 'arn:aws:iam::123456789012:role/r',
      artifactStore: { bucket: 'bbb' },
      stages,
    });
    expectTypeOf(p.document).toEqualTypeOf<PipelineDeclaration>();
    const b = defineBuildspec({ name: 'b', phases: { build: { commands: ['make'] } } });
    expectTypeOf(b.document).toEqualTypeOf<Buildspec>();
  });
});

describe('defineAppspec', () => {
  it('EC2: hooks in CodeDeploy run order, timeouts in seconds, mode as a string', () => {
    const a = defineAppspec({
      name: 'web',
      platform: 'server',
      permissions: [{ object: '/opt', mode: '0644' }],
      hooks: {
        ValidateService: [hook('check.sh')],
        ApplicationStop: [hook('stop.sh', { timeout: Duration.minutes(2), runas: 'app' })],
      },
    });
    expect(a.document).toEqual({
      version: 0,
      os: 'linux',
      permissions: [{ object: '/opt', mode: '0644' }],
      hooks: {
        ApplicationStop: [{ location: 'stop.sh', timeout: 120, runas: 'app' }],
        ValidateService: [{ location: 'check.sh' }],
      },
    });
    expect(Object.keys((a.document as { hooks: object }).hooks)).toEqual([
      'ApplicationStop',
      'ValidateService',
    ]);
  });

  it('rejects a reserved or unknown lifecycle event', () => {
    expect(() =>
      defineAppspec({ name: 'w', platform: 'server', hooks: { Install: [hook('x.sh')] } as never }),
    ).toThrow('Install cannot have scripts');
  });

  it('ECS and Lambda: PascalCase resources and hooks as a list of single-key maps', () => {
    const ecs = defineAppspec({
      name: 'e',
      platform: 'ecs',
      container: { name: 'web', port: 80 },
      hooks: { AfterAllowTestTraffic: 'fn' },
    });
    expect(ecs.document).toEqual({
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
      Hooks: [{ AfterAllowTestTraffic: 'fn' }],
    });
    const lambda = defineAppspec({
      name: 'l',
      platform: 'lambda',
      functionName: 'f',
      alias: 'live',
      currentVersion: 1,
      targetVersion: 2,
    });
    expect(lambda.document).toMatchObject({
      Resources: [
        {
          f: {
            Type: 'AWS::Lambda::Function',
            Properties: { Name: 'f', Alias: 'live', CurrentVersion: '1', TargetVersion: '2' },
          },
        },
      ],
    });
  });
});

describe('deployment configurations', () => {
  it('predefined names are constants', () => {
    expect(LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES).toBe(
      'CodeDeployDefault.LambdaCanary10Percent5Minutes',
    );
  });

  it('custom: minimum healthy hosts, time-based canary and linear, in the CreateDeploymentConfig shape', () => {
    expect(
      defineDeploymentConfig({
        name: 'c',
        computePlatform: 'Server',
        minimumHealthyHosts: MinimumHealthyHosts.count(2),
      }).document,
    ).toEqual({
      deploymentConfigName: 'c',
      computePlatform: 'Server',
      minimumHealthyHosts: { type: 'HOST_COUNT', value: 2 },
    });
    expect(
      defineDeploymentConfig({
        name: 'l',
        computePlatform: 'ECS',
        trafficRouting: TrafficRouting.timeBasedLinear({ percentage: 20, interval: Duration.minutes(3) }),
      }).document,
    ).toEqual({
      deploymentConfigName: 'l',
      computePlatform: 'ECS',
      trafficRoutingConfig: {
        type: 'TimeBasedLinear',
        timeBasedLinear: { linearPercentage: 20, linearInterval: 3 },
      },
    });
  });

  it('refuses values AWS would reject', () => {
    expect(() => MinimumHealthyHosts.percent(100)).toThrow('must be a whole number from 0 to 99');
    expect(() => TrafficRouting.timeBasedCanary({ percentage: 10, interval: Duration.seconds(30) })).toThrow(
      'not a whole number of minutes',
    );
    expect(() =>
      defineDeploymentConfig({
        name: 'CodeDeployDefault.Mine',
        computePlatform: 'Server',
        minimumHealthyHosts: MinimumHealthyHosts.count(1),
      }),
    ).toThrow("may not start with 'CodeDeployDefault.'");
  });
});

describe('defineDeploymentGroup', () => {
  const group = { application: 'web', deploymentGroup: 'prod', provider: 'local' as const };

  it('derives the strategy from a custom or predefined CodeDeploy configuration', () => {
    const canary = defineDeploymentConfig({
      name: 'c',
      computePlatform: 'Lambda',
      trafficRouting: TrafficRouting.timeBasedCanary({ percentage: 25, interval: Duration.minutes(10) }),
    });
    const a = defineDeploymentGroup({ ...group, deploymentConfig: canary });
    expect(a.document.strategy).toEqual({ type: 'canary', percent: 25, intervalSeconds: 600 });
    expect(a.deploymentConfig).toBe(canary);
    const b = defineDeploymentGroup({ ...group, deploymentConfig: ServerDeploymentConfig.HALF_AT_A_TIME });
    expect(b.document.strategy).toEqual({ type: 'half-at-a-time', config: 'CodeDeployDefault.HalfAtATime' });
    expect(b.deploymentConfig).toBeUndefined();
    const floor = defineDeploymentConfig({
      name: 'f',
      computePlatform: 'Server',
      minimumHealthyHosts: MinimumHealthyHosts.count(3),
    });
    expect(strategyFor(floor)).toEqual({ type: 'rolling', minimumHealthyHosts: { count: 3 } });
  });

  it('Checks builds analysis.checks the group file validates, and the file refuses what the builders cannot catch', () => {
    const g = defineDeploymentGroup({
      ...group,
      analysis: {
        checks: [
          Checks.prometheus('rate', {
            address: 'http://127.0.0.1:9090',
            query: 'up',
            condition: 'result == 1',
          }),
          Checks.cloudwatch('alb', { alarmName: 'web-alb-5xx', region: 'eu-west-1' }),
          Checks.http('biz', { url: 'http://127.0.0.1:8081/ok', at: ['confirm-promotion'] }),
          Checks.command('smoke', { command: ['./smoke.sh'], timeoutSeconds: 30, at: ['pre-rollout'] }),
        ],
      },
    });
    expect(g.document.analysis?.checks?.map((c) => `${c.provider}:${c.name}`)).toEqual([
      'prometheus:rate',
      'cloudwatch:alb',
      'http:biz',
      'command:smoke',
    ]);
    // ./smoke.sh is the user's script, looked for beside the group file (deployment-group/check-command-missing).
    expect(
      validateText(JSON.stringify(g.document), 'g.json', { fileExists: () => true }).diagnostics,
    ).toEqual([]);
    const bad = {
      ...g.document,
      analysis: { checks: [Checks.http('biz', { url: 'http://x/', condition: 'status =' })] },
    };
    expect(validateText(JSON.stringify(bad), 'g.json').diagnostics.map((d) => d.message)).toEqual([
      "condition 'status =': unexpected '=' at column 8",
    ]);
  });

  it('keeps an explicit strategy', () => {
    const g = defineDeploymentGroup({
      ...group,
      strategy: { type: 'blue-green' },
      deploymentConfig: EcsDeploymentConfig.ALL_AT_ONCE,
    });
    expect(g.document.strategy).toEqual({ type: 'blue-green' });
  });

  it('names must be usable in a file name', () => {
    expect(() => defineDeploymentGroup({ ...group, deploymentGroup: '../prod' })).toThrow(
      'defineDeploymentGroup (deploymentGroup)',
    );
  });
});
