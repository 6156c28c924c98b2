/**
 * Error classes that cross layers. A user's mistake is data (Diagnostic[]) wherever possible;
 * these exist for the cases where work must stop. The CLI maps each to an exit code.
 */

/** Bad invocation or configuration: exit 2. The message is shown as-is, without a stack. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The requested work ran and failed (a deployment failed, a build failed, drift found): exit 1. */
export class WorkFailedError extends Error {
  override readonly name = 'WorkFailedError';
}

/** Our own bug. Printed as "this is a bug"; the stack only under --debug. */
export class InternalError extends Error {
  override readonly name = 'InternalError';
}

const STORAGE_CODES: Record<string, string> = {
  ENOSPC: 'no space left on the disk holding',
  EDQUOT: 'the disk quota is used up for',
  EROFS: 'the file system is read-only for',
};

/**
 * A write that failed because the disk is full (or out of quota, or read-only) is the machine's state, not a bug:
 * the error names the folder and what to do. Any other error is returned as it is.
 */
export function storageFailure(err: unknown, folder: string, hint = 'then run the command again'): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const what = code !== undefined ? STORAGE_CODES[code] : undefined;
  if (what === undefined || err instanceof WorkFailedError) return err;
  return new WorkFailedError(`${what} ${folder} (${code}): free some space there, ${hint}`);
}

/** What to do when the disk under a deployment group's state folder is full. */
export const STATE_HINT = 'or pass --state-dir on another disk, then run the command again';

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
