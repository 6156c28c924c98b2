/**
 * Example (b): a container service on ECS deployed blue/green by CodeDeploy. Test traffic goes
 * through a separate listener first (the AfterAllowTestTraffic hook checks it), and a person
 * approves before production traffic moves. Deploys to a second region: one artifact store each.
 */
import {
  Action,
  Duration,
  defineAppspec,
  defineBuildspec,
  defineDeploymentGroup,
  definePipeline,
  rollbackOnFailure,
  stage,
  Trigger,
} from 'conveyor';

const account = '123456789012';
const home = 'us-east-1';
const target = 'eu-west-1';

export const buildspec = defineBuildspec({
  name: 'ecs-service',
  env: { variables: { CONTAINER_NAME: 'web' } },
  phases: {
    pre_build: { commands: ['npm ci', 'npm test'] },
    build: {
      commands: [
        // The task definition template keeps <IMAGE1_NAME>; CodeDeployToECS substitutes the ECR image.
        'sed -e "s|@CONTAINER_NAME@|$CONTAINER_NAME|" deploy/taskdef.template.json > taskdef.json',
        'cp conveyor.out/apps/ecs-service/appspec.yaml appspec.yaml',
      ],
    },
  },
  artifacts: { files: ['taskdef.json', 'appspec.yaml'] },
});

export const appspec = defineAppspec({
  name: 'ecs-service',
  platform: 'ecs',
  container: { name: 'web', port: 8080 },
  platformVersion: 'LATEST',
  hooks: {
    AfterAllowTestTraffic: 'ecs-service-check-test-listener',
    BeforeAllowTraffic: 'ecs-service-warm-up',
    AfterAllowTraffic: 'ecs-service-check-production',
  },
});

export const deploymentGroup = defineDeploymentGroup({
  application: 'ecs-service',
  deploymentGroup: 'production',
  provider: 'codedeploy',
  // The CodeDeploy deployment group itself (created outside conveyor) pairs the production listener
  // with a test listener in front of two target groups; AfterAllowTestTraffic (appspec above) checks
  // the test listener before production traffic moves.
  codedeploy: { region: target, computePlatform: 'ECS' },
  strategy: { type: 'blue-green' },
  healthCheck: { path: '/health', intervalSeconds: 5, unhealthyThreshold: 2 },
  rollback: { onFailure: true },
});

export const pipeline = definePipeline({
  name: 'ecs-service',
  roleArn: `arn:aws:iam::${account}:role/ecs-service-pipeline`,
  artifactStores: {
    [home]: { bucket: `ecs-service-artifacts-${account}-${home}` },
    [target]: {
      bucket: `ecs-service-artifacts-${account}-${target}`,
      kmsKeyId: `arn:aws:kms:${target}:${account}:alias/pipeline-artifacts`,
    },
  },
  triggers: [
    Trigger.git('Source', {
      push: [{ branches: { includes: ['main'] } }, { tags: { includes: ['v*'] } }],
      pullRequest: [
        {
          events: ['OPEN', 'UPDATED'],
          branches: { includes: ['main'] },
          filePaths: { includes: ['src/**', 'deploy/**'] },
        },
      ],
    }),
  ],
  stages: [
    stage('Source', [
      Action.codeStarConnectionSource({
        name: 'Source',
        connectionArn: `arn:aws:codeconnections:${home}:${account}:connection/3c9b7e1d-2f4a-4c8e-b0d6-7a5e9f1c2b3d`,
        repository: 'example-org/ecs-service',
        branch: 'main',
        output: 'SourceOutput',
      }),
      Action.ecrSource({
        name: 'Image',
        repository: 'ecs-service',
        imageTag: 'latest',
        output: 'ImageOutput',
      }),
    ]),
    stage('Build', [
      Action.codeBuild({
        name: 'Build',
        project: 'ecs-service-build',
        inputs: ['SourceOutput'],
        outputs: ['BuildOutput'],
      }),
    ]),
    stage('Approve', [
      Action.manualApproval({
        name: 'ApproveProduction',
        customData: 'Check the test listener results before production traffic moves.',
        notificationArn: `arn:aws:sns:${home}:${account}:ecs-service-approvals`,
        timeout: Duration.hours(24),
      }),
    ]),
    stage(
      'Deploy',
      [
        Action.codeDeployToEcs({
          name: 'BlueGreen',
          region: target,
          application: 'ecs-service',
          deploymentGroup: 'production',
          taskDefinitionArtifact: 'BuildOutput',
          taskDefinitionPath: 'taskdef.json',
          appSpecArtifact: 'BuildOutput',
          appSpecPath: 'appspec.yaml',
          images: [{ artifact: 'ImageOutput', containerNamePlaceholder: 'IMAGE1_NAME' }],
        }),
      ],
      { onFailure: rollbackOnFailure() },
    ),
  ],
});
