/**
 * `conveyor import`: an existing document (get-pipeline JSON, appspec, buildspec) becomes an
 * editable TS source using the builders. Every action is first expressed with its named helper;
 * the helper's output is compared with the original and, when it differs in any way, the action is
 * kept as a plain object literal instead. So importing and synthesizing gives back the same document.
 */
import { isDeepStrictEqual } from 'node:util';
import { LineCounter, parseDocument } from 'yaml';
import { effectivePipelineType } from '../documents/pipeline/pipeline-type.js';
import { checkSourceText } from '../documents/source-text.js';
import { Action } from './builders/actions.js';
import { Trigger } from './builders/pipeline.js';
import { Code, call, print } from './codegen.js';
import type { ActionDeclaration } from './documents.js';
import { Duration } from './duration.js';

export type ImportKind = 'pipeline' | 'appspec' | 'buildspec';

export interface ImportResult {
  kind: ImportKind;
  name: string;
  /** The TS source text. */
  source: string;
  /** Things the user should look at (masked secrets, actions kept as literals). */
  notes: string[];
}

export class ImportError extends Error {
  override readonly name = 'ImportError';
}

export interface ImportOptions {
  /** Module the generated source imports the builders from. @default 'conveyor' */
  module?: string;
  /** Name used for appspec/buildspec outputs. @default from the file name */
  name?: string;
}

export function importDocument(text: string, file: string, options: ImportOptions = {}): ImportResult {
  // Size, binary content and nesting the parser would overflow on, as validate reports them.
  const refused = checkSourceText(text, file);
  if (refused) throw new ImportError(`${file}:${refused.line}:${refused.col}: ${refused.message}`);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const pos = e?.pos?.[0] !== undefined ? lineCounter.linePos(e.pos[0]) : { line: 0, col: 0 };
    throw new ImportError(
      `${file}:${pos.line}:${pos.col}: not valid YAML/JSON: ${e?.message.split('\n')[0]}`,
    );
  }
  const value = doc.toJS() as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ImportError(`${file}: expected an object at the top level`);
  }
  const record = value as Record<string, unknown>;
  const module = options.module ?? 'conveyor';
  if ('pipeline' in record || 'stages' in record) return importPipeline(record, module);
  if ('phases' in record) return importBuildspec(record, options.name ?? nameFrom(file, 'buildspec'), module);
  if ('hooks' in record || 'os' in record || hasKey(record, 'resources')) {
    return importAppspec(record, options.name ?? nameFrom(file, 'appspec'), module);
  }
  throw new ImportError(
    `${file}: not a pipeline (get-pipeline JSON with 'pipeline'), buildspec ('phases') or appspec ('os'/'hooks' or 'Resources')`,
  );
}

function nameFrom(file: string, fallback: string): string {
  const parts = file.split(/[\\/]/);
  const stem = (parts.at(-1) ?? fallback).replace(/\.(ya?ml|json)$/i, '');
  const candidate = stem === 'appspec' || stem === 'buildspec' ? (parts.at(-2) ?? fallback) : stem;
  const cleaned = candidate.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return cleaned || fallback;
}

function hasKey(record: Record<string, unknown>, lower: string): boolean {
  return Object.keys(record).some((k) => k.toLowerCase() === lower);
}

/** Case-insensitive member access (CodeDeploy reads ECS/Lambda appspec keys that way). */
function get(record: unknown, key: string): unknown {
  if (typeof record !== 'object' || record === null) return undefined;
  const k = Object.keys(record).find((x) => x.toLowerCase() === key.toLowerCase());
  return k === undefined ? undefined : (record as Record<string, unknown>)[k];
}

