/**
 * The JSON Schemas `conveyor schema KIND` writes for editors (the YAML language server, VS Code): the
 * very schemas the validator is compiled from (schemas.ts), enriched for hovers and completion —
 * `description` and `markdownDescription` on the keys users write, literal unions as `enum`, documented
 * defaults — and the three AppSpec platforms as one schema that picks EC2, ECS or Lambda from the
 * document's shape, as the validator does. Loaded only by `conveyor schema` (it imports TypeBox).
 */
import { SCHEMAS, type SchemaName } from './schemas.js';

export const EDITOR_SCHEMA_KINDS = ['buildspec', 'appspec', 'pipeline', 'deployment-group'] as const;
export type EditorSchemaKind = (typeof EDITOR_SCHEMA_KINDS)[number];

type Json = Record<string, unknown>;
/** Key name → [markdown shown on hover, default when the key is left out]. */
type KeyDocs = Record<string, [string, unknown?]>;

const CB = 'https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html';
const AS = 'https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file.html';
const CP = 'https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_PipelineDeclaration.html';

const BUILDSPEC_DOCS: KeyDocs = {
  version: [`Buildspec version: \`0.2\` (recommended) or the legacy \`0.1\`. [Reference](${CB})`],
  'run-as': ['Linux user that runs all commands (default: root).'],
  env: [
    'Environment: `variables`, `parameter-store`, `secrets-manager`, `exported-variables`, `shell`, `git-credential-helper`.',
  ],
  variables: [
    'Plain-text environment variables. Do not put secrets here: use `parameter-store` or `secrets-manager`.',
  ],
  'parameter-store': ['Variables read from SSM Parameter Store: `NAME: /parameter/name`.'],
  'secrets-manager': [
    'Variables read from Secrets Manager: `NAME: secret-id:json-key:version-stage:version-id`.',
  ],
  'exported-variables': ['Variables exported to CodePipeline as `#{Namespace.NAME}`.'],
  shell: ['Shell for commands: `bash`, `/bin/sh`, `powershell.exe`, `cmd.exe`.'],
  phases: ['Build phases, run in order: `install`, `pre_build`, `build`, `post_build`.'],
  install: ['First phase: install packages, `runtime-versions`.'],
  pre_build: ['Commands before the build (sign in to ECR, install dependencies).'],
  build: ['The build commands.'],
  post_build: ['Commands after the build (package, push images); runs even when `build` fails.'],
  'runtime-versions': ['Runtimes to install on the image, e.g. `nodejs: 20`.'],
  commands: ['Commands run one after another in one shell session; the first that fails fails the phase.'],
  finally: ['Commands run after `commands`, whether they succeeded or not.'],
  'on-failure': ['What to do when the phase fails: `ABORT` or `CONTINUE` (or `RETRY`…).', 'ABORT'],
  artifacts: [
    'Build output uploaded as the artifact: `files`, `base-directory`, `discard-paths`, `secondary-artifacts`.',
  ],
  files: ['Globs of the files in the artifact, relative to the source (or `base-directory`).'],
  'discard-paths': ['`yes` flattens the artifact (files without their folders).', 'no'],
  'base-directory': ['The folder the artifact `files` are relative to.'],
  'secondary-artifacts': [
    'Further artifacts by identifier (the output artifact names of the CodeBuild action).',
  ],
  cache: ['Paths cached between builds (`paths`), with `key`/`fallback-keys`/`action` on newer images.'],
  reports: ['Test and coverage report groups: `files`, `file-format`, `base-directory`.'],
  batch: ['Batch build configuration: `build-list`, `build-matrix` or `build-graph`.'],
};

