import { execFile } from 'node:child_process';

export interface GitResult {
  ok: boolean;
  stdout: string;
  stderr: string;
  code: number;
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
      { cwd, env: env ? (env as NodeJS.ProcessEnv) : process.env, maxBuffer: 64 * 1024 * 1024 },
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