function header(kind: string, imports: string[], module: string, notes: string[]): string {
  const lines = [
    `/** Imported by \`conveyor import\` from an existing ${kind}. Edit freely; \`conveyor synth\` emits it. */`,
    `import { ${[...new Set(imports)].sort().join(', ')} } from '${module}';`,
  ];
  for (const note of notes) lines.push(`// NOTE: ${note}`);
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------- buildspec

const BUILDSPEC_LISTS = ['commands', 'finally'];

function asList(v: unknown): unknown {
  return typeof v === 'string' ? [v] : v;
}

function importBuildspec(doc: Record<string, unknown>, name: string, module: string): ImportResult {
  const { version, ...rest } = doc;
  // 0.2 is the builder's default; anything else (legacy 0.1) is kept so the build behaves the same.
  const keepVersion = version === 0.1 || version === '0.1' ? { version: 0.1 } : {};
  // CodeBuild reads a string where a list is expected as a one-item list; the builders take lists.
  const body: Record<string, unknown> = structuredClone(rest);
  const phases = body.phases as Record<string, Record<string, unknown> | null> | undefined;
  if (phases) {
    for (const phase of Object.values(phases)) {
      if (!phase) continue;
      for (const key of BUILDSPEC_LISTS) if (key in phase) phase[key] = asList(phase[key]);
    }
  }
  const env = body.env as Record<string, unknown> | undefined;
  if (env && 'exported-variables' in env) env['exported-variables'] = asList(env['exported-variables']);
  const artifacts = body.artifacts as Record<string, unknown> | undefined;
  if (artifacts && 'files' in artifacts) artifacts.files = asList(artifacts.files);
  const cache = body.cache as Record<string, unknown> | undefined;
  if (cache && 'paths' in cache) cache.paths = asList(cache.paths);
  const source = `${header('buildspec', ['defineBuildspec'], module, [])}\nexport default ${print(call('defineBuildspec', { name, ...keepVersion, ...body }), 0)};\n`;
  return { kind: 'buildspec', name, source, notes: [] };
}

// ---------------------------------------------------------------- appspec

function importAppspec(doc: Record<string, unknown>, name: string, module: string): ImportResult {
  const resources = get(doc, 'resources');
  const imports = ['defineAppspec'];
  let props: Record<string, unknown>;
  if (Array.isArray(resources) && resources.length > 0) {
    const first = resources[0] as Record<string, unknown>;
    const [logicalId, resource] = Object.entries(first)[0] ?? [];
    const type = String(get(resource, 'type') ?? '');
    const properties = get(resource, 'properties') as Record<string, unknown> | undefined;
    const hooks = importServiceHooks(get(doc, 'hooks'));
    if (type === 'AWS::ECS::Service') {
      const lb = get(properties, 'loadBalancerInfo');
      const network = get(get(properties, 'networkConfiguration'), 'awsvpcConfiguration');
      const strategy = get(properties, 'capacityProviderStrategy') as unknown[] | undefined;
      props = {
        name,
        platform: 'ecs',
        taskDefinition: get(properties, 'taskDefinition'),
        container: { name: get(lb, 'containerName'), port: Number(get(lb, 'containerPort')) },
        platformVersion: get(properties, 'platformVersion'),
        network: network && {
          subnets: get(network, 'subnets'),
          securityGroups: get(network, 'securityGroups'),
          assignPublicIp: get(network, 'assignPublicIp'),
        },
        capacityProviderStrategy: strategy?.map((s) => ({
          base: get(s, 'base'),
          capacityProvider: get(s, 'capacityProvider'),
          weight: get(s, 'weight'),
        })),
        hooks,
      };
    } else {
      props = {
        name,
        platform: 'lambda',
        functionName: get(properties, 'name'),
        logicalId: logicalId === get(properties, 'name') ? undefined : logicalId,
        alias: get(properties, 'alias'),
        currentVersion: String(get(properties, 'currentVersion')),
        targetVersion: String(get(properties, 'targetVersion')),
        hooks,
      };
    }
  } else {
    const hooks = doc.hooks as
      | Record<string, { location: string; timeout?: number | string; runas?: string }[] | null>
      | undefined;
    let hookProps: Record<string, unknown> | undefined;
    if (hooks) {
      hookProps = {};
      for (const [event, scripts] of Object.entries(hooks)) {
        if (!scripts) continue;
        hookProps[event] = scripts.map((s) => {
          const options: Record<string, unknown> = {};
          if (s.timeout !== undefined) options.timeout = Duration.seconds(Number(s.timeout));
          if (s.runas !== undefined) options.runas = s.runas;
          return Object.keys(options).length ? call('hook', s.location, options) : call('hook', s.location);
        });
      }
      imports.push('hook');
      if (
        Object.values(hookProps).some((list) => (list as Code[]).some((c) => c.text.includes('Duration.')))
      ) {
        imports.push('Duration');
      }
    }
    const permissions = (doc.permissions as Record<string, unknown>[] | undefined)?.map((p) =>
      p.mode === undefined ? p : { ...p, mode: String(p.mode) },
    );
    props = {
      name,
      platform: 'server',
      os: doc.os,
      files: doc.files ?? undefined,
      fileExistsBehavior: doc.file_exists_behavior,
      permissions: permissions ?? undefined,
      hooks: hookProps,
    };
  }
  const source = `${header('appspec', imports, module, [])}\nexport default ${print(call('defineAppspec', props), 0)};\n`;
  return { kind: 'appspec', name, source, notes: [] };
}

function importServiceHooks(hooks: unknown): Record<string, string> | undefined {
  if (!Array.isArray(hooks)) return undefined;
  const out: Record<string, string> = {};
  for (const entry of hooks) for (const [k, v] of Object.entries(entry as Record<string, string>)) out[k] = v;
  return out;
}

// ---------------------------------------------------------------- pipeline

type Config = Record<string, string>;

const bool = (v: string | undefined) =>
  v === 'true' ? true : v === 'false' ? false : v === undefined ? undefined : v;

function common(a: ActionDeclaration): Record<string, unknown> {
  return {
    name: a.name,
    runOrder: a.runOrder === 1 ? undefined : a.runOrder,
    namespace: a.namespace,
    roleArn: a.roleArn,
  };
}

function regional(a: ActionDeclaration): Record<string, unknown> {
  return { ...common(a), region: a.region };
}

const names = (list: { name?: string }[] | undefined) => (list ?? []).map((x) => x.name as string);

function jsonOr(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Helper name and props for each known provider (owner AWS). */
const mappers: Record<
  string,
  (a: ActionDeclaration, c: Config) => [keyof typeof Action, Record<string, unknown>]
> = {
  'Source/CodeStarSourceConnection': (a, c) => [
    'codeStarConnectionSource',
    {
      ...common(a),
      connectionArn: c.ConnectionArn,
      repository: c.FullRepositoryId,
      branch: c.BranchName,
      output: names(a.outputArtifacts)[0],
      outputArtifactFormat: c.OutputArtifactFormat,
      detectChanges: bool(c.DetectChanges),
    },
  ],
  'Source/CodeCommit': (a, c) => [
    'codeCommitSource',
    {
      ...common(a),
      repository: c.RepositoryName,
      branch: c.BranchName,
      output: names(a.outputArtifacts)[0],
      pollForSourceChanges: bool(c.PollForSourceChanges),
      outputArtifactFormat: c.OutputArtifactFormat,
    },
  ],
  'Source/S3': (a, c) => [
    's3Source',
    {
      ...common(a),
      bucket: c.S3Bucket,
      key: c.S3ObjectKey,
      output: names(a.outputArtifacts)[0],
      pollForSourceChanges: bool(c.PollForSourceChanges),
    },
  ],
  'Source/ECR': (a, c) => [
    'ecrSource',
    { ...common(a), repository: c.RepositoryName, imageTag: c.ImageTag, output: names(a.outputArtifacts)[0] },
  ],
  'Build/CodeBuild': (a, c) => codeBuildProps(a, c, 'Build'),
  'Test/CodeBuild': (a, c) => codeBuildProps(a, c, 'Test'),
  'Deploy/CodeDeploy': (a, c) => [
    'codeDeploy',
    {
      ...regional(a),
      application: c.ApplicationName,
      deploymentGroup: c.DeploymentGroupName,
      input: names(a.inputArtifacts)[0],
    },
  ],
  'Deploy/CodeDeployToECS': (a, c) => {
    const images: { artifact: string; containerNamePlaceholder: string }[] = [];
    for (let i = 1; i <= 4; i++) {
      const artifact = c[`Image${i}ArtifactName`];
      const container = c[`Image${i}ContainerName`];
      if (artifact !== undefined && container !== undefined)
        images.push({ artifact, containerNamePlaceholder: container });
    }
    return [
      'codeDeployToEcs',
      {
        ...regional(a),
        application: c.ApplicationName,
        deploymentGroup: c.DeploymentGroupName,
        taskDefinitionArtifact: c.TaskDefinitionTemplateArtifact,
        taskDefinitionPath: c.TaskDefinitionTemplatePath,
        appSpecArtifact: c.AppSpecTemplateArtifact,
        appSpecPath: c.AppSpecTemplatePath,
        images: images.length ? images : undefined,
      },
    ];
  },
  'Deploy/ECS': (a, c) => [
    'ecsDeploy',
    {
      ...regional(a),
      cluster: c.ClusterName,
      service: c.ServiceName,
      input: names(a.inputArtifacts)[0],
      fileName: c.FileName,
      deploymentTimeout:
        c.DeploymentTimeout === undefined ? undefined : Duration.minutes(Number(c.DeploymentTimeout)),
    },
  ],
  'Deploy/CloudFormation': (a, c) => [
    'cloudFormation',
    {
      ...regional(a),
      actionMode: c.ActionMode,
      stackName: c.StackName,
      changeSetName: c.ChangeSetName,
      templatePath: c.TemplatePath,
      stackRoleArn: c.RoleArn,
      capabilities: c.Capabilities?.split(','),
      outputFileName: c.OutputFileName,
      parameterOverrides: jsonOr(c.ParameterOverrides),
      templateConfiguration: c.TemplateConfiguration,
      inputs: a.inputArtifacts?.length ? names(a.inputArtifacts) : undefined,
      output: names(a.outputArtifacts)[0],
    },
  ],
  'Invoke/Lambda': (a, c) => [
    'lambdaInvoke',
    {
      ...regional(a),
      functionName: c.FunctionName,
      userParameters: c.UserParameters,
      inputs: a.inputArtifacts?.length ? names(a.inputArtifacts) : undefined,
      outputs: a.outputArtifacts?.length ? names(a.outputArtifacts) : undefined,
    },
  ],
  'Approval/Manual': (a, c) => [
    'manualApproval',
    {
      ...common(a),
      notificationArn: c.NotificationArn,
      customData: c.CustomData,
      externalEntityLink: c.ExternalEntityLink,
      timeout: a.timeoutInMinutes === undefined ? undefined : Duration.minutes(a.timeoutInMinutes),
    },
  ],
};

function codeBuildProps(
  a: ActionDeclaration,
  c: Config,
  category: 'Build' | 'Test',
): [keyof typeof Action, Record<string, unknown>] {
  return [
    'codeBuild',
    {
      ...regional(a),
      category: category === 'Test' ? 'Test' : undefined,
      project: c.ProjectName,
      inputs: names(a.inputArtifacts),
      primarySource: c.PrimarySource,
      outputs: a.outputArtifacts?.length ? names(a.outputArtifacts) : undefined,
      environmentVariables: jsonOr(c.EnvironmentVariables),
      batchEnabled: bool(c.BatchEnabled),
      combineArtifacts: bool(c.CombineArtifacts),
    },
  ];
}

/** The action as the builders would emit it: defaults filled, empty members dropped. */
export function normalizeAction(a: ActionDeclaration): ActionDeclaration {
  const out: Record<string, unknown> = {
    ...a,
    runOrder: a.runOrder ?? 1,
    inputArtifacts: a.inputArtifacts ?? [],
    outputArtifacts: a.outputArtifacts ?? [],
  };
  if (out.configuration && Object.keys(out.configuration as object).length === 0) delete out.configuration;
  for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
  return out as unknown as ActionDeclaration;
}

function importAction(a: ActionDeclaration, used: Set<string>): unknown {
  const type = a.actionTypeId;
  const mapper =
    type?.owner === 'AWS' && type.version === '1' ? mappers[`${type.category}/${type.provider}`] : undefined;
  if (mapper) {
    try {
      const [helper, props] = mapper(a, (a.configuration ?? {}) as Config);
      const compacted = Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined));
      const rebuilt = (Action[helper] as (p: unknown) => ActionDeclaration)(compacted);
      if (isDeepStrictEqual(normalizeAction(rebuilt), normalizeAction(a))) {
        used.add('Action');
        if (Object.values(compacted).some((v) => v instanceof Duration)) used.add('Duration');
        return call(`Action.${helper}`, compacted);
      }
    } catch {
      // The helper refused these values (e.g. an artifact count it does not allow): keep the literal.
    }
  }
  return a;
}

