/**
 * The deploy engine's runner for `provider: codedeploy`. The local runner executes each planned step;
 * here CodeDeploy executes the whole deployment, so this runner starts it, writes what CodeDeploy reports
 * to the same ledger (so status, history, promote and abort work unchanged), and turns the ledger's
 * promote/abort requests into ContinueDeployment / StopDeployment.
 *
 * Wiring (engine.ts): `runHeld` delegates here when the group's provider is codedeploy, and `conveyor deploy`
 * calls `checkCodeDeployDeployment` before it records anything.
 */

import { errorMessage, UsageError } from '../core/errors.js';
import { createCodeDeployProviderForGroup } from '../providers/codedeploy/index.js';
import type { CodeDeployProvider } from '../providers/codedeploy/provider.js';
import { codeDeployRequestFromGroup } from '../providers/codedeploy/settings.js';
import type { LedgerEventBody } from './events.js';
import { fleetSize, type GroupContext, readGroupState } from './group.js';
import { releaseLock } from './lock.js';
import type { RunOptions } from './run-options.js';
import type { DeploymentState } from './state.js';
import { planDeployment } from './strategies/plan.js';
import { resolveStrategy, type Strategy, strategyName } from './strategies/strategy.js';

export interface CodeDeployRunOptions extends RunOptions {
  /** Environment for AWS settings (default: process.env). */
  env?: Record<string, string | undefined>;
  /** For tests: a provider over a mocked port. */
  codeDeploy?: CodeDeployProvider;
}

/** The note that records CodeDeploy's deployment id in the ledger, so a resumed runner follows it again. */
const NOTE = /^codedeploy deployment (d-[A-Z0-9]+)/;

function recordedCodeDeployId(ctx: GroupContext, id: string): string | undefined {
  for (const e of ctx.ledger.read().events) {
    if (e.deploymentId === id && e.type === 'runner') {
      const m = NOTE.exec(e.note);
      if (m) return m[1];
    }
  }
  return undefined;
}

async function providerFor(ctx: GroupContext, opts: CodeDeployRunOptions): Promise<CodeDeployProvider> {
  return (
    opts.codeDeploy ??
    createCodeDeployProviderForGroup(
      opts.env ?? process.env,
      ctx.loaded.group,
      opts.clock,
      ctx.loaded.file,
      opts.aws,
    )
  );
}

/** Whether `strategy` gives the same steps as the ones recorded when the deployment was created. */
function samePlan(ctx: GroupContext, d: DeploymentState, strategy: Strategy): boolean {
  const current = d.previous ? { slot: d.previous.slot, revision: d.previous.revision.label } : undefined;
  const replanned = planDeployment(fleetSize(ctx), current, strategy);
  return JSON.stringify(replanned.steps) === JSON.stringify(d.plan.steps);
}

/** Everything CodeDeploy would refuse, checked before the deployment is recorded (reads AWS, writes nothing). */
export async function checkCodeDeployDeployment(
  ctx: GroupContext,
  revision: { dir: string; label: string },
  opts: Pick<CodeDeployRunOptions, 'clock' | 'env' | 'aws' | 'strategy' | 'codeDeploy'> & {
    skipAnalysis?: boolean;
    ignoreApplicationStopFailures?: boolean;
  },
): Promise<void> {
  const provider = await providerFor(ctx, opts as CodeDeployRunOptions);
  const strategy = opts.strategy ?? resolveStrategy(ctx.loaded.group.strategy);
  const request = codeDeployRequestFromGroup(ctx.loaded.group, strategy, revision, ctx.loaded.file);
  if (opts.skipAnalysis) request.skipAnalysis = true;
  if (opts.ignoreApplicationStopFailures) request.ignoreApplicationStopFailures = true;
  await provider.prepare(request);
}

