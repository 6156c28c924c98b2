import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { packageRoot } from '../../core/paths.js';
import { CODEBUILD_IMAGES, runtimesOfImage } from '../../documents/buildspec/runtimes.js';
import { formatSourceDiagnostic } from '../../documents/diagnostics.js';
import { DOCUMENT_KINDS, type DocumentKind } from '../../documents/kind.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../context.js';
import { FORMAT_OPTIONS, FORMAT_USAGE, renderFindings, resolveFormat } from '../report-format.js';
import { didYouMean } from '../suggest.js';
import { judge, parseWarningPolicy, WARNING_POLICY_OPTIONS, WARNING_POLICY_USAGE } from '../verdict.js';

export const DEFAULT_PATHS = ['appspec', 'buildspec', 'pipelines'];

const usage = `Usage: conveyor validate [PATH...] [--kind KIND] [--revision DIR] [--image IMAGE] [--strict] [--max-warnings N] [--format F | --json] [--cache]

Validate buildspec, appspec, pipeline and deployment-group files. Folders are walked; each file's
kind is detected from its name and content. Default paths: ${DEFAULT_PATHS.join('/ ')}/
TS definition sources (.ts/.mts files given, or under pipelines/ appspec/ buildspec/ in folders)
are loaded and checked as \`conveyor synth\` does, without writing anything.

Options:
  --kind KIND       treat every file as KIND: ${DOCUMENT_KINDS.join(' | ')}
  --revision DIR    check AppSpec files sources and hook scripts exist in this revision folder
  --image IMAGE     the CodeBuild image buildspecs run on (aws/codebuild/standard:7.0, ...): runtime
                    versions it lacks are errors (without it: names no image knows are errors,
                    versions no image has are warnings)
${WARNING_POLICY_USAGE}
${FORMAT_USAGE} ({files, diagnostics, summary})
  --cache           reuse the last result when no document, option or Conveyor version changed
                    (kept in .conveyor/cache/validate.json; runs with TS sources are not cached)
  --cache-location P  where the cache lives (a file, or a folder for validate.json); implies --cache

Output: one line per problem, \`file:line:col severity rule-id message\`, sorted.
Exit codes: 0 valid (warnings allowed unless --strict or --max-warnings), 1 errors found (or too
many warnings), 2 usage error (bad option, missing path, no documents found).`;

const command: Command = {
  summary: 'Validate buildspec, appspec, pipeline and deployment-group files',
  usage,
  async run(args, ctx) {
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
    const kind = values.kind as string | undefined;
    if (kind !== undefined && !(DOCUMENT_KINDS as readonly string[]).includes(kind)) {
      throw new UsageError(
        `unknown kind '${kind}'; allowed: ${DOCUMENT_KINDS.join(', ')}`,
        didYouMean(kind, DOCUMENT_KINDS),
      );
    }
    const revision = values.revision as string | undefined;
    if (
      revision !== undefined &&
      !statSync(resolve(ctx.cwd, revision), { throwIfNoEntry: false })?.isDirectory()
    )
      throw new UsageError(`revision folder ${revision} does not exist or is not a folder`);
    const image = values.image as string | undefined;
    if (image !== undefined && !runtimesOfImage(image))
      throw new UsageError(
        `unknown CodeBuild image '${image}'; runtime-versions can be checked against: ${CODEBUILD_IMAGES.join(', ')}`,
        'custom images do not support runtime-versions; leave --image out to check against every current image',
      );
    const useDefaults = positionals.length === 0;
    const paths = useDefaults ? DEFAULT_PATHS : positionals;
    const cacheLocation = values['cache-location'] as string | undefined;
    // The cache is looked up before the parser, the validators and the rules are loaded: a hit needs none.
    const cache =
      values.cache || cacheLocation !== undefined ? await import('../validate-cache.js') : undefined;
    const cacheFile = cache?.cacheFile(ctx.cwd, cacheLocation);
    const found =
      cache && cacheFile
        ? await cache.lookup(cacheFile, paths, ctx.cwd, {
            kind: kind ?? null,
            revision: revision === undefined ? null : resolve(ctx.cwd, revision),
            image: image ?? null,
            optional: useDefaults,
          })
        : undefined;
    const key = found?.key;
    let result = found?.hit;
    // A hit by content hashes: recorded again with today's stamp, so the next run needs no hashing.
    if (result && cache && cacheFile && found?.refresh && key)
      await cache.writeCache(cacheFile, { ...found, key }, result, found.refresh.probes);
    if (!result) {
      const { validateWithSources } = await import('../../synth/validate-sources.js');
      const probes = new Map<string, boolean>();
      result = await validateWithSources(paths, {
        cwd: ctx.cwd,
        ...(kind ? { kind: kind as DocumentKind } : {}),
        ...(revision ? { revisionDir: revision } : {}),
        ...(image ? { codebuildImage: image } : {}),
        ...(cache && key ? { probes } : {}),
        // The deploy core's checks (TypeBox, the CodeDeploy mapping): loaded only for a deployment-group file.
        loadGroupChecks: async () =>
          (await import('../../deploy/codedeploy-preview.js')).codeDeployGroupFindings,
        // Large sets on worker threads: the same checks, the same output (validate-worker.ts). The pool, and
        // node:worker_threads with it, load only for a set that large.
        parallel: {
          check: async (jobs, textOpts, probes, loadGroupChecks) =>
            (await import('../../documents/validate-pool.js')).workerPool(
              join(packageRoot, 'dist/cli/validate-worker.js'),
            )(jobs, textOpts, probes, loadGroupChecks),
        },
        optional: useDefaults,
        signal: ctx.signal,
      });
      if (cache && cacheFile && found && key)
        await cache.writeCache(cacheFile, { ...found, key }, result, probes);
    }
    const count = (s: string) => result.diagnostics.filter((d) => d.severity === s).length;
    const errors = count('error');
    const warnings = count('warning');
    const verdict = judge({ errors, warnings }, policy);
    const summary = {
      files: result.files.length,
      errors,
      warnings,
      infos: count('info'),
      valid: errors === 0,
      /** Why the command exits 1: `errors`, or `strict` / `max-warnings` for warnings; null when it passes. */
      failedBy: verdict.failedBy ?? null,
    };
    if (format === 'json') {
      ctx.stdout.write(
        `${JSON.stringify({ files: result.files, diagnostics: result.diagnostics, summary }, null, 2)}\n`,
      );
    } else {
      if (format === 'text') {
        // One write: a line per write costs a system call each on a large run.
        if (result.diagnostics.length > 0)
          ctx.stdout.write(`${result.diagnostics.map(formatSourceDiagnostic).join('\n')}\n`);
      } else
        ctx.stdout.write(
          await renderFindings(format, { diagnostics: result.diagnostics, exitCode: verdict.exitCode, args }),
        );
      const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
      ctx.stderr.write(
        `${plural(summary.files, 'file')} checked: ${plural(summary.errors, 'error')}, ${plural(summary.warnings, 'warning')}\n`,
      );
      if (verdict.reason) ctx.stderr.write(`${verdict.reason}\n`);
    }
    return verdict.exitCode;
  },
};
export default command;
