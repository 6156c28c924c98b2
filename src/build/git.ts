import { execFile } from 'node:child_process';

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
  const r = await git(['rev-parse', '--verify', '--quiet', 'HEAD'], dir);
  return r.ok ? r.stdout.trim() || undefined : undefined;
}