const APPSPEC_DOCS: KeyDocs = {
  version: [`AppSpec version: always \`0.0\` (unquoted for EC2/on-premises). [Reference](${AS})`],
  os: ['EC2/on-premises: the instance operating system, `linux` or `windows`.'],
  files: ['EC2/on-premises: what to copy from the revision (`source`) to the instance (`destination`).'],
  source: ['A path inside the revision (`/` for all of it).'],
  destination: ['A fully qualified path on the instance.'],
  file_exists_behavior: ['What the agent does with files already at a destination.', 'DISALLOW'],
  permissions: ['EC2/on-premises (Linux): owner, group, mode, ACLs and SELinux context of installed files.'],
  hooks: ['EC2/on-premises lifecycle hooks: event name → scripts (`location`, `timeout`, `runas`).'],
  location: ['A script inside the revision.'],
  timeout: ['Seconds the script may run (at most 3600).', 3600],
  runas: ['The user that runs the script (not on Windows).'],
  Resources: [
    'ECS: one `TargetService`; Lambda: one function with `Name`, `Alias`, `CurrentVersion`, `TargetVersion`.',
  ],
  Hooks: ['ECS/Lambda hooks: a list of `- EventName: LambdaFunctionName`.'],
  TargetService: ['ECS: the service to deploy (`Type: AWS::ECS::Service`, `Properties`).'],
  TaskDefinition: ['The task definition ARN (`<TASK_DEFINITION>` when CodePipeline fills it in).'],
  LoadBalancerInfo: ['The container and port that receive traffic.'],
};

const PIPELINE_DOCS: KeyDocs = {
  pipeline: [`The pipeline declaration (the \`create-pipeline\` input). [Reference](${CP})`],
  name: ['A name: letters, digits, `.`, `@`, `-`, `_` (up to 100).'],
  roleArn: ['The IAM role CodePipeline assumes.'],
  artifactStore: ['Where artifacts are kept: `type: S3`, `location: bucket`.'],
  artifactStores: ['Per-region artifact stores, for cross-region actions.'],
  stages: ['Stages, run in order; the first holds only source actions.'],
  actions: ["The stage's actions; same `runOrder` runs in parallel."],
  actionTypeId: ['`category`, `owner`, `provider`, `version` of the action.'],
  runOrder: ['Order inside the stage; equal values run in parallel.', 1],
  configuration: ["The provider's configuration keys (all values are strings)."],
  inputArtifacts: ['Artifacts the action reads (produced by earlier actions).'],
  outputArtifacts: ['Artifacts the action produces (unique names in the pipeline).'],
  namespace: ["Namespace of the action's output variables: `#{Namespace.Variable}`."],
  pipelineType: ['`V1` or `V2` (V2: triggers, variables, execution modes, conditions).', 'V1'],
  executionMode: ['V2: `QUEUED`, `SUPERSEDED` or `PARALLEL`.', 'SUPERSEDED'],
  variables: ['V2 pipeline-level variables, read as `#{variables.NAME}`.'],
  triggers: ['V2 triggers: push and pull-request filters for a source action.'],
};

const GROUP_DOCS: KeyDocs = {
  application: ['The application name (the CodeDeploy application on AWS).'],
  deploymentGroup: ['The deployment group name.'],
  provider: ['Where revisions run: `local` (processes on this machine) or `codedeploy` (AWS).', 'local'],
  local: ['`provider: local` settings: `instances`, `routerPort`, `basePort`, `sticky`, …'],
  instances: ['Size of the local fleet.', 1],
  routerPort: ['Where users send traffic (0: a free port).'],
  healthCheck: ['How instances are probed: `path`, `intervalSeconds`, `unhealthyThreshold`.'],
  strategy: [
    'How traffic moves: `all-at-once`, `one-at-a-time`, `half-at-a-time`, `blue-green`, `canary`, `linear` (with `steps`) or a CodeDeploy shorthand.',
  ],
  steps: [
    'Canary/linear steps: `setWeight: N`, `pause: { seconds }` (no seconds: wait for `conveyor promote`), `analysis`.',
  ],
  analysis: [
    'Gates checked while traffic is on the new revision: `maxErrorRate`, `maxP99LatencyMs`, `minRequests`.',
  ],
  rollback: ['When to roll back (`onFailure`, `onGateBreach`) and `hooks` run around it.'],
};

const DOCS: Record<EditorSchemaKind, KeyDocs> = {
  buildspec: BUILDSPEC_DOCS,
  appspec: APPSPEC_DOCS,
  pipeline: PIPELINE_DOCS,
  'deployment-group': GROUP_DOCS,
};

