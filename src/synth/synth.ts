/**
 * Synth in two halves, as changesets does it: `planSynth` loads, emits and validates with no
 * writes (pure over the loaded sources); `compareOutput` and `writeOutput` act on the plan.
 */
import { relative, sep } from 'node:path';
import { type CheckedDocument, checkCrossFile } from '../documents/cross-file.js';
import type { Severity } from '../documents/diagnostics.js';
import { parseSource } from '../documents/source.js';
import { validateRenderedJson } from '../documents/validate.js';
import {
  checkShape,
  createDeploymentConfigShape,
  pipelineDeclarationShape,
  type ShapeIssue,
} from './aws-shapes.js';
import { checkDeploymentConfig } from './deployment-config-rules.js';
import { type EmittedFile, emitDefinition } from './emit/outputs.js';
import { formatPath, parsePath, pathAt, positionOf } from './paths.js';
import { findPlaceholders } from './placeholders.js';
import { findSources, type LoadResult, loadSources, type Source } from './sources.js';
import { validateEmitted } from './validation.js';

/** A problem found while synthesizing, located in the source (position or logical path). */
export interface SynthDiagnostic {
  ruleId: string;
  severity: Severity;
  /** The source file, relative to the project root. */
  file: string;
  /** 1-based; 0 when the location is a logical path instead. */
  line: number;
  col: number;
  /** For TS sources: the export and the path inside the document, e.g. `default › stages[2].actions[0]`. */
  where?: string;
  message: string;
  /** The validator's suggestion (`did you mean ...`), when it has one. */
  hint?: string;
}

export interface PlannedFile extends EmittedFile {
  /** The source that defines it. */
  source: string;
}

export interface SynthPlan {
  files: PlannedFile[];
  diagnostics: SynthDiagnostic[];
  sourceCount: number;
}

export function formatSynthDiagnostic(d: SynthDiagnostic): string {
  const at = d.where ? `${d.file} › ${d.where}` : `${d.file}:${d.line}:${d.col}`;
  return `${at} ${d.severity} ${d.ruleId} ${d.message}${d.hint ? ` (${d.hint})` : ''}`;
}

export function hasSynthErrors(plan: SynthPlan): boolean {
  return plan.diagnostics.some((d) => d.severity === 'error');
}

export interface PlanOptions {
  /** Project root (sources are found under its pipelines/, appspec/, buildspec/). */
  root: string;
  /** Ctrl-C: loading stops (WorkFailedError) and leaves nothing behind. */
  signal?: AbortSignal;
  /** Only these source files (relative to root); default: every source. */
  files?: readonly string[];
  /** The sources of `files`, already being loaded (see the synth command: loading overlaps start-up). */
  loading?: Promise<LoadResult>;
  /** Called with each file as soon as it is planned (OutputStager starts writing while checks go on). */
  onPlanned?: (file: PlannedFile) => void;
}

/** Output paths stay inside the output folder and portable across file systems. */
const SAFE_PATH = /^[A-Za-z0-9._@-]+(\/[A-Za-z0-9._@-]+)*$/;

