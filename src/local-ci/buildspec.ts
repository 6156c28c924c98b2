import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorMessage } from '../core/errors.js';
import { NotUtf8Error, readFileIfPresent, readTextFile } from '../core/files.js';
import type { Diagnostic } from '../documents/diagnostics.js';
import { checkSourceText, notUtf8 } from '../documents/source-text.js';

/**
 * The parts of a buildspec (version 0.2) the local runner executes, normalized: CodeBuild accepts a single string
 * wherever a list of strings is expected, and `yes`/`no` or booleans for the yes/no keys.
 */
export const phaseNames = ['install', 'pre_build', 'build', 'post_build'] as const;
export type PhaseName = (typeof phaseNames)[number];

/** `on-failure` of a phase. RETRY forms carry a count and an optional regex matched against the failure message. */
export type OnFailure =
  | { kind: 'default' }
  | { kind: 'ABORT' }
  | { kind: 'CONTINUE' }
  | { kind: 'RETRY'; count: number; pattern?: string };

export interface PhasePlan {
  name: PhaseName;
  commands: string[];
  finally: string[];
  onFailure: OnFailure;
  runAs?: string;
  runtimeVersions?: Record<string, string>;
}

export interface ArtifactSpec {
  /** `primary` for the top-level artifacts block, else the secondary artifact identifier. */
  identifier: string;
  files: string[];
  name?: string;
  baseDirectory?: string;
  discardPaths: boolean;
  excludePaths: string[];
  enableSymlinks: boolean;
}

export interface ReportSpec {
  group: string;
  files: string[];
  baseDirectory?: string;
  discardPaths: boolean;
  fileFormat: string;
}

export interface BuildPlan {
  /** '0.1': each command in its own shell; '0.2': one shell session for the whole build. */
  version?: '0.1' | '0.2';
  shell?: string;
  variables: Record<string, string>;
  parameterStore: Record<string, string>;
  secretsManager: Record<string, string>;
  exportedVariables: string[];
  phases: PhasePlan[];
  artifacts?: ArtifactSpec;
  secondaryArtifacts: ArtifactSpec[];
  reports: ReportSpec[];
  cachePaths: string[];
}

export interface LoadedBuildspec {
  plan?: BuildPlan;
  diagnostics: Diagnostic[];
}

/** Parses and checks a buildspec file; returns diagnostics (never throws for bad input). */
export async function loadBuildspecFile(
  file: string,
  displayName = file,
  options: ParseOptions = {},
): Promise<LoadedBuildspec> {
  let text: string;
  try {
    text = readTextFile(file);
  } catch (err) {
    if (err instanceof NotUtf8Error) return { diagnostics: [notUtf8(displayName, err)] };
    const code = (err as NodeJS.ErrnoException).code;
    return {
      diagnostics: [
        diag(
          displayName,
          0,
          0,
          'buildspec/file-not-found',
          code === 'ENOENT'
            ? `buildspec not found: ${displayName}`
            : `cannot read ${displayName}: ${errorMessage(err)}`,
        ),
      ],
    };
  }
  return parseBuildspec(text, displayName, options);
}

export interface ParseOptions {
  /**
   * Folder remembering buildspecs the shared validator already passed (by content hash and validator build), so
   * repeated local builds of an unchanged buildspec do not pay the validator's start-up again.
   */
  validatedCacheDir?: string;
}

/**
 * Parses buildspec text (YAML or JSON). The project's validator (the one `conveyor validate` uses) checks it first
 * when it is available, so a build refuses exactly what validation refuses; then it is normalized into a BuildPlan.
 */
