import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from '../core/errors.js';

/**
 * node:util parseArgs (strict by default), turning its TypeErrors into UsageErrors
 * ("unknown option '--x'"), so bad flags exit 2 with a clear message.
 * Example: parseCommandArgs({ args, options: { json: { type: 'boolean' } }, allowPositionals: true })
 */
export function parseCommandArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs<T>(config);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new UsageError(message.replace(/^Unknown option '([^']+)'.*$/s, "unknown option '$1'"));
  }
}