/** A plain-JSON copy (TypeBox marks schemas with symbol keys, which JSON drops). */
function plain(schema: unknown): Json {
  return JSON.parse(JSON.stringify(schema)) as Json;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `anyOf` of literals of one JSON type → `enum`, which editors offer as completions. */
function literalsToEnum(node: Json): void {
  const anyOf = node.anyOf;
  if (!Array.isArray(anyOf) || anyOf.length < 2) return;
  if (
    !anyOf.every(
      (s) => isObject(s) && 'const' in s && Object.keys(s).every((k) => k === 'const' || k === 'type'),
    )
  )
    return;
  const values = anyOf.map((s) => (s as Json).const);
  const types = new Set(values.map((v) => (typeof v === 'number' ? 'number' : typeof v)));
  delete node.anyOf;
  node.enum = values;
  if (types.size === 1) node.type = [...types][0];
}

/** Walks every subschema: enums, and docs on each property named in the table. */
function enrich(node: unknown, docs: KeyDocs): void {
  if (Array.isArray(node)) {
    for (const n of node) enrich(n, docs);
    return;
  }
  if (!isObject(node)) return;
  literalsToEnum(node);
  if (typeof node.description === 'string' && node.markdownDescription === undefined)
    node.markdownDescription = node.description;
  const props = node.properties;
  if (isObject(props))
    for (const [key, sub] of Object.entries(props)) {
      const doc = docs[key];
      if (!doc || !isObject(sub)) continue;
      const [markdown, fallback] = doc;
      const shape = typeof sub.description === 'string' ? ` Allowed: ${sub.description}.` : '';
      sub.description = `${markdown.replace(/\[([^\]]+)\]\([^)]+\)/g, '$1').replaceAll('`', '')}${shape}`;
      sub.markdownDescription = `${markdown}${shape}`;
      if (fallback !== undefined && sub.default === undefined) sub.default = fallback;
    }
  for (const [key, value] of Object.entries(node)) if (key !== 'enum' && key !== 'const') enrich(value, docs);
}

function withoutId(schema: Json): Json {
  const { $id: _id, ...rest } = schema;
  return rest;
}

/**
 * One AppSpec schema for the three platforms, chosen from the document's shape as the validator does:
 * `Resources` holding a `TargetService` is ECS, other `Resources` Lambda, anything else EC2/on-premises.
 */
function appspecSchema(): Json {
  const [ec2, ecs, lambda] = (['appspec-ec2', 'appspec-ecs', 'appspec-lambda'] as const).map((n) =>
    withoutId(plain(SCHEMAS[n])),
  );
  const hasResources = { required: ['Resources'] };
  const ecsShape = {
    required: ['Resources'],
    properties: { Resources: { type: 'array', contains: { type: 'object', required: ['TargetService'] } } },
  };
  // JSON Schema's if/then/else, never awaited (biome: noThenProperty).
  const service = {
    if: ecsShape,
    // biome-ignore lint/suspicious/noThenProperty: the JSON Schema keyword
    then: ecs,
    else: lambda,
  };
  return {
    type: 'object',
    if: hasResources,
    // biome-ignore lint/suspicious/noThenProperty: the JSON Schema keyword
    then: service,
    else: ec2,
  };
}

const TITLES: Record<EditorSchemaKind, string> = {
  buildspec: 'AWS CodeBuild buildspec (Conveyor)',
  appspec: 'AWS CodeDeploy AppSpec: EC2/on-premises, ECS or Lambda (Conveyor)',
  pipeline: 'AWS CodePipeline definition, create-pipeline input (Conveyor)',
  'deployment-group': 'Conveyor deployment group',
};

const SOURCE: Record<Exclude<EditorSchemaKind, 'appspec'>, SchemaName> = {
  buildspec: 'buildspec',
  pipeline: 'pipeline',
  'deployment-group': 'deployment-group',
};

/** The schema for KIND, as `conveyor schema KIND` prints it. */
export function editorSchema(kind: EditorSchemaKind): Json {
  const body = kind === 'appspec' ? appspecSchema() : withoutId(plain(SCHEMAS[SOURCE[kind]]));
  enrich(body, DOCS[kind]);
  const { $schema: _s, ...rest } = body;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: `https://conveyor.dev/schemas/${kind}.json`,
    title: TITLES[kind],
    description: `${TITLES[kind]}. The schema conveyor validate checks; semantic rules (artifact flow, hook names per platform, …) run only in conveyor validate.`,
    ...rest,
  };
}
