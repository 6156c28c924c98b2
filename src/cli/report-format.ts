/**
 * `--format text|json|github|sarif` (and `--json`, kept as `--format json`) for the commands that report
 * diagnostics (validate, synth --check). The renderers for CI formats live in `formats/` and load only when
 * asked for, so plain `conveyor validate` starts as lean as before.
 */
import { UsageError } from '../core/errors.js';
import type { CliContext } from './context.js';
import type { FindingsRun } from './formats/findings.js';

export const REPORT_FORMATS = ['text', 'json', 'github', 'sarif'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** The parseArgs options shared by commands that take an output format. */
export const FORMAT_OPTIONS = {
  format: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

export const FORMAT_USAGE = `  --format F        text | json | github (workflow commands: pull-request annotations) | sarif (SARIF
                    2.1.0); default text, or github when GITHUB_ACTIONS=true and stdout is not a terminal
  --json            the same as --format json`;

/**
 * The format asked for: `--format` (or `--json`) wins; otherwise GitHub Actions (GITHUB_ACTIONS=true)
 * gets workflow commands when stdout is not a terminal, and everyone else text.
 */
export function resolveFormat(
  values: { format?: string; json?: boolean },
  ctx: Pick<CliContext, 'env' | 'stdout'>,
): ReportFormat {
  const asked = values.format;
  if (asked !== undefined) {
    if (!(REPORT_FORMATS as readonly string[]).includes(asked))
      throw new UsageError(`unknown format '${asked}'; allowed: ${REPORT_FORMATS.join(', ')}`);
    if (values.json && asked !== 'json')
      throw new UsageError(`--json and --format ${asked} ask for two formats; pass one`);
    return asked as ReportFormat;
  }
  if (values.json) return 'json';
  if (ctx.env.GITHUB_ACTIONS === 'true' && !ctx.stdout.isTTY) return 'github';
  return 'text';
}

/** Renders findings as GitHub workflow commands or a SARIF log (the renderer is loaded on demand). */
export async function renderFindings(format: 'github' | 'sarif', run: FindingsRun): Promise<string> {
  if (format === 'github') {
    const { renderGithub } = await import('./formats/github.js');
    return renderGithub(run.diagnostics);
  }
  const { renderSarif } = await import('./formats/sarif.js');
  return `${JSON.stringify(renderSarif(run), null, 2)}\n`;
}
