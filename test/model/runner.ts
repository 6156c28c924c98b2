/**
 * Runs one generated sequence of operator commands against a real group (router and instances on loopback)
 * under steady load, checks the invariants after every command, and cleans everything up, also on failure.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { packageRoot } from '../../src/core/paths.js';
import type { RouterState } from '../../src/router/api.js';
import { routerFiles } from '../../src/router/files.js';
import {
  type GroupFixture,
  makeGroup,
  routerState,
  running,
  serverPid,
  servingUpstreams,
  waitFor,
} from '../integration/deploy/helpers.js';
import {
  ALL_AT_ONCE,
  type Command,
  type CommandKind,
  describeCommand,
  MANUAL,
  type RevisionKind,
  STRATEGIES,
  type StrategyName,
} from './commands.js';
import { CommandGenerator } from './generator.js';
import {
  checkCapacity,
  checkFailures,
  checkForced,
  checkShares,
  checkTables,
  classify,
  type Finding,
  type Invariant,
  Outages,
  SHARE_SAMPLE,
  type StatusView,
} from './invariants.js';
import { SteadyLoad } from './load.js';
import { FleetModel, type HistoryRow } from './model.js';

export interface SequenceOptions {
  seed: number;
  /** Commands after the first deploy. */
  length: number;
  allow?: readonly CommandKind[];
  strategies?: readonly StrategyName[];
  /** Whether `conveyor up` exists (it is left out of the generator until it does). */
  upAvailable: boolean;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface Violation {
  step: number;
  command: string;
  invariant: Invariant;
  message: string;
}

export interface SequenceResult {
  seed: number;
  fleet: number;
  commands: string[];
  requests: number;
  /** 500s of an erroring revision while it served (its own share). */
  ownErrors: number;
  /** Failed requests outside a failing revision's own share and outside expected outages. */
  failedRequests: number;
  /** Commands after which the answering revisions were compared with status (enough answers, table held still). */
  shareChecks: number;
  violations: Violation[];
}

