import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../context.js';

const KINDS = ['buildspec', 'appspec', 'pipeline', 'deployment-group'] as const;

const usage = `Usage: conveyor schema ${KINDS.join('|')} [--out FILE]

Prints the JSON Schema conveyor validate checks KIND files with, for editors: descriptions and
markdownDescription for hovers, enums for completion, defaults; the appspec schema covers EC2/on-premises,
ECS and Lambda (picked from the document's shape). Semantic rules run only in conveyor validate.

With the YAML language server (VS Code's YAML extension, and others):
  # yaml-language-server: $schema=./schemas/buildspec.json      (first line of a file), or in settings:
  "yaml.schemas": { "./schemas/buildspec.json": ["buildspec*.yml", ".codebuild/*.yml"] }

Options:
  --out FILE  write the schema to FILE instead of stdout`;

const command: Command = {
  summary: 'Print the JSON Schema of a document kind, for editors',
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs({
      args,
      options: { out: { type: 'string' } },
      allowPositionals: true,
    });
    const [kind, ...extra] = positionals;
    if (kind === undefined || !(KINDS as readonly string[]).includes(kind))
      throw new UsageError(
        kind === undefined
          ? 'which schema? name a kind'
          : `unknown kind '${kind}'; allowed: ${KINDS.join(', ')}`,
        'conveyor schema buildspec --out schemas/buildspec.json',
      );
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const { editorSchema } = await import('../../documents/editor-schema.js');
    const text = `${JSON.stringify(editorSchema(kind as (typeof KINDS)[number]), null, 2)}\n`;
    if (values.out === undefined) ctx.stdout.write(text);
    else {
      const out = resolve(ctx.cwd, values.out);
      try {
        await writeFile(out, text);
      } catch (err) {
        throw new UsageError(
          `cannot write ${values.out}: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      ctx.stderr.write(`wrote the ${kind} schema to ${values.out}\n`);
    }
    return ExitCode.Ok;
  },
};
export default command;