export async function parseBuildspec(
  text: string,
  file: string,
  options: ParseOptions = {},
): Promise<LoadedBuildspec> {
  const stamp = options.validatedCacheDir ? validatedStamp(text) : undefined;
  const cached = stamp ? readFileIfPresent(join(options.validatedCacheDir!, `${stamp}.json`)) : undefined;
  if (cached) {
    // Parsed and validated before: no YAML parser or validator to load (start-up time is build overhead).
    const { plan, diagnostics } = JSON.parse(cached) as { plan: BuildPlan; diagnostics: Diagnostic[] };
    return { plan, diagnostics: diagnostics.map((d) => ({ ...d, file })) };
  }
  // Size, binary and empty checks first: a 9 MB file must fail at once, not after a full YAML parse.
  const refused = checkSourceText(text, file);
  if (refused) return { diagnostics: [refused] };
  // The shared validator decides first (it reports everything a local parse would); parse locally only after.
  const { diagnostics } = (await sharedValidator())(text, file);
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  const local = await parseLocally(text, file);
  if (!local.plan) return local;
  const result = { plan: local.plan, diagnostics: [...diagnostics, ...local.diagnostics] };
  if (stamp) {
    await mkdir(options.validatedCacheDir!, { recursive: true });
    const tmp = join(options.validatedCacheDir!, `${stamp}.${process.pid}.tmp`);
    await writeFile(tmp, JSON.stringify(result));
    await rename(tmp, join(options.validatedCacheDir!, `${stamp}.json`));
  }
  return result;
}

function validatedStamp(text: string): string | undefined {
  let validatorBuild = 'none';
  try {
    // The built bundle holding this code is rewritten whenever the validator may have changed. Run from
    // sources (tests), a stamp could outlive an edit elsewhere: no cache there.
    const self = fileURLToPath(import.meta.url);
    if (self.endsWith('.ts')) return undefined;
    validatorBuild = String(statSync(self).mtimeMs);
  } catch {
    return undefined;
  }
  return createHash('sha256').update(validatorBuild).update('\0').update(text).digest('hex');
}

async function parseLocally(text: string, file: string): Promise<LoadedBuildspec> {
  const { LineCounter, parseDocument } = await import('./yaml-parser.js');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      diagnostics: doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return diag(file, pos.line, pos.col, 'buildspec/yaml-syntax', e.message.split('\n')[0] ?? e.message);
      }),
    };
  }
  const locate = (path: (string | number)[]): [number, number] => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node?.range) {
        const pos = lineCounter.linePos(node.range[0]);
        return [pos.line, pos.col];
      }
    }
    return [1, 1];
  };
  return normalizeBuildspec(doc.toJS(), file, locate);
}

type Validator = (text: string, file: string) => { diagnostics: Diagnostic[] };
let sharedValidatorPromise: Promise<Validator> | undefined;

/**
 * The buildspec validator `conveyor validate` uses, so `conveyor build` refuses exactly what validation
 * refuses. Loaded on first use: a build whose buildspec passed before (the validated cache) never loads it.
 */
function sharedValidator(): Promise<Validator> {
  if (!sharedValidatorPromise) {
    sharedValidatorPromise = import('../documents/validate.js').then(
      ({ validateText }): Validator =>
        (text, file) =>
          validateText(text, file, { kind: 'buildspec' }),
    );
  }
  return sharedValidatorPromise;
}

function diag(file: string, line: number, col: number, ruleId: string, message: string): Diagnostic {
  return { ruleId, severity: 'error', file, line, col, message };
}

