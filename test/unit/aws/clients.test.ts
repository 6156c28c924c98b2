import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CodePipelineClient, GetPipelineCommand } from '@aws-sdk/client-codepipeline';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  clientConfig,
  createCodeBuildClient,
  createCodeDeployClient,
  createCodePipelineClient,
  resolveAwsConfig,
  resolveEndpoint,
} from '../../../src/aws/clients.js';
import { awsCall, mapAwsError } from '../../../src/aws/errors.js';
import { getLivePipeline } from '../../../src/aws/pipeline/plan.js';
import { UsageError, WorkFailedError } from '../../../src/core/errors.js';
import { awsError, startFakeAws } from './fake-aws-server.js';
import { FIXTURES } from './helpers.js';

let home: string;
beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'conveyor-aws-cfg-'));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('region resolution', () => {
  it('prefers --region, then AWS_REGION, then AWS_DEFAULT_REGION, then the profile', () => {
    const config = join(home, 'config');
    writeFileSync(config, '[default]\nregion = us-east-2\n\n[profile ops]\nregion=ap-southeast-2 # sydney\n');
    const base = { HOME: home, AWS_CONFIG_FILE: config };
    expect(
      resolveAwsConfig({ env: { ...base, AWS_REGION: 'eu-west-1' }, region: 'eu-central-1' }).region,
    ).toBe('eu-central-1');
    expect(
      resolveAwsConfig({ env: { ...base, AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-west-2' } }),
    ).toMatchObject({
      region: 'eu-west-1',
      regionSource: 'AWS_REGION',
    });
    expect(resolveAwsConfig({ env: { ...base, AWS_DEFAULT_REGION: 'us-west-2' } }).regionSource).toBe(
      'AWS_DEFAULT_REGION',
    );
    expect(resolveAwsConfig({ env: base })).toMatchObject({
      region: 'us-east-2',
      regionSource: 'profile default',
    });
    expect(resolveAwsConfig({ env: { ...base, AWS_PROFILE: 'ops' } })).toMatchObject({
      region: 'ap-southeast-2',
      profile: 'ops',
    });
  });

  it('names a profile no shared file defines, unless credentials come from the environment', () => {
    const config = join(home, 'profiles-config');
    writeFileSync(config, '[default]\nregion = us-east-2\n[profile ops]\nregion = eu-west-1\n');
    const base = { HOME: home, AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: join(home, 'none') };
    expect(() => resolveAwsConfig({ env: { ...base, AWS_PROFILE: 'stage' } })).toThrow(
      `AWS profile 'stage' (from AWS_PROFILE) does not exist in ${config} or ${join(home, 'none')}`,
    );
    expect(resolveAwsConfig({ env: base, profile: 'ops' }).region).toBe('eu-west-1');
    expect(
      resolveAwsConfig({
        env: { ...base, AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_REGION: 'eu-west-1' },
        profile: 'stage',
      }).profile,
    ).toBe('stage');
  });

  it('says how to configure a region when there is none', () => {
    let error: unknown;
    try {
      resolveAwsConfig({ env: { HOME: home, AWS_CONFIG_FILE: join(home, 'missing') } });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe('no AWS region configured');
    expect((error as UsageError).hint).toContain('pass --region, set AWS_REGION');
  });

  it('defaults to 5 attempts in standard retry mode and honours AWS_MAX_ATTEMPTS / AWS_RETRY_MODE', () => {
    expect(resolveAwsConfig({ env: { AWS_REGION: 'eu-west-1' } })).toMatchObject({
      maxAttempts: 5,
      retryMode: 'standard',
    });
    expect(
      resolveAwsConfig({
        env: { AWS_REGION: 'eu-west-1', AWS_MAX_ATTEMPTS: '9', AWS_RETRY_MODE: 'adaptive' },
      }),
    ).toMatchObject({ maxAttempts: 9, retryMode: 'adaptive' });
    expect(() => resolveAwsConfig({ env: { AWS_REGION: 'eu-west-1', AWS_RETRY_MODE: 'legacy' } })).toThrow(
      UsageError,
    );
  });
});

describe('endpoints', () => {
  it('uses the service-specific variable before AWS_ENDPOINT_URL, and can be turned off', () => {
    const env = {
      AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
      AWS_ENDPOINT_URL_CODEDEPLOY: 'http://127.0.0.1:5000',
    };
    expect(resolveEndpoint('CodePipeline', env)).toBe('http://127.0.0.1:4566');
    expect(resolveEndpoint('CodeDeploy', env)).toBe('http://127.0.0.1:5000');
    expect(
      resolveEndpoint('CodeBuild', { ...env, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }),
    ).toBeUndefined();
  });

  it('the SDK clients resolve to the configured endpoint', async () => {
    const env = {
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
      AWS_ENDPOINT_URL_CODEBUILD: 'https://codebuild.internal.example:8443/base',
    };
    const pipeline = await createCodePipelineClient({ env });
    const build = await createCodeBuildClient({ env });
    const deploy = await createCodeDeployClient({ env: { AWS_REGION: 'eu-west-1' } });
    // biome-ignore lint/suspicious/noExplicitAny: the resolved config's endpoint is a provider function
    const ep = async (c: any) => {
      const e = await c.config.endpoint?.();
      return e ? `${e.protocol}//${e.hostname}${e.port ? `:${e.port}` : ''}${e.path}` : undefined;
    };
    expect(await ep(pipeline)).toBe('http://127.0.0.1:4566/');
    expect(await ep(build)).toBe('https://codebuild.internal.example:8443/base');
    expect(await ep(deploy)).toBeUndefined();
    expect(clientConfig('CodeDeploy', { env: { AWS_REGION: 'eu-west-1' } })).toEqual({
      region: 'eu-west-1',
      maxAttempts: 5,
      retryMode: 'standard',
    });
  });
});

describe('over HTTP (loopback fake endpoint)', () => {
  let fake: Awaited<ReturnType<typeof startFakeAws>> | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });
  const live = JSON.parse(readFileSync(join(FIXTURES, 'live', 'legacy.get-pipeline.json'), 'utf8'));

  it('honours AWS_ENDPOINT_URL, signs with the env credentials, and retries throttling with backoff', async () => {
    fake = await startFakeAws((_req, i) =>
      i < 2 ? awsError('ThrottlingException', 'Rate exceeded') : { status: 200, body: live },
    );
    const client = await createCodePipelineClient({
      env: {
        AWS_REGION: 'eu-west-1',
        AWS_ENDPOINT_URL: fake.url,
        AWS_ACCESS_KEY_ID: 'AKIDTEST',
        AWS_SECRET_ACCESS_KEY: 's',
      },
    });
    const out = await getLivePipeline(client, 'legacy');
    expect(out?.pipeline?.version).toBe(7);
    expect(fake.requests).toHaveLength(3);
    expect(fake.requests.map((r) => r.target)).toEqual(Array(3).fill('CodePipeline_20150709.GetPipeline'));
    expect(fake.requests[0]!.body).toEqual({ name: 'legacy' });
    expect(fake.requests[0]!.host).toBe(fake.url.replace('http://', ''));
    expect(fake.requests[0]!.authorization).toContain('Credential=AKIDTEST/');
    expect(fake.requests[0]!.authorization).toContain('/eu-west-1/codepipeline/aws4_request');
  });

  it('gives up after AWS_MAX_ATTEMPTS and says it was throttled', async () => {
    fake = await startFakeAws(() => awsError('ThrottlingException', 'Rate exceeded'));
    const client = await createCodePipelineClient({
      env: {
        AWS_REGION: 'eu-west-1',
        AWS_ENDPOINT_URL: fake.url,
        AWS_ACCESS_KEY_ID: 'A',
        AWS_SECRET_ACCESS_KEY: 's',
        AWS_MAX_ATTEMPTS: '2',
      },
    });
    const error = await getLivePipeline(client, 'legacy').catch((e) => e);
    expect(fake.requests).toHaveLength(2);
    expect(error).toBeInstanceOf(WorkFailedError);
    expect(error.message).toBe(
      'AWS throttled codepipeline:GetPipeline (pipeline legacy) after 2 attempts: Rate exceeded; retry later or raise AWS_MAX_ATTEMPTS',
    );
  });

  it('names the denied action from an AccessDeniedException', async () => {
    fake = await startFakeAws(() =>
      awsError(
        'AccessDeniedException',
        'User: arn:aws:iam::111122223333:user/ci is not authorized to perform: codepipeline:GetPipeline on resource: arn:aws:codepipeline:eu-west-1:111122223333:legacy',
      ),
    );
    const client = await createCodePipelineClient({
      env: {
        AWS_REGION: 'eu-west-1',
        AWS_ENDPOINT_URL: fake.url,
        AWS_ACCESS_KEY_ID: 'A',
        AWS_SECRET_ACCESS_KEY: 's',
      },
    });
    const error = await getLivePipeline(client, 'legacy').catch((e) => e);
    expect(fake.requests).toHaveLength(1);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe(
      "access denied: codepipeline:GetPipeline on arn:aws:codepipeline:eu-west-1:111122223333:legacy is not allowed for the caller's IAM identity",
    );
  });
});

describe('error mapping', () => {
  // Stubbed only inside this block: the HTTP tests above need the real send().
  let cp: ReturnType<typeof mockClient>;
  beforeAll(() => {
    cp = mockClient(CodePipelineClient);
  });
  afterAll(() => cp.restore());

  it('maps missing resources, credentials and unknown faults', async () => {
    const { CredentialsProviderError } = await import('@smithy/core/config');
    expect(
      mapAwsError(
        new CredentialsProviderError('Could not load credentials from any providers'),
        'CodeDeploy',
        'GetDeploymentCommand',
      ).message,
    ).toBe('no AWS credentials found for codedeploy:GetDeployment');
    const missing = mapAwsError(
      Object.assign(new Error('No Deployment group found for name: prod'), {
        name: 'DeploymentGroupDoesNotExistException',
      }),
      'CodeDeploy',
      'CreateDeploymentCommand',
      'hello/prod',
    );
    expect(missing).toBeInstanceOf(UsageError);
    expect(missing.message).toBe(
      'deployment group not found (hello/prod): No Deployment group found for name: prod',
    );
    const fault = mapAwsError(
      Object.assign(new Error('We encountered an internal error'), { name: 'InternalFailure' }),
      'CodeBuild',
      'StartBuildCommand',
    );
    expect(fault).toBeInstanceOf(WorkFailedError);
    expect(fault.message).toBe(
      'codebuild:StartBuild failed: InternalFailure: We encountered an internal error',
    );
  });

  it('awsCall keeps the SDK error for callers that branch on its name', async () => {
    cp.on(GetPipelineCommand).rejects(
      Object.assign(new Error('nope'), { name: 'PipelineNotFoundException' }),
    );
    const client = new CodePipelineClient({ region: 'eu-west-1' });
    const err = (await awsCall('CodePipeline', client, new GetPipelineCommand({ name: 'x' })).catch(
      (e) => e,
    )) as {
      awsError: Error;
    };
    expect(err.awsError.name).toBe('PipelineNotFoundException');
  });
});
