import { join } from 'node:path';
import { packageRoot } from '../../core/paths.js';
import { DOCUMENT_KINDS } from '../../documents/kind.js';
import type { Command } from '../context.js';
import { FORMAT_USAGE, renderFindings } from '../report-format.js';
import { cacheOptions, DEFAULT_PATHS, parseValidateArgs, reportValidation } from '../validate-request.js';
import { WARNING_POLICY_USAGE } from '../verdict.js';

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
    const request = parseValidateArgs(args, ctx);
    const { paths, kind, revision, image, useDefaults } = request;
    // The cache is looked up before the parser, the validators and the rules are loaded: a hit needs none.
    const cache = request.cache ? await import('../validate-cache.js') : undefined;
    const cacheFile = cache?.cacheFile(ctx.cwd, request.cacheLocation);
    const found =
      cache && cacheFile
        ? await cache.lookup(cacheFile, paths, ctx.cwd, cacheOptions(request, ctx.cwd))
        : undefined;
    const key = found?.key;
    let result = found?.hit;
    // A hit by content hashes (or after a walk that found a folder changed): recorded again, so the next run
    // needs no hashing (or no walk).
    if (result && cache && cacheFile && found?.refresh && key)
      await cache.writeCache(cacheFile, { ...found, key }, result, found.refresh.probes);
    if (!result) {
      const { validateWithSources } = await import('../../synth/validate-sources.js');
      const probes = new Map<string, boolean>();
      result = await validateWithSources(paths, {
        cwd: ctx.cwd,
        ...(kind ? { kind } : {}),
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
    return reportValidation(result, request, ctx, args, renderFindings);
  },
};
export default command;
