/**
 * Shared AWS SDK setup. Every SDK module is loaded here, lazily, through dynamic import: local commands
 * (validate, synth, deploy on the local provider) never pay for loading the SDK. Other modules import
 * only SDK *types* (`import type`), which are erased at compile time.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { CodeBuildClient } from '@aws-sdk/client-codebuild';
import type { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import type { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { UsageError } from '../core/errors.js';
import { readTextFile } from '../core/files.js';

export type AwsService = 'CodePipeline' | 'CodeDeploy' | 'CodeBuild';

/** What the CLI knows about the caller's AWS setup. `env` is the command's environment (ctx.env). */
export interface AwsSettings {
  env: Record<string, string | undefined>;
  /** From `--region`; wins over the environment and the profile. */
  region?: string;
  /** From `--profile`; otherwise AWS_PROFILE, otherwise `default`. */
  profile?: string;
}

export interface ResolvedAwsConfig {
  region: string;
  /** Where the region came from, for messages: `--region`, `AWS_REGION`, `AWS_DEFAULT_REGION`, `profile default`. */
  regionSource: string;
  profile: string | undefined;
  maxAttempts: number;
  retryMode: 'standard' | 'adaptive';
}

/** Default attempts per call (1 try + 4 retries with exponential backoff and jitter on throttling and 5xx). */
export const DEFAULT_MAX_ATTEMPTS = 5;

/** Reads `region` for a profile from the shared config file (AWS_CONFIG_FILE or ~/.aws/config). */
export function profileRegion(env: AwsSettings['env'], profile: string): string | undefined {
  const file = env.AWS_CONFIG_FILE ?? join(env.HOME ?? homedir(), '.aws', 'config');
  let text: string;
  try {
    text = readTextFile(file);
  } catch {
    return undefined;
  }
  const wanted = profile === 'default' ? ['default', 'profile default'] : [`profile ${profile}`];
  let inSection = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const section = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (section) {
      inSection = wanted.includes(section[1]!.replace(/\s+/g, ' '));
      continue;
    }
    const kv = /^region\s*=\s*(\S+)$/.exec(line);
    if (inSection && kv) return kv[1];
  }
  return undefined;
}

/** The profile names a shared config or credentials file defines; undefined when neither file exists. */
export function definedProfiles(env: AwsSettings['env']): Set<string> | undefined {
  const home = env.HOME ?? homedir();
  const files: [string, boolean][] = [
    [env.AWS_CONFIG_FILE ?? join(home, '.aws', 'config'), true],
    [env.AWS_SHARED_CREDENTIALS_FILE ?? join(home, '.aws', 'credentials'), false],
  ];
  let found = false;
  const names = new Set<string>();
  for (const [file, isConfig] of files) {
    let text: string;
    try {
      text = readTextFile(file);
    } catch {
      continue;
    }
    found = true;
    for (const raw of text.split(/\r?\n/)) {
      const section = /^\[\s*(.+?)\s*\]$/.exec(raw.replace(/[#;].*$/, '').trim())?.[1]?.replace(/\s+/g, ' ');
      if (!section) continue;
      // The config file names profiles `[profile NAME]` (and `[default]`); the credentials file `[NAME]`.
      if (isConfig && section.startsWith('profile ')) names.add(section.slice('profile '.length));
      else if (!isConfig || section === 'default') names.add(section);
    }
  }
  return found ? names : undefined;
}

/**
 * A profile named on the command line or in AWS_PROFILE that no shared file defines is an error that
 * says so: the SDK would only report "could not load credentials". Credentials in the environment
 * (AWS_ACCESS_KEY_ID) are used before any profile, so then the profile does not matter.
 */
function checkProfileExists(settings: AwsSettings, profile: string | undefined): void {
  const { env } = settings;
  if (profile === undefined || env.AWS_ACCESS_KEY_ID) return;
  const names = definedProfiles(env) ?? new Set<string>();
  if (names.has(profile)) return;
  const from =
    settings.profile !== undefined ? '--profile' : env.AWS_PROFILE ? 'AWS_PROFILE' : 'AWS_DEFAULT_PROFILE';
  throw new UsageError(
    `AWS profile '${profile}' (from ${from}) does not exist in ${env.AWS_CONFIG_FILE ?? '~/.aws/config'} or ${env.AWS_SHARED_CREDENTIALS_FILE ?? '~/.aws/credentials'}`,
    names.size > 0
      ? `profiles defined: ${[...names].sort().join(', ')}`
      : 'create it with `aws configure --profile NAME` (or `aws configure sso`), or leave --profile out',
  );
}

/** Region: `--region`, then AWS_REGION, then AWS_DEFAULT_REGION, then the profile's config; else a usage error. */
export function resolveAwsConfig(settings: AwsSettings): ResolvedAwsConfig {
  const { env } = settings;
  const profile = settings.profile ?? env.AWS_PROFILE ?? env.AWS_DEFAULT_PROFILE;
  checkProfileExists(settings, profile);
  const profileName = profile ?? 'default';
  const candidates: [string | undefined, string][] = [
    [settings.region, '--region'],
    [env.AWS_REGION, 'AWS_REGION'],
    [env.AWS_DEFAULT_REGION, 'AWS_DEFAULT_REGION'],
  ];
  let region: string | undefined;
  let regionSource = '';
  for (const [value, source] of candidates) {
    if (value?.trim()) {
      region = value.trim();
      regionSource = source;
      break;
    }
  }
  if (!region) {
    region = profileRegion(env, profileName);
    regionSource = `profile ${profileName}`;
  }
  if (!region) {
    throw new UsageError(
      'no AWS region configured',
      `pass --region, set AWS_REGION (or AWS_DEFAULT_REGION), or add "region = ..." to profile "${profileName}" in ${env.AWS_CONFIG_FILE ?? '~/.aws/config'}`,
    );
  }
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    throw new UsageError(
      `AWS region '${region}' (from ${regionSource}) is not a region name such as eu-west-1`,
    );
  }
  const attempts = Number(env.AWS_MAX_ATTEMPTS ?? DEFAULT_MAX_ATTEMPTS);
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new UsageError(`AWS_MAX_ATTEMPTS must be a positive integer, got '${env.AWS_MAX_ATTEMPTS}'`);
  }
  const mode = env.AWS_RETRY_MODE ?? 'standard';
  if (mode !== 'standard' && mode !== 'adaptive') {
    throw new UsageError(`AWS_RETRY_MODE must be 'standard' or 'adaptive', got '${mode}'`);
  }
  return { region, regionSource, profile, maxAttempts: attempts, retryMode: mode };
}

/**
 * Custom endpoint for a service, as the SDK defines it: AWS_ENDPOINT_URL_<SERVICE ID> (e.g.
 * AWS_ENDPOINT_URL_CODEPIPELINE) before AWS_ENDPOINT_URL; AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true turns both off.
 * The SDK would read these from process.env itself; resolving them here makes them follow the command's env.
 */
export function resolveEndpoint(service: AwsService, env: AwsSettings['env']): string | undefined {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() === 'true') return undefined;
  const url = env[`AWS_ENDPOINT_URL_${service.toUpperCase()}`] || env.AWS_ENDPOINT_URL || undefined;
  if (url && !/^https?:\/\/[^/\s]+/.test(url)) {
    throw new UsageError(`endpoint URL '${url}' must start with http:// or https://`);
  }
  return url;
}

