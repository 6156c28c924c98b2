import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { errorMessage, UsageError, WorkFailedError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { readTextFileAsync } from '../../core/files.js';
import { formatDiagnostic } from '../../documents/diagnostics.js';
import { validateText } from '../../documents/validate.js';
import { ImportError, importDocument } from '../../synth/import.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../context.js';

const usage = `Usage: conveyor import FILE [--out FILE] [--force] [--name NAME] [--module SPEC] [--json]
       conveyor import --from-aws PIPELINE [--region R] [--profile P] [--out FILE] [--force] [--module SPEC] [--json]

Turns an existing document into an editable TS source that uses the builders:
  - a pipeline JSON as 'aws codepipeline get-pipeline' prints it (metadata is dropped)
  - an appspec.yml (EC2/on-premises, ECS or Lambda)
  - a buildspec.yml
Run 'conveyor synth' on the result to get the same document back.

Options:
  --out FILE     write the source here (e.g. pipelines/release.ts); default: print it
  --force        overwrite --out if it exists
  --name NAME    output name for an appspec/buildspec (default: from the file name)
  --module SPEC  module to import the builders from (default: conveyor)
  --from-aws NAME  import the live CodePipeline pipeline NAME (GetPipeline) instead of a FILE
  --region R, --profile P  AWS region and profile for --from-aws (default: AWS_REGION, AWS_PROFILE, ~/.aws/config)
  --json         print {kind, name, out, notes, diagnostics, source} instead of the source

The document is validated first (as 'conveyor validate' does): its warnings are printed, and a
document with errors is not imported (exit 1).`;

const command: Command = {
  summary: 'Turn an existing pipeline JSON, appspec or buildspec into a TS source',
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs({
      args,
      options: {
        out: { type: 'string' },
        force: { type: 'boolean', default: false },
        name: { type: 'string' },
        module: { type: 'string' },
        json: { type: 'boolean', default: false },
        'from-aws': { type: 'string' },
        region: { type: 'string' },
        profile: { type: 'string' },
      },
      allowPositionals: true,
    });
    const [positionalFile, extra] = positionals;
    const fromAws = values['from-aws'];
    if (fromAws !== undefined && positionalFile)
      throw new UsageError(`unexpected argument '${positionalFile}' (--from-aws takes the place of FILE)`);
    if (fromAws === undefined && (values.region || values.profile))
      throw new UsageError('--region and --profile apply only with --from-aws');
    if (fromAws === undefined && !positionalFile)
      throw new UsageError('missing FILE', 'conveyor import pipeline.json --out pipelines/release.ts');
    if (extra) throw new UsageError(`unexpected argument '${extra}' (import takes one FILE)`);
    let file = positionalFile ?? '';
    let text = '';
    if (fromAws !== undefined) {
      if (!fromAws.trim()) throw new UsageError('--from-aws needs a pipeline name');
      // Loaded only here: a local import never loads the AWS SDK.
      const { fetchPipelineForImport } = await import('../../aws/pipeline/import.js');
      const document = await fetchPipelineForImport(fromAws, {
        env: ctx.env,
        ...(values.region ? { region: values.region } : {}),
        ...(values.profile ? { profile: values.profile } : {}),
      });
      file = `aws:${fromAws}`;
      text = JSON.stringify(document, null, 2);
    } else
      try {
        text = await readTextFileAsync(resolve(ctx.cwd, file));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') throw new UsageError(`${file} does not exist`);
        if (code === 'EISDIR') throw new UsageError(`${file} is a folder`, 'import takes one file');
        throw new UsageError(`cannot read ${file}: ${errorMessage(err)}`);
      }
    // The source's own problems first: a document AWS would reject imports into a source that does
    // not synth (or, worse, one that synthesizes something else, e.g. a command YAML read as a map).
    const checked = validateText(text, file);
    const findings = checked.kind ? checked.diagnostics : [];
    const errors = findings.filter((d) => d.severity === 'error');
    if (errors.length > 0) {
      if (values.json)
        ctx.stdout.write(`${JSON.stringify({ imported: false, file, diagnostics: findings }, null, 2)}\n`);
      else for (const d of findings) ctx.stderr.write(`${formatDiagnostic(d)}\n`);
      throw new WorkFailedError(
        `${file} has ${errors.length} error${errors.length === 1 ? '' : 's'} (listed above); nothing imported: fix the document first`,
      );
    }
    if (!values.json) for (const d of findings) ctx.stderr.write(`${formatDiagnostic(d)}\n`);
    let result: ReturnType<typeof importDocument>;
    try {
      result = importDocument(text, file, { module: values.module, name: values.name });
    } catch (err) {
      if (err instanceof ImportError) throw new WorkFailedError(err.message);
      throw err;
    }
    if (values.out) {
      const target = resolve(ctx.cwd, values.out);
      if (existsSync(target) && !values.force) {
        throw new UsageError(`${values.out} exists`, 'pass --force to overwrite it');
      }
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, result.source);
    }
    if (values.json) {
      ctx.stdout.write(
        `${JSON.stringify({ kind: result.kind, name: result.name, out: values.out ?? null, notes: result.notes, diagnostics: findings, source: result.source }, null, 2)}\n`,
      );
    } else if (values.out) {
      ctx.stdout.write(`imported ${result.kind} '${result.name}' into ${values.out}\n`);
      for (const note of result.notes) ctx.stdout.write(`  note: ${note}\n`);
    } else {
      ctx.stdout.write(result.source);
      for (const note of result.notes) ctx.stderr.write(`note: ${note}\n`);
    }
    return ExitCode.Ok;
  },
};
export default command;
