/**
 * The model of what the fleet should be doing: which revision serves, which deployment is unfinished, what
 * `history` must list, and for each command the exit codes and final statuses the CLI contract allows
 * (README / docs/deploy.md). It follows what actually happened where the contract allows more than one outcome
 * (an abort racing a deployment that just finished), so one surprise does not make every later check noise.
 */
import type { DeploymentStatus } from '../../src/deploy/events.js';
import {
  ALL_AT_ONCE,
  type Command,
  GATED,
  MANUAL,
  type RevisionKind,
  type StrategyName,
} from './commands.js';

/** One row of `conveyor history --json`. */
export interface HistoryRow {
  id: string;
  status: DeploymentStatus;
  revision: string;
  strategy: string;
  creator: 'user' | 'rollback';
  reason: string | null;
  createdAt: string;
  durationMs: number;
}

export interface ActiveDeployment {
  id: string;
  label: string;
  kind: RevisionKind | 'rollback';
  strategy: StrategyName;
  runnerAlive: boolean;
  runnerPid?: number;
  /** Final statuses the contract allows for it. */
  allowed: DeploymentStatus[];
  promoteRequested: boolean;
}

interface ExpectedRow {
  id: string;
  revision: string;
  creator: 'user' | 'rollback';
  allowed: DeploymentStatus[];
  rollbackOf?: string;
  /** Created while the group was down. */
  afterDown?: boolean;
}

/** What a command should do, decided before it runs. */
export interface Expectation {
  /** The command must be refused (exit 2) and record nothing. */
  refused: boolean;
  /** A new deployment row this command creates. */
  creates?: {
    revision: string;
    creator: 'user' | 'rollback';
    allowed: DeploymentStatus[];
    rollbackOf?: string;
  };
  /** Requests may fail and capacity may be zero while it runs (down, or an all-at-once the user asked for). */
  outage: boolean;
}

/** What the runner observed after a command. */
export interface Observed {
  code: number;
  stdout: string;
  stderr: string;
  rows: HistoryRow[];
}

const TERMINAL: readonly DeploymentStatus[] = ['Succeeded', 'Failed', 'RolledBack', 'Stopped'];
const RACE = /already (Succeeded|Failed|RolledBack|Stopped); nothing to/;

export class FleetModel {
  /** After `down`, until a command brings the fleet back. */
  down = false;
  /** The router was killed and nothing has restarted it yet. */
  routerKilled = false;
  /** The revision the stable fleet should serve. */
  serving: string | undefined;
  /** Succeeded deployments, oldest first (what `rollback` goes back to); `rollbackOf` is the one a rollback undid. */
  readonly succeeded: { id: string; label: string; rollbackOf?: string }[] = [];
  /** Labels of revisions whose own 500s are expected. */
  readonly erroring = new Set<string>();
  active: ActiveDeployment | undefined;
  /** The strategy the group file names now (the last deploy's). */
  groupStrategy: StrategyName = 'all-at-once';
  private readonly rows: ExpectedRow[] = [];

  constructor(readonly upExists: boolean) {}

  /**
   * What `rollback` redeploys when nothing runs (docs/deploy.md): the newest good revision other than the serving
   * one, skipping deployments an earlier rollback undid; and the deployment it undoes.
   */
  rollbackTarget(): { label: string; of: string } | undefined {
    const undone = new Set(this.succeeded.map((d) => d.rollbackOf));
    const target = this.succeeded.findLast((d) => !undone.has(d.id) && d.label !== this.serving);
    const of = this.succeeded.findLast((d) => d.label === this.serving) ?? this.succeeded.at(-1);
    return target && of ? { label: target.label, of: of.id } : undefined;
  }

  expect(cmd: Command, label?: string): Expectation {
    const a = this.active;
    switch (cmd.kind) {
      case 'deploy': {
        if (a) return { refused: true, outage: this.down };
        const allowed = this.outcomes(cmd.revision, cmd.strategy);
        return {
          refused: false,
          creates: { revision: label!, creator: 'user', allowed },
          outage: this.down || ALL_AT_ONCE.includes(cmd.strategy),
        };
      }
      case 'promote':
        return { refused: !a, outage: this.down };
      case 'abort':
      case 'resume':
        return { refused: !a, outage: this.down || (a !== undefined && ALL_AT_ONCE.includes(a.strategy)) };
      case 'rollback': {
        if (a) return { refused: false, outage: this.down || ALL_AT_ONCE.includes(a.strategy) };
        const target = this.rollbackTarget();
        if (!target) return { refused: true, outage: this.down };
        // Nothing in progress: the group's own strategy, never all at once unless the group asks for it (#12).
        return {
          refused: false,
          creates: {
            revision: target.label,
            creator: 'rollback',
            allowed: ['Succeeded'],
            rollbackOf: target.of,
          },
          outage: this.down || ALL_AT_ONCE.includes(this.groupStrategy),
        };
      }
      case 'down':
        return { refused: a?.runnerAlive === true, outage: true };
      case 'up':
        // Refused when nothing was deployed or a deployment is unfinished (deploy --resume and rollback restart it).
        return { refused: a !== undefined || this.succeeded.length === 0, outage: this.down };
      default:
        return { refused: false, outage: this.down };
    }
  }

