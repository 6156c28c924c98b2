/**
 * Shared by the deployment commands: option parsing for the group, and live progress —
 * a redrawn block on a TTY, one plain line per event otherwise, NDJSON under --json.
 */
import { relative, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { UsageError } from '../core/errors.js';
import { readTextFile } from '../core/files.js';
import { type LedgerEvent, TERMINAL_STATUSES } from '../deploy/events.js';
import {
  describeLedgerProblems,
  findGroupFile,
  type GroupContext,
  openGroup,
  readGroupState,
} from '../deploy/group.js';
import { formatCheckVerdict, formatEvent, formatTraffic } from '../deploy/render.js';
import { appspecFile } from '../deploy/revision.js';
import type { AwsOverrides } from '../deploy/run-options.js';
import type { DeploymentState } from '../deploy/state.js';
import { describeStep } from '../deploy/steps.js';
import type { CliContext, OutputStream } from './context.js';

export const groupOptions = {
  config: { type: 'string', short: 'c' },
  'state-dir': { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** For group commands that may call AWS (provider: codedeploy): deploy, rollback, abort. */
export const awsGroupOptions = {
  region: { type: 'string' },
  profile: { type: 'string' },
} as const;

/** `--region` / `--profile` as the engine's overrides; a blank value is a usage error. */
export function awsOverrides(values: { region?: string; profile?: string }): AwsOverrides {
  for (const k of ['region', 'profile'] as const)
    if (values[k] !== undefined && !values[k].trim()) throw new UsageError(`--${k} needs a value`);
  return {
    ...(values.region ? { region: values.region.trim() } : {}),
    ...(values.profile ? { profile: values.profile.trim() } : {}),
  };
}

export function openGroupFromArgs(
  values: { config?: string; 'state-dir'?: string },
  ctx: CliContext,
  command: string,
  deploymentId?: string,
): GroupContext {
  let config = values.config;
  if (!config) {
    // Without --config: the group in ./.conveyor (or --state-dir) that holds this deployment, or the only one.
    const stateDir = resolve(ctx.cwd, values['state-dir'] ?? '.conveyor');
    const found = findGroupFile(stateDir, deploymentId);
    if (!found.file) {
      throw new UsageError(
        found.candidates.length
          ? `--config FILE is required: ${deploymentId ? `no group here holds ${deploymentId}` : 'several groups here'} (${found.candidates.join(', ')})`
          : '--config FILE is required (no deployment group found under .conveyor here)',
        `conveyor ${command} --config deploy/dev.yml`,
      );
    }
    config = found.file;
  }
  const group = openGroup(config, {
    cwd: ctx.cwd,
    // Looking at or stopping a group must work even when a rollback hook script has gone missing.
    readOnly: command === 'status' || command === 'history' || command === 'down',
    ...(values['state-dir'] ? { stateDir: values['state-dir'] } : {}),
  });
  const { problems } = readGroupState(group);
  if (problems.length)
    ctx.stderr.write(`warning: damaged ledger lines:\n${describeLedgerProblems(group, problems)}\n`);
  return group;
}

/** The hooks of a revision's appspec, by event (for --dry-run). */
export function hooksOfRevision(dir: string): Record<string, { location: string }[] | null> {
  const file = appspecFile(dir);
  if (!file) return {};
  try {
    const value = parseDocument(readTextFile(file)).toJS() as {
      hooks?: Record<string, { location?: string }[] | null>;
    };
    const out: Record<string, { location: string }[] | null> = {};
    for (const [event, scripts] of Object.entries(value?.hooks ?? {})) {
      out[event] = (scripts ?? []).map((s) => ({ location: String(s.location ?? '?') }));
    }
    return out;
  } catch {
    return {};
  }
}

function clock(at: number): string {
  return new Date(at).toISOString().slice(11, 23);
}

/** An output stream that may be a terminal: its width, and its resize notifications (process.stdout has both). */
export interface TerminalStream extends OutputStream {
  columns?: number;
  rows?: number;
  on?(event: 'resize', listener: () => void): unknown;
  off?(event: 'resize', listener: () => void): unknown;
}

/** Display width of a line (our lines carry no escape codes; one column per code point). */
function visibleLength(line: string): number {
  return [...line].length;
}

/** Cuts a line to `width` columns, marking the cut, so a frame never wraps (wrapped rows break cursor-up). */
export function fitLine(line: string, width: number): string {
  const chars = [...line];
  if (chars.length <= width) return line;
  return width <= 1 ? chars.slice(0, width).join('') : `${chars.slice(0, width - 1).join('')}…`;
}

/**
 * A block of lines redrawn in place on a terminal: move the cursor up over the previous frame, clear to the end of
 * the screen, write the new frame. Lines are cut to the terminal width (and the frame to its height); after a
 * resize the previous frame's rows are counted at the new width (a narrowed terminal wraps them) before it is
 * cleared and drawn again.
 */
export class LiveBlock {
  private frame: string[] = [];
  private drawn: string[] = [];
  private readonly onResize = () => this.redraw();

  constructor(private readonly out: TerminalStream) {
    out.on?.('resize', this.onResize);
  }

  private width(): number {
    const cols = this.out.columns;
    // One column spare: writing into the last column leaves some terminals in a pending wrap.
    return cols && cols > 1 ? cols - 1 : 79;
  }

  private rowsDrawn(): number {
    const width = this.width() + 1;
    return this.drawn.reduce((n, line) => n + Math.max(1, Math.ceil(visibleLength(line) / width)), 0);
  }

  /** Removes the frame from the screen (the cursor ends where the frame began). */
  clear(): void {
    const rows = this.rowsDrawn();
    if (rows) this.out.write(`\x1b[${rows}A\x1b[J`);
    this.drawn = [];
  }

  /** Replaces the frame on screen with `lines`; `above` is written first as a permanent line. */
  draw(lines: string[], above?: string): void {
    this.frame = lines;
    this.redraw(above);
  }

  private redraw(above?: string): void {
    this.clear();
    if (above !== undefined) this.out.write(`${above}\n`);
    if (!this.frame.length) return;
    const width = this.width();
    // A frame taller than the screen would scroll its top out of reach of cursor-up: show what fits.
    const rows = this.out.rows && this.out.rows > 1 ? this.out.rows - 1 : Number.POSITIVE_INFINITY;
    const fitted = this.frame.slice(0, rows).map((l) => fitLine(l, width));
    this.out.write(`${fitted.join('\n')}\n`);
    this.drawn = fitted;
  }

  /** Stops following resizes; `keep` leaves the last frame on screen, else it is cleared. */
  close(keep: boolean): void {
    this.out.off?.('resize', this.onResize);
    if (!keep) this.clear();
    this.frame = [];
    this.drawn = [];
  }
}

function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export interface LiveLinesOptions {
  /** Current time, for the bake countdown and the elapsed time. */
  now: number;
  /** The hook running or last reported, as `instance event status`. */
  hook?: string;
  /** The router's own view of the traffic split (local provider). */
  router?: string;
  runner?: string;
  /** The last events, oldest first, already rendered. */
  events?: string[];
  /** What the user can do next, one command a line. */
  next?: string[];
}

/**
 * The live frame of a deployment: status, step with bake countdown, elapsed time, traffic, gate, hook, and (for
 * `status --watch`) the router's split, the runner, the last events and what to do next. `deploy` and
 * `status --watch` draw the same frame.
 */
export function liveLines(d: DeploymentState, o: LiveLinesOptions): string[] {
  const steps = d.plan.steps.length;
  const step = d.plan.steps[Math.min(d.step, steps - 1)];
  const final = TERMINAL_STATUSES.includes(d.status);
  const remaining = d.bakeUntil && !final ? Math.max(0, Math.ceil((d.bakeUntil - o.now) / 1000)) : undefined;
  const elapsed = formatElapsed((final ? (d.finishedAt ?? d.updatedAt) : o.now) - d.createdAt);
  const lines = [
    `  ${d.id} ${d.status}  step ${Math.min(d.step + 1, steps)}/${steps}: ${step ? describeStep(step) : ''}${remaining !== undefined ? ` (${remaining}s left)` : ''}  [${elapsed}]`,
    `  traffic ${formatTraffic(d.traffic, d.trafficRevisions)}`,
  ];
  if (o.router !== undefined) lines.push(`  router  ${o.router}`);
  lines.push(
    `  gate    ${d.lastVerdict ? `${d.lastVerdict.result}: ${d.lastVerdict.reasons.join('; ')}${d.verdicts > 1 ? ` (${d.verdicts} readings)` : ''}` : '-'}`,
  );
  for (const c of d.checks ?? []) lines.push(`  check   ${formatCheckVerdict(c)}`);
  lines.push(`  hook    ${o.hook || '-'}`);
  if (d.reason) lines.push(`  reason  ${d.reason}`);
  if (o.runner) lines.push(`  runner  ${o.runner}`);
  if (o.events) {
    lines.push('  events');
    for (const e of o.events) lines.push(`    ${e}`);
  }
  for (const [i, n] of (o.next ?? []).entries()) lines.push(`  ${i ? '      ' : 'next  '}  ${n}`);
  return lines;
}

export interface Progress {
  onEvent(event: LedgerEvent, d: DeploymentState): void;
  finish(): void;
}

/** Events a log shows: hook starts and hooks without scripts stay in the ledger and in --json. */
export function loggedEvent(e: LedgerEvent): boolean {
  if (e.type === 'hook' && e.status === 'started') return false;
  return !(e.type === 'hook' && e.status === 'skipped' && /^no /.test(e.message ?? ''));
}

/** One plain line for an event (non-terminal progress of deploy and status --watch). */
export function eventLine(e: LedgerEvent, d: DeploymentState): string {
  return `${clock(e.at)} ${e.deploymentId} ${formatEvent(e, d)}`;
}

/** How often a log repeats a gate verdict that has not changed (a short reminder, not the whole reading). */
export const VERDICT_REMINDER_MS = 10_000;

/**
 * Gate readings in a log: the whole verdict when its result changes (or a new step starts judging), else a short
 * reminder every VERDICT_REMINDER_MS — not the same long line every analysis interval while a gate waits for data.
 * Every reading stays in the ledger, in `--json` and in the live block.
 */
export class VerdictLog {
  private shown: { key: string; at: number; since: number; readings: number } | undefined;

  /** The text to log for a verdict event, undefined to log nothing; `full` renders the whole reading. */
  text(e: Extract<LedgerEvent, { type: 'verdict' }>, full: () => string): string | undefined {
    const key = `${e.index}:${e.result}`;
    const shown = this.shown;
    if (!shown || shown.key !== key) {
      this.shown = { key, at: e.at, since: e.at, readings: 1 };
      return full();
    }
    shown.readings += 1;
    if (e.at - shown.at < VERDICT_REMINDER_MS) return undefined;
    shown.at = e.at;
    return `gate still ${e.result} (${shown.readings} readings since ${clock(shown.since).slice(0, 8)})`;
  }
}

/** A plain log of events: one line each, gate readings through a VerdictLog. */
export function eventLog(): (e: LedgerEvent, d: DeploymentState) => string | undefined {
  const verdicts = new VerdictLog();
  return (e, d) => {
    if (!loggedEvent(e)) return undefined;
    if (e.type !== 'verdict') return eventLine(e, d);
    const text = verdicts.text(e, () => formatEvent(e, d));
    return text === undefined ? undefined : `${clock(e.at)} ${e.deploymentId} ${text}`;
  };
}

export function createProgress(out: TerminalStream, json: boolean, now: () => number = Date.now): Progress {
  if (json) {
    return { onEvent: (e) => out.write(`${JSON.stringify(e)}\n`), finish: () => {} };
  }
  if (!out.isTTY) {
    const log = eventLog();
    return {
      onEvent(e, d) {
        const line = log(e, d);
        if (line !== undefined) out.write(`${line}\n`);
      },
      finish: () => {},
    };
  }
  // TTY: permanent lines for milestones, plus a live block redrawn in place.
  const block = new LiveBlock(out);
  let last: DeploymentState | undefined;
  let hook = '';
  const draw = (above?: string) => {
    if (last) block.draw(liveLines(last, { now: now(), hook }), above);
  };
  const milestone = (e: LedgerEvent) =>
    (e.type === 'step' && e.phase === 'completed') ||
    e.type === 'paused' ||
    e.type === 'rollback-started' ||
    e.type === 'rollback-finished' ||
    e.type === 'finished' ||
    e.type === 'created' ||
    (e.type === 'hook' && e.status === 'failed') ||
    (e.type === 'health' && !e.ok);
  const verdicts = new VerdictLog();
  // Redraw once a second too, so a bake's countdown and the elapsed time move between events.
  const ticker = setInterval(() => {
    if (!last || TERMINAL_STATUSES.includes(last.status)) return;
    draw();
  }, 1000);
  ticker.unref();
  return {
    onEvent(e, d) {
      last = d;
      if (e.type === 'hook') hook = `${e.instance} ${e.event} ${e.status}`;
      const verdict =
        e.type === 'verdict' && e.result !== 'pass' ? verdicts.text(e, () => formatEvent(e, d)) : undefined;
      draw(
        milestone(e)
          ? `${clock(e.at)} ${formatEvent(e, d)}`
          : verdict
            ? `${clock(e.at)} ${verdict}`
            : undefined,
      );
    },
    finish() {
      clearInterval(ticker);
      block.close(false);
    },
  };
}

/** The group file as the user would type it in a follow-up command. */
export function configLabel(group: GroupContext, ctx: CliContext): string {
  const rel = relative(ctx.cwd, group.loaded.file);
  return rel.startsWith('..') ? group.loaded.file : rel;
}
