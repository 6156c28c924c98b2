/**
 * The automatic pruning that ends `conveyor build` and `conveyor run`. Its own module: those commands
 * must not load what `conveyor runs` needs (the YAML reader among it) on every build.
 */
import { describeAutoPrune, pruneAfterRun } from '../local-ci/run-retention.js';
import type { CliContext } from './context.js';

/**
 * After `conveyor build` / `conveyor run` recorded a run: prune old runs (never this one). A note on stderr when
 * something was removed (not under --json, whose stdout stays the run's events); a problem is a warning only.
 */
export async function pruneAfterCommand(
  ctx: CliContext,
  runId: string,
  keep: number | undefined,
  json: boolean,
): Promise<void> {
  const { result, warning } = await pruneAfterRun(ctx.cwd, runId, {
    ...(keep !== undefined ? { keep } : {}),
    now: ctx.clock.now(),
  });
  if (warning) ctx.stderr.write(`warning: ${warning}\n`);
  const note = result && describeAutoPrune(result);
  if (note && !json) ctx.stderr.write(`${note}\n`);
}
