import { basename } from 'node:path';
import { rules } from './catalog.js';
import type { Diagnostic } from './diagnostics.js';
import type { DocumentKind } from './kind.js';
import { type ActionInfo, collectActions } from './pipeline/action-info.js';
import { variableReferences } from './pipeline/output-variables.js';
import { isRecord, locateWithin, suggest } from './report.js';
import type { ParsedSource, PathSegment } from './source.js';

export interface CheckedDocument {
  file: string;
  kind: DocumentKind;
  value: unknown;
  source: ParsedSource;
}

type CrossRule =
  | 'cross/codebuild-secondary-artifacts'
  | 'cross/codedeploy-appspec'
  | 'cross/ecs-template-artifact'
  | 'cross/exported-variable';

function at(
  doc: CheckedDocument,
  ruleId: CrossRule,
  path: PathSegment[],
  message: string,
  hint?: string,
  within?: { text: string; occurrence: number },
): Diagnostic {
  const pos = within
    ? locateWithin(doc.source, path, within.text, within.occurrence)
    : doc.source.locate(path);
  return {
    ruleId,
    severity: rules[ruleId].severity,
    file: doc.file,
    line: pos.line,
    col: pos.col,
    endLine: pos.endLine,
    endCol: pos.endCol,
    message,
    ...(hint ? { hint } : {}),
  };
}

/** The buildspecs of a run, with their file names as buildspecFor compares them (worked out once per run). */
interface Buildspecs {
  docs: CheckedDocument[];
  /** Per doc: the file name without extension, lowercased, and that name without a `buildspec` prefix. */
  names: { name: string; rest: string }[];
}

function indexBuildspecs(docs: CheckedDocument[]): Buildspecs {
  return {
    docs,
    names: docs.map((b) => {
      const name = basename(b.file)
        .toLowerCase()
        .replace(/\.(ya?ml|json)$/, '');
      return { name, rest: name.replace(/^buildspec[-_.]?/, '') };
    }),
  };
}

/** The buildspec a CodeBuild action runs: the only one checked, or the one named like the project. */
function buildspecFor(action: ActionInfo, buildspecs: Buildspecs): CheckedDocument | undefined {
  if (buildspecs.docs.length === 1) return buildspecs.docs[0];
  const project =
    typeof action.configuration.ProjectName === 'string'
      ? action.configuration.ProjectName.toLowerCase()
      : '';
  if (!project) return undefined;
  let found: CheckedDocument | undefined;
  for (let i = 0; i < buildspecs.docs.length; i++) {
    const { name, rest } = buildspecs.names[i]!;
    if (!(name.includes(project) || (rest !== '' && project.includes(rest)))) continue;
    if (found) return undefined; // more than one: none is the one
    found = buildspecs.docs[i];
  }
  return found;
}