export async function planSynth(options: PlanOptions): Promise<SynthPlan> {
  const files = options.files ?? (await findSources(options.root));
  const { sources, problems } = await (options.loading ?? loadSources(options.root, files, options.signal));
  const diagnostics: SynthDiagnostic[] = problems.map((p) => ({
    ruleId: 'synth/source',
    severity: 'error',
    file: p.file,
    line: p.line,
    col: p.col,
    message: p.message,
  }));
  const planned: PlannedFile[] = [];
  const owners = new Map<string, PlannedFile>();
  for (const source of sources) {
    for (const { definition, exportName } of source.definitions) {
      let emitted: EmittedFile[];
      try {
        emitted = emitDefinition(definition, source.file);
      } catch (err) {
        diagnostics.push(
          sourceDiagnostic(source, exportName, 'synth/emit', `cannot emit: ${(err as Error).message}`),
        );
        continue;
      }
      for (const file of emitted) {
        if (!SAFE_PATH.test(file.path) || file.path.split('/').some((seg) => seg === '.' || seg === '..')) {
          diagnostics.push(
            sourceDiagnostic(
              source,
              exportName,
              'synth/emit',
              `${file.kind} name '${file.definition.name}' cannot name an output file (use letters, digits, '.', '_', '-', '@')`,
            ),
          );
          continue;
        }
        const existing = owners.get(file.path);
        if (existing) {
          // The same custom deployment config reached through two groups is one file, not a clash.
          if (existing.text === file.text && existing.kind === 'deployment-config') continue;
          diagnostics.push({
            ...sourceDiagnostic(source, exportName, 'synth/duplicate-output', ''),
            message: `${file.kind} '${file.definition.name}' emits ${file.path}, which ${existing.source} already emits (names must be unique per kind)`,
          });
          continue;
        }
        const item = { ...file, source: source.file };
        owners.set(file.path, item);
        planned.push(item);
        options.onPlanned?.(item);
        diagnostics.push(...(await checkFile(item, source, exportName)));
        for (const note of file.notes ?? []) {
          diagnostics.push({
            ...sourceDiagnostic(source, exportName, 'synth/iam-policy', note),
            severity: 'warning',
          });
        }
      }
    }
  }
  diagnostics.push(...crossFileChecks(planned, sources));
  planned.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files: planned, diagnostics: sortSynthDiagnostics(diagnostics), sourceCount: files.length };
}

