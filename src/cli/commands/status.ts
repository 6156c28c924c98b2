import { UsageError, WorkFailedError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { runnerAlive } from '../../deploy/engine.js';
import type { LedgerEvent } from '../../deploy/events.js';
import { type GroupContext, providerFor } from '../../deploy/group.js';
import type { LedgerProblem } from '../../deploy/ledger.js';
import { formatEvent, formatStatus, formatTraffic } from '../../deploy/render.js';
import { servingTable } from '../../deploy/serving.js';
import { type DeploymentState, findDeployment, isTerminal, reduce } from '../../deploy/state.js';
import type { DeployProvider, ProviderTraffic } from '../../providers/provider.js';
import { parseCommandArgs } from '../args.js';
import type { CliContext, Command } from '../context.js';
import {
  configLabel,
  eventLog,
  groupOptions,
  LiveBlock,
  liveLines,
  openGroupFromArgs,
  type TerminalStream,
} from '../deploy-progress.js';

/** Events listed by a one-shot status; the live frame of --watch shows fewer so it fits a terminal. */
const RECENT_EVENTS = 10;
const LIVE_EVENTS = 5;
/** How often --watch re-reads the ledger (the live frame's clock moves at least once a second). */
const POLL_MS = 250;
/** How often --watch asks the router for its split when no event arrived. */
const ROUTER_POLL_MS = 2000;

const usage = `Usage: conveyor status [ID] [--config FILE] [--watch] [--json]

A deployment's status, current step, traffic split (as recorded and as the router has it), last gate
reading and events. Without ID: the group's unfinished deployment, else the latest. Without --config: the
group under ./.conveyor that holds ID (or the only one there).

With --watch: follow it until it ends. On a terminal one block is redrawn in place (elapsed time and bake
countdown move every second; what to do next is shown, e.g. promote or abort while Paused); otherwise one
line per new event; with --json one status object per change (its 'events' are those new since the last
object). Ctrl-C stops watching and leaves the deployment as it is.
Exit codes with --watch: 0 succeeded; 1 failed, rolled back, stopped, its runner is gone, or watching was
interrupted; 2 usage or configuration error.`;

interface Snapshot {
  d: DeploymentState;
  runner: { alive: boolean; pid?: number };
  observed: ProviderTraffic | undefined;
  problems: LedgerProblem[];
  /** This deployment's events, oldest first. */
  events: LedgerEvent[];
}

/** Reads the ledger once and the router's split (unless `observed` is given, to poll the router less often). */
async function snapshot(
  group: GroupContext,
  id: string | undefined,
  provider: () => Promise<DeployProvider>,
  observed?: { value: ProviderTraffic | undefined },
): Promise<Snapshot> {
  const { events: all, problems } = group.ledger.read();
  const state = reduce(all);
  const found = findDeployment(state, id);
  // A deployment that has not routed yet shows the split in force for the group (the serving fleet), not none.
  const d =
    found && !found.traffic && !isTerminal(found.status)
      ? {
          ...found,
          traffic: servingTable(state),
          trafficRevisions: state.fleet && !state.stopped ? { stable: state.fleet.revision.label } : {},
        }
      : found;
  if (!d) throw new UsageError(id ? `no deployment ${id} in this group` : 'no deployments in this group yet');
  const runner = runnerAlive(group, d);
  const traffic = observed ? observed.value : await observe(provider);
  return { d, runner, observed: traffic, problems, events: all.filter((e) => e.deploymentId === d.id) };
}

/** The router's own split; undefined when it is not running or cannot be asked. */
async function observe(provider: () => Promise<DeployProvider>): Promise<ProviderTraffic | undefined> {
  try {
    return await (await provider()).observeTraffic();
  } catch {
    return undefined;
  }
}

function runnerLine(
  d: DeploymentState,
  runner: { alive: boolean; pid?: number },
  config: string,
): string | undefined {
  if (isTerminal(d.status)) return undefined;
  if (runner.alive) return `running (pid ${runner.pid})`;
  return `NOT RUNNING${runner.pid ? ` (pid ${runner.pid} is gone)` : ''}: traffic stays as the router has it; resume with 'conveyor deploy --resume --config ${config}' or undo with 'conveyor rollback --config ${config}'`;
}

/** What the user can do next, as commands to type. */
function nextHint(d: DeploymentState, runner: { alive: boolean }, config: string): string[] | undefined {
  if (isTerminal(d.status)) return undefined;
  if (!runner.alive)
    return [
      `conveyor deploy --resume --config ${config}  (continue)`,
      `conveyor rollback --config ${config}  (undo)`,
    ];
  if (d.status === 'Paused')
    return [
      `conveyor promote ${d.id} --config ${config}  (--full: to the end)`,
      `conveyor abort ${d.id} --config ${config}  (roll back)`,
    ];
  return [`conveyor abort ${d.id} --config ${config}  (stop and roll back)`];
}

/** The events that tell the story (hook starts, skipped hooks and bake deadlines left out). */
function story(events: LedgerEvent[]): LedgerEvent[] {
  return events.filter(
    (e) => !(e.type === 'hook' && (e.status === 'started' || e.status === 'skipped')) && e.type !== 'bake',
  );
}

/** The router line when no router answers: requests are refused, and how to bring it back. */
function routerDown(config: string): string {
  return `NOT RUNNING: requests are refused; start it again with 'conveyor up --config ${config}'`;
}

function hasRouter(group: GroupContext): boolean {
  // The router line is the local data plane's truth; CodeDeploy's traffic is in the recorded events.
  return group.loaded.group.provider !== 'codedeploy';
}

function jsonLine(s: Snapshot, events: LedgerEvent[]): string {
  const { revisions, url, ...table } = s.observed ?? {};
  return `${JSON.stringify({
    deployment: s.d,
    runner: { alive: s.runner.alive, pid: s.runner.pid ?? null },
    router: s.observed ? table : null,
    routerRevisions: revisions ?? null,
    url: url ?? null,
    ledgerProblems: s.problems,
    events,
  })}\n`;
}

function renderText(s: Snapshot, group: GroupContext, ctx: CliContext, config: string): void {
  const { d } = s;
  const extra: { runner?: string; observed?: string; url?: string } = {};
  const r = runnerLine(d, s.runner, config);
  if (r) extra.runner = r;
  if (hasRouter(group))
    extra.observed = s.observed ? formatTraffic(s.observed, s.observed.revisions) : routerDown(config);
  if (s.observed?.url) extra.url = s.observed.url;
  ctx.stdout.write(`${formatStatus(d, extra)}\n`);
  // What to type next, as the live frame shows it: the paused event that says it is soon out of the recent events
  // below, since a pause for evidence records a verdict every interval. A runner that is gone says it on its line.
  if (s.runner.alive)
    for (const [i, n] of (nextHint(d, s.runner, config) ?? []).entries())
      ctx.stdout.write(`  ${i ? '         ' : 'next     '}  ${n}\n`);
  const told = story(s.events);
  const shown = told.slice(-RECENT_EVENTS);
  ctx.stdout.write(
    `  events     ${told.length > shown.length ? `(last ${shown.length} of ${told.length}; --json for all)` : ''}\n`,
  );
  for (const e of shown)
    ctx.stdout.write(
      `    ${new Date(e.at).toISOString().slice(11, 23)} ${formatEvent(e, d).split('\n')[0]}\n`,
    );
}

/** The live frame of `status --watch` on a terminal. */
function frame(s: Snapshot, group: GroupContext, config: string, now: number): string[] {
  const { d } = s;
  const hook = d.lastHook ? `${d.lastHook.instance} ${d.lastHook.event} ${d.lastHook.status}` : undefined;
  const runner = isTerminal(d.status)
    ? undefined
    : s.runner.alive
      ? `running (pid ${s.runner.pid})`
      : `NOT RUNNING${s.runner.pid ? ` (pid ${s.runner.pid} is gone)` : ''}: traffic stays as the router has it`;
  const next = nextHint(d, s.runner, config);
  return liveLines(d, {
    now,
    ...(hook ? { hook } : {}),
    ...(hasRouter(group)
      ? { router: s.observed ? formatTraffic(s.observed, s.observed.revisions) : routerDown(config) }
      : {}),
    ...(runner ? { runner } : {}),
    events: story(s.events)
      .slice(-LIVE_EVENTS)
      .map((e) => `${new Date(e.at).toISOString().slice(11, 19)} ${formatEvent(e, d).split('\n')[0]}`),
    ...(next ? { next } : {}),
  });
}

/**
 * Follows a deployment until it reaches a final status, its runner is gone, or the user interrupts. Reads only:
 * the deployment is never touched.
 */
async function watch(
  group: GroupContext,
  first: Snapshot,
  ctx: CliContext,
  json: boolean,
  config: string,
  provider: () => Promise<DeployProvider>,
): Promise<number> {
  const out = ctx.stdout as TerminalStream;
  const live = !json && out.isTTY === true;
  const block = live ? new LiveBlock(out) : undefined;
  let s = first;
  let seen = s.events.length;
  let routerAt = ctx.clock.now();
  let shown = '';
  const redraw = () => {
    if (!block) return;
    const lines = frame(s, group, config, ctx.clock.now());
    const text = lines.join('\n');
    // Only when something visible changed (the clock moves once a second): no flicker between polls.
    if (text !== shown) block.draw(lines);
    shown = text;
  };
  if (json) out.write(jsonLine(s, s.events));
  else if (block) redraw();
  else renderText(s, group, ctx, config);

  const log = eventLog();
  const emit = (events: LedgerEvent[]) => {
    if (json) out.write(jsonLine(s, events));
    else if (!block)
      for (const e of events) {
        const line = log(e, s.d);
        if (line !== undefined) out.write(`${line}\n`);
      }
  };
  let runnerGone = false;
  while (!isTerminal(s.d.status) && !ctx.signal.aborted) {
    const interrupted = await ctx.clock.sleep(POLL_MS, ctx.signal).then(
      () => false,
      () => true,
    );
    if (interrupted) break;
    const before = s.d.eventCount;
    s = await snapshot(group, s.d.id, provider, { value: s.observed });
    // The router is asked again when the ledger moved, else every couple of seconds.
    if (hasRouter(group) && (s.d.eventCount !== before || ctx.clock.now() - routerAt >= ROUTER_POLL_MS)) {
      s.observed = await observe(provider);
      routerAt = ctx.clock.now();
    }
    if (!isTerminal(s.d.status) && !s.runner.alive) {
      // The runner may have just finished and released its lock: look again before giving up.
      s = await snapshot(group, s.d.id, provider, { value: s.observed });
      runnerGone = !isTerminal(s.d.status);
    }
    const fresh = s.events.slice(seen);
    seen = s.events.length;
    // A consumer of --json learns why watching ended even when no event came with it.
    if (fresh.length || (runnerGone && json)) emit(fresh);
    redraw();
    if (runnerGone) {
      // Nobody will move it on: stop watching and say so (with how to recover).
      if (!json && !block)
        out.write(`${s.d.id} ${s.d.status}: runner ${runnerLine(s.d, s.runner, config)}\n`);
      break;
    }
  }
  redraw();
  block?.close(true);
  const { d } = s;
  if (runnerGone) return ExitCode.Failed;
  if (!isTerminal(d.status)) {
    // Interrupted: say so, leave the deployment as it is.
    ctx.stderr.write(
      `stopped watching: ${d.id} is ${d.status} and was not touched (watch again with 'conveyor status ${d.id} --watch --config ${config}')\n`,
    );
    return ExitCode.Failed;
  }
  if (!json && !block) out.write(`${d.id} ${d.status}${d.reason ? `: ${d.reason}` : ''}\n`);
  // As deploy: a deployment that did not succeed is a failed command, said on stderr in text mode.
  if (d.status !== 'Succeeded' && !json) throw new WorkFailedError(`deployment ${d.id} ${d.status}`);
  return d.status === 'Succeeded' ? ExitCode.Ok : ExitCode.Failed;
}

const command: Command = {
  summary: "Show a deployment's status, step, traffic split and events",
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs({
      args,
      options: { ...groupOptions, watch: { type: 'boolean', short: 'w' } },
      allowPositionals: true,
    });
    const group = openGroupFromArgs(values, ctx, 'status', positionals[0]);
    const id = positionals[0];
    const json = values.json === true;
    const config = configLabel(group, ctx);
    let cached: Promise<DeployProvider> | undefined;
    const provider = () => {
      cached ??= providerFor(group);
      return cached;
    };
    const first = await snapshot(group, id, provider);
    if (values.watch) return watch(group, first, ctx, json, config, provider);
    if (json) ctx.stdout.write(jsonLine(first, first.events));
    else renderText(first, group, ctx, config);
    return ExitCode.Ok;
  },
};
export default command;
