/**
 * Finding and loading definition sources. A source is a TS module or a YAML/JSON document under
 * `pipelines/`, `appspec/` or `buildspec/`. Loading never throws for a user's mistake: a source that
 * fails becomes a SourceProblem naming the file and why.
 */
import { basename, dirname, extname, join } from 'node:path';
import { glob } from 'tinyglobby';
import { isMap, LineCounter, parseDocument } from 'yaml';
import { readTextFileAsync } from '../core/files.js';
import { checkSourceText } from '../documents/source-text.js';
import { brand, type Definition, type DefinitionKind, isDefinition } from './definition.js';
import { loadTsModules, type TsLoadResult } from './ts-loader.js';

export const SOURCE_FOLDERS = ['pipelines', 'appspec', 'buildspec'] as const;
export type SourceFolder = (typeof SOURCE_FOLDERS)[number];

const TS_EXTENSIONS = new Set(['.ts', '.mts']);
const DOC_EXTENSIONS = new Set(['.yml', '.yaml', '.json']);

/** Which kinds a folder may hold: appspec/ only appspecs, buildspec/ only buildspecs, pipelines/ anything. */
const FOLDER_KINDS: Record<SourceFolder, readonly DefinitionKind[]> = {
  appspec: ['appspec'],
  buildspec: ['buildspec'],
  pipelines: ['pipeline', 'deployment-group', 'deployment-config', 'appspec', 'buildspec'],
};

export interface LoadedDefinition {
  definition: Definition;
  /** Export that held it (`default`, `web`, `default[1]`); absent for YAML sources. */
  exportName?: string;
}

export interface Source {
  /** Path relative to the project root, `/`-separated: how every message names the source. */
  file: string;
  format: 'ts' | 'document';
  /** The text of a document source, for positions in diagnostics. */
  text?: string;
  definitions: LoadedDefinition[];
}

export interface SourceProblem {
  file: string;
  line: number;
  col: number;
  message: string;
}

/** Every source file under the folders, sorted. Files and folders starting with `_` are helpers, not sources. */
export async function findSources(
  root: string,
  folders: readonly string[] = SOURCE_FOLDERS,
): Promise<string[]> {
  const patterns = folders.map((f) => `${f}/**/*.{ts,mts,yml,yaml,json}`);
  const files = await glob(patterns, {
    cwd: root,
    onlyFiles: true,
    ignore: ['**/node_modules/**', '**/*.d.ts'],
  });
  return files
    .filter(
      (f) => !f.split('/').some((segment) => segment.startsWith('_')) && !/\.(test|spec)\.m?ts$/.test(f),
    )
    .sort();
}

export interface LoadResult {
  sources: Source[];
  problems: SourceProblem[];
}

export async function loadSources(
  root: string,
  files: readonly string[],
  signal?: AbortSignal,
): Promise<LoadResult> {
  const sources: Source[] = [];
  const problems: SourceProblem[] = [];
  const tsFiles = files.filter((f) => TS_EXTENSIONS.has(extname(f)));
  // esbuild is imported only when there is a TS source.
  const modules = tsFiles.length
    ? await loadTsModules(root, tsFiles, signal)
    : new Map<string, TsLoadResult>();
  for (const file of files) {
    const folder = file.split('/')[0] as SourceFolder;
    const ext = extname(file);
    let result: { source: Source } | { problem: SourceProblem } | undefined;
    if (TS_EXTENSIONS.has(ext)) {
      const loaded = modules.get(file);
      result = !loaded
        ? problem(file, 'was not loaded (internal error)')
        : 'module' in loaded
          ? tsSource(loaded.module, file, folder)
          : problem(file, loaded.message, loaded.line, loaded.col);
    } else if (DOC_EXTENSIONS.has(ext)) {
      result = await loadDocumentSource(root, file, folder);
    }
    if (!result) continue;
    if ('problem' in result) problems.push(result.problem);
    else sources.push(result.source);
  }
  return { sources, problems };
}

function problem(file: string, message: string, line = 0, col = 0): { problem: SourceProblem } {
  return { problem: { file, line, col, message } };
}

function allowedKinds(folder: SourceFolder): readonly DefinitionKind[] {
  return FOLDER_KINDS[folder] ?? FOLDER_KINDS.pipelines;
}

function tsSource(
  loaded: Record<string, unknown>,
  file: string,
  folder: SourceFolder,
): { source: Source } | { problem: SourceProblem } {
  const mod = moduleExports(loaded);
  const definitions: LoadedDefinition[] = [];
  const wrong: string[] = [];
  // Sorted export names: the output never depends on how a module orders its exports.
  for (const exportName of Object.keys(mod).sort()) {
    const value = mod[exportName];
    const items = Array.isArray(value)
      ? value.map((v, i) => [`${exportName}[${i}]`, v] as const)
      : [[exportName, value] as const];
    for (const [name, item] of items) {
      if (!isDefinition(item)) {
        wrong.push(`'${name}' is ${describeValue(item)}, not a definition`);
        continue;
      }
      if (!allowedKinds(folder).includes(item.kind)) {
        wrong.push(
          `'${name}' is a ${item.kind} definition; ${folder}/ holds only ${allowedKinds(folder).join(', ')} definitions`,
        );
        continue;
      }
      definitions.push({ definition: item, exportName: name });
    }
  }
  if (wrong.length) {
    return problem(
      file,
      `${wrong.join('; ')} (every export of a source must be a definition made by a define* builder, or an array of them; put helpers in a file whose name starts with '_')`,
    );
  }
  if (definitions.length === 0) {
    return problem(
      file,
      'exports no definition (export default definePipeline(...), or named exports of definitions)',
    );
  }
  return { source: { file, format: 'ts', definitions } };
}