const COMMAND_TIMEOUT_MS = 60_000;
const SETTLE_TIMEOUT_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether the built CLI has `up` (`node dist/cli/main.js up --help` exits 0). */
export function upAvailable(): boolean {
  const r = spawnSync(process.execPath, [join(packageRoot, 'dist', 'cli', 'main.js'), 'up', '--help'], {
    stdio: 'ignore',
  });
  return r.status === 0;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The group fixture, its revisions and the group file, which the operator edits before each deploy. */
class Fleet {
  private n = 0;
  private readonly head: string;

  constructor(
    readonly f: GroupFixture,
    readonly port: number,
  ) {
    const text = readFileSync(f.config, 'utf8');
    this.head = text
      .slice(0, text.indexOf('\nstrategy') + 1)
      .replace('routerPort: 0', `routerPort: ${port}\n  drainTimeoutSeconds: 2`);
  }

  useStrategy(s: StrategyName): void {
    writeFileSync(this.f.config, `${this.head}${STRATEGIES[s]}\n`);
  }

  /** A tiny revision named after its number and kind (the name is the label every answer carries). */
  revision(kind: RevisionKind): string {
    this.n += 1;
    const label = `r${this.n}-${kind === 'erroring' ? 'err' : kind}`;
    const dir = this.f.rev(label);
    cpSync(join(packageRoot, 'examples', 'hello-web', 'v1'), dir, { recursive: true });
    writeFileSync(
      join(dir, 'app', 'revision.json'),
      JSON.stringify({ version: label, ...(kind === 'erroring' ? { errorRate: 0.5 } : {}) }),
    );
    // Readiness is Conveyor's own health check: ValidateService is a shell line (hello-web's polls in node).
    this.f.script(
      label,
      'validate.sh',
      kind === 'broken' ? 'echo "broken on purpose" >&2\nexit 1' : 'exit 0',
    );
    return label;
  }
}

export async function runSequence(opts: SequenceOptions): Promise<SequenceResult> {
  const log = opts.log ?? (() => {});
  const gen = new CommandGenerator(opts.seed, {
    ...(opts.allow ? { allow: opts.allow } : {}),
    ...(opts.strategies ? { strategies: opts.strategies } : {}),
  });
  gen.setUpAvailable(opts.upAvailable);
  const size = gen.fleetSize();
  const f = makeGroup(STRATEGIES['all-at-once'], '', { instances: size });
  const fleet = new Fleet(f, await freePort());
  const model = new FleetModel(opts.upAvailable);
  const load = new SteadyLoad(f, fleet.port);
  const result: SequenceResult = {
    seed: opts.seed,
    fleet: size,
    commands: [],
    requests: 0,
    ownErrors: 0,
    failedRequests: 0,
    shareChecks: 0,
    violations: [],
  };
  const outages = new Outages();
  const spans: { start: number; command: string }[] = [];
  const runnerPids = new Set<number>();
  let lastFound = new Set<string>();

  const violation = (step: number, command: string, x: Finding) => {
    result.violations.push({ step, command, ...x });
    log(`  ! (${x.invariant}) ${x.message}`);
  };

  try {
    load.start();
    const sequence: Command[] = [
      { kind: 'deploy', revision: 'good', strategy: 'all-at-once', detach: false },
    ];
    for (let step = 0; step <= opts.length; step++) {
      if (opts.signal?.aborted) break;
      // A detached deployment may have ended since the last check (a gate, a bake running out): catch up first.
      if (step > 0)
        for (const problem of model.sync(await history()))
          violation(step - 1, spans[step - 1]!.command, { invariant: 'e', message: problem });
      if (step > 0) await downAgain(step - 1);
      const cmd = step === 0 ? sequence[0]! : gen.next(model);
      const text = describeCommand(cmd);
      result.commands.push(text);
      const start = Date.now();
      spans.push({ start, command: text });
      const label = cmd.kind === 'deploy' ? fleet.revision(cmd.revision) : undefined;
      if (label && cmd.kind === 'deploy' && cmd.revision === 'erroring') model.erroring.add(label);
      const exp = model.expect(cmd, label);
      if (cmd.kind === 'deploy' && !exp.refused) fleet.useStrategy(cmd.strategy);

      const out = await execute(cmd, label);
      const end = Date.now();
      // Interrupted (Ctrl-C): the command was cut short on purpose; judge nothing more, clean up.
      if (opts.signal?.aborted) break;
      if (out.timedOut) violation(step, text, { invariant: 'e', message: `${text} did not return in 60 s` });
      log(
        `  ${step}. ${text} → exit ${out.code}${out.instance ? ` (killed ${out.instance})` : ''} (${((end - start) / 1000).toFixed(1)} s)`,
      );
      for (const pid of out.pids ?? []) runnerPids.add(pid);

      const settled = await settle(cmd, exp.creates !== undefined || cmd.kind === 'promote');
      if (!settled)
        violation(step, text, {
          invariant: 'e',
          message: 'the deployment did not reach a pause, a bake or its end within 30 s',
        });
      const rows = await history();
      const detached =
        cmd.kind === 'deploy' && cmd.detach && out.code === 0 && !exp.refused
          ? parseDetached(out.stdout)
          : undefined;
      for (const problem of model.record(cmd, exp, { ...out, rows }, detached))
        violation(step, text, { invariant: 'e', message: problem });

      await downAgain(step);
      // Outages the user asked for: the command itself (until its deployment settled) when expected; a deployment
      // that takes every instance at once, until it ends; down or a killed router, until a command brings the
      // fleet back (without `up`, a killed router gets only a short grace: it should not stay down).
      const now = Date.now();
      if (exp.outage || step === 0) outages.add({ from: step === 0 ? 0 : start, to: now + 300, why: text });
      const allAtOnce = model.active !== undefined && ALL_AT_ONCE.includes(model.active.strategy);
      outages.track('an all-at-once deployment', allAtOnce, start, now);
      outages.track('down', model.down, start, now);
      outages.track('killed router', model.routerKilled, start, now, opts.upAvailable ? undefined : 2000);
      if (cmd.kind === 'kill-instance' && out.instance)
        outages.add({ from: start, to: end + 1500, why: text, instance: out.instance });

      // A wrong state that persists is one violation, reported after the command that caused it.
      const found = await checkState();
      for (const x of found) if (!lastFound.has(stateKey(x))) violation(step, text, x);
      lastFound = new Set(found.map(stateKey));
      if (result.violations.some((v) => v.message.includes('did not return'))) break;
    }
  } finally {
    const stopAt = Date.now();
    await load.stop();
    outages.closeAll();
    const windows = outages.windows;
    // (c) and (d) over the whole run, each finding attributed to the command during or after which it happened.
    spans.forEach((span, i) => {
      // A command cut short by Ctrl-C (the soak stopping) left the fleet half-done on purpose: judge the rest only.
      if (opts.signal?.aborted && i === spans.length - 1) return;
      const to = spans[i + 1]?.start ?? stopAt;
      const answers = load.answers.filter((a) => a.at >= span.start && a.at < to);
      const { failed, findings } = checkFailures(answers, model.erroring, windows);
      result.failedRequests += failed.length;
      for (const x of findings) violation(i, span.command, x);
      const samples = load.capacity.filter((s) => s.at >= span.start && s.at < to);
      for (const x of checkCapacity(samples, windows)) violation(i, span.command, x);
    });
    result.requests = load.answers.length;
    result.ownErrors = load.answers.filter((a) => classify(a, model.erroring) === 'own-error').length;
    for (const pid of runnerPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await f.cleanup();
  }
  return result;

  async function execute(
    cmd: Command,
    label: string | undefined,
  ): Promise<{
    code: number;
    stdout: string;
    stderr: string;
    timedOut?: boolean;
    pids?: number[];
    instance?: string;
  }> {
    const cli = async (args: string[]) => {
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(), COMMAND_TIMEOUT_MS);
      try {
        const signal = opts.signal ? AbortSignal.any([ac.signal, opts.signal]) : ac.signal;
        const r = await f.cli(args, { signal });
        return { ...r, timedOut: ac.signal.aborted };
      } finally {
        clearTimeout(timer);
      }
    };
    switch (cmd.kind) {
      case 'deploy': {
        const r = await cli([
          'deploy',
          '--revision',
          f.rev(label!),
          ...(cmd.detach ? ['--detach', '--json'] : []),
        ]);
        const pid = cmd.detach && r.code === 0 ? parseDetached(r.stdout)?.pid : undefined;
        return { ...r, ...(pid ? { pids: [pid] } : {}) };
      }
      case 'promote':
        return cli(['promote', ...(cmd.full ? ['--full'] : [])]);
      case 'resume':
        return cli(['deploy', '--resume']);
      case 'abort':
      case 'rollback':
      case 'down':
      case 'up':
        return cli([cmd.kind]);
      case 'kill-runner': {
        const pid = model.active?.runnerPid;
        if (pid) await kill(pid);
        return { code: 0, stdout: '', stderr: '' };
      }
      case 'kill-router': {
        try {
          const { pid } = JSON.parse(
            readFileSync(routerFiles(join(f.groupDir, 'router')).pidFile, 'utf8'),
          ) as {
            pid: number;
          };
          await kill(pid);
        } catch {
          // no router to kill
        }
        return { code: 0, stdout: '', stderr: '' };
      }
      case 'kill-instance': {
        const victim = await killable().catch(() => []);
        const id = victim[Math.floor(cmd.pick * victim.length)];
        if (id) {
          await kill(serverPid(f, id));
          await sleep(500);
        }
        return { code: 0, stdout: '', stderr: '', ...(id ? { instance: id } : {}) };
      }
    }
  }

  /**
   * A deployment started after `down` failed: rolled back, the last good revision serves again; failed (nothing ever
   * succeeded), the group is down again.
   */
  async function downAgain(step: number): Promise<void> {
    const ended = model.failedAfterDown;
    if (ended === undefined) return;
    model.failedAfterDown = undefined;
    const r = await routerState(f).catch(() => undefined);
    if (r && r.table.stable.length + r.table.canary.length > 0) return;
    if (ended.rolledBack)
      violation(step, spans[step]!.command, {
        invariant: 'e',
        message: 'a deployment after down rolled back, but nothing serves',
      });
    model.down = true;
    outages.track('down', true, ended.at, Date.now());
  }

  /** Instances in a set with traffic that keeps another healthy instance: killing one must not drop a request. */
  async function killable(): Promise<string[]> {
    const s = await routerState(f);
    const serving = new Set(servingUpstreams(s));
    const out: string[] = [];
    for (const set of ['stable', 'canary'] as const) {
      const members = s.table[set].map((u) => u.id).filter((id) => serving.has(id));
      if (members.length >= 2) out.push(...members);
    }
    return out;
  }

  async function kill(pid: number): Promise<void> {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return;
    }
    await waitFor(`pid ${pid} to exit`, async () => (running(pid) ? undefined : true), 5000).catch(() => {});
  }

  async function history(): Promise<HistoryRow[]> {
    const r = await f.cli(['history', '--json']);
    return r.code === 0 ? (JSON.parse(r.stdout) as HistoryRow[]) : [];
  }

  async function status(): Promise<(StatusView & { deployment: Record<string, unknown> }) | undefined> {
    const r = await f.cli(['status', '--json']);
    return r.code === 0 ? JSON.parse(r.stdout) : undefined;
  }

  /** Waits until a deployment this command started or moved is paused, baking, or finished. */
  async function settle(cmd: Command, moved: boolean): Promise<boolean> {
    const a = model.active;
    const waits = moved && (cmd.kind === 'deploy' ? cmd.detach : a?.runnerAlive === true);
    if (!waits) return true;
    try {
      await waitFor(
        'the deployment to settle',
        async () => {
          const s = await status();
          const d = s?.deployment as
            | { status: string; bakeUntil?: number; pendingPromote?: unknown }
            | undefined;
          if (!d) return undefined;
          if (['Succeeded', 'Failed', 'RolledBack', 'Stopped'].includes(d.status)) return true;
          if (d.pendingPromote) return undefined;
          return d.status === 'Paused' || d.bakeUntil ? true : undefined;
        },
        SETTLE_TIMEOUT_MS,
      );
      return true;
    } catch {
      return false;
    }
  }

  /** (a) and (b) once the router's table holds still for a sampling window. */
  async function checkState(): Promise<Finding[]> {
    for (let attempt = 0; attempt < 3; attempt++) {
      await sleep(250);
      const r1 = await routerState(f).catch(() => undefined);
      const t1 = Date.now();
      const s = await status();
      await sleep(900);
      const r2 = await routerState(f).catch(() => undefined);
      const t2 = Date.now();
      if (!s) return [{ invariant: 'e', message: 'status --json failed' }];
      if (!sameTable(r1, r2)) continue;
      const findings = checkTables(s, r2, model.down);
      if (model.routerKilled && !r2 && !opts.upAvailable)
        findings.push({
          invariant: 'd',
          message: 'the killed router is still down and nothing can bring it back but a new deploy',
        });
      if (!model.down && r2) {
        const answers = load.answers.filter((a) => a.at >= t1 && a.at <= t2);
        findings.push(...checkShares(answers, s, model.active ? undefined : model.serving));
        if (answers.filter((a) => a.revision !== null).length >= SHARE_SAMPLE) result.shareChecks += 1;
        const a = model.active;
        if (a && a.kind !== 'broken' && MANUAL.includes(a.strategy) && s.deployment.status === 'Paused')
          findings.push(...checkForced(await load.forced(5), a.label));
      }
      return findings.filter((x) => !(model.routerKilled && !r2 && x.invariant === 'a'));
    }
    return [];
  }
}