/** Turns a parsed buildspec value into a BuildPlan, reporting what the runner cannot execute. */
export function normalizeBuildspec(
  value: unknown,
  file: string,
  locate: (path: (string | number)[]) => [number, number],
): LoadedBuildspec {
  const diagnostics: Diagnostic[] = [];
  const error = (path: (string | number)[], ruleId: string, message: string) => {
    const [line, col] = locate(path);
    diagnostics.push(diag(file, line, col, ruleId, message));
  };
  if (!isRecord(value)) {
    error([], 'buildspec/not-a-map', 'a buildspec must be a YAML map with `version` and `phases`');
    return { diagnostics };
  }
  if (value.version === undefined) error([], 'buildspec/version-required', '`version` is required (use 0.2)');
  else if (String(value.version) !== '0.2' && String(value.version) !== '0.1') {
    error(['version'], 'buildspec/version', `version ${String(value.version)} is not supported; use 0.2`);
  }
  const legacy = String(value.version) === '0.1';
  const stringList = (v: unknown, path: (string | number)[]): string[] => {
    if (v === undefined || v === null) return [];
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return [String(v)];
    if (Array.isArray(v)) {
      return v.flatMap((item, i) => {
        if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean')
          return [String(item)];
        // An empty item (a bare `-`) runs nothing on CodeBuild: skipped, as `validate` warns.
        if (item === null) return [];
        error([...path, i], 'buildspec/string-list', `expected a string at ${path.join('.')}[${i}]`);
        return [];
      });
    }
    error(path, 'buildspec/string-list', `expected a string or a list of strings at ${path.join('.')}`);
    return [];
  };
  const stringMap = (v: unknown, path: string[]): Record<string, string> => {
    if (v === undefined || v === null) return {};
    if (!isRecord(v)) {
      error(path, 'buildspec/map', `expected a map at ${path.join('.')}`);
      return {};
    }
    const out: Record<string, string> = {};
    for (const [k, item] of Object.entries(v)) {
      if (item === null || typeof item === 'object') {
        error([...path, k], 'buildspec/scalar', `${path.join('.')}.${k} must be a scalar value`);
      } else out[k] = String(item);
    }
    return out;
  };
  const env = isRecord(value.env) ? value.env : {};
  // Version 0.1 spells env.variables as environment_variables.plaintext.
  const legacyEnv = legacy && isRecord(value.environment_variables) ? value.environment_variables : undefined;
  const variables = legacyEnv
    ? stringMap(legacyEnv.plaintext, ['environment_variables', 'plaintext'])
    : stringMap(env.variables, ['env', 'variables']);
  for (const name of Object.keys(variables)) {
    if (name.startsWith('CODEBUILD_')) {
      error(
        ['env', 'variables', name],
        'buildspec/reserved-variable',
        `variable ${name}: names starting with CODEBUILD_ are reserved`,
      );
    }
  }
  const phasesValue = value.phases;
  const phases: PhasePlan[] = [];
  if (!isRecord(phasesValue)) {
    error(
      phasesValue === undefined ? [] : ['phases'],
      'buildspec/phases-required',
      '`phases` is required and must be a map',
    );
  } else {
    for (const key of Object.keys(phasesValue)) {
      if (!(phaseNames as readonly string[]).includes(key)) {
        error(
          ['phases', key],
          'buildspec/unknown-phase',
          `unknown phase '${key}'; the buildspec reference allows only the phases ${phaseNames.join(', ')}`,
        );
      }
    }
    for (const name of phaseNames) {
      const p = phasesValue[name];
      if (p === undefined) continue;
      if (p === null) {
        if (name !== 'install')
          error(['phases', name], 'buildspec/phase-commands', `phase ${name} needs \`commands\``);
        continue;
      }
      if (!isRecord(p)) {
        error(['phases', name], 'buildspec/phase', `phase ${name} must be a map with \`commands\``);
        continue;
      }
      const noCommands =
        p.commands === undefined ||
        p.commands === null ||
        (Array.isArray(p.commands) && p.commands.length === 0);
      if (noCommands && name !== 'install') {
        error(['phases', name], 'buildspec/phase-commands', `phase ${name} needs \`commands\``);
      }
      const onFailure = parseOnFailure(p['on-failure']);
      if (!onFailure) {
        error(
          ['phases', name, 'on-failure'],
          'buildspec/on-failure',
          `on-failure '${String(p['on-failure'])}' is not one of ABORT, CONTINUE, RETRY, RETRY-<count>, RETRY-<regex>, RETRY-<count>-<regex>`,
        );
      }
      phases.push({
        name,
        commands: stringList(p.commands, ['phases', name, 'commands']),
        finally: stringList(p.finally, ['phases', name, 'finally']),
        onFailure: onFailure ?? { kind: 'default' },
        ...(typeof p['run-as'] === 'string' ? { runAs: p['run-as'] } : {}),
        ...(isRecord(p['runtime-versions'])
          ? { runtimeVersions: stringMap(p['runtime-versions'], ['phases', name, 'runtime-versions']) }
          : {}),
      });
    }
  }
  const artifact = (v: unknown, identifier: string, path: string[]): ArtifactSpec | undefined => {
    if (!isRecord(v)) {
      error(path, 'buildspec/artifacts', `${path.join('.')} must be a map with \`files\``);
      return undefined;
    }
    if (v.files === undefined) error(path, 'buildspec/artifact-files', `${path.join('.')} needs \`files\``);
    return {
      identifier,
      files: stringList(v.files, [...path, 'files']),
      ...(v.name !== undefined ? { name: String(v.name) } : {}),
      ...(v['base-directory'] !== undefined ? { baseDirectory: String(v['base-directory']) } : {}),
      discardPaths: yes(v['discard-paths']),
      excludePaths: stringList(v['exclude-paths'], [...path, 'exclude-paths']),
      enableSymlinks: yes(v['enable-symlinks']),
    };
  };
  let primary: ArtifactSpec | undefined;
  const secondaryArtifacts: ArtifactSpec[] = [];
  if (value.artifacts !== undefined) {
    primary = artifact(value.artifacts, 'primary', ['artifacts']);
    const secondary = isRecord(value.artifacts) ? value.artifacts['secondary-artifacts'] : undefined;
    if (isRecord(secondary)) {
      for (const [id, spec] of Object.entries(secondary)) {
        const a = artifact(spec, id, ['artifacts', 'secondary-artifacts', id]);
        if (a) secondaryArtifacts.push(a);
      }
    }
  }
  const reports: ReportSpec[] = [];
  if (isRecord(value.reports)) {
    for (const [group, spec] of Object.entries(value.reports)) {
      if (!isRecord(spec)) {
        error(['reports', group], 'buildspec/report', `report group ${group} must be a map with \`files\``);
        continue;
      }
      reports.push({
        group,
        files: stringList(spec.files, ['reports', group, 'files']),
        ...(spec['base-directory'] !== undefined ? { baseDirectory: String(spec['base-directory']) } : {}),
        discardPaths: yes(spec['discard-paths']),
        fileFormat: String(spec['file-format'] ?? 'JUNITXML').toUpperCase(),
      });
    }
  }
  const cache = isRecord(value.cache) ? value.cache : {};
  const plan: BuildPlan = {
    version: legacy ? '0.1' : '0.2',
    ...(typeof env.shell === 'string' ? { shell: env.shell } : {}),
    variables,
    parameterStore: stringMap(env['parameter-store'], ['env', 'parameter-store']),
    secretsManager: stringMap(env['secrets-manager'], ['env', 'secrets-manager']),
    exportedVariables: stringList(env['exported-variables'], ['env', 'exported-variables']),
    phases,
    ...(primary ? { artifacts: primary } : {}),
    secondaryArtifacts,
    reports,
    cachePaths: stringList(cache.paths, ['cache', 'paths']),
  };
  return diagnostics.some((d) => d.severity === 'error') ? { diagnostics } : { plan, diagnostics };
}

export function parseOnFailure(v: unknown): OnFailure | undefined {
  if (v === undefined || v === null) return { kind: 'default' };
  const s = String(v);
  if (s === 'ABORT' || s === 'CONTINUE') return { kind: s };
  if (s === 'RETRY') return { kind: 'RETRY', count: 3 };
  const m = /^RETRY-(.+)$/s.exec(s);
  if (!m) return undefined;
  const rest = m[1]!;
  const countAndRegex = /^(\d+)(?:-(.+))?$/s.exec(rest);
  if (countAndRegex) {
    const count = Number(countAndRegex[1]);
    if (count > 100) return undefined;
    return countAndRegex[2] !== undefined
      ? { kind: 'RETRY', count, pattern: countAndRegex[2] }
      : { kind: 'RETRY', count };
  }
  return { kind: 'RETRY', count: 3, pattern: rest };
}

function yes(v: unknown): boolean {
  return v === true || v === 'yes' || v === 'true';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