function sortSynthDiagnostics(list: SynthDiagnostic[]): SynthDiagnostic[] {
  const key = (d: SynthDiagnostic) =>
    `${d.file}\u0000${String(d.line).padStart(8, '0')}\u0000${String(d.col).padStart(8, '0')}\u0000${d.where ?? ''}\u0000${d.ruleId}\u0000${d.message}`;
  return [...list].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function sourceDiagnostic(
  source: Source,
  exportName: string | undefined,
  ruleId: string,
  message: string,
): SynthDiagnostic {
  return {
    ruleId,
    severity: 'error',
    file: source.file,
    line: exportName ? 0 : 1,
    col: exportName ? 0 : 1,
    where: exportName,
    message,
  };
}

/** Locates a logical path inside the emitted document in the source. */
function locate(
  source: Source,
  file: PlannedFile,
  exportName: string | undefined,
  segments: (string | number)[],
) {
  // Pipeline files wrap the declaration in `{pipeline: ...}`; the builders' path starts inside it.
  const inner = file.kind === 'pipeline' && segments[0] === 'pipeline' ? segments.slice(1) : segments;
  if (source.format === 'document' && source.text !== undefined) {
    const sourceHasWrapper = file.kind === 'pipeline' && /^\s*"?pipeline"?\s*:/m.test(source.text);
    const pos = positionOf(source.text, sourceHasWrapper ? ['pipeline', ...inner] : inner);
    return { line: pos.line, col: pos.col };
  }
  const where = [exportName ?? 'default', formatPath(inner) || '(document)'].join(' › ');
  return { line: 0, col: 0, where };
}

async function checkFile(
  file: PlannedFile,
  source: Source,
  exportName: string | undefined,
): Promise<SynthDiagnostic[]> {
  const out: SynthDiagnostic[] = [];
  const fromIssues = (issues: ShapeIssue[], ruleId: string, prefix: string[]) => {
    for (const issue of issues) {
      const segments = issue.path === '(document)' ? [] : parsePath(issue.path);
      out.push({
        ruleId,
        severity: 'error',
        file: source.file,
        ...locate(source, file, exportName, [...prefix, ...segments]),
        message: `${issue.path === '(document)' ? '' : `${issue.path}: `}${issue.message}`,
      });
    }
  };
  if (file.kind === 'pipeline') {
    fromIssues(
      checkShape((file.document as { pipeline: unknown }).pipeline, pipelineDeclarationShape),
      'synth/aws-shape',
      [],
    );
  } else if (file.kind === 'deployment-config') {
    fromIssues(checkShape(file.document, createDeploymentConfigShape), 'synth/aws-shape', []);
    fromIssues(checkDeploymentConfig(file.document), 'synth/deployment-config', []);
  }
  if (file.kind !== 'iam-policy')
    for (const p of findPlaceholders(file.document)) {
      const shown = p.value.length > 60 ? `${p.value.slice(0, 57)}...` : p.value;
      out.push({
        ruleId: 'synth/placeholder',
        severity: 'error',
        file: source.file,
        ...locate(source, file, exportName, p.path),
        message: `${JSON.stringify(shown)} is ${p.why}, not a real value; AWS would receive it as written`,
        hint: 'fill in the real value (a secret: reference it from Secrets Manager or a connection instead)',
      });
    }
  // The validator's diagnostics (every `conveyor validate` rule): positions in the emitted text,
  // mapped back to the source (a document source is validated in place, so its positions are its own).
  const validated =
    source.format === 'document' && source.text !== undefined && file.kind !== 'deployment-config';
  if (!validated && file.kind === 'pipeline') {
    // Rendered by JSON.stringify: checked by path, which is what a TS source is located by anyway.
    for (const { diagnostic: d, path } of validateRenderedJson(file.text, file.path, 'pipeline')) {
      out.push({
        ruleId: d.ruleId,
        severity: d.severity,
        file: source.file,
        ...locate(source, file, exportName, [...path]),
        message: d.message,
        ...(d.hint ? { hint: d.hint } : {}),
      });
    }
    return out;
  }
  const diagnostics = validateEmitted(validated ? (source.text as string) : file.text, file.path, file.kind);
  for (const d of diagnostics) {
    if (validated) {
      out.push({
        ruleId: d.ruleId,
        severity: d.severity,
        file: source.file,
        line: d.line,
        col: d.col,
        message: d.message,
        ...(d.hint ? { hint: d.hint } : {}),
      });
    } else {
      const segments = d.line > 0 ? pathAt(file.text, d.line, d.col) : [];
      out.push({
        ruleId: d.ruleId,
        severity: d.severity,
        file: source.file,
        ...locate(source, file, exportName, segments),
        message: d.message,
        ...(d.hint ? { hint: d.hint } : {}),
      });
    }
  }
  return out;
}

/**
 * The validator's cross-file rules (a CodeBuild action's outputs against its buildspec, a CodeDeploy
 * input that must carry appspec.yml), run over the files one source defines together.
 */
function crossFileChecks(planned: PlannedFile[], sources: Source[]): SynthDiagnostic[] {
  const out: SynthDiagnostic[] = [];
  for (const source of sources) {
    const files = planned.filter(
      (f) => f.source === source.file && (f.kind === 'pipeline' || f.kind === 'buildspec'),
    );
    if (!files.some((f) => f.kind === 'pipeline') || !files.some((f) => f.kind === 'buildspec')) continue;
    const docs: CheckedDocument[] = files.map((f) => {
      const parsed = parseSource(f.text, f.path);
      return { file: f.path, kind: f.kind as 'pipeline' | 'buildspec', value: parsed.value, source: parsed };
    });
    for (const d of checkCrossFile(docs)) {
      const file = files.find((f) => f.path === d.file);
      if (!file) continue;
      const exportName = source.definitions.find((x) => x.definition === file.definition)?.exportName;
      const segments = d.line > 0 ? pathAt(file.text, d.line, d.col) : [];
      out.push({
        ruleId: d.ruleId,
        severity: d.severity,
        file: source.file,
        ...locate(source, file, exportName, segments),
        message: d.message,
        ...(d.hint ? { hint: d.hint } : {}),
      });
    }
  }
  return out;
}

export function relativeOut(root: string, outDir: string): string {
  const rel = relative(root, outDir);
  return rel === '' ? '.' : rel.split(sep).join('/');
}
