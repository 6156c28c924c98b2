/**
 * Source actions: which commit a run reads, the commit's tree extracted with `git archive` as the output artifact,
 * and the commit's details as the action's output variables.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { cleanGitEnv, git } from '../git.js';
import { artifactDir } from './artifacts.js';
import type { ActionDeclaration } from './model.js';
import type { ActionOutcome, PipelineRunOptions, RunContext } from './run-types.js';

export async function resolveSourceCommit(options: PipelineRunOptions): Promise<string | undefined> {
  const source = options.pipeline.stages[0]?.actions.find((a) => a.actionTypeId.category === 'Source');
  const branch = source?.configuration?.BranchName;
  if (branch) {
    const r = await git(
      ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`],
      options.repoDir,
    );
    if (r.ok && r.stdout.trim()) return r.stdout.trim();
  }
  const head = await git(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], options.repoDir);
  return head.ok ? head.stdout.trim() || undefined : undefined;
}

/** A source action: the commit's tree (`git archive`) becomes the output artifact; commit details become variables. */
export async function runSourceAction(
  ctx: RunContext,
  action: ActionDeclaration,
  config: Record<string, string>,
  outputs: string[],
  runDir: string,
): Promise<ActionOutcome> {
  const { record, options } = ctx;
  const commit = record.commit;
  if (!commit)
    return {
      status: 'Failed',
      message: `no commit to read in ${options.repoDir} (is it a git repository with commits?)`,
    };
  const out = outputs[0];
  if (out) {
    const dir = artifactDir(runDir, out);
    await mkdir(dir, { recursive: true });
    const extracted = await gitArchive(options.repoDir, commit, dir);
    if (!extracted.ok)
      return { status: 'Failed', message: `git archive ${commit} failed: ${extracted.message}` };
  }
  const show = await git(['show', '-s', '--format=%H%n%aI%n%cI%n%an%n%B', commit], options.repoDir);
  const [commitId = commit, authorDate = '', committerDate = '', author = '', ...message] =
    show.stdout.split('\n');
  const branch = options.ref?.startsWith('refs/heads/')
    ? options.ref.slice('refs/heads/'.length)
    : (config.BranchName ?? '');
  const variables: Record<string, string> = {
    CommitId: commitId,
    BranchName: branch,
    CommitMessage: message.join('\n').trim(),
    AuthorDate: authorDate,
    CommitterDate: committerDate,
    AuthorDisplayName: author,
  };
  const provider = action.actionTypeId.provider;
  if (provider === 'CodeCommit') variables.RepositoryName = config.RepositoryName ?? '';
  if (provider === 'CodeStarSourceConnection') {
    variables.FullRepositoryId = config.FullRepositoryId ?? '';
    variables.ConnectionArn = config.ConnectionArn ?? '';
  }
  if (provider === 'S3') {
    // A local S3 source is the repository's tree: the commit stands in for the object version.
    variables.ObjectKey = config.S3ObjectKey ?? '';
    variables.ETag = commitId;
    variables.VersionId = commitId;
  }
  return {
    status: 'Succeeded',
    message: `${commitId.slice(0, 12)}${branch ? ` (${branch})` : ''}`,
    variables,
    outputArtifacts: outputs,
  };
}

function gitArchive(
  repoDir: string,
  commit: string,
  dest: string,
): Promise<{ ok: boolean; message: string }> {
  return new Promise((resolvePromise) => {
    const env = cleanGitEnv();
    const archive = spawn('git', ['archive', '--format=tar', commit], {
      cwd: repoDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tar = spawn('tar', ['-x', '-f', '-', '-C', dest], { stdio: ['pipe', 'ignore', 'pipe'] });
    // tar ending early (bad archive, full disk) must fail this action, not crash the run with EPIPE.
    tar.stdin.on('error', () => {});
    archive.stdout.pipe(tar.stdin);
    let errors = '';
    archive.stderr.on('data', (c: Buffer) => (errors += c.toString()));
    tar.stderr.on('data', (c: Buffer) => (errors += c.toString()));
    // Both processes must have ended (in either order) before the outcome is known.
    const ended = (child: ChildProcess) =>
      new Promise<number | null>((resolveEnd) => {
        child.on('close', (code) => resolveEnd(code));
        child.on('error', (err) => {
          errors += `${err.message}\n`;
          resolveEnd(-1);
        });
      });
    void Promise.all([ended(archive), ended(tar)]).then(([archiveCode, tarCode]) =>
      resolvePromise({ ok: archiveCode === 0 && tarCode === 0, message: errors.trim() }),
    );
  });
}
