import { systemClock } from '../core/clock.js';
import { InternalError, storageFailure, UsageError, WorkFailedError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { commands } from './commands.js';
import type { CliContext } from './context.js';
import { didYouMean } from './suggest.js';
import { VERSION } from './version.js';

export { VERSION };

function mainHelp(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'Usage: conveyor <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Global options: --help, --version, --debug (show stacks of internal errors)',
    'Exit codes: 0 success, 1 the work failed, 2 usage or configuration error.',
    '',
  ].join('\n');
}

/**
 * Runs the CLI in-process and returns the exit code. `bin` and the tests both call this.
 * Errors are mapped to exit codes here, once: users never see a stack trace for bad input.
 */
export async function runCli(argv: string[], partial: Partial<CliContext> = {}): Promise<number> {
  const ctx: CliContext = {
    stdout: partial.stdout ?? process.stdout,
    stderr: partial.stderr ?? process.stderr,
    env: partial.env ?? process.env,
    cwd: partial.cwd ?? process.cwd(),
    clock: partial.clock ?? systemClock,
    signal: partial.signal ?? new AbortController().signal,
    debug: partial.debug ?? false,
  };
  const args = argv.filter((a) => {
    if (a === '--debug') {
      ctx.debug = true;
      return false;
    }
    return true;
  });
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    ctx.stdout.write(mainHelp());
    return name === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  if (name === '--version' || name === '-v') {
    ctx.stdout.write(`${VERSION}\n`);
    return ExitCode.Ok;
  }
  const json = wantsJson(rest);
  const entry = commands[name];
  if (!entry) {
    const hint = didYouMean(name, Object.keys(commands));
    const error = new UsageError(`unknown command '${name}'`, hint ?? "run 'conveyor --help' for the list");
    if (json) writeJsonError(error, undefined, ctx);
    ctx.stderr.write(
      `conveyor: ${error.message}. ${hint ? `${capitalize(hint)} ` : ''}Run 'conveyor --help' for the list.\n`,
    );
    return ExitCode.Usage;
  }
  try {
    const { default: command } = await entry.load();
    if (rest.includes('--help') || rest.includes('-h')) {
      ctx.stdout.write(command.usage.endsWith('\n') ? command.usage : `${command.usage}\n`);
      return ExitCode.Ok;
    }
    return await command.run(rest, ctx);
  } catch (err) {
    return reportError(err, name, ctx, json);
  }
}

/** `--json` (or `--format json`): the caller reads stdout as JSON, so a usage error must be JSON there too. */
function wantsJson(args: string[]): boolean {
  return args.some(
    (a, i) => a === '--json' || a === '--format=json' || (a === '--format' && args[i + 1] === 'json'),
  );
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The usage error as one JSON object on stdout; the same text still goes to stderr for people. */
function writeJsonError(err: UsageError, command: string | undefined, ctx: CliContext): void {
  const error = { type: 'usage', ...(command ? { command } : {}), message: err.message, hint: err.hint };
  ctx.stdout.write(`${JSON.stringify({ ok: false, exitCode: ExitCode.Usage, error }, null, 2)}\n`);
}

function reportError(err: unknown, command: string, ctx: CliContext, json: boolean): number {
  if (err instanceof UsageError) {
    if (json) writeJsonError(err, command, ctx);
    ctx.stderr.write(`conveyor ${command}: ${err.message}\n`);
    if (err.hint) ctx.stderr.write(`  hint: ${err.hint}\n`);
    return ExitCode.Usage;
  }
  if (err instanceof WorkFailedError) {
    ctx.stderr.write(`conveyor ${command}: ${err.message}\n`);
    return ExitCode.Failed;
  }
  // A full disk met by a write no command expected to fail: still the machine's state, not a bug.
  const storage = storageFailure(err, (err as NodeJS.ErrnoException).path ?? 'a file being written');
  if (storage instanceof WorkFailedError) {
    ctx.stderr.write(`conveyor ${command}: ${storage.message}\n`);
    return ExitCode.Failed;
  }
  const e = err instanceof Error ? err : new InternalError(String(err));
  ctx.stderr.write(`conveyor ${command}: internal error: ${e.message}\n`);
  ctx.stderr.write(
    ctx.debug ? `${e.stack ?? ''}\n` : 'This is a bug in Conveyor. Run again with --debug for details.\n',
  );
  return ExitCode.Failed;
}
