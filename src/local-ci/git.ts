import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

export interface GitResult {
  ok: boolean;
  stdout: string;
  stderr: string;
  code: number;
}

/**
 * The environment for git commands we run: without the GIT_DIR / GIT_WORK_TREE / ... a git hook sets for its own
 * repository, which would otherwise redirect every git call made from inside a hook.
 */
export function cleanGitEnv(env: Record<string, string | undefined> = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    if (
      /^GIT_(DIR|WORK_TREE|INDEX_FILE|OBJECT_DIRECTORY|ALTERNATE_OBJECT_DIRECTORIES|QUARANTINE_PATH|PREFIX|COMMON_DIR)$/.test(
        k,
      )
    ) {
      continue;
    }
    out[k] = v;
  }
  return out;
}

/** Runs git with arguments (never through a shell); a failure is data, not an exception. */
export function git(
  args: string[],
  cwd: string,
  env?: Record<string, string | undefined>,
): Promise<GitResult> {
  return new Promise((resolve) => {
    execFile(
      'git',
      args,
      { cwd, env: cleanGitEnv(env ?? process.env), maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ ok: !err, stdout: String(stdout), stderr: String(stderr), code });
      },
    );
  });
}

/** The commit checked out in `dir`, or undefined when it is not a git work tree. */
export async function headCommit(dir: string): Promise<string | undefined> {
  const fast = await readHeadDirectly(dir);
  if (fast !== null) return fast;
  if (!insideGitWorkTree(dir)) return undefined;
  const r = await git(['rev-parse', '--verify', '--quiet', 'HEAD'], dir);
  return r.ok ? r.stdout.trim() || undefined : undefined;
}

/** Whether `dir` or a parent has a `.git` entry: when none has, there is no need to start git to find out. */
export function insideGitWorkTree(dir: string): boolean {
  let current = resolve(dir);
  for (;;) {
    if (existsSync(join(current, '.git'))) return true;
    const parent = dirname(current);
    if (parent === current) return false;
    current = parent;
  }
}

/**
 * Reads HEAD from `.git` without starting git (a build's start-up time is overhead): a plain `.git` folder with a
 * loose or packed ref. Returns null whenever the layout is anything else, and the caller asks git.
 */
async function readHeadDirectly(dir: string): Promise<string | undefined | null> {
  const gitDir = join(dir, '.git');
  const head = await readFile(join(gitDir, 'HEAD'), 'utf8').catch(() => null);
  if (head === null) return null;
  const text = head.trim();
  if (/^[0-9a-f]{40}$/.test(text)) return text;
  const ref = /^ref: (refs\/[^\s]+)$/.exec(text)?.[1];
  if (!ref) return null;
  const loose = await readFile(join(gitDir, ref), 'utf8').catch(() => null);
  if (loose !== null && /^[0-9a-f]{40}\s*$/.test(loose)) return loose.trim();
  const packed = await readFile(join(gitDir, 'packed-refs'), 'utf8').catch(() => '');
  const line = packed.split('\n').find((l) => l.endsWith(` ${ref}`));
  if (line) return line.slice(0, 40);
  // An unborn branch (no commits yet) has no commit; anything else odd goes to git.
  return loose === null && !packed ? undefined : null;
}
