import { isAbsolute, resolve } from 'node:path';
import { errorMessage, UsageError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import type { OutputComparison } from '../../synth/output.js';
import { findSources, loadSources } from '../../synth/sources.js';
import type { SynthDiagnostic } from '../../synth/synth.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../context.js';
import { FORMAT_OPTIONS, FORMAT_USAGE, renderFindings, resolveFormat } from '../report-format.js';
import { judge, parseWarningPolicy, WARNING_POLICY_OPTIONS, WARNING_POLICY_USAGE } from '../verdict.js';

export const DEFAULT_OUT = 'conveyor.out';

const usage = `Usage: conveyor synth [--out DIR] [--check [--diff] [--strict] [--max-warnings N] [--format F]] [--json]

Loads every definition source under pipelines/, appspec/ and buildspec/ (TS modules or YAML/JSON
documents), validates it, and writes the files AWS consumes to DIR (default: ${DEFAULT_OUT}/):
  apps/<name>/appspec.yml (EC2) or appspec.yaml (ECS, Lambda)
  builds/<name>/buildspec.yml
  pipelines/<name>.json                 create-pipeline input ({"pipeline": ...})
  pipelines/<name>.iam-policy.json      least-privilege policy for the pipeline's service role
  deployment-configs/<name>.json        create-deployment-config input
  deployment-groups/<app>.<group>.yml   conveyor deploy --config file
  deployment-groups/<app>.<group>.iam-policy.json   the runner's policy for cloudwatch checks
The output folder is owned by synth: it is replaced as a whole, and nothing is written on any error.

Options:
  --out DIR   output folder (default ${DEFAULT_OUT})
  --check     write nothing; exit 1 listing every file that would change, be added or be removed
  --diff      with --check (implies it): also print a unified diff of those changes
  --json      machine-readable result on stdout
With --check:
${WARNING_POLICY_USAGE}
${FORMAT_USAGE.replace('  --json            the same as --format json', '')}

Exit codes: 0 done (or up to date with --check); 1 invalid definitions, or --check found changes;
2 a source cannot be loaded (throws, exports no or the wrong definition, YAML syntax error),
two sources emit the same file, or the output folder cannot be written.`;

/** Problems with the sources themselves (not with what they define) are configuration errors. */
const CONFIG_RULES = new Set(['synth/source', 'synth/duplicate-output', 'synth/emit']);

const command: Command = {
  summary: 'Build every definition into the files AWS consumes',
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs({
      args,
      options: {
        out: { type: 'string' },
        check: { type: 'boolean', default: false },
        diff: { type: 'boolean', default: false },
        ...FORMAT_OPTIONS,
        ...WARNING_POLICY_OPTIONS,
      },
      allowPositionals: true,
    });
    if (positionals.length > 0)
      throw new UsageError(
        `unexpected argument '${positionals[0]}'`,
        'synth takes no paths; sources live under pipelines/, appspec/ and buildspec/',
      );
    if (values.diff) values.check = true;
    const policy = parseWarningPolicy(values);
    if (!values.check && (policy.strict || policy.maxWarnings !== undefined))
      throw new UsageError(
        `${policy.strict ? '--strict' : '--max-warnings'} applies to synth --check`,
        'run conveyor synth --check --strict in CI; a plain synth writes whenever there is no error',
      );
    // GitHub annotations and SARIF report findings: what --check is for. A plain synth writes files.
    if (!values.check && (values.format === 'github' || values.format === 'sarif'))
      throw new UsageError(
        `--format ${values.format} applies to synth --check`,
        'run conveyor synth --check --format github (or sarif) in CI',
      );
    const format = resolveFormat(values, values.check ? ctx : { stdout: ctx.stdout, env: {} });
    const root = ctx.cwd;
    const outArg = values.out ?? DEFAULT_OUT;
    const outDir = isAbsolute(outArg) ? outArg : resolve(root, outArg);

    // Sources start loading (esbuild bundles them in its own process) before the code that emits and
    // checks them is loaded: the two overlap instead of adding up.
    const files = await findSources(root);
    const loading = loadSources(root, files, ctx.signal);
    loading.catch(() => undefined); // awaited below; an interrupt must not surface as unhandled first
    const [{ formatSynthDiagnostic, planSynth, relativeOut }, { compareOutput, OutputStager }] =
      await Promise.all([import('../../synth/synth.js'), import('../../synth/output.js')]);
    const outLabel = relativeOut(root, outDir);
    // Without --check, files are written to staging while the rest are still being checked.
    const stager = values.check ? undefined : new OutputStager(outDir);
    let plan: Awaited<ReturnType<typeof planSynth>>;
    try {
      plan = await planSynth({
        root,
        signal: ctx.signal,
        files,
        loading,
        ...(stager ? { onPlanned: (file) => stager.offer(file) } : {}),
      });
    } catch (err) {
      await stager?.discard();
      throw err;
    }
    const errors = plan.diagnostics.filter((d) => d.severity === 'error');
    if (plan.sourceCount === 0 || errors.length > 0) await stager?.discard();
    if (plan.sourceCount === 0) {
      // Without sources synth would empty the output folder; far more likely the wrong directory.
      throw new UsageError(
        `no definition sources found under pipelines/, appspec/ or buildspec/ in ${root}`,
        'run conveyor synth at the project root, or add a source such as pipelines/release.ts',
      );
    }
    const printDiagnostics = async (exitCode: number) => {
      if (format === 'github' || format === 'sarif')
        ctx.stdout.write(await renderFindings(format, { diagnostics: plan.diagnostics, exitCode, args }));
      else for (const d of plan.diagnostics) ctx.stderr.write(`${formatSynthDiagnostic(d)}\n`);
    };

    if (errors.length > 0) {
      const configError = errors.some((d) => CONFIG_RULES.has(d.ruleId));
      if (format === 'json') {
        ctx.stdout.write(
          `${JSON.stringify({ ok: false, out: outLabel, written: false, diagnostics: plan.diagnostics }, null, 2)}\n`,
        );
      } else {
        await printDiagnostics(configError ? ExitCode.Usage : ExitCode.Failed);
        const sources = new Set(errors.map((d) => d.file)).size;
        ctx.stderr.write(
          `conveyor synth: ${errors.length} error${errors.length === 1 ? '' : 's'} in ${sources} source${sources === 1 ? '' : 's'}; nothing written\n`,
        );
      }
      return configError ? ExitCode.Usage : ExitCode.Failed;
    }

    const comparison = stager ? await stager.compare(plan) : await compareOutput(plan, outDir);
    const dirty = comparison.changed.length + comparison.added.length + comparison.removed.length;

    if (values.check) {
      const diff = values.diff
        ? await (await import('../../synth/output-diff.js')).diffOutput(plan, outDir, comparison, outLabel)
        : undefined;
      const warnings = plan.diagnostics.filter((d) => d.severity === 'warning').length;
      const verdict = judge({ errors: 0, warnings }, policy);
      const exitCode = dirty === 0 ? verdict.exitCode : ExitCode.Failed;
      if (format === 'json') {
        const report = {
          ...result(plan.diagnostics, outLabel, comparison, dirty === 0 && !verdict.failedBy, false),
          failedBy: verdict.failedBy ?? (dirty === 0 ? null : 'out-of-date'),
        };
        ctx.stdout.write(`${JSON.stringify(diff === undefined ? report : { ...report, diff }, null, 2)}\n`);
      } else {
        await printDiagnostics(exitCode);
        // SARIF owns stdout; the drift report (and the diff) go to stderr beside it.
        const out = format === 'sarif' ? ctx.stderr : ctx.stdout;
        if (diff) out.write(diff);
        for (const path of comparison.changed) out.write(`would change: ${outLabel}/${path}\n`);
        for (const path of comparison.added) out.write(`would add:    ${outLabel}/${path}\n`);
        for (const path of comparison.removed) out.write(`would remove: ${outLabel}/${path}\n`);
        out.write(
          dirty === 0
            ? `${outLabel} is up to date (${plan.files.length} files from ${plan.sourceCount} sources)\n`
            : `${outLabel} is out of date: ${dirty} file${dirty === 1 ? '' : 's'} differ; run 'conveyor synth' and commit the result\n`,
        );
        if (verdict.reason) ctx.stderr.write(`conveyor synth: ${verdict.reason}\n`);
      }
      return exitCode;
    }

    if (dirty > 0) {
      try {
        await stager?.commit();
      } catch (err) {
        throw new UsageError(`cannot write ${outLabel}: ${errorMessage(err)}; nothing written`);
      }
    } else await stager?.discard();
    if (format === 'json') {
      ctx.stdout.write(
        `${JSON.stringify(result(plan.diagnostics, outLabel, comparison, true, dirty > 0), null, 2)}\n`,
      );
    } else {
      await printDiagnostics(ExitCode.Ok);
      for (const path of comparison.changed) ctx.stdout.write(`updated  ${outLabel}/${path}\n`);
      for (const path of comparison.added) ctx.stdout.write(`created  ${outLabel}/${path}\n`);
      for (const path of comparison.removed) ctx.stdout.write(`removed  ${outLabel}/${path}\n`);
      ctx.stdout.write(
        `synthesized ${plan.files.length} files from ${plan.sourceCount} sources into ${outLabel}/` +
          (dirty === 0
            ? ' (no changes)\n'
            : ` (${comparison.changed.length} updated, ${comparison.added.length} created, ${comparison.removed.length} removed)\n`),
      );
    }
    return ExitCode.Ok;
  },
};

function result(
  diagnostics: SynthDiagnostic[],
  out: string,
  c: OutputComparison,
  ok: boolean,
  written: boolean,
) {
  return {
    ok,
    out,
    written,
    changed: c.changed,
    added: c.added,
    removed: c.removed,
    unchanged: c.unchanged,
    diagnostics,
  };
}

export default command;
