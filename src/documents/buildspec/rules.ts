import type { KindContext } from '../kind.js';
import { checkYaml11Boolean, looksLikeSecret } from '../lints.js';
import { describeValue, formatPath, isRecord, suggest } from '../report.js';
import type { PathSegment } from '../source.js';
import { KNOWN_RUNTIMES, runtimesOfImage, versionMatches, versionsOfRuntime } from './runtimes.js';

export const PHASE_NAMES = ['install', 'pre_build', 'build', 'post_build'] as const;
const PHASES_NEEDING_COMMANDS: readonly string[] = ['pre_build', 'build', 'post_build'];
const BATCH_KINDS = ['build-list', 'build-matrix', 'build-graph', 'build-fanout'] as const;
export const REPORT_FILE_FORMATS = [
  'CUCUMBERJSON',
  'JUNITXML',
  'NUNITXML',
  'NUNIT3XML',
  'TESTNGXML',
  'VISUALSTUDIOTRX',
  'CLOVERXML',
  'COBERTURAXML',
  'JACOCOXML',
  'SIMPLECOV',
] as const;
export const MAX_REPORT_GROUPS = 5;

/** Semantic rules for a buildspec (run after the schema; every access is defensive). */
export function checkBuildspecRules(ctx: KindContext): void {
  const doc = ctx.value;
  if (!isRecord(doc)) return;
  const r = ctx.reporter;

  const batch = isRecord(doc.batch) ? doc.batch : undefined;
  if (typeof doc.version === 'string' && batch) {
    r.report(
      'buildspec/quoted-version',
      ['version'],
      `version is the string "${doc.version}"; batch builds need the number`,
      {
        hint: `write \`version: ${doc.version}\` without quotes`,
      },
    );
  }

  if (doc.phases === undefined && !batch) {
    r.report(
      'buildspec/phases-required',
      [],
      'missing required key `phases` at the top level (only a batch buildspec may leave it out)',
    );
  }
  if (isRecord(doc.phases)) checkPhases(ctx, doc.phases);

  if (
    doc.version !== undefined &&
    (doc.version === 0.2 || doc.version === '0.2') &&
    doc.environment_variables !== undefined
  ) {
    r.report(
      'buildspec/version-key',
      ['environment_variables'],
      '`environment_variables` is the version 0.1 spelling; version 0.2 ignores it',
      { part: 'key', hint: 'move the values to `env.variables`' },
    );
  }

  checkRuntimeVersions(ctx, doc);
  checkVariables(ctx, doc);
  if (batch) checkBatch(ctx, batch);
  checkReports(ctx, doc);
}

/**
 * One decision for every way a phase can lack commands (see docs/rules.md): the reference makes
 * `commands` a required sequence of pre_build, build and post_build when the phase is given, and names
 * the only four phases, so a missing or empty `commands` and an unknown phase are errors (as an unknown
 * AppSpec hook is); an empty item and a multi-line block string run on AWS, so they only warn.
 */
