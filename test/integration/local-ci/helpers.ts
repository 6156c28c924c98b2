import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/run-cli.js';

export function tempDir(prefix = 'conveyor-build-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function write(dir: string, name: string, text: string): void {
  writeFileSync(join(dir, name), text);
}

/** Runs the CLI in-process in `cwd` and captures its output. */
export async function cli(
  args: string[],
  cwd: string,
  env: Record<string, string | undefined> = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    cwd,
    env,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

/** The last NDJSON event of a `--json` run. */
export function lastEvent(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
}

export function gitInit(dir: string): string {
  const run = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: dir,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
      },
    }).toString();
  run('init', '-q', '-b', 'main');
  run('add', '-A');
  run('commit', '-q', '-m', 'first');
  return run('rev-parse', 'HEAD').trim();
}

/** The first stage of the test pipelines: the repository's tree as artifact `Src`. */
export const sourceStage = {
  name: 'Source',
  actions: [
    {
      name: 'Checkout',
      actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeCommit', version: '1' },
      configuration: { RepositoryName: 'app', BranchName: 'main' },
      outputArtifacts: [{ name: 'Src' }],
      namespace: 'SourceVariables',
    },
  ],
};

/** A V2 pipeline `release` in create-pipeline shape: the source stage, then `stages`. */
export function releasePipeline(stages: unknown[]): string {
  return JSON.stringify({
    pipeline: {
      name: 'release',
      roleArn: 'arn:aws:iam::123456789012:role/r',
      pipelineType: 'V2',
      stages: [sourceStage, ...stages],
    },
  });
}
