/**
 * What each action provider emits as output variables (`#{Namespace.Variable}`), so a reference to a
 * variable the provider never emits is caught before a run fails with "one or more variables could not
 * be resolved".
 *
 * Only providers with a fixed, documented list are here. Providers whose outputs depend on something
 * this file cannot see are left out on purpose, and references to them are never reported:
 * CodeBuild (the buildspec's `env.exported-variables`, checked across files in cross-file.ts when the
 * buildspec is part of the same run), CloudFormation (the stack's outputs), Lambda (whatever the
 * function passes to PutJobSuccessResult), and every other or custom provider.
 *
 * @see https://docs.aws.amazon.com/codepipeline/latest/userguide/reference-variables.html
 */
import { isRecord } from '../report.js';
import type { PathSegment } from '../source.js';

/** The per-provider lists, keyed `owner/category/provider`, each from that action's reference page. */
export const PROVIDER_OUTPUT_VARIABLES: Readonly<Record<string, readonly string[]>> = {
  // action-reference-CodeCommit.html, "Output variables"
  'AWS/Source/CodeCommit': [
    'AuthorDate',
    'BranchName',
    'CommitId',
    'CommitMessage',
    'CommitterDate',
    'RepositoryName',
  ],
  // action-reference-CodestarConnectionSource.html, "Output variables". The last four are set when a
  // V2 pull-request trigger starts the execution; the reference page does not list them, but runs emit
  // them (aws/aws-cdk#31000), so a reference to them must not be reported.
  'AWS/Source/CodeStarSourceConnection': [
    'AuthorDate',
    'BranchName',
    'CommitId',
    'CommitMessage',
    'ConnectionArn',
    'FullRepositoryName',
    'SourceBranchName',
    'DestinationBranchName',
    'PullRequestId',
    'PullRequestTitle',
  ],
  // action-reference-S3.html (the source action; the S3 deploy action emits nothing documented)
  'AWS/Source/S3': ['ETag', 'VersionId'],
  // action-reference-ECR.html
  'AWS/Source/ECR': ['RegistryId', 'RepositoryName', 'ImageTag', 'ImageDigest', 'ImageURI'],
  // action-reference-GitHub.html (GitHub version 1, OAuth)
  'ThirdParty/Source/GitHub': [
    'AuthorDate',
    'BranchName',
    'CommitId',
    'CommitMessage',
    'CommitterDate',
    'CommitUrl',
    'RepositoryName',
  ],
};

/** Variables of the reserved `codepipeline` namespace, set at the start of every execution. */
export const CODEPIPELINE_VARIABLES: readonly string[] = ['PipelineExecutionId'];

/** What an action of this type emits, as far as the definition alone can tell. */
export type EmittedVariables =
  /** `declared`: the action lists them itself (Commands `outputVariables`); `provider`: a fixed list. */
  { known: true; names: readonly string[]; by: 'provider' | 'declared' } | { known: false };

export interface ProducerInfo {
  owner: string;
  category: string;
  provider: string;
  raw: Record<string, unknown>;
}

export function emittedVariables(a: ProducerInfo): EmittedVariables {
  const key = `${a.owner}/${a.category}/${a.provider}`;
  const fixed = PROVIDER_OUTPUT_VARIABLES[key];
  if (fixed) return { known: true, names: fixed, by: 'provider' };
  // The Commands action exports exactly the environment variables its declaration lists.
  if (a.owner === 'AWS' && a.category === 'Compute' && a.provider === 'Commands') {
    const declared = Array.isArray(a.raw.outputVariables)
      ? a.raw.outputVariables.filter((v): v is string => typeof v === 'string')
      : [];
    return { known: true, names: declared, by: 'declared' };
  }
  // CodeBuild (its buildspec decides), CloudFormation (the stack outputs), Lambda (the function) and
  // every other provider: the definition cannot tell.
  return { known: false };
}

/** `#{namespace.key}` in action configuration values, commands and environment variables. */
export const VARIABLE_REF = /#\{([^.}\s]+)\.([^}\s]+)\}/g;

export interface VariableReference {
  /** The whole `#{ns.key}` text. */
  ref: string;
  namespace: string;
  key: string;
  /** Path of the string holding the reference. */
  path: PathSegment[];
  /** How many identical references come before this one in the same string (to place it exactly). */
  occurrence: number;
}

/** Every variable reference in one action declaration, with the path of the string that holds it. */
export function variableReferences(action: {
  raw: Record<string, unknown>;
  configuration: Record<string, unknown>;
  path: PathSegment[];
}): VariableReference[] {
  const out: VariableReference[] = [];
  const scan = (text: string, path: PathSegment[]) => {
    const seen = new Map<string, number>();
    for (const m of text.matchAll(VARIABLE_REF)) {
      const occurrence = seen.get(m[0]) ?? 0;
      seen.set(m[0], occurrence + 1);
      out.push({ ref: m[0], namespace: m[1]!, key: m[2]!, path, occurrence });
    }
  };
  for (const [k, v] of Object.entries(action.configuration))
    if (typeof v === 'string') scan(v, [...action.path, 'configuration', k]);
  const commands = Array.isArray(action.raw.commands) ? action.raw.commands : [];
  commands.forEach((c, i) => {
    if (typeof c === 'string') scan(c, [...action.path, 'commands', i]);
  });
  const env = Array.isArray(action.raw.environmentVariables) ? action.raw.environmentVariables : [];
  env.forEach((e, i) => {
    if (isRecord(e) && typeof e.value === 'string')
      scan(e.value, [...action.path, 'environmentVariables', i, 'value']);
  });
  return out;
}
