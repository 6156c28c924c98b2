import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listRuns, type RunRecord } from '../../../src/local-ci/run-store.js';
import { cli, tempDir, write } from './helpers.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@t',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@t',
};
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, env: gitEnv, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
/** git push, returning what the remote printed (stderr), where hook messages appear. */
function pushWithOutput(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', ['push', ...args], { cwd, env: gitEnv, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git push failed: ${r.stderr}`);
  return r.stderr;
}

const pipeline = (name: string, mode: string, push: unknown[], command = 'cat src/app.txt') =>
  JSON.stringify({
    pipeline: {
      name,
      pipelineType: 'V2',
      executionMode: mode,
      triggers: [
        { providerType: 'CodeStarSourceConnection', gitConfiguration: { sourceActionName: 'Src', push } },
      ],
      stages: [
        {
          name: 'Source',
          actions: [
            {
              name: 'Src',
              actionTypeId: {
                category: 'Source',
                owner: 'AWS',
                provider: 'CodeStarSourceConnection',
                version: '1',
              },
              configuration: {
                ConnectionArn: 'arn:aws:codestar-connections:us-east-1:123456789012:connection/x',
                FullRepositoryId: 'me/app',
                BranchName: 'main',
              },
              outputArtifacts: [{ name: 'Code' }],
            },
          ],
        },
        {
          name: 'Build',
          actions: [
            {
              name: 'Test',
              actionTypeId: { category: 'Compute', owner: 'AWS', provider: 'Commands', version: '1' },
              commands: [command],
              inputArtifacts: [{ name: 'Code' }],
            },
          ],
        },
      ],
    },
  });

function setup(pipelines: Record<string, string>): { project: string; origin: string; work: string } {
  const t = tempDir('conveyor-hooks-');
  cleanups.push(t.cleanup);
  const origin = join(t.dir, 'origin.git');
  const project = join(t.dir, 'project');
  const work = join(t.dir, 'work');
  git(t.dir, 'init', '-q', '--bare', '-b', 'main', origin);
  mkdirSync(join(project, 'pipelines'), { recursive: true });
  for (const [name, text] of Object.entries(pipelines)) write(join(project, 'pipelines'), name, text);
  git(t.dir, 'init', '-q', '-b', 'main', work);
  git(work, 'remote', 'add', 'origin', origin);
  return { project, origin, work };
}

function commit(work: string, files: Record<string, string>, message: string): string {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(work, name, '..'), { recursive: true });
    writeFileSync(join(work, name), text);
  }
  git(work, 'add', '-A');
  git(work, 'commit', '-qm', message);
  return git(work, 'rev-parse', 'HEAD').trim();
}

