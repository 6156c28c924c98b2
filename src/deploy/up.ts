/**
 * `conveyor up`: the group's data plane back from the recorded state — after `down`, a reboot or a killed
 * router. Starts the router (which reloads its last table if it had one), starts every instance of the serving
 * fleet that does not answer its health check (the full install of the recorded revision, ApplicationStop of a
 * leftover ignored), then routes all traffic to the healthy fleet and records it. Not a deployment: nothing new is
 * installed, and `history` is unchanged.
 */
import type { Clock } from '../core/clock.js';
import { UsageError, WorkFailedError } from '../core/errors.js';
import type { DeployProvider } from '../providers/provider.js';
import { runnerAlive } from './engine.js';
import type { LedgerEventBody } from './events.js';
import type { GroupContext } from './group.js';
import { readGroupState } from './group.js';
import { acquireLock, releaseLock } from './lock.js';
import { IN_PLACE_INSTALL } from './strategies/events.js';

/** What `up` did. */
export interface UpResult {
  revision: string;
  instances: string[];
  /** Instances that were not answering and were started. */
  started: string[];
  /** Where the service answers. */
  url?: string;
}

/** From ApplicationStop on: an instance that is down has no traffic to block. */
const START_EVENTS = IN_PLACE_INSTALL.slice(IN_PLACE_INSTALL.indexOf('ApplicationStop'));

export async function bringUp(
  ctx: GroupContext,
  provider: DeployProvider,
  opts: { clock: Clock; signal: AbortSignal; config: string },
): Promise<UpResult> {
  const { state } = readGroupState(ctx);
  const fleet = state.fleet;
  const latest = state.deployments[state.deployments.length - 1];
  if (!fleet || !latest) {
    throw new UsageError(
      'nothing to bring up: no deployment of this group has succeeded yet',
      `deploy a revision with 'conveyor deploy --config ${opts.config} --revision DIR'`,
    );
  }
  if (state.active) {
    const runner = runnerAlive(ctx, state.active);
    throw new UsageError(
      `deployment ${state.active.id} (${state.active.revision.label}) is ${state.active.status}${runner.alive ? '' : ' and its runner is gone'}`,
      runner.alive
        ? `it brings the router back itself; follow it with 'conveyor status ${state.active.id} --watch'`
        : `resume it with 'conveyor deploy --resume --config ${opts.config}' or undo it with 'conveyor rollback --config ${opts.config}'`,
    );
  }
  const lock = acquireLock(ctx.groupDir, { pid: process.pid, deploymentId: 'up', since: opts.clock.now() });
  if (!lock.ok) {
    throw new UsageError(
      `another command holds the group (pid ${lock.holder.pid}, ${lock.holder.deploymentId})`,
      'try again when it has finished',
    );
  }
  const record = (body: LedgerEventBody) =>
    ctx.ledger.append({ ...body, at: opts.clock.now(), deploymentId: latest.id } as never);
  try {
    const { endpoint } = await provider.prepare();
    const down = (await provider.checkHealth(fleet.instances, opts.signal)).filter((r) => !r.healthy);
    const started = down.map((r) => r.instance);
    const problems: string[] = [];
    if (started.length) {
      const revision = { label: fleet.revision.label, dir: fleet.revision.dir };
      const outcomes = await provider.runLifecycle({
        deploymentId: `${latest.id}-up`,
        instances: started,
        role: 'in-place',
        events: START_EVENTS,
        revision,
        lastRevision: revision,
        ignoreApplicationStopFailures: true,
        onTrafficEvent: async () => {},
        onProgress: () => {},
        signal: opts.signal,
      });
      for (const o of outcomes)
        if (!o.ok) problems.push(`${o.instance}: ${o.failedEvent} failed: ${o.message ?? 'unknown error'}`);
    }
    const healthy = await waitHealthy(
      provider,
      fleet.instances,
      (ctx.loaded.group.healthCheck?.startupSeconds ?? 10) * 1000,
      opts,
    );
    for (const id of fleet.instances)
      if (!healthy.includes(id) && !problems.some((p) => p.startsWith(`${id}:`)))
        problems.push(`${id}: not healthy within the start-up budget`);
    const table = { stable: healthy, canary: [], canaryWeight: 0 };
    const revisions = { stable: fleet.revision.label };
    await provider.route({ ...table, revisions });
    record({ type: 'traffic', table, revisions });
    record({ type: 'up', revision: fleet.revision, instances: healthy, started });
    if (problems.length) {
      throw new WorkFailedError(
        `${healthy.length} of ${fleet.instances.length} instances serve ${fleet.revision.label}: ${problems.join('; ')}`,
      );
    }
    return {
      revision: fleet.revision.label,
      instances: healthy,
      started,
      ...(endpoint ? { url: endpoint } : {}),
    };
  } finally {
    releaseLock(ctx.groupDir);
  }
}

async function waitHealthy(
  provider: DeployProvider,
  instances: string[],
  budgetMs: number,
  opts: { clock: Clock; signal: AbortSignal },
): Promise<string[]> {
  const deadline = opts.clock.now() + budgetMs;
  for (;;) {
    const reports = await provider.checkHealth(instances, opts.signal);
    const healthy = reports.filter((r) => r.healthy).map((r) => r.instance);
    if (healthy.length === instances.length || opts.clock.now() >= deadline || opts.signal.aborted)
      return healthy;
    await opts.clock.sleep(100, opts.signal).catch(() => {});
  }
}