function importPipeline(doc: Record<string, unknown>, module: string): ImportResult {
  const pipeline = ('pipeline' in doc ? doc.pipeline : doc) as Record<string, unknown>;
  if (typeof pipeline !== 'object' || pipeline === null) throw new ImportError('`pipeline` is not an object');
  const name = String(pipeline.name ?? 'pipeline');
  const used = new Set<string>(['definePipeline', 'stage']);
  const notes: string[] = [];
  const store = (s: Record<string, unknown>) => {
    const key = s.encryptionKey as { id?: string } | undefined;
    return { bucket: s.location, kmsKeyId: key?.id };
  };
  const stages = ((pipeline.stages ?? []) as Record<string, unknown>[]).map((st) => {
    const actions = ((st.actions ?? []) as ActionDeclaration[]).map((a) => {
      for (const [k, v] of Object.entries(a.configuration ?? {})) {
        if (v === '****')
          notes.push(
            `${st.name}/${a.name} configuration ${k} was masked by get-pipeline; fill in the real value`,
          );
      }
      const imported = importAction(a, used);
      if (!(imported instanceof Code))
        notes.push(`${st.name}/${a.name} (${a.actionTypeId?.provider}) is kept as a plain ActionDeclaration`);
      return imported;
    });
    const options = { beforeEntry: st.beforeEntry, onSuccess: st.onSuccess, onFailure: st.onFailure };
    const hasOptions = Object.values(options).some((v) => v !== undefined);
    return hasOptions ? call('stage', st.name, actions, options) : call('stage', st.name, actions);
  });
  const triggers = (pipeline.triggers as Record<string, unknown>[] | undefined)?.map((t) => {
    const git = t.gitConfiguration as
      | { sourceActionName: string; push?: unknown[]; pullRequest?: unknown[] }
      | undefined;
    if (t.providerType === 'CodeStarSourceConnection' && git) {
      const filters = { push: git.push, pullRequest: git.pullRequest };
      const rebuilt = Trigger.git(git.sourceActionName, filters as Parameters<typeof Trigger.git>[1]);
      if (isDeepStrictEqual(rebuilt, t)) {
        used.add('Trigger');
        return call(
          'Trigger.git',
          git.sourceActionName,
          Object.fromEntries(Object.entries(filters).filter(([, v]) => v)),
        );
      }
    }
    return t;
  });
  const variables = (
    pipeline.variables as { name: string; defaultValue?: string; description?: string }[] | undefined
  )?.map((v) => {
    used.add('variable');
    const options = { defaultValue: v.defaultValue, description: v.description };
    return options.defaultValue === undefined && options.description === undefined
      ? call('variable', v.name)
      : call('variable', v.name, options);
  });
  const props = {
    name,
    roleArn: pipeline.roleArn,
    artifactStore: pipeline.artifactStore
      ? store(pipeline.artifactStore as Record<string, unknown>)
      : undefined,
    artifactStores: pipeline.artifactStores
      ? Object.fromEntries(
          Object.entries(pipeline.artifactStores as Record<string, Record<string, unknown>>).map(([r, s]) => [
            r,
            store(s),
          ]),
        )
      : undefined,
    // The type CodePipeline gives it (V2 when it uses V2 parameters, else V1), not the builder's default.
    pipelineType: effectivePipelineType(pipeline),
    executionMode: pipeline.executionMode,
    variables,
    triggers,
    stages,
  };
  const source = `${header('pipeline', [...used], module, [...new Set(notes)])}\nexport default ${print(call('definePipeline', props), 0)};\n`;
  return { kind: 'pipeline', name, source, notes: [...new Set(notes)] };
}
