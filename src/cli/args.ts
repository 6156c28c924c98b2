import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from '../core/errors.js';
import { didYouMean } from './suggest.js';

/**
 * node:util parseArgs (strict by default), turning its TypeErrors into UsageErrors
 * ("unknown option '--x'", with "did you mean '--y'?" when a flag is close), so bad flags exit 2 with a
 * clear message.
 * Example: parseCommandArgs({ args, options: { json: { type: 'boolean' } }, allowPositionals: true })
 */
export function parseCommandArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs<T>(config);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const unknown = /^Unknown option '([^']+)'/.exec(message)?.[1];
    if (unknown === undefined) throw new UsageError(message);
    const flags = Object.keys(config.options ?? {}).map((name) => `--${name}`);
    const flag = unknown.split('=')[0] ?? unknown;
    throw new UsageError(`unknown option '${unknown}'`, didYouMean(flag, [...flags, '--help']));
  }
}
