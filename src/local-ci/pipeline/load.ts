import { existsSync, readdirSync } from 'node:fs';
import { extname, join, relative, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { errorMessage } from '../../core/errors.js';
import { NotUtf8Error, readTextFileAsync } from '../../core/files.js';
import type { Diagnostic } from '../../documents/diagnostics.js';
import { checkSourceText, notUtf8 } from '../../documents/source-text.js';
import type { PipelineDeclaration } from './model.js';

export interface LoadedPipeline {
  pipeline?: PipelineDeclaration;
  file?: string;
  diagnostics: Diagnostic[];
}

const extensions = ['.json', '.yml', '.yaml'];

/** Folders searched for a pipeline given by name: YAML/JSON sources first, then `conveyor synth` output. */
export function pipelineFolders(root: string): string[] {
  return ['pipelines', join('conveyor.out', 'pipelines'), join('dist', 'pipelines'), 'dist'].map((d) =>
    join(root, d),
  );
}

/**
 * Finds a pipeline: a file path, or a name looked up as `<folder>/<name>.{json,yml,yaml}` and then as the
 * `name` inside each definition file of those folders.
 */
export async function findPipelineFile(root: string, nameOrPath: string): Promise<string | undefined> {
  const direct = resolve(root, nameOrPath);
  if (extensions.includes(extname(nameOrPath)) && existsSync(direct)) return direct;
  for (const dir of pipelineFolders(root)) {
    for (const ext of extensions) {
      const f = join(dir, `${nameOrPath}${ext}`);
      if (existsSync(f)) return f;
    }
  }
  for (const file of listPipelineFiles(root)) {
    const loaded = await loadPipelineFile(file, file);
    if (loaded.pipeline?.name === nameOrPath) return file;
  }
  return undefined;
}

/** Every definition file in the pipeline folders (not recursive). */
export function listPipelineFiles(root: string): string[] {
  const out: string[] = [];
  for (const dir of pipelineFolders(root)) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      if (extensions.includes(extname(name))) out.push(join(dir, name));
    }
  }
  return out;
}

/**
 * Reads a pipeline definition. With `validate`, the project's validator (as `conveyor validate`) checks it too;
 * errors about what only AWS needs (an artifact store, a service role) become warnings for a local run.
 */
export async function loadPipelineFile(
  file: string,
  display = file,
  options: { validate?: boolean } = {},
): Promise<LoadedPipeline> {
  let text: string;
  try {
    text = await readTextFileAsync(file);
  } catch (err) {
    if (err instanceof NotUtf8Error) return { diagnostics: [notUtf8(display, err)] };
    return {
      diagnostics: [
        {
          ruleId: 'pipeline/file-not-found',
          severity: 'error',
          file: display,
          line: 0,
          col: 0,
          message: `cannot read ${display}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'ENOENT' : errorMessage(err)}`,
        },
      ],
    };
  }
  // The same size/binary/empty refusals as build and validate, before any parsing (a huge file fails at once).
  const refused = checkSourceText(text, display);
  if (refused) return { diagnostics: [refused] };
  const parsed = parsePipeline(text, display, file);
  if (!parsed.pipeline || !options.validate) return parsed;
  const validateText = await sharedValidator();
  const diagnostics = validateText(text, display, { kind: 'pipeline' }).diagnostics.map((d) =>
    d.severity === 'error' && awsOnly(d)
      ? { ...d, severity: 'warning' as const, message: `${d.message} (needed on AWS, not for a local run)` }
      : d,
  );
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  return { ...parsed, diagnostics };
}

function awsOnly(d: Diagnostic): boolean {
  return (
    d.ruleId === 'pipeline/artifact-store' ||
    (d.ruleId === 'pipeline/missing-key' && d.message.includes('`roleArn`'))
  );
}

async function sharedValidator(): Promise<ValidateText> {
  return (await import('../../documents/validate.js')).validateText;
}

type ValidateText = (
  text: string,
  file: string,
  options: { kind: 'pipeline' },
) => { diagnostics: Diagnostic[] };

export function parsePipeline(text: string, display: string, file?: string): LoadedPipeline {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) {
    return {
      diagnostics: doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return {
          ruleId: 'pipeline/syntax',
          severity: 'error' as const,
          file: display,
          line: pos.line,
          col: pos.col,
          message: e.message.split('\n')[0] ?? e.message,
        };
      }),
    };
  }
  const value = doc.toJS() as Record<string, unknown> | null;
  // create-pipeline input wraps the declaration in { pipeline: {...} }; get-pipeline output adds metadata.
  const declaration = (value && typeof value === 'object' && 'pipeline' in value ? value.pipeline : value) as
    | PipelineDeclaration
    | undefined;
  const problems: string[] = [];
  if (!declaration || typeof declaration !== 'object')
    problems.push('the file holds no pipeline declaration');
  else {
    if (typeof declaration.name !== 'string') problems.push('pipeline.name is required');
    if (!Array.isArray(declaration.stages) || declaration.stages.length === 0)
      problems.push('pipeline.stages is required');
    else {
      declaration.stages.forEach((s, i) => {
        if (!s || typeof s.name !== 'string') problems.push(`stages[${i}].name is required`);
        if (!Array.isArray(s?.actions) || s.actions.length === 0)
          problems.push(`stage ${s?.name ?? i}: actions are required`);
        else
          s.actions.forEach((a, j) => {
            if (!a || typeof a.name !== 'string')
              problems.push(`stage ${s.name} actions[${j}].name is required`);
            else if (!a.actionTypeId?.provider || !a.actionTypeId.category) {
              problems.push(
                `action ${s.name}/${a.name}: actionTypeId with category and provider is required`,
              );
            }
          });
      });
    }
  }
  if (problems.length > 0) {
    return {
      diagnostics: problems.map((message) => ({
        ruleId: 'pipeline/structure',
        severity: 'error' as const,
        file: display,
        line: 1,
        col: 1,
        message,
      })),
    };
  }
  return { pipeline: declaration, ...(file ? { file } : {}), diagnostics: [] };
}

export function displayPath(root: string, file: string): string {
  const rel = relative(root, file);
  return rel.startsWith('..') ? file : rel;
}