  /** Final statuses allowed for a new deployment of this kind of revision with this strategy. */
  private outcomes(kind: RevisionKind, strategy: StrategyName): DeploymentStatus[] {
    if (kind === 'good') return ['Succeeded'];
    // Only when no deployment ever succeeded is there nothing to roll back to; after `down` the ledger still knows
    // the last good revision and the fresh fleet goes back to it, whatever the strategy (#12).
    if (kind === 'broken') return this.serving === undefined ? ['Failed', 'RolledBack'] : ['RolledBack'];
    // erroring: only gates see 500s; in-place and blue/green have none, and a fresh fleet (the first deploy, or one
    // after `down`) has nothing to compare.
    if (this.serving === undefined || this.down || !GATED.includes(strategy)) return ['Succeeded'];
    // A manual pause can be promoted --full before a gate reading fails it.
    if (MANUAL.includes(strategy)) return ['RolledBack', 'Succeeded'];
    return ['RolledBack'];
  }

  /**
   * Checks what a command did against its expectation and moves the model on. Returns the problems found
   * (exit codes and `history`, invariant (e)).
   */
  record(
    cmd: Command,
    expected: Expectation,
    got: Observed,
    detached?: { id: string; pid: number },
  ): string[] {
    const problems: string[] = [];
    let exp = expected;
    const before = this.rows.length;
    const raced = got.code === 2 && RACE.test(got.stderr);
    // `down` is refused only while a runner runs; the deployment may have ended just before it.
    const ended =
      this.active && TERMINAL.includes(got.rows.find((r) => r.id === this.active?.id)?.status ?? 'Created');
    if (exp.refused && cmd.kind === 'down' && got.code === 0 && ended) exp = { ...exp, refused: false };
    if (exp.refused) {
      if (got.code !== 2) problems.push(`exit ${got.code}, expected 2 (refused)${tail(got)}`);
      if (got.rows.length !== before)
        problems.push(`a refused ${cmd.kind} recorded a deployment (history has ${got.rows.length} rows)`);
      return problems;
    }
    if (exp.creates) {
      const row = got.rows[before];
      if (got.rows.length !== before + 1 || !row) {
        problems.push(`history has ${got.rows.length} rows, expected ${before + 1}${tail(got)}`);
        return problems;
      }
      if (row.revision !== exp.creates.revision || row.creator !== exp.creates.creator)
        problems.push(
          `history row ${row.id} is ${row.revision} by ${row.creator}, expected ${exp.creates.revision} by ${exp.creates.creator}`,
        );
      this.rows.push({ id: row.id, ...exp.creates, ...(this.down ? { afterDown: true } : {}) });
      if (cmd.kind === 'deploy') this.groupStrategy = cmd.strategy;
      this.down = false;
      this.routerKilled = false;
      if (detached) {
        if (got.code !== 0) problems.push(`deploy --detach exited ${got.code}${tail(got)}`);
        this.active = {
          id: row.id,
          label: row.revision,
          kind: cmd.kind === 'deploy' ? cmd.revision : 'rollback',
          strategy: cmd.kind === 'deploy' ? cmd.strategy : this.groupStrategy,
          runnerAlive: true,
          runnerPid: detached.pid,
          allowed: exp.creates.allowed,
          promoteRequested: false,
        };
        return [...problems, ...this.sync(got.rows)];
      }
      const want = row.status === 'Succeeded' ? 0 : 1;
      if (!TERMINAL.includes(row.status))
        problems.push(`${cmd.kind} returned while ${row.id} is ${row.status}`);
      else if (got.code !== want)
        problems.push(`${cmd.kind} exited ${got.code} but ${row.id} is ${row.status} (documented: ${want})`);
      if (!exp.creates.allowed.includes(row.status))
        problems.push(
          `${row.id} (${row.revision}) ended ${row.status}${row.reason ? ` (${row.reason})` : ''}, expected ${exp.creates.allowed.join(' or ')}`,
        );
      this.finish(row);
      return [...problems, ...this.sync(got.rows)];
    }
    const a = this.active;
    switch (cmd.kind) {
      case 'promote':
        if (got.code !== 0 && !raced) problems.push(`promote exited ${got.code}${tail(got)}`);
        if (a) {
          a.promoteRequested = true;
          // promote cuts a bake short (docs/deploy.md): before a gate reading fails it, the revision goes on.
          if (a.kind === 'erroring') a.allowed = [...new Set([...a.allowed, 'Succeeded' as const])];
        }
        break;
      case 'abort':
      case 'rollback':
      case 'resume': {
        if (!a) break;
        if (raced) break;
        const row = got.rows.find((r) => r.id === a.id);
        const ok =
          cmd.kind === 'resume'
            ? ['Succeeded']
            : cmd.kind === 'abort'
              ? ['RolledBack']
              : ['RolledBack', 'Succeeded'];
        if (!row || !TERMINAL.includes(row.status)) {
          problems.push(`${cmd.kind} returned while ${a.id} is ${row?.status ?? 'missing'}${tail(got)}`);
          break;
        }
        const want = ok.includes(row.status) ? 0 : 1;
        if (got.code !== want)
          problems.push(`${cmd.kind} exited ${got.code} but ${a.id} is ${row.status} (documented: ${want})`);
        // abort and rollback of an unfinished deployment must roll it back (unless it had just succeeded).
        if (cmd.kind !== 'resume' && row.status !== 'RolledBack' && row.status !== 'Succeeded')
          problems.push(`${cmd.kind} left ${a.id} ${row.status}${row.reason ? ` (${row.reason})` : ''}`);
        if (cmd.kind !== 'resume') a.allowed = [...new Set([...a.allowed, 'RolledBack' as const])];
        // They start the router themselves (docs/deploy.md, `up`): the fleet must serve again.
        this.down = false;
        this.routerKilled = false;
        break;
      }
      case 'down':
        if (got.code !== 0) problems.push(`down exited ${got.code}${tail(got)}`);
        else this.down = true;
        break;
      case 'up':
        if (got.code !== 0) problems.push(`up exited ${got.code}${tail(got)}`);
        else {
          this.down = false;
          this.routerKilled = false;
        }
        break;
      case 'kill-runner':
        if (a) a.runnerAlive = false;
        break;
      case 'kill-router':
        this.routerKilled = true;
        // A runner that cannot read metrics fails its gates after measurementErrorLimit readings (docs/router.md).
        if (a) a.allowed = [...new Set([...a.allowed, 'RolledBack' as const])];
        break;
      case 'kill-instance':
        // An instance of the new fleet that dies fails the deployment's health checks.
        if (a) a.allowed = [...new Set([...a.allowed, 'RolledBack' as const])];
        break;
      default:
        break;
    }
    return [...problems, ...this.sync(got.rows)];
  }

