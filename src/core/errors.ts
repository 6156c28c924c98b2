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

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
