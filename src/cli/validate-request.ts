/**
 * `conveyor validate`'s arguments and report, shared by the command (commands/validate.ts) and by the
 * binary's cached-answer path (validate-cached.ts), so a result read from the cache prints exactly as the
 * command would print it. Only what both need lives here: no parser, no validator, no CI renderer.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { CODEBUILD_IMAGES, runtimesOfImage } from '../documents/buildspec/runtimes.js';
import { formatSourceDiagnostic } from '../documents/diagnostics.js';
import { DOCUMENT_KINDS, type DocumentKind } from '../documents/kind.js';
import { parseCommandArgs } from './args.js';
import type { CliContext } from './context.js';
import type { FindingsRun, ReportedDiagnostic } from './formats/findings.js';
import { FORMAT_OPTIONS, type ReportFormat, resolveFormat } from './report-format.js';
import { didYouMean } from './suggest.js';
import { judge, parseWarningPolicy, WARNING_POLICY_OPTIONS, type WarningPolicy } from './verdict.js';

export const DEFAULT_PATHS = ['appspec', 'buildspec', 'pipelines'];

export interface ValidateRequest {
  paths: string[];
  /** No path given: the default folders, any of which may be absent. */
  useDefaults: boolean;
  kind?: DocumentKind;
  revision?: string;
  image?: string;
  policy: WarningPolicy;
  format: ReportFormat;
  /** Whether to use the cache, and where it lives (undefined: the default location). */
  cache: boolean;
  cacheLocation?: string;
}

/** Parses and checks the command's arguments; throws UsageError as the command reports them. */
export function parseValidateArgs(
  args: string[],
  ctx: Pick<CliContext, 'cwd' | 'env' | 'stdout'>,
): ValidateRequest {
  const { values, positionals } = parseCommandArgs({
    args,
    options: {
      kind: { type: 'string' },
      revision: { type: 'string' },
      image: { type: 'string' },
      ...FORMAT_OPTIONS,
      ...WARNING_POLICY_OPTIONS,
      cache: { type: 'boolean', default: false },
      'cache-location': { type: 'string' },
    },
    allowPositionals: true,
  });
  const policy = parseWarningPolicy(values);
  const format = resolveFormat(values, ctx);
  const kind = values.kind;
  if (kind !== undefined && !(DOCUMENT_KINDS as readonly string[]).includes(kind)) {
    throw new UsageError(
      `unknown kind '${kind}'; allowed: ${DOCUMENT_KINDS.join(', ')}`,
      didYouMean(kind, DOCUMENT_KINDS),
    );
  }
  const revision = values.revision;
  if (
    revision !== undefined &&
    !statSync(resolve(ctx.cwd, revision), { throwIfNoEntry: false })?.isDirectory()
  )
    throw new UsageError(`revision folder ${revision} does not exist or is not a folder`);
  const image = values.image;
  if (image !== undefined && !runtimesOfImage(image))
    throw new UsageError(
      `unknown CodeBuild image '${image}'; runtime-versions can be checked against: ${CODEBUILD_IMAGES.join(', ')}`,
      'custom images do not support runtime-versions; leave --image out to check against every current image',
    );
  const useDefaults = positionals.length === 0;
  const cacheLocation = values['cache-location'];
  return {
    paths: useDefaults ? DEFAULT_PATHS : positionals,
    useDefaults,
    ...(kind !== undefined ? { kind: kind as DocumentKind } : {}),
    ...(revision !== undefined ? { revision } : {}),
    ...(image !== undefined ? { image } : {}),
    policy,
    format,
    cache: values.cache === true || cacheLocation !== undefined,
    ...(cacheLocation !== undefined ? { cacheLocation } : {}),
  };
}

/** The options the cache key holds (every one that changes the result). */
export function cacheOptions(request: ValidateRequest, cwd: string): Record<string, unknown> {
  return {
    kind: request.kind ?? null,
    revision: request.revision === undefined ? null : resolve(cwd, request.revision),
    image: request.image ?? null,
    optional: request.useDefaults,
  };
}

export interface ValidationResult {
  files: string[];
  diagnostics: ReportedDiagnostic[];
}

/**
 * Prints the result in the format asked for and returns the exit code. `render` writes the CI formats
 * (github, sarif); without it only text and json can be asked for.
 */
export async function reportValidation(
  result: ValidationResult,
  request: ValidateRequest,
  ctx: Pick<CliContext, 'stdout' | 'stderr'>,
  args: string[],
  render?: (format: 'github' | 'sarif', run: FindingsRun) => Promise<string>,
): Promise<number> {
  const count = (s: string) => result.diagnostics.filter((d) => d.severity === s).length;
  const errors = count('error');
  const warnings = count('warning');
  const verdict = judge({ errors, warnings }, request.policy);
  const summary = {
    files: result.files.length,
    errors,
    warnings,
    infos: count('info'),
    valid: errors === 0,
    /** Why the command exits 1: `errors`, or `strict` / `max-warnings` for warnings; null when it passes. */
    failedBy: verdict.failedBy ?? null,
  };
  const { format } = request;
  if (format === 'json') {
    ctx.stdout.write(
      `${JSON.stringify({ files: result.files, diagnostics: result.diagnostics, summary }, null, 2)}\n`,
    );
    return verdict.exitCode;
  }
  if (format === 'text') {
    // One write: a line per write costs a system call each on a large run.
    if (result.diagnostics.length > 0)
      ctx.stdout.write(`${result.diagnostics.map(formatSourceDiagnostic).join('\n')}\n`);
  } else {
    if (!render) throw new Error(`no renderer for --format ${format}`);
    ctx.stdout.write(
      await render(format, { diagnostics: result.diagnostics, exitCode: verdict.exitCode, args }),
    );
  }
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  ctx.stderr.write(
    `${plural(summary.files, 'file')} checked: ${plural(summary.errors, 'error')}, ${plural(summary.warnings, 'warning')}\n`,
  );
  if (verdict.reason) ctx.stderr.write(`${verdict.reason}\n`);
  return verdict.exitCode;
}
