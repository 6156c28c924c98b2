/**
 * Example (c): a Lambda function deployed as a canary by CodeDeploy: a quarter of the traffic on
 * the new version for ten minutes, validation functions before and after the shift, and CloudWatch
 * alarms that roll it back (in the deployment group and as a stage condition in the pipeline).
 */
import {
  Action,
  alarmRule,
  condition,
  Duration,
  defineAppspec,
  defineBuildspec,
  defineDeploymentConfig,
  defineDeploymentGroup,
  definePipeline,
  rollbackOnFailure,
  stage,
  TrafficRouting,
} from 'conveyor';

const account = '123456789012';
const region = 'us-east-1';

export const buildspec = defineBuildspec({
  name: 'orders-api',
  phases: {
    install: { 'runtime-versions': { nodejs: 20 } },
    build: {
      commands: [
        'npm ci',
        'npm test',
        'sam build',
        'sam package --s3-bucket "$PACKAGE_BUCKET" --output-template-file packaged.yaml',
      ],
    },
  },
  artifacts: { files: ['packaged.yaml', 'config/*.json'] },
});

export const appspec = defineAppspec({
  name: 'orders-api',
  platform: 'lambda',
  functionName: 'orders-api',
  alias: 'live',
  currentVersion: 1,
  targetVersion: 2,
  hooks: { BeforeAllowTraffic: 'orders-api-pre-traffic', AfterAllowTraffic: 'orders-api-post-traffic' },
});

export const canary = defineDeploymentConfig({
  name: 'orders-api-canary-25-percent-10-minutes',
  computePlatform: 'Lambda',
  trafficRouting: TrafficRouting.timeBasedCanary({ percentage: 25, interval: Duration.minutes(10) }),
});

export const deploymentGroup = defineDeploymentGroup({
  application: 'orders-api',
  deploymentGroup: 'live',
  provider: 'codedeploy',
  // The CodeDeploy group carries the alarms (orders-api-errors, orders-api-p99-latency) that stop and
  // roll back a deployment; the pipeline's Deploy stage watches the same error alarm afterwards.
  codedeploy: { region, computePlatform: 'Lambda' },
  analysis: { intervalSeconds: 10, maxErrorRate: 0.01, maxP99LatencyMs: 800 },
  rollback: { onFailure: true, onGateBreach: true },
  // Strategy derived from the custom config: canary, 25 %, 600 s.
  deploymentConfig: canary,
});

export const pipeline = definePipeline({
  name: 'orders-api',
  roleArn: `arn:aws:iam::${account}:role/orders-api-pipeline`,
  artifactStore: { bucket: `orders-api-artifacts-${account}-${region}` },
  stages: [
    stage('Source', [
      Action.codeCommitSource({
        name: 'Source',
        repository: 'orders-api',
        branch: 'main',
        output: 'SourceOutput',
        pollForSourceChanges: false,
        namespace: 'SourceVariables',
      }),
    ]),
    stage('Build', [
      Action.codeBuild({
        name: 'Package',
        project: 'orders-api-build',
        inputs: ['SourceOutput'],
        outputs: ['PackagedOutput'],
      }),
    ]),
    stage(
      'Deploy',
      [
        Action.cloudFormation({
          name: 'CreateChangeSet',
          actionMode: 'CHANGE_SET_REPLACE',
          stackName: 'orders-api',
          changeSetName: 'orders-api-#{SourceVariables.CommitId}',
          templatePath: 'PackagedOutput::packaged.yaml',
          templateConfiguration: 'PackagedOutput::config/production.json',
          stackRoleArn: `arn:aws:iam::${account}:role/orders-api-cloudformation`,
          capabilities: ['CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND'],
          inputs: ['PackagedOutput'],
          runOrder: 1,
        }),
        Action.cloudFormation({
          name: 'ExecuteChangeSet',
          actionMode: 'CHANGE_SET_EXECUTE',
          stackName: 'orders-api',
          changeSetName: 'orders-api-#{SourceVariables.CommitId}',
          namespace: 'DeployVariables',
          runOrder: 2,
        }),
        Action.lambdaInvoke({
          name: 'SmokeTest',
          functionName: 'orders-api-smoke-test',
          userParameters: '{"stage":"live"}',
          runOrder: 3,
        }),
      ],
      {
        onSuccess: {
          conditions: [
            condition('ROLLBACK', [
              alarmRule({
                name: 'ErrorsAfterDeploy',
                alarmName: 'orders-api-errors',
                waitTime: Duration.minutes(10),
              }),
            ]),
          ],
        },
        onFailure: rollbackOnFailure(),
      },
    ),
  ],
});
