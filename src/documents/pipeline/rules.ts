import type { KindContext } from '../kind.js';
import { isRecord, suggest } from '../report.js';
import type { PathSegment } from '../source.js';
import {
  CODEPIPELINE_VARIABLES,
  emittedVariables,
  type VariableReference,
  variableReferences,
} from './output-variables.js';
import {
  CLOUDFORMATION_ACTION_MODES,
  CLOUDFORMATION_CAPABILITIES,
  CLOUDFORMATION_CONDITIONAL,
  CONDITION_RULE_PROVIDERS,
  PROVIDERS,
} from './providers.js';

export const MAX_STAGES = 50;
export const MAX_ACTIONS_PER_PIPELINE = 500;

/** One action with where it sits, for ordering rules. */
export interface ActionInfo {
  stage: number;
  index: number;
  stageName: string;
  name: string;
  runOrder: number;
  owner: string;
  category: string;
  provider: string;
  inputs: string[];
  outputs: string[];
  namespace?: string;
  region?: string;
  configuration: Record<string, unknown>;
  raw: Record<string, unknown>;
  path: PathSegment[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The actions of a pipeline declaration in a flat list (tolerant of a half-valid document). */
export function collectActions(pipeline: Record<string, unknown>, base: PathSegment[]): ActionInfo[] {
  const out: ActionInfo[] = [];
  const stages = Array.isArray(pipeline.stages) ? pipeline.stages : [];
  stages.forEach((stage, s) => {
    if (!isRecord(stage) || !Array.isArray(stage.actions)) return;
    stage.actions.forEach((action, a) => {
      if (!isRecord(action)) return;
      const type = isRecord(action.actionTypeId) ? action.actionTypeId : {};
      const names = (list: unknown) =>
        Array.isArray(list)
          ? list.flatMap((x) => (isRecord(x) && typeof x.name === 'string' ? [x.name] : []))
          : [];
      out.push({
        stage: s,
        index: a,
        stageName: str(stage.name) ?? `stage ${s + 1}`,
        name: str(action.name) ?? `action ${a + 1}`,
        runOrder: typeof action.runOrder === 'number' ? action.runOrder : 1,
        owner: str(type.owner) ?? '',
        category: str(type.category) ?? '',
        provider: str(type.provider) ?? '',
        inputs: names(action.inputArtifacts),
        outputs: names(action.outputArtifacts),
        ...(str(action.namespace) ? { namespace: str(action.namespace)! } : {}),
        ...(str(action.region) ? { region: str(action.region)! } : {}),
        configuration: isRecord(action.configuration) ? action.configuration : {},
        raw: action,
        path: [...base, 'stages', s, 'actions', a],
      });
    });
  });
  return out;
}

const runsBefore = (a: Pick<ActionInfo, 'stage' | 'runOrder'>, b: Pick<ActionInfo, 'stage' | 'runOrder'>) =>
  a.stage < b.stage || (a.stage === b.stage && a.runOrder < b.runOrder);
const label = (a: ActionInfo) => `${a.stageName}/${a.name}`;

/** Semantic rules for a pipeline document (`{pipeline: {...}}`). */
export function checkPipelineRules(ctx: KindContext): void {
  const doc = ctx.value;
  if (!isRecord(doc) || !isRecord(doc.pipeline)) return;
  const pipeline = doc.pipeline;
  const base: PathSegment[] = ['pipeline'];
  const r = ctx.reporter;
  const stages = Array.isArray(pipeline.stages) ? pipeline.stages : [];
  const actions = collectActions(pipeline, base);
  const explicitV1 = pipeline.pipelineType === 'V1' || pipeline.pipelineType === undefined;
  const typeWritten = pipeline.pipelineType !== undefined;

  if (Array.isArray(pipeline.stages) && stages.length < 2) {
    r.report(
      'pipeline/min-stages',
      [...base, 'stages'],
      `the pipeline has ${stages.length} stage${stages.length === 1 ? '' : 's'}; a pipeline needs at least 2 (a source stage and one more)`,
    );
  }
  if (actions.length > MAX_ACTIONS_PER_PIPELINE) {
    r.report(
      'pipeline/action-limit',
      [...base, 'stages'],
      `the pipeline has ${actions.length} actions; at most ${MAX_ACTIONS_PER_PIPELINE} are allowed`,
    );
  }

  // Artifact stores: exactly one of the two forms; cross-region actions need the map form.
  const hasStore = pipeline.artifactStore !== undefined;
  const stores = isRecord(pipeline.artifactStores) ? pipeline.artifactStores : undefined;
  if (hasStore && stores) {
    r.report(
      'pipeline/artifact-store',
      [...base, 'artifactStores'],
      'the pipeline sets both `artifactStore` and `artifactStores`; set exactly one',
      { part: 'key' },
    );
  } else if (!hasStore && !stores) {
    r.report(
      'pipeline/artifact-store',
      base,
      'the pipeline has neither `artifactStore` nor `artifactStores`; set exactly one (an S3 bucket for artifacts)',
    );
  }
  const regions = [...new Set(actions.flatMap((a) => (a.region ? [a.region] : [])))];
  if (stores) {
    for (const a of actions) {
      if (a.region && !(a.region in stores)) {
        r.report(
          'pipeline/artifact-store',
          [...a.path, 'region'],
          `action ${label(a)} runs in ${a.region}, but artifactStores has no store for that region (has: ${Object.keys(stores).join(', ')})`,
        );
      }
    }
  } else if (hasStore && regions.length > 1) {
    r.report(
      'pipeline/artifact-store',
      [...base, 'artifactStore'],
      `actions run in ${regions.length} regions (${regions.join(', ')}); cross-region actions need \`artifactStores\` with one store per region`,
      { part: 'key' },
    );
  }

  // Stage names unique; action names unique per stage.
  const stageNames = new Map<string, number>();
  stages.forEach((stage, s) => {
    if (!isRecord(stage) || typeof stage.name !== 'string') return;
    const prev = stageNames.get(stage.name);
    if (prev !== undefined) {
      r.report(
        'pipeline/duplicate-stage-name',
        [...base, 'stages', s, 'name'],
        `stage name \`${stage.name}\` is already used by stage ${prev + 1}; stage names must be unique`,
      );
    } else stageNames.set(stage.name, s);
  });
  const seenActions = new Map<string, ActionInfo>();
  for (const a of actions) {
    const key = `${a.stage}\u0000${a.name}`;
    const prev = seenActions.get(key);
    if (prev) {
      r.report(
        'pipeline/duplicate-action-name',
        [...a.path, 'name'],
        `action name \`${a.name}\` is used twice in stage ${a.stageName}; action names must be unique within a stage`,
      );
    } else seenActions.set(key, a);
  }

  // Source actions: all in the first stage, and the first stage holds only sources.
  const first = actions.filter((a) => a.stage === 0);
  if (stages.length > 0 && first.length > 0 && !first.some((a) => a.category === 'Source')) {
    r.report(
      'pipeline/first-stage-source',
      [...base, 'stages', 0],
      `the first stage (${first[0]!.stageName}) has no source action; a pipeline starts with a stage of source actions`,
    );
  }
  for (const a of actions) {
    if (
      a.stage === 0 &&
      a.category &&
      a.category !== 'Source' &&
      first.some((f) => f.category === 'Source')
    ) {
      r.report(
        'pipeline/first-stage-source',
        [...a.path, 'actionTypeId', 'category'],
        `action ${label(a)} is a ${a.category} action in the first stage, which may hold only source actions`,
      );
    }
    if (a.stage > 0 && a.category === 'Source') {
      r.report(
        'pipeline/source-not-first',
        [...a.path, 'actionTypeId', 'category'],
        `source action ${label(a)} is in stage ${a.stage + 1}; source actions may only be in the first stage`,
      );
    }
  }

  checkArtifacts(ctx, actions);
  checkNamespacesAndVariables(ctx, pipeline, actions, base);
  for (const a of actions) checkAction(ctx, a, explicitV1 && typeWritten);
  checkV2Features(ctx, pipeline, base, explicitV1 && typeWritten);
  checkTriggers(ctx, pipeline, actions, base);
  checkConditions(ctx, stages, base);
}

function checkArtifacts(ctx: KindContext, actions: ActionInfo[]): void {
  const r = ctx.reporter;
  const producers = new Map<string, ActionInfo>();
  for (const a of actions) {
    a.outputs.forEach((name, i) => {
      const prev = producers.get(name);
      if (prev) {
        r.report(
          'pipeline/duplicate-output-artifact',
          [...a.path, 'outputArtifacts', i, 'name'],
          `output artifact \`${name}\` is also produced by ${label(prev)}; output artifact names must be unique in the pipeline`,
        );
      } else producers.set(name, a);
    });
  }
  for (const a of actions) {
    a.inputs.forEach((name, i) => {
      const p = [...a.path, 'inputArtifacts', i, 'name'];
      const producer = producers.get(name);
      if (!producer) {
        const guess = suggest(name, [...producers.keys()]);
        r.report(
          'pipeline/artifact-not-produced',
          p,
          `input artifact \`${name}\` of ${label(a)} is not produced by any action; produced: ${[...producers.keys()].join(', ') || 'none'}`,
          guess ? { hint: `did you mean \`${guess}\`?` } : {},
        );
      } else if (!runsBefore(producer, a)) {
        r.report(
          'pipeline/artifact-order',
          p,
          `artifact \`${name}\` is consumed by ${label(a)} (runOrder ${a.runOrder}) before ${label(producer)} (runOrder ${producer.runOrder}) produces it`,
        );
      } else if (
        producer.provider === 'CodeStarSourceConnection' &&
        producer.configuration.OutputArtifactFormat === 'CODEBUILD_CLONE_REF' &&
        a.provider !== 'CodeBuild'
      ) {
        r.report(
          'pipeline/clone-ref-consumer',
          p,
          `artifact \`${name}\` is a CODEBUILD_CLONE_REF (a git clone reference) that only CodeBuild actions can use; ${label(a)} is ${a.provider}`,
        );
      }
    });
  }
}

/** Something that reads variables: an action, or a stage condition's rule (e.g. VariableCheck). */
interface VariableConsumer {
  label: string;
  stage: number;
  /** Where in its stage it runs: a beforeEntry rule before every action (0), onSuccess/onFailure after all. */
  runOrder: number;
  refs: VariableReference[];
}

function variableConsumers(
  pipeline: Record<string, unknown>,
  actions: ActionInfo[],
  base: PathSegment[],
): VariableConsumer[] {
  const out: VariableConsumer[] = actions.map((a) => ({
    label: label(a),
    stage: a.stage,
    runOrder: a.runOrder,
    refs: variableReferences(a),
  }));
  const stages = Array.isArray(pipeline.stages) ? pipeline.stages : [];
  stages.forEach((stage, s) => {
    if (!isRecord(stage)) return;
    for (const k of ['beforeEntry', 'onSuccess', 'onFailure'] as const) {
      const block = stage[k];
      if (!isRecord(block) || !Array.isArray(block.conditions)) continue;
      block.conditions.forEach((c, i) => {
        if (!isRecord(c) || !Array.isArray(c.rules)) return;
        c.rules.forEach((rule, j) => {
          if (!isRecord(rule)) return;
          out.push({
            label: `${str(stage.name) ?? `stage ${s + 1}`} ${k} rule ${str(rule.name) ?? j + 1}`,
            stage: s,
            runOrder: k === 'beforeEntry' ? 0 : Number.POSITIVE_INFINITY,
            refs: variableReferences({
              raw: rule,
              configuration: isRecord(rule.configuration) ? rule.configuration : {},
              path: [...base, 'stages', s, k, 'conditions', i, 'rules', j],
            }),
          });
        });
      });
    }
  });
  return out;
}

function checkNamespacesAndVariables(
  ctx: KindContext,
  pipeline: Record<string, unknown>,
  actions: ActionInfo[],
  base: PathSegment[],
): void {
  const r = ctx.reporter;
  const artifactNames = new Set(actions.flatMap((a) => a.outputs));
  const namespaces = new Map<string, ActionInfo>();
  for (const a of actions) {
    if (!a.namespace) continue;
    const p = [...a.path, 'namespace'];
    const prev = namespaces.get(a.namespace);
    if (prev)
      r.report(
        'pipeline/namespace-conflict',
        p,
        `namespace \`${a.namespace}\` is already declared by ${label(prev)}; namespaces must be unique`,
      );
    else namespaces.set(a.namespace, a);
    if (artifactNames.has(a.namespace))
      r.report(
        'pipeline/namespace-conflict',
        p,
        `namespace \`${a.namespace}\` has the same name as an artifact; namespaces cannot match artifact names`,
      );
    if (a.namespace === 'codepipeline' || a.namespace === 'variables')
      r.report('pipeline/namespace-conflict', p, `namespace \`${a.namespace}\` is reserved by CodePipeline`);
  }
  const pipelineVars = Array.isArray(pipeline.variables)
    ? pipeline.variables.flatMap((v) => (isRecord(v) && typeof v.name === 'string' ? [v.name] : []))
    : [];
  const didYouMean = (key: string, names: readonly string[]) => {
    const guess = suggest(key, names);
    return guess ? { hint: `did you mean \`${guess}\`?` } : {};
  };
  for (const a of variableConsumers(pipeline, actions, base)) {
    for (const { ref, namespace: ns, key, path: p, occurrence } of a.refs) {
      const here = { within: { text: ref, occurrence } };
      if (ns === 'SecretsManager') continue;
      if (ns === 'codepipeline') {
        if (!CODEPIPELINE_VARIABLES.includes(key))
          r.report(
            'pipeline/unknown-output-variable',
            p,
            `${ref} in ${a.label} names \`${key}\`, which the reserved codepipeline namespace does not have (has: ${CODEPIPELINE_VARIABLES.join(', ')})`,
            { ...here, ...didYouMean(key, CODEPIPELINE_VARIABLES) },
          );
        continue;
      }
      if (ns === 'variables') {
        if (!pipelineVars.includes(key))
          r.report(
            'pipeline/unknown-variable',
            p,
            `${ref} names pipeline variable \`${key}\`, which \`variables\` does not declare${pipelineVars.length ? ` (declared: ${pipelineVars.join(', ')})` : ''}`,
            { ...here, ...didYouMean(key, pipelineVars) },
          );
        continue;
      }
      const producer = namespaces.get(ns);
      if (!producer) {
        r.report(
          'pipeline/unknown-variable',
          p,
          `${ref} uses namespace \`${ns}\`, which no action declares${namespaces.size ? `; declared: ${[...namespaces.keys()].join(', ')}` : ''}`,
          { ...here, ...didYouMean(ns, [...namespaces.keys()]) },
        );
        continue;
      }
      if (!runsBefore(producer, a)) {
        r.report(
          'pipeline/unknown-variable',
          p,
          `${ref} in ${a.label} reads namespace \`${ns}\` of ${label(producer)}, which does not run before it`,
          here,
        );
        continue;
      }
      const emitted = emittedVariables(producer);
      if (!emitted.known || emitted.names.includes(key)) continue;
      const listed = emitted.names.join(', ');
      r.report(
        'pipeline/unknown-output-variable',
        p,
        emitted.by === 'declared'
          ? `${ref} in ${a.label} reads \`${key}\`, but ${label(producer)} is a ${producer.provider} action, which exports only the variables its \`outputVariables\` lists (${listed || 'none'})`
          : `${ref} in ${a.label} reads \`${key}\`, but ${label(producer)} (${producer.owner}/${producer.category}/${producer.provider}) emits only ${listed}`,
        { ...here, ...didYouMean(key, emitted.names) },
      );
    }
  }
}

function checkAction(ctx: KindContext, a: ActionInfo, explicitV1: boolean): void {
  const r = ctx.reporter;
  const key = `${a.owner}/${a.category}/${a.provider}`;
  const rule =
    PROVIDERS[key] ??
    (a.owner === 'Custom' ? { inputs: [0, 5] as const, outputs: [0, 5] as const, required: [] } : undefined);
  const cfg = a.configuration;
  if (a.raw.timeoutInMinutes !== undefined && !(a.provider === 'Manual' || a.provider === 'Commands')) {
    r.report(
      'pipeline/action-timeout',
      [...a.path, 'timeoutInMinutes'],
      `timeoutInMinutes is set on ${a.provider} action ${label(a)}; CodePipeline applies it only to manual approval actions`,
      { part: 'key' },
    );
  }
  if (!rule) return;
  const count = (what: 'inputs' | 'outputs', have: number, [min, max]: readonly [number, number]) => {
    if (have >= min && have <= max) return;
    const field = what === 'inputs' ? 'inputArtifacts' : 'outputArtifacts';
    const allowed = min === max ? `exactly ${min}` : `${min} to ${max}`;
    r.report(
      'pipeline/artifact-count',
      a.raw[field] !== undefined ? [...a.path, field] : a.path,
      `${a.provider} action ${label(a)} has ${have} ${what === 'inputs' ? 'input' : 'output'} artifact${have === 1 ? '' : 's'}; ${a.owner}/${a.category}/${a.provider} takes ${allowed}`,
    );
  };
  count('inputs', a.inputs.length, rule.inputs);
  count('outputs', a.outputs.length, rule.outputs);
  for (const k of rule.required) {
    if (cfg[k] === undefined) {
      r.report(
        'pipeline/missing-configuration',
        isRecord(a.raw.configuration) ? [...a.path, 'configuration'] : a.path,
        `${a.provider} action ${label(a)} is missing required configuration \`${k}\`; required: ${rule.required.join(', ')}`,
      );
    }
  }
  if (rule.v2Only && explicitV1) {
    r.report(
      'pipeline/v2-only',
      [...a.path, 'actionTypeId', 'provider'],
      `the ${a.provider} action is available only in V2 pipelines; this pipeline is V1`,
      { hint: 'set `pipelineType: V2`' },
    );
  }
  const cfgPath = (k: string) => [...a.path, 'configuration', k];
  const mustBeInput = (k: string) => {
    const v = cfg[k];
    if (typeof v === 'string' && !a.inputs.includes(v)) {
      r.report(
        'pipeline/configuration-value',
        cfgPath(k),
        `${k} of ${label(a)} is \`${v}\`, which is not one of its input artifacts (${a.inputs.join(', ') || 'none'})`,
      );
    }
  };
  switch (a.provider) {
    case 'CodeBuild': {
      if (a.inputs.length > 1 && cfg.PrimarySource === undefined) {
        r.report(
          'pipeline/missing-configuration',
          isRecord(a.raw.configuration) ? [...a.path, 'configuration'] : a.path,
          `CodeBuild action ${label(a)} has ${a.inputs.length} input artifacts, so it needs \`PrimarySource\` naming one of them`,
        );
      }
      mustBeInput('PrimarySource');
      if (typeof cfg.EnvironmentVariables === 'string') {
        const problem = environmentVariablesProblem(cfg.EnvironmentVariables);
        if (problem)
          r.report(
            'pipeline/configuration-value',
            cfgPath('EnvironmentVariables'),
            `EnvironmentVariables of ${label(a)} ${problem}`,
          );
      }
      break;
    }
    case 'CodeDeployToECS': {
      mustBeInput('TaskDefinitionTemplateArtifact');
      mustBeInput('AppSpecTemplateArtifact');
      for (let n = 1; n <= 4; n++) {
        mustBeInput(`Image${n}ArtifactName`);
        if ((cfg[`Image${n}ArtifactName`] === undefined) !== (cfg[`Image${n}ContainerName`] === undefined)) {
          const missing =
            cfg[`Image${n}ArtifactName`] === undefined ? `Image${n}ArtifactName` : `Image${n}ContainerName`;
          r.report(
            'pipeline/missing-configuration',
            [...a.path, 'configuration'],
            `${label(a)} sets only one of Image${n}ArtifactName and Image${n}ContainerName; \`${missing}\` is missing`,
          );
        }
      }
      break;
    }
    case 'CloudFormation': {
      const mode = cfg.ActionMode;
      if (typeof mode === 'string' && !(CLOUDFORMATION_ACTION_MODES as readonly string[]).includes(mode)) {
        r.report(
          'pipeline/configuration-value',
          cfgPath('ActionMode'),
          `ActionMode is \`${mode}\`; allowed: ${CLOUDFORMATION_ACTION_MODES.join(', ')}`,
        );
      } else if (typeof mode === 'string') {
        for (const [k, modes] of Object.entries(CLOUDFORMATION_CONDITIONAL)) {
          if (modes.includes(mode) && cfg[k] === undefined) {
            r.report(
              'pipeline/missing-configuration',
              [...a.path, 'configuration'],
              `CloudFormation action ${label(a)} in ActionMode ${mode} is missing \`${k}\` (required for ${modes.join(', ')})`,
            );
          }
        }
      }
      for (const k of ['TemplatePath', 'TemplateConfiguration']) {
        const v = cfg[k];
        if (typeof v !== 'string') continue;
        const [artifact, file] = v.split('::');
        if (file === undefined || file === '') {
          r.report(
            'pipeline/configuration-value',
            cfgPath(k),
            `${k} is \`${v}\`; write it as ArtifactName::path/in/artifact`,
          );
        } else if (!v.includes('#{') && !a.inputs.includes(artifact!)) {
          r.report(
            'pipeline/configuration-value',
            cfgPath(k),
            `${k} reads artifact \`${artifact}\`, which is not an input artifact of ${label(a)} (${a.inputs.join(', ') || 'none'})`,
          );
        }
      }
      if (typeof cfg.Capabilities === 'string') {
        for (const c of cfg.Capabilities.split(',').map((x) => x.trim())) {
          if (!(CLOUDFORMATION_CAPABILITIES as readonly string[]).includes(c)) {
            r.report(
              'pipeline/configuration-value',
              cfgPath('Capabilities'),
              `Capabilities lists \`${c}\`; allowed: ${CLOUDFORMATION_CAPABILITIES.join(', ')} (comma-separated)`,
            );
          }
        }
      }
      break;
    }
    case 'S3': {
      if (a.category === 'Deploy') {
        const extract = cfg.Extract;
        if (typeof extract === 'string' && !/^(true|false)$/i.test(extract)) {
          r.report(
            'pipeline/configuration-value',
            cfgPath('Extract'),
            `Extract is \`${extract}\`; allowed: true, false`,
          );
        }
        if (typeof extract === 'string' && /^false$/i.test(extract) && cfg.ObjectKey === undefined) {
          r.report(
            'pipeline/missing-configuration',
            [...a.path, 'configuration'],
            `S3 deploy action ${label(a)} has Extract false, so it needs \`ObjectKey\``,
          );
        }
      }
      break;
    }
    case 'CodeStarSourceConnection':
    case 'CodeCommit': {
      const fmt = cfg.OutputArtifactFormat;
      if (typeof fmt === 'string' && fmt !== 'CODE_ZIP' && fmt !== 'CODEBUILD_CLONE_REF') {
        r.report(
          'pipeline/configuration-value',
          cfgPath('OutputArtifactFormat'),
          `OutputArtifactFormat is \`${fmt}\`; allowed: CODE_ZIP, CODEBUILD_CLONE_REF`,
        );
      }
      break;
    }
  }
  for (const k of ['PollForSourceChanges', 'DetectChanges', 'BatchEnabled', 'CombineArtifacts']) {
    const v = cfg[k];
    if (typeof v === 'string' && !/^(true|false)$/i.test(v)) {
      r.report('pipeline/configuration-value', cfgPath(k), `${k} is \`${v}\`; allowed: true, false`);
    }
  }
}

/** CodeBuild `EnvironmentVariables`: a JSON array of `{name, value, type?}`. */
function environmentVariablesProblem(text: string): string | undefined {
  if (text.includes('#{')) return undefined; // variables resolved at run time may hold JSON fragments
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'is not valid JSON; write a JSON array of {"name","value","type"} objects';
  }
  if (!Array.isArray(parsed)) return 'must be a JSON array of {"name","value","type"} objects';
  for (const [i, e] of parsed.entries()) {
    if (!isRecord(e) || typeof e.name !== 'string' || e.value === undefined)
      return `entry ${i} needs a "name" and a "value"`;
    if (e.type !== undefined && !['PLAINTEXT', 'PARAMETER_STORE', 'SECRETS_MANAGER'].includes(String(e.type)))
      return `entry ${i} has type ${JSON.stringify(e.type)}; allowed: PLAINTEXT, PARAMETER_STORE, SECRETS_MANAGER`;
  }
  return undefined;
}

function checkV2Features(
  ctx: KindContext,
  pipeline: Record<string, unknown>,
  base: PathSegment[],
  explicitV1: boolean,
): void {
  if (!explicitV1) return;
  const r = ctx.reporter;
  const v2 = (path: PathSegment[], what: string) =>
    r.report('pipeline/v2-only', path, `${what} needs a V2 pipeline; this pipeline is V1`, {
      part: 'key',
      hint: 'set `pipelineType: V2`',
    });
  if (Array.isArray(pipeline.variables) && pipeline.variables.length > 0)
    v2([...base, 'variables'], 'pipeline-level `variables`');
  if (Array.isArray(pipeline.triggers) && pipeline.triggers.length > 0)
    v2([...base, 'triggers'], '`triggers`');
  if (pipeline.executionMode === 'QUEUED' || pipeline.executionMode === 'PARALLEL')
    r.report(
      'pipeline/v2-only',
      [...base, 'executionMode'],
      `executionMode ${pipeline.executionMode} needs a V2 pipeline; V1 pipelines run SUPERSEDED`,
      { hint: 'set `pipelineType: V2`' },
    );
  const stages = Array.isArray(pipeline.stages) ? pipeline.stages : [];
  stages.forEach((stage, s) => {
    if (!isRecord(stage)) return;
    for (const k of ['beforeEntry', 'onSuccess', 'onFailure'] as const) {
      if (stage[k] !== undefined) v2([...base, 'stages', s, k], `stage \`${k}\``);
    }
  });
}

function checkTriggers(
  ctx: KindContext,
  pipeline: Record<string, unknown>,
  actions: ActionInfo[],
  base: PathSegment[],
): void {
  if (!Array.isArray(pipeline.triggers)) return;
  const r = ctx.reporter;
  const used = new Map<string, number>();
  pipeline.triggers.forEach((t, i) => {
    if (!isRecord(t) || !isRecord(t.gitConfiguration)) return;
    const git = t.gitConfiguration;
    const p: PathSegment[] = [...base, 'triggers', i, 'gitConfiguration'];
    const name = git.sourceActionName;
    if (typeof name === 'string') {
      const action = actions.find((a) => a.name === name && a.category === 'Source');
      const connections = actions.filter((a) => a.provider === 'CodeStarSourceConnection').map((a) => a.name);
      if (!action) {
        r.report(
          'pipeline/trigger-source-action',
          [...p, 'sourceActionName'],
          `trigger names source action \`${name}\`, which is not a source action of this pipeline; CodeStarSourceConnection actions: ${connections.join(', ') || 'none'}`,
        );
      } else if (action.provider !== 'CodeStarSourceConnection') {
        r.report(
          'pipeline/trigger-source-action',
          [...p, 'sourceActionName'],
          `trigger names \`${name}\`, a ${action.provider} action; triggers work only with CodeStarSourceConnection source actions`,
        );
      }
      const prev = used.get(name);
      if (prev !== undefined)
        r.report(
          'pipeline/trigger-source-action',
          [...p, 'sourceActionName'],
          `source action \`${name}\` already has trigger ${prev + 1}; each source action takes one trigger`,
        );
      else used.set(name, i);
    }
    for (const kind of ['push', 'pullRequest'] as const) {
      const filters = git[kind];
      if (!Array.isArray(filters)) continue;
      filters.forEach((f, j) => {
        if (!isRecord(f)) return;
        if (f.filePaths !== undefined && f.branches === undefined) {
          r.report(
            'pipeline/trigger-filter',
            [...p, kind, j, 'filePaths'],
            `a ${kind} filter with filePaths also needs branches (valid: ${kind === 'push' ? 'tags, branches, or branches + filePaths' : 'branches, or branches + filePaths'})`,
            { part: 'key' },
          );
        }
        if (
          kind === 'push' &&
          f.tags !== undefined &&
          (f.branches !== undefined || f.filePaths !== undefined)
        ) {
          r.report(
            'pipeline/trigger-filter',
            [...p, kind, j, 'tags'],
            'a push filter on tags cannot also filter branches or file paths (valid: tags, branches, or branches + filePaths)',
            { part: 'key' },
          );
        }
        if (kind === 'push' && f.tags === undefined && f.branches === undefined) {
          r.report('pipeline/trigger-filter', [...p, kind, j], 'a push filter needs tags or branches');
        }
        if (kind === 'pullRequest' && f.branches === undefined) {
          r.report('pipeline/trigger-filter', [...p, kind, j], 'a pullRequest filter needs branches');
        }
      });
    }
  });
}

const CONDITION_RESULTS: Record<string, readonly string[]> = {
  beforeEntry: ['FAIL', 'SKIP'],
  onSuccess: ['ROLLBACK', 'FAIL'],
  onFailure: ['ROLLBACK', 'RETRY'],
};

function checkConditions(ctx: KindContext, stages: unknown[], base: PathSegment[]): void {
  const r = ctx.reporter;
  stages.forEach((stage, s) => {
    if (!isRecord(stage)) return;
    for (const k of ['beforeEntry', 'onSuccess', 'onFailure'] as const) {
      const block = stage[k];
      if (!isRecord(block)) continue;
      const p: PathSegment[] = [...base, 'stages', s, k];
      const allowed = CONDITION_RESULTS[k]!;
      if (k === 'onFailure' && typeof block.result === 'string' && !allowed.includes(block.result)) {
        r.report(
          'pipeline/condition-result',
          [...p, 'result'],
          `onFailure result is ${block.result}; allowed: ${allowed.join(', ')}`,
        );
      }
      if (!Array.isArray(block.conditions)) continue;
      block.conditions.forEach((c, i) => {
        if (!isRecord(c)) return;
        if (typeof c.result === 'string' && !allowed.includes(c.result)) {
          r.report(
            'pipeline/condition-result',
            [...p, 'conditions', i, 'result'],
            `${k === 'beforeEntry' ? 'a' : 'an'} ${k} condition result is ${c.result}; allowed: ${allowed.join(', ')}`,
          );
        }
        if (!Array.isArray(c.rules)) return;
        c.rules.forEach((rule, j) => {
          if (!isRecord(rule) || !isRecord(rule.ruleTypeId)) return;
          const provider = rule.ruleTypeId.provider;
          if (typeof provider !== 'string') return;
          const rp = [...p, 'conditions', i, 'rules', j, 'ruleTypeId', 'provider'];
          if (!CONDITION_RULE_PROVIDERS.includes(provider)) {
            r.report(
              'pipeline/condition-rule',
              rp,
              `rule provider \`${provider}\` is not a known condition rule; known: ${CONDITION_RULE_PROVIDERS.join(', ')}`,
            );
          } else if (
            k === 'beforeEntry' &&
            c.result === 'SKIP' &&
            provider !== 'LambdaInvoke' &&
            provider !== 'VariableCheck'
          ) {
            r.report(
              'pipeline/condition-rule',
              rp,
              `a beforeEntry condition with result SKIP allows only LambdaInvoke and VariableCheck rules, found ${provider}`,
            );
          }
        });
      });
    }
  });
}