/**
 * A TS source in a CommonJS package reaches us through Node's CJS interop: the namespace's
 * `default` is the whole `module.exports` (marked `__esModule` by the compiler). Unwrap it so both
 * module systems follow the same export rule.
 */
function moduleExports(mod: Record<string, unknown>): Record<string, unknown> {
  const inner = mod.default as Record<string, unknown> | undefined;
  if (
    inner &&
    typeof inner === 'object' &&
    !Array.isArray(inner) &&
    !isDefinition(inner) &&
    inner.__esModule === true
  ) {
    const { __esModule: _marker, ...rest } = inner;
    return rest;
  }
  const { 'module.exports': _cjs, ...rest } = mod;
  return rest;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'a plain object' : `a ${typeof value}`;
}

/** The name a document source emits under: its stem, or its folder when the stem is the kind's own file name. */
function documentName(file: string): string {
  const stem = basename(file, extname(file));
  if (['appspec', 'buildspec', 'pipeline', 'deployment-group'].includes(stem)) {
    const parent = basename(dirname(file));
    if (!SOURCE_FOLDERS.includes(parent as SourceFolder)) return parent;
  }
  return stem;
}

async function loadDocumentSource(
  root: string,
  file: string,
  folder: SourceFolder,
): Promise<{ source: Source } | { problem: SourceProblem }> {
  const text = await readTextFileAsync(join(root, file));
  const refused = checkSourceText(text, file);
  if (refused) return problem(file, refused.message, refused.line, refused.col);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const pos = first?.pos?.[0] !== undefined ? lineCounter.linePos(first.pos[0]) : { line: 0, col: 0 };
    return problem(
      file,
      `YAML syntax error: ${first?.message.split('\n')[0] ?? 'unreadable document'}`,
      pos.line,
      pos.col,
    );
  }
  const value = doc.toJS() as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !isMap(doc.contents)) {
    return problem(file, 'expected a mapping at the top level', 1, 1);
  }
  const record = value as Record<string, unknown>;
  const kind = documentKind(folder, record);
  if (!kind) {
    return problem(
      file,
      'cannot tell what this document is: expected an appspec (under appspec/), a buildspec (under buildspec/), or under pipelines/ a pipeline (`pipeline:` or `stages:`), a deployment group (`application:` + `deploymentGroup:`) or a deployment config (`deploymentConfigName:`)',
      1,
      1,
    );
  }
  const name = documentName(file);
  const definition = documentDefinition(kind, name, record);
  return { source: { file, format: 'document', text, definitions: [{ definition }] } };
}

function documentKind(folder: SourceFolder, doc: Record<string, unknown>): DefinitionKind | undefined {
  if (folder === 'appspec') return 'appspec';
  if (folder === 'buildspec') return 'buildspec';
  if ('pipeline' in doc || 'stages' in doc) return 'pipeline';
  if ('deploymentConfigName' in doc) return 'deployment-config';
  if ('application' in doc && 'deploymentGroup' in doc) return 'deployment-group';
  if ('phases' in doc) return 'buildspec';
  if ('hooks' in doc || 'Resources' in doc || 'resources' in doc || 'os' in doc) return 'appspec';
  return undefined;
}

/** Wraps a parsed document as a definition. Pipeline documents drop get-pipeline's `metadata`. */
export function documentDefinition(
  kind: DefinitionKind,
  name: string,
  doc: Record<string, unknown>,
): Definition {
  switch (kind) {
    case 'pipeline': {
      const pipeline = ('pipeline' in doc ? doc.pipeline : doc) as Record<string, unknown>;
      const pipelineName = typeof pipeline?.name === 'string' ? pipeline.name : name;
      return brand({ kind, name: pipelineName, document: pipeline as never });
    }
    case 'appspec': {
      const resources = (doc.Resources ?? doc.resources) as unknown;
      const first = Array.isArray(resources)
        ? (resources[0] as Record<string, unknown> | undefined)
        : undefined;
      const platform = !first
        ? 'server'
        : 'TargetService' in first || 'targetService' in first
          ? 'ecs'
          : 'lambda';
      return brand({ kind, name, platform, document: doc as never });
    }
    case 'deployment-config': {
      const configName = typeof doc.deploymentConfigName === 'string' ? doc.deploymentConfigName : name;
      return brand({ kind, name: configName, document: doc as never });
    }
    case 'deployment-group': {
      return brand({
        kind,
        name: `${String(doc.application)}.${String(doc.deploymentGroup)}`,
        document: doc as never,
      });
    }
    default:
      return brand({ kind, name, document: doc as never });
  }
}
