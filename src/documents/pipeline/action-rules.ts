/**
 * Per-action rules: artifact counts and required configuration by provider, V2-only providers, where
 * timeoutInMinutes applies, and the configuration values of CodeBuild, CodeDeployToECS, CloudFormation,
 * S3 and source actions.
 */
import type { KindContext } from '../kind.js';
import { isRecord } from '../report.js';
import { type ActionInfo, actionLabel } from './action-info.js';
import {
  CLOUDFORMATION_ACTION_MODES,
  CLOUDFORMATION_CAPABILITIES,
  CLOUDFORMATION_CONDITIONAL,
  PROVIDERS,
} from './providers.js';

export function checkAction(ctx: KindContext, a: ActionInfo, explicitV1: boolean): void {
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
      `timeoutInMinutes is set on ${a.provider} action ${actionLabel(a)}; CodePipeline applies it only to manual approval actions`,
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
      `${a.provider} action ${actionLabel(a)} has ${have} ${what === 'inputs' ? 'input' : 'output'} artifact${have === 1 ? '' : 's'}; ${a.owner}/${a.category}/${a.provider} takes ${allowed}`,
    );
  };
  count('inputs', a.inputs.length, rule.inputs);
  count('outputs', a.outputs.length, rule.outputs);
  for (const k of rule.required) {
    if (cfg[k] === undefined) {
      r.report(
        'pipeline/missing-configuration',
        isRecord(a.raw.configuration) ? [...a.path, 'configuration'] : a.path,
        `${a.provider} action ${actionLabel(a)} is missing required configuration \`${k}\`; required: ${rule.required.join(', ')}`,
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
        `${k} of ${actionLabel(a)} is \`${v}\`, which is not one of its input artifacts (${a.inputs.join(', ') || 'none'})`,
      );
    }
  };
  switch (a.provider) {
    case 'CodeBuild': {
      if (a.inputs.length > 1 && cfg.PrimarySource === undefined) {
        r.report(
          'pipeline/missing-configuration',
          isRecord(a.raw.configuration) ? [...a.path, 'configuration'] : a.path,
          `CodeBuild action ${actionLabel(a)} has ${a.inputs.length} input artifacts, so it needs \`PrimarySource\` naming one of them`,
        );
      }
      mustBeInput('PrimarySource');
      if (typeof cfg.EnvironmentVariables === 'string') {
        const problem = environmentVariablesProblem(cfg.EnvironmentVariables);
        if (problem)
          r.report(
            'pipeline/configuration-value',
            cfgPath('EnvironmentVariables'),
            `EnvironmentVariables of ${actionLabel(a)} ${problem}`,
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
            `${actionLabel(a)} sets only one of Image${n}ArtifactName and Image${n}ContainerName; \`${missing}\` is missing`,
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
              `CloudFormation action ${actionLabel(a)} in ActionMode ${mode} is missing \`${k}\` (required for ${modes.join(', ')})`,
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
            `${k} reads artifact \`${artifact}\`, which is not an input artifact of ${actionLabel(a)} (${a.inputs.join(', ') || 'none'})`,
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
            `S3 deploy action ${actionLabel(a)} has Extract false, so it needs \`ObjectKey\``,
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
