/**
 * The environment a build's commands see: CodeBuild's own variables (CODEBUILD_*), then the buildspec's
 * variables, parameter-store and secrets-manager values and start-build overrides; and, after the
 * build phases, the exported variables read back out of the shell.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildOptions } from './build-types.js';
import type { ArtifactSpec, BuildPlan } from './buildspec.js';
import { git, insideGitWorkTree } from './git.js';
import { resolveSecrets } from './secrets.js';
import { resolveShell, type ShellSession } from './shell-session.js';

/**
 * What a build keeps of the invoking environment with `cleanEnv` (`--clean-env`): enough to find tools, a home,
 * a user name, a locale, a terminal and a temporary folder. Everything else (credentials such as
 * AWS_SECRET_ACCESS_KEY, tokens, proxies) stays out unless the buildspec or `--env` sets it.
 */
export const CLEAN_ENV_KEEPS = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'LC_ALL',
  'LC_CTYPE',
  'TERM',
  'TZ',
  'TMPDIR',
] as const;

/**
 * The inherited environment (all of it, or only CLEAN_ENV_KEEPS with `cleanEnv`) plus the variables CodeBuild
 * sets for every build.
 */
export function codebuildEnvironment(
  options: Pick<BuildOptions, 'baseEnv' | 'initiator' | 'secondarySources' | 'cleanEnv'>,
  build: {
    srcDir: string;
    project: string;
    buildId: string;
    uuid: string;
    buildNumber: number;
    commit: string | undefined;
    repoUrl: string;
    startedAt: number;
  },
): Record<string, string> {
  const { buildId, commit } = build;
  const region = options.baseEnv.AWS_REGION ?? options.baseEnv.AWS_DEFAULT_REGION ?? 'us-east-1';
  const env: Record<string, string> = {};
  const inherited = options.cleanEnv
    ? CLEAN_ENV_KEEPS.map((k) => [k, options.baseEnv[k]] as const)
    : Object.entries(options.baseEnv);
  for (const [k, v] of inherited) if (v !== undefined) env[k] = v;
  Object.assign(env, {
    CODEBUILD_BUILD_ARN: `arn:aws:codebuild:${region}:000000000000:build/${buildId}`,
    CODEBUILD_BUILD_ID: buildId,
    CODEBUILD_BUILD_IMAGE: 'conveyor/local',
    CODEBUILD_BUILD_NUMBER: String(build.buildNumber),
    CODEBUILD_BUILD_SUCCEEDING: '1',
    CODEBUILD_CI: 'true',
    CODEBUILD_INITIATOR: options.initiator ?? options.baseEnv.USER ?? 'local',
    CODEBUILD_KMS_KEY_ID: `arn:aws:kms:${region}:000000000000:alias/aws/s3`,
    CODEBUILD_LOG_PATH: build.uuid,
    CODEBUILD_PROJECT_NAME: build.project,
    CODEBUILD_RESOLVED_SOURCE_VERSION: commit ?? '',
    CODEBUILD_SOURCE_REPO_URL: build.repoUrl,
    CODEBUILD_SOURCE_VERSION: commit ?? '',
    CODEBUILD_SRC_DIR: build.srcDir,
    CODEBUILD_START_TIME: String(build.startedAt),
    AWS_REGION: region,
    AWS_DEFAULT_REGION: options.baseEnv.AWS_DEFAULT_REGION ?? region,
  });
  for (const [name, dir] of Object.entries(options.secondarySources ?? {}))
    env[`CODEBUILD_SRC_DIR_${name}`] = dir;
  return env;
}

/** CODEBUILD_SOURCE_REPO_URL: the source's origin remote, else the folder as a file:// URL. */
export async function sourceRepoUrl(srcDir: string): Promise<string> {
  // Most builds run at a repository's top: read its config instead of starting git.
  const config = await readFile(join(srcDir, '.git', 'config'), 'utf8').catch(() => undefined);
  if (config !== undefined) {
    const url = /\[remote "origin"\][^[]*?\n\s*url\s*=\s*(\S+)/.exec(config)?.[1];
    return url ?? `file://${srcDir}`;
  }
  if (!insideGitWorkTree(srcDir)) return `file://${srcDir}`;
  const r = await git(['config', '--get', 'remote.origin.url'], srcDir);
  return r.ok && r.stdout.trim() ? r.stdout.trim() : `file://${srcDir}`;
}

/**
 * PROVISIONING's environment: CodeBuild's variables, then the buildspec's, its secrets, and start-build
 * overrides (highest precedence); with the shell the commands run in and the secret values to mask.
 */
export function provisionedEnvironment(
  codebuildEnv: Record<string, string>,
  plan: BuildPlan,
  options: Pick<BuildOptions, 'secrets' | 'baseEnv' | 'envOverrides'>,
):
  | { ok: true; env: Record<string, string>; shell: string; secrets: string[] }
  | { ok: false; message: string } {
  const env = { ...codebuildEnv };
  Object.assign(env, plan.variables);
  const secrets = resolveSecrets(plan.parameterStore, plan.secretsManager, options.secrets, options.baseEnv);
  let shell: string;
  try {
    shell = resolveShell(plan.shell, options.baseEnv);
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
  if (!secrets.ok) return { ok: false, message: secrets.message };
  Object.assign(env, secrets.values, options.envOverrides ?? {});
  // Masked: what was resolved, and what a start-build override put under a secret's name instead.
  const names = Object.keys(secrets.values);
  return {
    ok: true,
    env,
    shell,
    secrets: [...Object.values(secrets.values), ...names.map((n) => env[n] as string)],
  };
}

/** Reads exported variables and evaluated artifact names out of the live session, without logging them. */
export async function readBack(
  session: ShellSession,
  dir: string,
  exported: string[],
  artifacts: ArtifactSpec[],
  succeeding: boolean,
): Promise<{ exported: Record<string, string>; names: Record<string, string> }> {
  await mkdir(dir, { recursive: true });
  const lines: string[] = [];
  // CodeBuild does not export names starting with AWS_.
  const valid = exported.filter((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n) && !n.startsWith('AWS_'));
  valid.forEach((name, i) => {
    lines.push(`if [ -n "\${${name}+x}" ]; then printf '%s' "\${${name}}" > '${dir}/var-${i}'; fi`);
  });
  artifacts.forEach((a, i) => {
    if (a.name)
      lines.push(`printf '%s' "${a.name.replace(/(["\\`])/g, '\\$1')}" > '${dir}/name-${i}' 2>/dev/null`);
  });
  await session.run(`{ ${lines.join('\n')}\n} >/dev/null 2>&1; true`, succeeding);
  const read = async (file: string) => readFile(join(dir, file), 'utf8').catch(() => undefined);
  const out = { exported: {} as Record<string, string>, names: {} as Record<string, string> };
  for (const [i, name] of valid.entries()) {
    const v = await read(`var-${i}`);
    if (v !== undefined) out.exported[name] = v;
  }
  for (const [i, a] of artifacts.entries()) {
    const v = a.name ? await read(`name-${i}`) : undefined;
    if (v) out.names[a.identifier] = v;
  }
  return out;
}
