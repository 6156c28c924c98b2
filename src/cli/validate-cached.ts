/**
 * `conveyor validate --cache` answered before the CLI loads, when nothing changed since the cached run: the
 * binary (main.ts) asks this module first. Bundled alone into dist/cli/validate-cached.js (scripts/bundle.ts),
 * with only what such an answer needs: the arguments, the cache's stamp check (no folder read, no file
 * hashed) and the report. An unchanged repository is the common case in an editor or a pre-commit hook, and
 * there the CLI's own start-up (its command table, the command's module graph) cost more than the answer.
 *
 * Anything else (a miss, --help, a CI format, a bad argument) returns undefined and the binary runs the CLI
 * as usual, which reports it: this path never prints an error of its own.
 */
import { ExitCode } from '../core/exit-codes.js';
import { processOutputs } from './process-io.js';
import { cachedResult, cacheFile } from './validate-cache.js';
import { cacheOptions, parseValidateArgs, reportValidation } from './validate-request.js';

/** The exit code of `conveyor validate ARGS` answered from the cache, or undefined to run the CLI. */
export async function answerFromCache(args: string[]): Promise<number | undefined> {
  if (args.includes('--help') || args.includes('-h')) return undefined;
  try {
    const cwd = process.cwd();
    let closed = false;
    const outputs = processOutputs(() => {
      closed = true;
    });
    const request = parseValidateArgs(args, { cwd, env: process.env, stdout: outputs.stdout });
    if (!request.cache || (request.format !== 'text' && request.format !== 'json')) return undefined;
    const run = cachedResult(
      cacheFile(cwd, request.cacheLocation),
      request.paths,
      cwd,
      cacheOptions(request, cwd),
    );
    if (!run) return undefined;
    const code = await reportValidation(run, request, outputs, args);
    return closed ? ExitCode.OutputClosed : code;
  } catch {
    // Whatever went wrong is the CLI's to report.
    return undefined;
  }
}