async function waitForRuns(project: string, count: number, timeoutMs = 40_000): Promise<RunRecord[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const runs = (await listRuns(project)).filter((r) => r.kind === 'pipeline');
    const done = runs.filter((r) => !['Queued', 'InProgress'].includes(r.status));
    if (done.length >= count && done.length === runs.length) return runs;
    if (Date.now() > deadline)
      throw new Error(`runs not finished: ${JSON.stringify(runs.map((r) => [r.id, r.status]))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('conveyor hooks', { timeout: 60_000 }, () => {
  it('starts a run for a matching push and says why a non-matching push started nothing', async () => {
    const { project, origin, work } = setup({
      'web.json': pipeline('web', 'QUEUED', [
        { branches: { includes: ['main'] }, filePaths: { includes: ['src/**'], excludes: ['**/*.md'] } },
      ]),
      'tags.json': pipeline('tags', 'PARALLEL', [{ tags: { includes: ['v*'] } }]),
    });
    const installed = await cli(['hooks', 'install', '--bare-repo', origin], project);
    expect(installed.code).toBe(0);
    const sha = commit(work, { 'src/app.txt': 'v1\n' }, 'one');
    const out = pushWithOutput(work, '-q', 'origin', 'main');
    expect(out).toMatch(/conveyor: started run p-\S+ of web for refs\/heads\/main/);
    expect(out).toContain(
      'conveyor: tags not started for refs/heads/main: push filter 1: refs/heads/main is not a tag',
    );
    commit(work, { 'src/notes.md': 'doc\n' }, 'docs only');
    const docsOut = pushWithOutput(work, '-q', 'origin', 'main');
    expect(docsOut).toContain(
      'web not started for refs/heads/main: push filter 1: none of the 1 changed file(s) match',
    );
    git(work, 'tag', 'v1.0');
    const tagOut = pushWithOutput(work, '-q', 'origin', 'v1.0');
    expect(tagOut).toMatch(/started run p-\S+ of tags for refs\/tags\/v1\.0/);
    const runs = await waitForRuns(project, 2);
    const web = runs.find((r) => r.pipeline === 'web')!;
    const why = runs
      .map((r) =>
        [
          r.pipeline,
          r.status,
          r.message,
          ...(r.stages ?? []).flatMap((s) =>
            s.actions.map((x) => `${s.name}/${x.name} ${x.status} ${x.message ?? ''} ${x.logPath ?? ''}`),
          ),
        ].join(' '),
      )
      .join(' | ');
    expect(web, why).toMatchObject({
      status: 'Succeeded',
      commit: sha,
      trigger: { type: 'push', ref: 'refs/heads/main' },
    });
    expect(runs.find((r) => r.pipeline === 'tags')?.status, why).toBe('Succeeded');
  });

  it('handles two pushes arriving together, one after the other (QUEUED), nothing lost', async () => {
    const { project, origin, work } = setup({
      'web.json': pipeline(
        'web',
        'QUEUED',
        [{ branches: { includes: ['main', 'release/*'] } }],
        'sleep 0.5; cat src/app.txt',
      ),
    });
    await cli(['hooks', 'install', '--bare-repo', origin], project);
    commit(work, { 'src/app.txt': 'v1\n' }, 'one');
    git(work, 'branch', 'release/1');
    git(work, 'checkout', '-q', 'release/1');
    commit(work, { 'src/app.txt': 'v2\n' }, 'two');
    const { spawn } = await import('node:child_process');
    const pushes = ['main', 'release/1'].map(
      (branch) =>
        new Promise<number>((resolve) => {
          spawn('git', ['push', '-q', 'origin', branch], { cwd: work, env: gitEnv, stdio: 'ignore' }).on(
            'close',
            (c) => resolve(c ?? 1),
          );
        }),
    );
    expect(await Promise.all(pushes)).toEqual([0, 0]);
    const runs = await waitForRuns(project, 2);
    const consoleOf = (r: RunRecord) => {
      try {
        return readFileSync(join(project, '.conveyor', 'runs', r.id, 'console.log'), 'utf8');
      } catch {
        return '(no console.log)';
      }
    };
    expect(
      runs.map((r) => r.status),
      runs.map((r) => `${r.id} ${r.status} ${r.message}\n${consoleOf(r)}`).join('\n'),
    ).toEqual(['Succeeded', 'Succeeded']);
    // One at a time, in the order they reached the queue: the second one's first stage began after the first
    // one's last stage had ended.
    const firstStageStart = (r: RunRecord) => Date.parse(r.stages![0]!.startedAt!);
    const [first, second] = [...runs].sort((a, b) => firstStageStart(a) - firstStageStart(b)) as [
      RunRecord,
      RunRecord,
    ];
    const last = first.stages![first.stages!.length - 1]!;
    expect(firstStageStart(second)).toBeGreaterThanOrEqual(Date.parse(last.startedAt!) + last.durationMs!);
    expect(new Set(runs.map((r) => r.trigger.ref))).toEqual(
      new Set(['refs/heads/main', 'refs/heads/release/1']),
    );
  });

  it('chains to an existing hook and restores it byte for byte on uninstall', async () => {
    const { project, origin, work } = setup({
      'web.json': pipeline('web', 'PARALLEL', [{ branches: { includes: ['main'] } }]),
    });
    const userHook = join(origin, 'hooks', 'post-receive');
    const original = '#!/bin/sh\necho "user hook ran" >&2\n';
    writeFileSync(userHook, original);
    chmodSync(userHook, 0o755);
    const installed = await cli(['hooks', 'install', '--bare-repo', origin], project);
    expect(installed.stdout).toContain('your existing hook runs first');
    commit(work, { 'src/app.txt': 'v1\n' }, 'one');
    const out = pushWithOutput(work, '-q', 'origin', 'main');
    expect(out).toContain('user hook ran');
    expect(out).toContain('started run');
    await waitForRuns(project, 1);
    const removed = await cli(['hooks', 'uninstall'], project);
    expect(removed.stdout).toContain('restored your hook');
    expect(readFileSync(userHook, 'utf8')).toBe(original);
    expect(existsSync(`${userHook}.conveyor-user`)).toBe(false);
    const list = await cli(['hooks', 'list', '--json'], project);
    expect(JSON.parse(list.stdout)).toEqual([]);
  });

  it('installs a pre-push hook in a working repository', async () => {
    const { project, work } = setup({
      'web.json': pipeline('web', 'PARALLEL', [{ branches: { includes: ['main'] } }]),
    });
    const r = await cli(['hooks', 'install', '--pre-push', '--repo', work], project);
    expect(r.code).toBe(0);
    commit(work, { 'src/app.txt': 'v1\n' }, 'one');
    const out = pushWithOutput(work, '-q', 'origin', 'main');
    expect(out).toMatch(/started run p-\S+ of web for refs\/heads\/main/);
    const runs = await waitForRuns(project, 1);
    expect(runs[0]?.status).toBe('Succeeded');
    await cli(['hooks', 'uninstall'], project);
    expect(existsSync(join(work, '.git', 'hooks', 'pre-push'))).toBe(false);
  });

  it('records why a pushed run could not start (an action with no local runner)', async () => {
    const ecs = JSON.parse(pipeline('ecs', 'PARALLEL', [{ branches: { includes: ['main'] } }])) as {
      pipeline: { stages: { actions: Record<string, unknown>[] }[] };
    };
    ecs.pipeline.stages[1]!.actions[0] = {
      name: 'ToEcs',
      actionTypeId: { category: 'Deploy', owner: 'AWS', provider: 'ECS', version: '1' },
      configuration: { ClusterName: 'c', ServiceName: 's' },
      inputArtifacts: [{ name: 'Code' }],
    };
    const { project, origin, work } = setup({ 'ecs.json': JSON.stringify(ecs) });
    await cli(['hooks', 'install', '--bare-repo', origin], project);
    commit(work, { 'src/app.txt': 'v1\n' }, 'one');
    expect(pushWithOutput(work, '-q', 'origin', 'main')).toMatch(/started run p-\S+ of ecs/);
    const [run] = await waitForRuns(project, 1);
    expect(run, JSON.stringify(run)).toMatchObject({ status: 'Failed', trigger: { type: 'push' } });
    expect(run?.message).toContain('not started: 1 action(s) of ecs cannot run locally');
    expect(run?.message).toContain('Build/ToEcs (AWS/Deploy/ECS)');
  });

  it('pre-push --wait runs the pipeline first and stops a push that fails it', async () => {
    const { project, origin, work } = setup({
      'web.json': pipeline(
        'web',
        'PARALLEL',
        [{ branches: { includes: ['main'] } }],
        'grep -q good src/app.txt',
      ),
    });
    expect((await cli(['hooks', 'install', '--pre-push', '--wait', '--repo', work], project)).code).toBe(0);
    commit(work, { 'src/app.txt': 'bad\n' }, 'bad');
    const refused = spawnSync('git', ['push', '-q', 'origin', 'main'], {
      cwd: work,
      env: gitEnv,
      encoding: 'utf8',
    });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/run p-\S+ of web for refs\/heads\/main FAILED/);
    expect(refused.stderr).toContain('push stopped: web failed');
    expect(git(origin, 'branch', '--list', 'main').trim()).toBe('');
    commit(work, { 'src/app.txt': 'good\n' }, 'good');
    expect(pushWithOutput(work, '-q', 'origin', 'main')).toMatch(
      /run p-\S+ of web for refs\/heads\/main succeeded/,
    );
    expect(git(origin, 'rev-parse', 'main').trim()).toBe(git(work, 'rev-parse', 'HEAD').trim());
    const runs = await waitForRuns(project, 2);
    expect(runs.map((r) => r.status)).toEqual(['Succeeded', 'Failed']);
  });

  it('refuses to install without a target', async () => {
    const { project } = setup({});
    const r = await cli(['hooks', 'install'], project);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--bare-repo');
  });
});
