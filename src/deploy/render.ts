/** Text for humans: plans, event lines, status blocks. Pure functions of the state. */
import type { CodeDeployPreview } from './codedeploy-preview.js';
import type { LedgerEvent, TrafficTable } from './events.js';
import { type LifecycleEvent, planInstanceEvents } from './lifecycle-events.js';
import type { CheckVerdictState, DeploymentState } from './state.js';
import { configuredSeconds, describeStep, type Step } from './steps.js';
import type { Plan } from './strategies/plan.js';

export function formatTraffic(
  t: TrafficTable | undefined,
  revisions: { stable?: string; canary?: string } = {},
): string {
  if (!t) return 'no traffic routed yet';
  if (t.stable.length === 0 && (t.canary.length === 0 || t.canaryWeight === 0)) {
    return 'no instance in service (requests are refused until one is back)';
  }
  const stable = `stable ${100 - (t.canary.length ? t.canaryWeight : 0)}% ${revisions.stable ?? ''} [${t.stable.join(', ')}]`;
  if (!t.canary.length) return stable.replace(/ {2}/g, ' ');
  const testOnly = t.canaryWeight === 0 ? ' (test traffic only: header x-conveyor-canary: 1)' : '';
  return `${stable} · new ${t.canaryWeight}% ${revisions.canary ?? ''} [${t.canary.join(', ')}]${testOnly}`.replace(
    / {2}/g,
    ' ',
  );
}

