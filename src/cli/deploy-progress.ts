/**
 * Shared by the deployment commands: option parsing for the group, and live progress —
 * a redrawn block on a TTY, one plain line per event otherwise, NDJSON under --json.
 */
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { UsageError } from '../core/errors.js';
import type { LedgerEvent } from '../deploy/events.js';
import {
  describeLedgerProblems,
  findGroupFile,
  type GroupContext,
  openGroup,
  readGroupState,
} from '../deploy/group.js';
import { formatEvent, formatTraffic } from '../deploy/render.js';
import { appspecFile } from '../deploy/revision.js';
import type { DeploymentState } from '../deploy/state.js';
import { describeStep } from '../deploy/steps.js';
import type { CliContext, OutputStream } from './context.js';

export const groupOptions = {
  config: { type: 'string', short: 'c' },
  'state-dir': { type: 'string' },
  json: { type: 'boolean' },
} as const;

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
    const value = parseDocument(readFileSync(file, 'utf8')).toJS() as {
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

export interface Progress {
  onEvent(event: LedgerEvent, d: DeploymentState): void;
  finish(): void;
}

export function createProgress(out: OutputStream, json: boolean): Progress {
  if (json) {
    return { onEvent: (e) => out.write(`${JSON.stringify(e)}\n`), finish: () => {} };
  }
  if (!out.isTTY) {
    return {
      onEvent(e, d) {
        if (e.type === 'hook' && e.status === 'started') return;
        // Events without scripts are noise in a log; they stay in the ledger and in --json.
        if (e.type === 'hook' && e.status === 'skipped' && /^no /.test(e.message ?? '')) return;
        out.write(`${clock(e.at)} ${e.deploymentId} ${formatEvent(e, d)}\n`);
      },
      finish: () => {},
    };
  }
  // TTY: permanent lines for milestones, plus a live block redrawn in place.
  let blockLines = 0;
  let last: DeploymentState | undefined;
  let hook = '';
  const clear = () => {
    if (blockLines) out.write(`\x1b[${blockLines}A\x1b[J`);
    blockLines = 0;
  };
  const draw = () => {
    if (!last) return;
    const d = last;
    const step = d.plan.steps[Math.min(d.step, d.plan.steps.length - 1)];
    const remaining = d.bakeUntil ? Math.max(0, Math.ceil((d.bakeUntil - Date.now()) / 1000)) : undefined;
    const lines = [
      `  ${d.id} ${d.status}  step ${Math.min(d.step + 1, d.plan.steps.length)}/${d.plan.steps.length}: ${step ? describeStep(step) : ''}${remaining !== undefined ? ` (${remaining}s left)` : ''}`,
      `  traffic ${formatTraffic(d.traffic, d.trafficRevisions)}`,
      `  gate    ${d.lastVerdict ? `${d.lastVerdict.result}: ${d.lastVerdict.reasons.join('; ')}` : '-'}`,
      `  hook    ${hook || '-'}`,
    ];
    out.write(`${lines.join('\n')}\n`);
    blockLines = lines.length;
  };
  const milestone = (e: LedgerEvent) =>
    (e.type === 'step' && e.phase === 'completed') ||
    e.type === 'paused' ||
    e.type === 'rollback-started' ||
    e.type === 'rollback-finished' ||
    e.type === 'finished' ||
    e.type === 'created' ||
    (e.type === 'hook' && e.status === 'failed') ||
    (e.type === 'verdict' && e.result !== 'pass') ||
    (e.type === 'health' && !e.ok);
  // Redraw once a second too, so a bake's countdown moves between events.
  const ticker = setInterval(() => {
    if (!last || ['Succeeded', 'Failed', 'RolledBack', 'Stopped'].includes(last.status)) return;
    clear();
    draw();
  }, 1000);
  ticker.unref();
  return {
    onEvent(e, d) {
      last = d;
      if (e.type === 'hook') hook = `${e.instance} ${e.event} ${e.status}`;
      clear();
      if (milestone(e)) out.write(`${clock(e.at)} ${formatEvent(e, d)}\n`);
      draw();
    },
    finish() {
      clearInterval(ticker);
      clear();
    },
  };
}

/** The group file as the user would type it in a follow-up command. */
export function configLabel(group: GroupContext, ctx: CliContext): string {
  const rel = relative(ctx.cwd, group.loaded.file);
  return rel.startsWith('..') ? group.loaded.file : rel;
}