function checkPhases(ctx: KindContext, phases: Record<string, unknown>): void {
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

/** `python: 3.10` is the number 3.1 to YAML: the runtime version the author meant is lost. */
function checkRuntimeVersions(ctx: KindContext, doc: Record<string, unknown>): void {
  const install = isRecord(doc.phases) && isRecord(doc.phases.install) ? doc.phases.install : undefined;
  const versions = install && isRecord(install['runtime-versions']) ? install['runtime-versions'] : undefined;
  if (!versions) return;
  checkRuntimesKnown(ctx, versions);
  for (const [runtime, v] of Object.entries(versions)) {
    if (typeof v !== 'number') continue;
    const path = ['phases', 'install', 'runtime-versions', runtime];
    const style = ctx.source.scalarStyle(path);
    if (style?.type !== 'PLAIN' || style.text === String(v)) continue;
    ctx.reporter.report(
      'buildspec/runtime-version-number',
      path,
      `${runtime} version \`${style.text}\` is read by YAML as the number ${v}, not the text "${style.text}"`,
      { hint: `quote it: "${style.text}"` },
    );
  }
}

/** Names against every current image (or the given one); versions against their lists. */
function checkRuntimesKnown(ctx: KindContext, versions: Record<string, unknown>): void {
  const image = ctx.codebuildImage;
  const ofImage = image !== undefined ? runtimesOfImage(image) : undefined;
  for (const [runtime, v] of Object.entries(versions)) {
    const path = ['phases', 'install', 'runtime-versions', runtime];
    const names = ofImage ? Object.keys(ofImage) : KNOWN_RUNTIMES;
    if (!names.includes(runtime)) {
      const guess = suggest(runtime, names);
      ctx.reporter.report(
        'buildspec/unknown-runtime',
        path,
        `CodeBuild fails the build with "Unknown runtime named ${runtime}": ${ofImage ? `image ${image} has` : 'the current CodeBuild images know'} ${names.join(', ')}`,
        { part: 'key', ...(guess ? { hint: `did you mean \`${guess}\`?` } : {}) },
      );
      continue;
    }
    if (typeof v !== 'string' && typeof v !== 'number') continue;
    // A number as written (`1.20`, which YAML reads as 1.2); a string as its value, without quotes.
    const written = typeof v === 'string' ? v : (ctx.source.scalarStyle(path)?.text ?? String(v));
    const available = ofImage ? (ofImage[runtime] ?? []) : versionsOfRuntime(runtime);
    if (versionMatches(written, available)) continue;
    const list = `${available.join(', ')} (or N.x, latest)`;
    if (ofImage)
      ctx.reporter.report(
        'buildspec/runtime-version-image',
        path,
        `CodeBuild fails the build with "Unknown runtime version named ${written} of ${runtime}": image ${image} has ${list}`,
      );
    else
      ctx.reporter.report(
        'buildspec/runtime-version',
        path,
        `no current CodeBuild image has ${runtime} ${written}; the images have ${list}`,
        { hint: "pass --image to check against the project's image" },
      );
  }
}

function checkVariables(ctx: KindContext, doc: Record<string, unknown>): void {
  const maps: { path: PathSegment[]; value: unknown }[] = [];
  if (isRecord(doc.env)) maps.push({ path: ['env', 'variables'], value: doc.env.variables });
  if (isRecord(doc.environment_variables))
    maps.push({ path: ['environment_variables', 'plaintext'], value: doc.environment_variables.plaintext });
  const batch = isRecord(doc.batch) ? doc.batch : undefined;
  for (const listKey of ['build-list', 'build-graph'] as const) {
    const list = batch?.[listKey];
    if (!Array.isArray(list)) continue;
    list.forEach((item, i) => {
      if (isRecord(item) && isRecord(item.env))
        maps.push({ path: ['batch', listKey, i, 'env', 'variables'], value: item.env.variables });
    });
  }
  for (const { path, value } of maps) {
    if (!isRecord(value)) continue;
    for (const [name, v] of Object.entries(value)) {
      const p = [...path, name];
      if (name.startsWith('CODEBUILD_')) {
        ctx.reporter.report(
          'buildspec/reserved-variable',
          p,
          `variable \`${name}\` uses the reserved prefix CODEBUILD_; CodeBuild sets these itself`,
          {
            part: 'key',
          },
        );
      }
      const secret = looksLikeSecret(name, v);
      if (secret) {
        ctx.reporter.report(
          'buildspec/plaintext-secret',
          p,
          `variable \`${name}\` holds ${secret} in plain text in the buildspec`,
          { hint: 'move it to `env.parameter-store` or `env.secrets-manager`' },
        );
      }
      checkYaml11Boolean(ctx, 'buildspec/yaml11-boolean', p);
    }
  }
  if (isRecord(doc.env) && doc.env['exported-variables'] !== undefined) {
    const exported = doc.env['exported-variables'];
    const names = typeof exported === 'string' ? [exported] : Array.isArray(exported) ? exported : [];
    names.forEach((n, i) => {
      if (typeof n === 'string' && n.startsWith('AWS_')) {
        const path =
          typeof exported === 'string' ? ['env', 'exported-variables'] : ['env', 'exported-variables', i];
        ctx.reporter.report(
          'buildspec/exported-variable-name',
          path,
          `exported variable \`${n}\` starts with AWS_, which CodeBuild does not export`,
        );
      }
    });
  }
}

function checkBatch(ctx: KindContext, batch: Record<string, unknown>): void {
  const r = ctx.reporter;
  const present = BATCH_KINDS.filter((k) => batch[k] !== undefined);
  if (present.length > 1) {
    r.report(
      'buildspec/batch-kind',
      ['batch', present[1]!],
      `batch has ${present.join(', ')}; a batch takes exactly one of ${BATCH_KINDS.join(', ')}`,
      {
        part: 'key',
      },
    );
  }
  for (const listKey of ['build-list', 'build-graph'] as const) {
    const list = batch[listKey];
    if (!Array.isArray(list)) continue;
    const firstIndex = new Map<string, number>();
    list.forEach((item, i) => {
      if (!isRecord(item) || typeof item.identifier !== 'string') return;
      const prev = firstIndex.get(item.identifier);
      if (prev !== undefined) {
        r.report(
          'buildspec/batch-duplicate-identifier',
          ['batch', listKey, i, 'identifier'],
          `batch identifier \`${item.identifier}\` is already used by ${listKey}[${prev}]; identifiers must be unique`,
        );
      } else firstIndex.set(item.identifier, i);
    });
    if (listKey !== 'build-graph') continue;
    const deps = new Map<string, string[]>();
    list.forEach((item, i) => {
      if (!isRecord(item) || typeof item.identifier !== 'string') return;
      const dependOn = Array.isArray(item['depend-on']) ? item['depend-on'] : [];
      const known: string[] = [];
      dependOn.forEach((d, j) => {
        if (typeof d !== 'string') return;
        if (!firstIndex.has(d)) {
          r.report(
            'buildspec/batch-unknown-dependency',
            ['batch', 'build-graph', i, 'depend-on', j],
            `\`${item.identifier}\` depends on \`${d}\`, which is not an identifier in build-graph; known: ${[...firstIndex.keys()].join(', ')}`,
          );
        } else known.push(d);
      });
      if (!deps.has(item.identifier)) deps.set(item.identifier, known);
    });
    for (const cycle of findCycles(deps)) {
      const start = cycle[0]!;
      r.report(
        'buildspec/batch-cycle',
        ['batch', 'build-graph', firstIndex.get(start) ?? 0, 'depend-on'],
        `build-graph dependencies form a cycle: ${[...cycle, start].join(' -> ')}`,
      );
    }
  }
}

/** Each elementary cycle once, starting from its smallest member, found by DFS with an explicit stack. */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const state = new Map<string, 'active' | 'done'>();
  for (const root of [...graph.keys()].sort()) {
    if (state.get(root) === 'done') continue;
    const path: string[] = [];
    const stack: { node: string; next: number }[] = [{ node: root, next: 0 }];
    state.set(root, 'active');
    path.push(root);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const edges = graph.get(top.node) ?? [];
      if (top.next < edges.length) {
        const to = edges[top.next++]!;
        const st = state.get(to);
        if (st === 'active') {
          const cycle = path.slice(path.indexOf(to));
          const min = [...cycle].sort()[0]!;
          const rotated = [...cycle.slice(cycle.indexOf(min)), ...cycle.slice(0, cycle.indexOf(min))];
          const key = rotated.join('\u0000');
          if (!seen.has(key)) {
            seen.add(key);
            cycles.push(rotated);
          }
        } else if (st === undefined) {
          state.set(to, 'active');
          path.push(to);
          stack.push({ node: to, next: 0 });
        }
      } else {
        state.set(top.node, 'done');
        path.pop();
        stack.pop();
      }
    }
  }
  return cycles;
}

function checkReports(ctx: KindContext, doc: Record<string, unknown>): void {
  if (!isRecord(doc.reports)) return;
  const groups = Object.keys(doc.reports);
  if (groups.length > MAX_REPORT_GROUPS) {
    ctx.reporter.report(
      'buildspec/report-group-limit',
      ['reports', groups[MAX_REPORT_GROUPS]!],
      `reports lists ${groups.length} report groups; a project may have at most ${MAX_REPORT_GROUPS}`,
      { part: 'key' },
    );
  }
  for (const [name, group] of Object.entries(doc.reports)) {
    if (!isRecord(group) || group['file-format'] === undefined) continue;
    const format = group['file-format'];
    if (
      typeof format === 'string' &&
      (REPORT_FILE_FORMATS as readonly string[]).includes(format.toUpperCase())
    )
      continue;
    ctx.reporter.report(
      'buildspec/report-file-format',
      ['reports', name, 'file-format'],
      `\`${formatPath(['reports', name, 'file-format'])}\` is ${describeValue(format)}; allowed (any case): ${REPORT_FILE_FORMATS.join(', ')}`,
    );
  }
}
