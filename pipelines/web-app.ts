/**
 * Example (a): a web app built by CodeBuild and deployed in place to EC2 instances with CodeDeploy
 * lifecycle hooks, started by a git push to main (a V2 trigger). One source, every file it needs.
 */
import {
  Action,
  Duration,
  defineAppspec,
  defineBuildspec,
  defineDeploymentConfig,
  defineDeploymentGroup,
  definePipeline,
  hook,
  MinimumHealthyHosts,
  rollbackOnFailure,
  stage,
  Trigger,
  variable,
} from 'conveyor';

const account = '123456789012';
const region = 'us-east-1';

export const buildspec = defineBuildspec({
  name: 'web-app',
  env: { variables: { NODE_ENV: 'production' }, 'exported-variables': ['APP_VERSION'] },
  phases: {
    install: { 'runtime-versions': { nodejs: 20 }, commands: ['npm ci'] },
    pre_build: {
      // The revision needs appspec.yml at its root: take the one conveyor synth emitted.
      commands: ['npm test', 'cp conveyor.out/apps/web-app/appspec.yml appspec.yml'],
    },
    build: {
      commands: ['npm run build', 'export APP_VERSION=$(node -p "require(\'./package.json\').version")'],
    },
  },
  artifacts: { files: ['appspec.yml', 'scripts/**/*', 'dist/**/*', 'package.json', 'package-lock.json'] },
  cache: { paths: ['/root/.npm/**/*'] },
});

export const appspec = defineAppspec({
  name: 'web-app',
  platform: 'server',
  os: 'linux',
  files: [{ source: '/', destination: '/opt/web-app' }],
  fileExistsBehavior: 'OVERWRITE',
  permissions: [
    {
      object: '/opt/web-app/scripts',
      pattern: '*.sh',
      owner: 'webapp',
      group: 'webapp',
      mode: '0755',
      type: ['file'],
    },
  ],
  hooks: {
    ApplicationStop: [hook('scripts/stop.sh', { timeout: Duration.seconds(60), runas: 'webapp' })],
    BeforeInstall: [hook('scripts/before-install.sh', { timeout: Duration.minutes(2) })],
    AfterInstall: [hook('scripts/install-deps.sh', { timeout: Duration.minutes(5), runas: 'webapp' })],
    ApplicationStart: [hook('scripts/start.sh', { timeout: Duration.seconds(60), runas: 'webapp' })],
    ValidateService: [hook('scripts/health-check.sh', { timeout: Duration.minutes(2) })],
  },
});

/** Keep three quarters of the fleet serving while instances are replaced. */
export const threeQuarters = defineDeploymentConfig({
  name: 'web-app-three-quarters-healthy',
  computePlatform: 'Server',
  minimumHealthyHosts: MinimumHealthyHosts.percent(75),
});

export const deploymentGroup = defineDeploymentGroup({
  application: 'web-app',
  deploymentGroup: 'production',
  provider: 'local',
  local: { instances: 4, routerPort: 18080 },
  healthCheck: { path: '/health', intervalSeconds: 1, unhealthyThreshold: 2 },
  analysis: { intervalSeconds: 1, maxErrorRate: 0.05, minRequests: 20 },
  rollback: { onFailure: true },
  // No explicit strategy: a rolling update that keeps 75 % healthy, derived from the CodeDeploy config.
  deploymentConfig: threeQuarters,
});

export const pipeline = definePipeline({
  name: 'web-app',
  roleArn: `arn:aws:iam::${account}:role/web-app-pipeline`,
  artifactStore: { bucket: `web-app-artifacts-${account}-${region}` },
  pipelineType: 'V2',
  executionMode: 'QUEUED',
  variables: [
    variable('DeployEnvironment', { defaultValue: 'production', description: 'Where this run deploys' }),
  ],
  triggers: [
    Trigger.push('Source', {
      branches: { includes: ['main'] },
      filePaths: { excludes: ['docs/**', '*.md'] },
    }),
  ],
  stages: [
    stage('Source', [
      Action.codeStarConnectionSource({
        name: 'Source',
        connectionArn: `arn:aws:codeconnections:${region}:${account}:connection/8d3f1a52-5c0e-4a7b-9f43-2b1f0c9e6a10`,
        repository: 'example-org/web-app',
        branch: 'main',
        output: 'SourceOutput',
        namespace: 'SourceVariables',
      }),
    ]),
    stage('Build', [
      Action.codeBuild({
        name: 'Build',
        project: 'web-app-build',
        inputs: ['SourceOutput'],
        outputs: ['BuildOutput'],
        namespace: 'BuildVariables',
        environmentVariables: [
          { name: 'COMMIT_ID', value: '#{SourceVariables.CommitId}' },
          { name: 'DEPLOY_ENV', value: '#{variables.DeployEnvironment}' },
        ],
      }),
    ]),
    stage(
      'Deploy',
      [
        Action.codeDeploy({
          name: 'Deploy',
          application: 'web-app',
          deploymentGroup: 'production',
          input: 'BuildOutput',
        }),
      ],
      { onFailure: rollbackOnFailure() },
    ),
  ],
});