  /**
   * Catches up with deployments that ended on their own (a detached runner finishing) and compares every row
   * of `history` with what the model expects.
   */
  sync(rows: HistoryRow[], runner?: { alive: boolean }): string[] {
    const problems: string[] = [];
    const a = this.active;
    if (a) {
      const row = rows.find((r) => r.id === a.id);
      if (row && TERMINAL.includes(row.status)) {
        if (!a.allowed.includes(row.status))
          problems.push(
            `${row.id} (${row.revision}) ended ${row.status}${row.reason ? ` (${row.reason})` : ''}, expected ${a.allowed.join(' or ')}`,
          );
        this.finish(row);
      } else if (runner && !runner.alive) a.runnerAlive = false;
    }
    if (rows.length !== this.rows.length)
      problems.push(`history lists ${rows.length} deployments, expected ${this.rows.length}`);
    this.rows.forEach((want, i) => {
      const row = rows[i];
      if (!row || row.id !== want.id) return;
      const open = this.active?.id === row.id;
      if (open && TERMINAL.includes(row.status)) return;
      if (!open && !TERMINAL.includes(row.status))
        problems.push(`history: ${row.id} is ${row.status}, expected it finished`);
      if (!open && !want.allowed.includes(row.status) && !this.reported.has(row.id)) {
        this.reported.add(row.id);
        problems.push(
          `history: ${row.id} (${row.revision}) is ${row.status}, expected ${want.allowed.join(' or ')}`,
        );
      }
    });
    return problems;
  }

  private readonly reported = new Set<string>();

  /**
   * When a deployment started after `down` failed: the time it ended, and whether it rolled back (then the last good
   * revision serves again) or failed (nothing ever succeeded: the group is down again).
   */
  failedAfterDown: { at: number; rolledBack: boolean } | undefined;

  private finish(row: HistoryRow): void {
    const want = this.rows.find((r) => r.id === row.id);
    if (want) want.allowed = [row.status];
    if (want?.afterDown && row.status !== 'Succeeded')
      this.failedAfterDown = {
        at: Date.parse(row.createdAt) + row.durationMs,
        rolledBack: row.status === 'RolledBack',
      };
    if (row.status === 'Succeeded') {
      this.serving = row.revision;
      this.succeeded.push({
        id: row.id,
        label: row.revision,
        ...(want?.rollbackOf ? { rollbackOf: want.rollbackOf } : {}),
      });
    }
    if (this.active?.id === row.id) this.active = undefined;
  }
}

function tail(got: Observed): string {
  const text = (got.stderr || got.stdout).trim().split('\n').slice(-2).join(' / ');
  return text ? `: ${text.slice(0, 300)}` : '';
}
