/** Options every AWS-facing command takes, and how they become AwsSettings. */

import type { AwsSettings } from '../aws/clients.js';
import type { CliContext } from './context.js';

export const awsOptions = {
  region: { type: 'string' },
  profile: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

export const AWS_OPTIONS_USAGE = [
  '  --region REGION   AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, then the profile config)',
  '  --profile NAME    shared config/credentials profile (default: AWS_PROFILE or "default")',
  '  --json            machine-readable output',
  'Endpoints: AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_<SERVICE> (e.g. AWS_ENDPOINT_URL_CODEPIPELINE).',
  'Retries: AWS_MAX_ATTEMPTS (default 5), AWS_RETRY_MODE standard|adaptive.',
].join('\n');

export function awsSettings(values: { region?: string; profile?: string }, ctx: CliContext): AwsSettings {
  return {
    env: ctx.env,
    ...(values.region ? { region: values.region } : {}),
    ...(values.profile ? { profile: values.profile } : {}),
  };
}

export function writeJson(ctx: CliContext, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