const SDK_NODE_WARNING = 'NodeVersionSupportWarning';
let warningFilterInstalled = false;

/**
 * The SDK warns on Node < 22 that future SDK versions will need Node 22. Users of the CLI cannot act on it,
 * so exactly that warning is dropped; every other warning still goes through.
 */
export function suppressSdkNodeVersionWarning(): void {
  if (warningFilterInstalled) return;
  warningFilterInstalled = true;
  const original = process.emitWarning;
  const filtered = function (this: unknown, warning: string | Error, ...rest: unknown[]) {
    const text = typeof warning === 'string' ? warning : `${warning.name}: ${warning.message}`;
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    if (type === SDK_NODE_WARNING || text.startsWith(SDK_NODE_WARNING)) return;
    return (original as (...a: unknown[]) => void).call(process, warning, ...rest);
  };
  process.emitWarning = filtered as typeof process.emitWarning;
}

/**
 * Keys in the command's environment come first, as in the SDK's own chain; without them the SDK's default
 * chain (profile, SSO, web identity, container and instance roles) resolves credentials on first use.
 */
function staticCredentials(env: AwsSettings['env']) {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return {
    accessKeyId,
    secretAccessKey,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
  };
}

/** The client configuration Conveyor passes to every SDK client (exported for tests and diagnostics). */
export function clientConfig(service: AwsService, settings: AwsSettings) {
  const cfg = resolveAwsConfig(settings);
  const endpoint = resolveEndpoint(service, settings.env);
  const credentials = staticCredentials(settings.env);
  return {
    region: cfg.region,
    maxAttempts: cfg.maxAttempts,
    retryMode: cfg.retryMode,
    ...(cfg.profile ? { profile: cfg.profile } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(credentials ? { credentials } : {}),
  };
}

export async function loadCodePipeline(): Promise<typeof import('@aws-sdk/client-codepipeline')> {
  suppressSdkNodeVersionWarning();
  return import('@aws-sdk/client-codepipeline');
}
export async function loadCodeDeploy(): Promise<typeof import('@aws-sdk/client-codedeploy')> {
  suppressSdkNodeVersionWarning();
  return import('@aws-sdk/client-codedeploy');
}
export async function loadCodeBuild(): Promise<typeof import('@aws-sdk/client-codebuild')> {
  suppressSdkNodeVersionWarning();
  return import('@aws-sdk/client-codebuild');
}

/** A CodePipeline client with the standard credential chain, resolved region/endpoint, and SDK retries. */
export async function createCodePipelineClient(settings: AwsSettings): Promise<CodePipelineClient> {
  const config = clientConfig('CodePipeline', settings);
  const sdk = await loadCodePipeline();
  return new sdk.CodePipelineClient(config);
}
export async function createCodeDeployClient(settings: AwsSettings): Promise<CodeDeployClient> {
  const config = clientConfig('CodeDeploy', settings);
  const sdk = await loadCodeDeploy();
  return new sdk.CodeDeployClient(config);
}
export async function createCodeBuildClient(settings: AwsSettings): Promise<CodeBuildClient> {
  const config = clientConfig('CodeBuild', settings);
  const sdk = await loadCodeBuild();
  return new sdk.CodeBuildClient(config);
}