function numbers(rec: Record<string, number>): string {
  return Object.entries(rec)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/**
 * One analysis check's latest verdict: its name (and deployment point when not the rollout), the result, the
 * values measured (or why there were none) and its condition, the threshold it is judged on.
 */
export function formatCheckVerdict(c: CheckVerdictState): string {
  const where = c.point !== undefined && c.point !== 'rollout' ? ` at ${c.point}` : '';
  const values =
    numbers(c.measured) ||
    c.reasons.map((r) => (r.startsWith(`${c.check}: `) ? r.slice(c.check.length + 2) : r)).join('; ');
  return `${c.check}${where} ${c.result}: ${values}${c.condition ? ` (threshold: ${c.condition})` : ''}`;
}

export function formatEvent(e: LedgerEvent, d?: DeploymentState): string {
  const total = d?.plan.steps.length ?? 0;
  switch (e.type) {
    case 'created':
      return `created ${e.deploymentId}: ${e.revision.label} by ${e.plan.strategy} (${e.plan.steps.length} steps)`;
    case 'started':
      return `started (runner pid ${e.pid})`;
    case 'runner':
      return `runner pid ${e.pid}: ${e.note}`;
    case 'step':
      return `step ${e.index + 1}/${total} ${e.phase}: ${e.description}`;
    case 'bake':
      return `baking until ${new Date(e.until).toISOString()}`;
    case 'paused':
      return `paused: ${e.reason} (continue with 'conveyor promote', undo with 'conveyor abort')`;
    case 'resumed':
      return `resumed (${e.by})`;
    case 'promote-requested':
      return `promote${e.full ? ' --full' : ''} requested`;
    case 'promoted':
      return `promoted${e.full ? ' to 100%' : ''} at step ${e.index + 1}`;
    case 'abort-requested':
      return `abort requested: ${e.reason}`;
    case 'traffic':
      return `traffic: ${formatTraffic(e.table, e.revisions)}`;
    case 'hook': {
      const dur = e.durationMs !== undefined ? ` (${e.durationMs} ms)` : '';
      const msg = e.message && e.status !== 'succeeded' ? `: ${e.message}` : '';
      const out =
        e.status === 'failed' && e.output
          ? `\n    output: ${e.output.trim().split('\n').slice(-5).join('\n            ')}`
          : '';
      return `hook ${e.instance} ${e.event} ${e.status}${dur}${msg}${out}`;
    }
    case 'health':
      return `health ${e.ok ? 'ok' : 'FAILED'}: ${e.details.join('; ')}`;
    case 'verdict':
      // A check's verdict says which check; the router's own gate keeps its name.
      return `${e.check !== undefined ? `check ${e.check}` : 'gate'} ${e.result}: ${e.reasons.join('; ')}`;
    case 'override':
      return `override: ${e.what} — ${e.note}`;
    case 'rollback-started':
      return `rolling back (${e.trigger}): ${e.reason}`;
    case 'rollback-finished':
      return `rollback ${e.ok ? 'finished' : 'FAILED'}${e.trafficRestoredMs !== undefined ? `, traffic back on stable in ${e.trafficRestoredMs} ms` : ''}${e.message ? `: ${e.message}` : ''}`;
    case 'fleet':
      return `fleet: slot ${e.slot} serves ${e.revision.label} [${e.instances.join(', ')}]`;
    case 'finished':
      return `${e.status}${e.reason ? `: ${e.reason}` : ''}`;
    case 'down':
      return `down: stopped ${e.stopped.length ? e.stopped.join(', ') : 'nothing (nothing was running)'}; nothing serves until 'conveyor up' or a deploy`;
    case 'up':
      return `up: ${e.revision.label} serves again [${e.instances.join(', ')}]${e.started.length ? ` (started ${e.started.join(', ')})` : ' (all were running)'}`;
    case 'notification-failed':
      return `notification to ${e.target} failed: ${e.message}`;
    case 'compacted':
      return `ledger compacted: ${e.deployments} older deployments kept only as the fleet and last good revision`;
  }
}

export interface PlanHooks {
  /** Hooks of the revision being deployed, by event. */
  newHooks: Record<string, { location: string }[] | null>;
  newLabel: string;
  /** Hooks of the revision serving now (ApplicationStop and block-traffic events read them). */
  lastHooks?: Record<string, { location: string }[] | null>;
  lastLabel?: string;
}

export function formatPlan(plan: Plan, hooks?: PlanHooks): string {
  const lines = [`strategy ${plan.strategy}: ${plan.steps.length} steps`];
  let total = 0;
  plan.steps.forEach((step: Step, i) => {
    total += configuredSeconds(step);
    lines.push(`  ${String(i + 1).padStart(2)}. ${describeStep(step)}`);
    if (step.kind !== 'lifecycle' || !hooks) return;
    // The originals' block-traffic hooks come from the revision they run, i.e. the last successful one.
    const planned = planInstanceEvents(step.events as LifecycleEvent[], {
      newHooks: step.role === 'original' ? hooks.lastHooks : hooks.newHooks,
      // A replacement instance's ApplicationStop reads whatever it ran before (usually nothing): not shown.
      ...(hooks.lastHooks && step.role !== 'replacement' ? { lastHooks: hooks.lastHooks } : {}),
    });
    const parts = planned.map((p) => {
      if (p.reserved) return `${p.event} (Conveyor)`;
      if (!p.scripts.length) return undefined;
      const from =
        p.source === 'new' && step.role !== 'original' ? hooks.newLabel : (hooks.lastLabel ?? 'previous');
      return `${p.event}: ${p.scripts.join(', ')} (${from})`;
    });
    const shown = parts.filter((x): x is string => x !== undefined);
    lines.push(
      `        on each instance: ${shown.length ? shown.join('; ') : 'no scripts for these events'}`,
    );
  });
  const waits = plan.steps.some(
    (s) => (s.kind === 'pause' || s.kind === 'waitReady') && s.seconds === undefined,
  );
  lines.push(
    `expected waiting time: ${total}s${waits ? ' plus manual pauses until promoted' : ''} (hooks and health checks extra)`,
  );
  return lines.join('\n');
}

export function formatStatus(
  d: DeploymentState,
  extra: { runner?: string; observed?: string; url?: string } = {},
): string {
  const step = d.plan.steps[Math.min(d.step, d.plan.steps.length - 1)];
  const lines = [
    `deployment ${d.id}  ${d.status}`,
    `  revision   ${d.revision.label}${d.previous ? ` (replacing ${d.previous.revision.label})` : ''}`,
    `  strategy   ${d.plan.strategy}`,
    `  step       ${Math.min(d.step + 1, d.plan.steps.length)}/${d.plan.steps.length}${step ? ` ${describeStep(step)}` : ''}`,
    `  traffic    ${formatTraffic(d.traffic, d.trafficRevisions)}`,
  ];
  if (extra.observed) lines.push(`  router     ${extra.observed}`);
  if (extra.url) lines.push(`  url        ${extra.url}`);
  if (d.bakeUntil && !['Succeeded', 'Failed', 'RolledBack', 'Stopped'].includes(d.status)) {
    lines.push(`  bake until ${new Date(d.bakeUntil).toISOString()}`);
  }
  if (d.pausedReason && d.status === 'Paused') lines.push(`  paused     ${d.pausedReason}`);
  if (d.lastVerdict) {
    lines.push(
      `  last gate  ${d.lastVerdict.result}: ${numbers(d.lastVerdict.measured)} (${d.lastVerdict.reasons.join('; ')})`,
    );
  }
  for (const c of d.checks ?? []) lines.push(`  check      ${formatCheckVerdict(c)}`);
  if (d.lastHook) lines.push(`  last hook  ${d.lastHook.instance} ${d.lastHook.event} ${d.lastHook.status}`);
  if (d.failedHook)
    lines.push(`  failed     ${d.failedHook.instance} ${d.failedHook.event}: ${d.failedHook.message ?? ''}`);
  if (d.overrides.length) lines.push(`  overrides  ${d.overrides.join(', ')}`);
  if (d.rollback) {
    lines.push(
      `  rollback   ${d.rollback.trigger}: ${d.rollback.reason}${d.rollback.ok === undefined ? ' (in progress)' : d.rollback.ok ? ' (done)' : ' (FAILED)'}`,
    );
  }
  if (d.reason) lines.push(`  reason     ${d.reason}`);
  if (extra.runner) lines.push(`  runner     ${extra.runner}`);
  return lines.join('\n');
}

/** `deploy --dry-run` for `provider: codedeploy`: what CodeDeploy will be asked to do. */
export function formatCodeDeployPreview(revision: string, p: CodeDeployPreview): string {
  const lines = [
    `dry run: ${revision} to ${p.application}/${p.deploymentGroup} on AWS CodeDeploy${p.region ? ` (${p.region})` : ''}; nothing runs on this machine`,
    `  compute platform:  ${p.computePlatform ?? 'read from the live deployment group when you deploy'}`,
    `  deployment config: ${p.config ? `${p.config.name} — ${p.config.description}${p.config.custom ? ' (created first: a custom config)' : ''}` : 'chosen when the live group says its compute platform'}`,
    `  auto-rollback on:  ${p.autoRollback.join(', ') || 'nothing'}`,
    '  CodeDeploy runs the lifecycle events on its instances; the live group, the config and the revision are checked against AWS when you deploy.',
  ];
  return `${lines.join('\n')}\n`;
}