/** Runs (or resumes) a recorded deployment on CodeDeploy; releases the group lock when it ends. */
export async function runCodeDeployHeld(
  ctx: GroupContext,
  id: string,
  opts: CodeDeployRunOptions,
): Promise<DeploymentState> {
  const deployment = () => {
    const d = readGroupState(ctx).state.deployments.find((x) => x.id === id);
    if (!d) throw new UsageError(`no deployment ${id} in this group`);
    return d;
  };
  const record = (body: LedgerEventBody): DeploymentState => {
    ctx.ledger.append({ ...body, at: opts.clock.now(), deploymentId: id } as Parameters<
      typeof ctx.ledger.append
    >[0]);
    const d = deployment();
    opts.onEvent?.(
      { ...body, at: opts.clock.now(), deploymentId: id } as Parameters<NonNullable<typeof opts.onEvent>>[0],
      d,
    );
    return d;
  };
  const pid = process.pid;
  try {
    const d = deployment();
    const provider = await providerFor(ctx, opts);
    let codeDeployId = recordedCodeDeployId(ctx, id);
    if (d.status === 'Created') record({ type: 'started', pid });
    if (!codeDeployId) {
      try {
        const strategy = opts.strategy ?? d.options.strategy ?? resolveStrategy(ctx.loaded.group.strategy);
        // Never run another strategy than the one planned (a deployment recorded before the strategy was kept
        // with it falls back to the group file). The name alone does not tell two canaries apart: compare steps.
        if (strategyName(strategy) !== d.plan.strategy || !samePlan(ctx, d, strategy)) {
          throw new UsageError(
            `the deployment was planned with strategy '${d.plan.strategy}' but the group file now says '${strategyName(strategy)}'${strategyName(strategy) === d.plan.strategy ? ' with other settings' : ''}`,
          );
        }
        const request = codeDeployRequestFromGroup(
          ctx.loaded.group,
          strategy,
          { dir: d.revision.dir, label: d.revision.label },
          ctx.loaded.file,
        );
        // `deploy --ignore-application-stop-failures` / `--skip-analysis` are recorded with the deployment.
        if (d.options.ignoreApplicationStopFailures) request.ignoreApplicationStopFailures = true;
        if (d.options.skipAnalysis) request.skipAnalysis = true;
        const prepared = await provider.prepare(request);
        codeDeployId = await provider.start(prepared);
      } catch (err) {
        // Nothing started on AWS: the deployment fails without a rollback, and says why.
        return record({ type: 'finished', status: 'Failed', reason: errorMessage(err) });
      }
      record({ type: 'runner', pid, note: `codedeploy deployment ${codeDeployId} started` });
    } else {
      record({ type: 'runner', pid, note: `codedeploy deployment ${codeDeployId} followed again` });
    }
    const cdId = codeDeployId;

    // Requests from other processes (conveyor promote / abort) arrive through the ledger.
    let waiting = false;
    let abortSent = false;
    const stop = new AbortController();
    const requests = (async () => {
      const pollMs = opts.pollMs ?? 1000;
      while (!stop.signal.aborted) {
        const current = deployment();
        try {
          if (current.pendingAbort !== undefined && !abortSent) {
            abortSent = true;
            await provider.abort(cdId);
          } else if (current.pendingPromote && (waiting || current.pendingPromote.full)) {
            await provider.promote(cdId, current.pendingPromote.full);
            record({ type: 'promoted', index: 0, full: current.pendingPromote.full });
          }
        } catch (err) {
          // Not waiting (yet): the promote request stays pending until CodeDeploy waits.
          if (!(err instanceof UsageError)) {
            // AWS failed to take the request: say so in the ledger and try again on the next poll.
            if (current.pendingAbort !== undefined) abortSent = false;
            record({
              type: 'runner',
              pid,
              note: `request to CodeDeploy failed, retrying: ${errorMessage(err)}`,
            });
          }
        }
        await opts.clock.sleep(pollMs, stop.signal).catch(() => undefined);
      }
    })();
    try {
      const signal = AbortSignal.any([opts.signal, stop.signal]);
      await provider.follow(
        cdId,
        (event) => {
          if (event.type === 'paused') waiting = true;
          if (event.type === 'resumed') waiting = false;
          record(event);
        },
        signal,
      );
    } catch (err) {
      // Interrupted (Ctrl-C): CodeDeploy goes on; a resumed runner follows the recorded id again.
      if (!opts.signal.aborted) throw err;
    } finally {
      stop.abort();
      await requests.catch(() => undefined);
    }
    return deployment();
  } finally {
    releaseLock(ctx.groupDir);
  }
}