function asList(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * A CodeBuild artifact glob (`**`, `*`, `?`) as a RegExp. Written here rather than importing a glob
 * library so `conveyor validate` starts fast.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Whether an artifact definition (`files`, `base-directory`, `discard-paths`) can put appspec.yml at its root. */
export function artifactCarriesRootFile(
  artifact: Record<string, unknown>,
  names: readonly string[],
): boolean {
  const discard = artifact['discard-paths'] === true || artifact['discard-paths'] === 'yes';
  for (const raw of asList(artifact.files)) {
    const pattern = raw.replace(/^\.\//, '');
    const re = globToRegExp(pattern);
    // With discard-paths, every matched file lands at the root: only the last path segment matters.
    const last = globToRegExp(pattern.split('/').pop() ?? pattern);
    for (const name of names) {
      if (re.test(name)) return true;
      if (discard && last.test(name)) return true;
    }
  }
  return false;
}

/**
 * Rules across files of one run: a pipeline's CodeBuild actions against the buildspec they run, and its
 * CodeDeploy actions against the artifact that must carry appspec.yml.
 */
export function checkCrossFile(docs: CheckedDocument[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const buildspecs = indexBuildspecs(docs.filter((d) => d.kind === 'buildspec' && isRecord(d.value)));
  if (buildspecs.docs.length === 0) return out;
  for (const doc of docs) {
    if (doc.kind !== 'pipeline' || !isRecord(doc.value) || !isRecord(doc.value.pipeline)) continue;
    const actions = collectActions(doc.value.pipeline, ['pipeline']);
    const builtBy = new Map<string, { action: ActionInfo; buildspec: CheckedDocument }>();
    for (const a of actions) {
      if (a.provider !== 'CodeBuild') continue;
      const spec = buildspecFor(a, buildspecs);
      if (!spec || !isRecord(spec.value)) continue;
      for (const o of a.outputs) builtBy.set(o, { action: a, buildspec: spec });
      if (a.outputs.length <= 1) continue;
      const artifacts = isRecord(spec.value.artifacts) ? spec.value.artifacts : {};
      const secondary = isRecord(artifacts['secondary-artifacts'])
        ? Object.keys(artifacts['secondary-artifacts'])
        : [];
      a.outputs.forEach((name, i) => {
        if (secondary.includes(name)) return;
        out.push(
          at(
            doc,
            'cross/codebuild-secondary-artifacts',
            [...a.path, 'outputArtifacts', i, 'name'],
            `output artifact \`${name}\` of ${a.stageName}/${a.name} is not a secondary-artifacts identifier in ${spec.file} (has: ${secondary.join(', ') || 'none'}); with more than one output, CodeBuild matches outputs to secondary artifacts by name`,
          ),
        );
      });
    }
    checkExportedVariables(doc, actions, buildspecs, out);
    for (const a of actions) {
      if (a.provider === 'CodeDeployToECS' && a.category === 'Deploy') {
        checkEcsTemplates(doc, a, builtBy, out);
        continue;
      }
      if (!(a.provider === 'CodeDeploy' && a.category === 'Deploy')) continue;
      a.inputs.forEach((input, i) => {
        const producer = builtBy.get(input);
        if (!producer || !isRecord(producer.buildspec.value)) return;
        const artifacts = isRecord(producer.buildspec.value.artifacts)
          ? producer.buildspec.value.artifacts
          : undefined;
        let definition: Record<string, unknown> | undefined = artifacts;
        let which = 'artifacts';
        if (producer.action.outputs.length > 1 && artifacts && isRecord(artifacts['secondary-artifacts'])) {
          const sec = artifacts['secondary-artifacts'][input];
          definition = isRecord(sec) ? sec : undefined;
          which = `secondary-artifacts.${input}`;
        }
        if (!definition) {
          out.push(
            at(
              doc,
              'cross/codedeploy-appspec',
              [...a.path, 'inputArtifacts', i, 'name'],
              `${a.stageName}/${a.name} deploys artifact \`${input}\`, but ${producer.buildspec.file} defines no ${which} for it, so it cannot carry appspec.yml`,
            ),
          );
          return;
        }
        if (!artifactCarriesRootFile(definition, ['appspec.yml', 'appspec.yaml'])) {
          const files = asList(definition.files).join(', ') || 'none';
          const baseDir =
            typeof definition['base-directory'] === 'string'
              ? ` under base-directory ${definition['base-directory']}`
              : '';
          out.push(
            at(
              doc,
              'cross/codedeploy-appspec',
              [...a.path, 'inputArtifacts', i, 'name'],
              `${a.stageName}/${a.name} deploys artifact \`${input}\`, whose ${which} in ${producer.buildspec.file} (files: ${files}${baseDir}) does not put appspec.yml at the root; CodeDeploy needs it there`,
              `add appspec.yml to ${which}.files`,
            ),
          );
        }
      });
    }
  }
  return out;
}

/** The artifact definition (primary or secondary) a CodeBuild action produces under `name`. */
function artifactDefinition(
  name: string,
  producer: { action: ActionInfo; buildspec: CheckedDocument },
): { definition?: Record<string, unknown>; which: string } {
  const spec = isRecord(producer.buildspec.value) ? producer.buildspec.value : {};
  const artifacts = isRecord(spec.artifacts) ? spec.artifacts : undefined;
  if (producer.action.outputs.length > 1) {
    const sec =
      artifacts && isRecord(artifacts['secondary-artifacts'])
        ? artifacts['secondary-artifacts'][name]
        : undefined;
    return { ...(isRecord(sec) ? { definition: sec } : {}), which: `secondary-artifacts.${name}` };
  }
  return { ...(artifacts ? { definition: artifacts } : {}), which: 'artifacts' };
}

/** CodeDeployToECS reads taskdef.json and appspec.yaml (or the configured paths) from named input artifacts. */
function checkEcsTemplates(
  doc: CheckedDocument,
  a: ActionInfo,
  builtBy: Map<string, { action: ActionInfo; buildspec: CheckedDocument }>,
  out: Diagnostic[],
): void {
  const pairs: [string, string, string][] = [
    ['TaskDefinitionTemplateArtifact', 'TaskDefinitionTemplatePath', 'taskdef.json'],
    ['AppSpecTemplateArtifact', 'AppSpecTemplatePath', 'appspec.yaml'],
  ];
  for (const [artifactKey, pathKey, defaultPath] of pairs) {
    const artifact = a.configuration[artifactKey];
    if (typeof artifact !== 'string') continue;
    const producer = builtBy.get(artifact);
    if (!producer) continue;
    const configured = a.configuration[pathKey];
    const path = typeof configured === 'string' ? configured : defaultPath;
    const { definition, which } = artifactDefinition(artifact, producer);
    if (definition && artifactCarriesRootFile(definition, [path])) continue;
    const files = definition ? asList(definition.files).join(', ') || 'none' : 'no such artifact';
    out.push(
      at(
        doc,
        'cross/ecs-template-artifact',
        [...a.path, 'configuration', artifactKey],
        `${a.stageName}/${a.name} reads ${path} from artifact \`${artifact}\`, but ${which} in ${producer.buildspec.file} (files: ${files}) does not include it`,
        `add ${path} to ${which}.files, or set ${pathKey}`,
      ),
    );
  }
}

/** `#{BuildVariables.X}` must name a variable the CodeBuild action's buildspec exports. */
function checkExportedVariables(
  doc: CheckedDocument,
  actions: ActionInfo[],
  buildspecs: Buildspecs,
  out: Diagnostic[],
): void {
  const exportedBy = new Map<string, { action: ActionInfo; spec: CheckedDocument; names: string[] }>();
  for (const a of actions) {
    if (a.provider !== 'CodeBuild' || !a.namespace) continue;
    const spec = buildspecFor(a, buildspecs);
    if (!spec || !isRecord(spec.value)) continue;
    const env = isRecord(spec.value.env) ? spec.value.env : {};
    exportedBy.set(a.namespace, { action: a, spec, names: asList(env['exported-variables']) });
  }
  if (exportedBy.size === 0) return;
  for (const a of actions) {
    for (const { ref, namespace, key, path, occurrence } of variableReferences(a)) {
      const producer = exportedBy.get(namespace);
      if (!producer || producer.names.includes(key)) continue;
      const guess = suggest(key, producer.names);
      out.push(
        at(
          doc,
          'cross/exported-variable',
          path,
          `${ref} in ${a.stageName}/${a.name} reads \`${key}\`, which ${producer.spec.file} does not list in env.exported-variables (has: ${producer.names.join(', ') || 'none'})`,
          guess ? `did you mean \`${guess}\`?` : `add ${key} to env.exported-variables`,
          { text: ref, occurrence },
        ),
      );
    }
  }
}
