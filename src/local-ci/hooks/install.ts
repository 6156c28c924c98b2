import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ensureStateDir } from '../../core/files.js';
import { git } from '../git.js';

/**
 * Git hooks that start local pipeline runs. A bare repository used as a push target gets `post-receive`; a working
 * repository can get `pre-push`. A user's existing hook is never overwritten: it is moved aside to
 * `<hook>.conveyor-user`, run first by ours (its failure still rejects a pre-push), and put back on uninstall.
 * What was installed is listed in `.conveyor/hooks.json` of the project.
 */
export const hookMarker = '# conveyor-hook v1';

export type HookKind = 'post-receive' | 'pre-push';

export interface InstalledHook {
  kind: HookKind;
  path: string;
  repo: string;
  chained: boolean;
  installedAt: string;
}

export function hookScript(options: {
  kind: HookKind;
  project: string;
  node: string;
  cli: string;
  /** pre-push only: run the pipelines before the push goes out, and stop the push if one fails. */
  wait?: boolean;
}): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return [
    '#!/bin/sh',
    `${hookMarker} (installed by 'conveyor hooks install'; remove with 'conveyor hooks uninstall')`,
    `# project: ${options.project}`,
    'input=$(cat)',
    'user_hook="$0.conveyor-user"',
    'if [ -x "$user_hook" ]; then',
    '  printf \'%s\\n\' "$input" | "$user_hook" "$@" || exit $?',
    'fi',
    `printf '%s\\n' "$input" | ${q(options.node)} ${q(options.cli)} hooks on-push --hook ${options.kind} --project ${q(options.project)} --repo "$(pwd)"${options.wait ? ' --wait' : ''}`,
    // Without --wait a pipeline never blocks the push (its outcome is in the run record); with it, a failure does.
    options.wait ? 'exit $?' : 'exit 0',
    '',
  ].join('\n');
}

async function hooksDir(repo: string): Promise<string> {
  const r = await git(['rev-parse', '--git-path', 'hooks'], repo);
  if (!r.ok) throw new Error(`${repo} is not a git repository`);
  return resolve(repo, r.stdout.trim());
}

export async function isBareRepo(repo: string): Promise<boolean> {
  const r = await git(['rev-parse', '--is-bare-repository'], repo);
  return r.ok && r.stdout.trim() === 'true';
}

function registryFile(project: string): string {
  return join(project, '.conveyor', 'hooks.json');
}

export async function readInstalled(project: string): Promise<InstalledHook[]> {
  try {
    return JSON.parse(await readFile(registryFile(project), 'utf8')) as InstalledHook[];
  } catch {
    return [];
  }
}

async function writeInstalled(project: string, hooks: InstalledHook[]): Promise<void> {
  ensureStateDir(join(project, '.conveyor'));
  await writeFile(registryFile(project), `${JSON.stringify(hooks, null, 2)}\n`);
}

export async function installHook(options: {
  project: string;
  repo: string;
  kind: HookKind;
  node: string;
  cli: string;
  wait?: boolean;
}): Promise<InstalledHook> {
  const dir = await hooksDir(options.repo);
  await mkdir(dir, { recursive: true });
  const path = join(dir, options.kind);
  let chained = false;
  if (existsSync(path)) {
    const existing = await readFile(path, 'utf8');
    if (existing.includes(hookMarker)) {
      chained = existsSync(`${path}.conveyor-user`);
    } else {
      if (existsSync(`${path}.conveyor-user`))
        throw new Error(`${path}.conveyor-user already exists; refusing to overwrite it`);
      await rename(path, `${path}.conveyor-user`);
      chained = true;
    }
  }
  await writeFile(
    path,
    hookScript({
      kind: options.kind,
      project: options.project,
      node: options.node,
      cli: options.cli,
      wait: options.wait === true,
    }),
  );
  await chmod(path, 0o755);
  const hook: InstalledHook = {
    kind: options.kind,
    path,
    repo: resolve(options.repo),
    chained,
    installedAt: new Date().toISOString(),
  };
  const others = (await readInstalled(options.project)).filter((h) => h.path !== path);
  await writeInstalled(options.project, [...others, hook]);
  return hook;
}

/** Removes the hooks this project installed (only files carrying our marker) and restores chained user hooks. */
export async function uninstallHooks(
  project: string,
  repo?: string,
): Promise<{ removed: string[]; restored: string[]; skipped: string[] }> {
  const installed = await readInstalled(project);
  const result = { removed: [] as string[], restored: [] as string[], skipped: [] as string[] };
  const keep: InstalledHook[] = [];
  for (const hook of installed) {
    if (repo && resolve(repo) !== hook.repo) {
      keep.push(hook);
      continue;
    }
    if (existsSync(hook.path)) {
      const text = await readFile(hook.path, 'utf8');
      if (!text.includes(hookMarker)) {
        // Replaced by someone else since: not ours any more.
        result.skipped.push(hook.path);
        continue;
      }
      await rm(hook.path);
      result.removed.push(hook.path);
    }
    if (existsSync(`${hook.path}.conveyor-user`)) {
      await rename(`${hook.path}.conveyor-user`, hook.path);
      result.restored.push(hook.path);
    }
  }
  await writeInstalled(project, keep);
  return result;
}