/** A finding of (a) or (b) without its counts, to tell the same wrong state from a new one. */
function stateKey(x: Finding): string {
  return `${x.invariant} ${x.message.replace(/\(answers: [^)]*\)/g, '').replace(/\d+(\/\d+)?( requests|%)/g, 'N$2')}`;
}

function sameTable(a: RouterState | undefined, b: RouterState | undefined): boolean {
  if (!a || !b) return a === b;
  return a.generation === b.generation && a.pid === b.pid;
}

function parseDetached(stdout: string): { id: string; pid: number } | undefined {
  try {
    const { deploymentId, pid } = JSON.parse(stdout.trim().split('\n').pop() ?? '') as {
      deploymentId: string;
      pid: number;
    };
    return { id: deploymentId, pid };
  } catch {
    return undefined;
  }
}

/** The lines a failure prints so the sequence can be replayed. */
export function describeFailure(r: SequenceResult, replay: string): string {
  const lines = [
    `seed ${r.seed} (fleet of ${r.fleet}): ${r.violations.length} violation(s)`,
    `  sequence: ${r.commands.map((c, i) => `${i}. ${c}`).join('; ')}`,
    ...r.violations.map((v) => `  step ${v.step} (${v.command}) (${v.invariant}) ${v.message}`),
    `  replay: SEED=${r.seed} ${replay}`,
  ];
  return lines.join('\n');
}
