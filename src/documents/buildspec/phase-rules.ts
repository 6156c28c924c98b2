/**
 * Phase rules: the four phases a buildspec may have, the commands each needs, and how each command list is
 * written (scalars YAML does not read as text, empty items, multi-line block strings).
 */
import type { KindContext } from '../kind.js';
import { formatPath, isRecord, suggest } from '../report.js';
import type { PathSegment } from '../source.js';

const PHASE_NAMES = ['install', 'pre_build', 'build', 'post_build'] as const;
const PHASES_NEEDING_COMMANDS: readonly string[] = ['pre_build', 'build', 'post_build'];

/**
 * One decision for every way a phase can lack commands (see docs/rules.md): the reference makes
 * `commands` a required sequence of pre_build, build and post_build when the phase is given, and names
 * the only four phases, so a missing or empty `commands` and an unknown phase are errors (as an unknown
 * AppSpec hook is); an empty item and a multi-line block string run on AWS, so they only warn.
 */
export function checkPhases(ctx: KindContext, phases: Record<string, unknown>): void {
  const r = ctx.reporter;
  for (const [name, phase] of Object.entries(phases)) {
    if (!(PHASE_NAMES as readonly string[]).includes(name)) {
      reportUnknownPhase(ctx, name, phases);
      continue;
    }
    const needsCommands = PHASES_NEEDING_COMMANDS.includes(name);
    if (phase === null) {
      // An empty install phase does nothing and needs nothing: CodeBuild accepts it.
      if (needsCommands)
        r.report(
          'buildspec/phase-commands',
          ['phases', name],
          `phase \`${name}\` is empty; a ${name} phase needs a \`commands\` list (give it commands or remove the phase)`,
        );
      continue;
    }
    if (!isRecord(phase)) continue;
    const commands = phase.commands;
    if (
      needsCommands &&
      (commands === undefined || commands === null || (Array.isArray(commands) && commands.length === 0))
    ) {
      const found = commands === undefined ? 'has no `commands`' : 'has `commands` with nothing in it';
      r.report(
        'buildspec/phase-commands',
        commands === undefined ? ['phases', name] : ['phases', name, 'commands'],
        `phase \`${name}\` ${found}; the buildspec reference requires a commands list in a ${name} phase`,
      );
    }
    for (const key of ['commands', 'finally'] as const)
      checkCommandList(ctx, ['phases', name, key], phase[key], !needsCommands || key === 'finally');
  }
}

function reportUnknownPhase(ctx: KindContext, name: string, phases: Record<string, unknown>): void {
  const path = ['phases', name];
  const known = PHASE_NAMES.join(', ');
  if (
    name === 'commands' ||
    name === 'finally' ||
    name === 'runtime-versions' ||
    name === 'on-failure' ||
    name === 'run-as'
  ) {
    const keys = Object.keys(phases);
    const above = keys[keys.indexOf(name) - 1];
    ctx.reporter.report(
      'buildspec/unknown-phase',
      path,
      `\`${name}\` is read as a phase name because it is not indented under a phase; the buildspec reference allows only the phases ${known}`,
      { part: 'key', hint: above ? `indent it under \`${above}:\`` : 'indent it under a phase' },
    );
    return;
  }
  const guess = suggest(name, PHASE_NAMES);
  ctx.reporter.report(
    'buildspec/unknown-phase',
    path,
    `unknown phase \`${name}\`; the buildspec reference allows only the phases ${known}`,
    { part: 'key', ...(guess ? { hint: `did you mean \`${guess}\`?` } : {}) },
  );
}

/** Scalars YAML does not read as text, empty items and multi-line block strings in a command list. */
function checkCommandList(
  ctx: KindContext,
  path: PathSegment[],
  list: unknown,
  emptyListAllowed: boolean,
): void {
  const r = ctx.reporter;
  if (list === null && emptyListAllowed) {
    r.report(
      'buildspec/empty-command',
      path,
      `\`${formatPath(path)}\` is empty; CodeBuild runs nothing for it`,
      {
        hint: 'remove the key or give it commands',
      },
    );
    return;
  }
  if (typeof list === 'string' && list.trim().includes('\n')) {
    r.report(
      'buildspec/commands-block',
      path,
      `\`${formatPath(path)}\` is one multi-line string, which CodeBuild runs as a single command: a failing line other than the last does not fail the phase`,
      { hint: 'write one list item per command (`- cmd`)' },
    );
    return;
  }
  const items: [unknown, PathSegment[]][] = Array.isArray(list)
    ? list.map((c, i): [unknown, PathSegment[]] => [c, [...path, i]])
    : [[list, path]];
  for (const [c, p] of items) {
    if (c === null && p.length > path.length) {
      r.report(
        'buildspec/empty-command',
        p,
        `\`${formatPath(p)}\` is empty (a bare \`-\`, or only a comment); CodeBuild skips it`,
        { hint: 'remove the item, or put the comment on its own line without `-`' },
      );
      continue;
    }
    if (typeof c !== 'number' && typeof c !== 'boolean') continue;
    const written = ctx.source.scalarStyle(p)?.text ?? String(c);
    r.report(
      'buildspec/non-string-command',
      p,
      `command \`${written}\` is read by YAML as ${typeof c === 'number' ? 'a number' : 'a boolean'}, not text; CodeBuild runs its text`,
      { hint: `quote it: "${written}"` },
    );
  }
}
