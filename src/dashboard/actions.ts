/**
 * The buttons' effects: the same ledger requests as `conveyor promote [--full]`, `abort` and `rollback`, through the
 * same engine functions, so the browser and the CLI can be mixed. Work that the CLI would do itself when a runner
 * is gone (rolling back an orphan) runs in the background here; a new rollback deployment gets a detached runner.
 */
import type { Clock } from '../core/clock.js';
import { errorMessage, UsageError } from '../core/errors.js';
import {
  createUnderLock,
  planRedeployPrevious,
  requestAbort,
  requestPromote,
  rollbackOrphan,
  runnerAlive,
  spawnDetachedRunner,
} from '../deploy/engine.js';
import { type GroupContext, readGroupState } from '../deploy/group.js';
import type { DeploymentState } from '../deploy/state.js';
import type { ActionName } from './protocol.js';

export interface ActionDeps {
  clock: Clock;
  signal: AbortSignal;
  env: Record<string, string | undefined>;
  /** Where background work reports a failure (the dashboard's stderr). */
  log: (line: string) => void;
}

export const ACTIONS: readonly ActionName[] = ['promote', 'promote-full', 'abort', 'rollback'];

function rollBackInBackground(ctx: GroupContext, d: DeploymentState, reason: string, deps: ActionDeps): void {
  rollbackOrphan(ctx, d, reason, { clock: deps.clock, signal: deps.signal, env: deps.env }).catch((err) =>
    deps.log(`rollback of ${d.id} failed: ${errorMessage(err)}`),
  );
}

/** Performs one action; returns what happened in one line. UsageError when it does not apply. */
export function performAction(
  ctx: GroupContext,
  action: ActionName,
  deploymentId: string | undefined,
  deps: ActionDeps,
): string {
  switch (action) {
    case 'promote':
    case 'promote-full': {
      const full = action === 'promote-full';
      const { deployment, runner } = requestPromote(ctx, deploymentId, full, deps.clock);
      return `promote${full ? ' --full' : ''} requested for ${deployment.id}${runner.alive ? '' : ' (its runner is not running: the request applies when it resumes)'}`;
    }
    case 'abort': {
      const { deployment, runner } = requestAbort(ctx, deploymentId, deps.clock);
      if (!runner.alive) rollBackInBackground(ctx, deployment, 'aborted by user', deps);
      return `abort requested for ${deployment.id}${runner.alive ? '' : '; its runner is gone, so the dashboard rolls it back'}`;
    }
    case 'rollback': {
      const { state } = readGroupState(ctx);
      const active = state.active;
      if (active) {
        if (deploymentId && deploymentId !== active.id) {
          throw new UsageError(`deployment ${deploymentId} is not the unfinished one (${active.id})`);
        }
        if (runnerAlive(ctx, active).alive) {
          requestAbort(ctx, active.id, deps.clock, 'rollback requested by user');
        } else {
          rollBackInBackground(ctx, active, 'rollback requested by user', deps);
        }
        return `rollback of ${active.id} requested`;
      }
      const { planned, target, of } = planRedeployPrevious(ctx);
      const id = createUnderLock(
        ctx,
        planned,
        { creator: 'rollback', rollbackOf: of.id, ignoreApplicationStopFailures: true, skipAnalysis: true },
        deps.clock,
      );
      spawnDetachedRunner(ctx, id, { stateDirArg: ctx.stateDir, env: deps.env });
      return `rolling back ${of.revision.label} (${of.id}) to ${target.label}: deployment ${id}`;
    }
  }
}
