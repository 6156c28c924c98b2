/**
 * Maps AWS SDK errors to Conveyor errors with messages a user can act on. Configuration problems (no
 * credentials, access denied, a resource that does not exist) are usage errors (exit 2); failures of the
 * work itself (version conflicts, throttling that outlasted the retries, service faults) exit 1.
 */
import { UsageError, WorkFailedError } from '../core/errors.js';
import type { AwsService } from './clients.js';

interface SdkErrorLike {
  name?: string;
  message?: string;
  code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number; attempts?: number; requestId?: string };
}

const NOT_FOUND: Record<string, string> = {
  PipelineNotFoundException: 'pipeline',
  PipelineExecutionNotFoundException: 'pipeline execution',
  StageNotFoundException: 'stage',
  ActionNotFoundException: 'action',
  ApplicationDoesNotExistException: 'CodeDeploy application',
  DeploymentGroupDoesNotExistException: 'deployment group',
  DeploymentDoesNotExistException: 'deployment',
  DeploymentConfigDoesNotExistException: 'deployment config',
  DeploymentTargetDoesNotExistException: 'deployment target',
  ResourceNotFoundException: 'resource',
};

const ACCESS_DENIED = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnauthorizedOperation',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
]);
const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ThrottledException',
  'LimitExceededException',
]);
const STRUCTURE = new Set([
  'InvalidStructureException',
  'InvalidActionDeclarationException',
  'InvalidStageDeclarationException',
  'InvalidBlockerDeclarationException',
]);
const CONFLICT = new Set([
  'InvalidStructureException',
  'ConcurrentModificationException',
  'ConflictException',
  'DeploymentAlreadyStartedException',
]);

/** The AWS error name of an SDK error, or of the SDK error a mapped Conveyor error was made from. */
export function errorName(err: unknown): string {
  const e = err as (SdkErrorLike & { awsError?: SdkErrorLike }) | undefined;
  return e?.awsError?.name ?? e?.name ?? '';
}

export function isThrottling(err: unknown): boolean {
  return THROTTLING.has(errorName(err));
}

/** `GetPipelineCommand` → `codepipeline:GetPipeline`, the IAM action name a policy must allow. */
export function iamActionOf(service: AwsService, commandName: string): string {
  return `${service.toLowerCase()}:${commandName.replace(/Command$/, '')}`;
}

/** Turns an SDK error into a UsageError / WorkFailedError whose message says what to do. */
export function mapAwsError(err: unknown, service: AwsService, commandName: string, subject?: string): Error {
  const e = (err ?? {}) as SdkErrorLike;
  const name = e.name ?? '';
  const message = (e.message ?? String(err)).trim();
  const action = iamActionOf(service, commandName);
  const about = subject ? ` (${subject})` : '';

  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return new UsageError(
      `no AWS credentials found for ${action}${about}`,
      'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, choose a profile with AWS_PROFILE or --profile, or sign in with `aws sso login`',
    );
  }
  if (STRUCTURE.has(name) && !/version|concurren/i.test(message)) {
    // CodePipeline checks the declaration (and whether it may assume the roles in it) on create/update.
    const role = /not authorized to perform:? AssumeRole on role (\S+)/i.exec(message)?.[1];
    return new WorkFailedError(
      role
        ? `CodePipeline may not assume ${role}${about}: ${message}`
        : `AWS rejected the pipeline definition${about}: ${name}: ${message}`,
    );
  }
  if (ACCESS_DENIED.has(name) || /not authorized to perform/i.test(message)) {
    const denied = /perform:\s*([a-z0-9-]+:[A-Za-z0-9]+)/.exec(message)?.[1] ?? action;
    const onResource = /on resource:\s*(\S+)/.exec(message)?.[1];
    if (
      name === 'UnrecognizedClientException' ||
      name === 'InvalidSignatureException' ||
      name === 'ExpiredTokenException'
    ) {
      return new UsageError(
        `AWS rejected the credentials for ${action}${about}: ${message}`,
        'refresh or fix your credentials',
      );
    }
    return new UsageError(
      `access denied: ${denied}${onResource ? ` on ${onResource}` : about} is not allowed for the caller's IAM identity`,
      `grant ${denied} to the role or user you are using (AWS said: ${message})`,
    );
  }
  const kind = NOT_FOUND[name];
  if (kind) {
    return new UsageError(`${kind} not found${about}: ${message}`);
  }
  if (CONFLICT.has(name) && /version|concurren|modif|conflict/i.test(`${name} ${message}`)) {
    return new WorkFailedError(
      `version conflict on ${action}${about}: ${message} — it changed on AWS since it was read; run \`conveyor plan\` and try again`,
    );
  }
  if (THROTTLING.has(name)) {
    const attempts = e.$metadata?.attempts;
    return new WorkFailedError(
      `AWS throttled ${action}${about}${attempts ? ` after ${attempts} attempts` : ''}: ${message}; retry later or raise AWS_MAX_ATTEMPTS`,
    );
  }
  if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|socket hang up/i.test(`${e.code ?? ''} ${message}`)) {
    return new WorkFailedError(`could not reach the ${service} endpoint for ${action}${about}: ${message}`);
  }
  if (name.endsWith('ValidationException') || name.startsWith('Invalid')) {
    return new UsageError(`${service} rejected ${action}${about}: ${name}: ${message}`);
  }
  return new WorkFailedError(`${action}${about} failed: ${name ? `${name}: ` : ''}${message}`);
}

/** Minimal client shape: anything with the SDK's `send`. */
export interface Sender {
  // biome-ignore lint/suspicious/noExplicitAny: the SDK's overloaded send() cannot be named more narrowly here
  send(command: any, options?: any): Promise<any>;
}

/**
 * A role created moments ago is not yet usable everywhere (IAM is eventually consistent), and CodePipeline
 * reports it as InvalidStructureException "... not authorized to perform AssumeRole on role ...".
 */
export function isRolePropagationDelay(err: unknown): boolean {
  const e = (err as { awsError?: SdkErrorLike } & SdkErrorLike) ?? {};
  const source = e.awsError ?? e;
  return (
    source.name === 'InvalidStructureException' &&
    /not authorized to perform:? AssumeRole on role/i.test(source.message ?? '')
  );
}

/** Sends one command and maps a failure to a clear Conveyor error. */
export async function awsCall<Out>(
  service: AwsService,
  client: Sender,
  command: { constructor: { name: string }; input: unknown },
  subject?: string,
): Promise<Out> {
  try {
    return (await client.send(command)) as Out;
  } catch (err) {
    throw Object.assign(mapAwsError(err, service, command.constructor.name, subject), { awsError: err });
  }
}
