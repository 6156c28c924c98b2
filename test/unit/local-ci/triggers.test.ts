import { describe, expect, it } from 'vitest';
import { matchPush } from '../../../src/local-ci/hooks/triggers.js';
import type { PipelineDeclaration } from '../../../src/local-ci/pipeline/model.js';

const sha = 'a'.repeat(40);
const zero = '0'.repeat(40);
function pipeline(push?: unknown[], pullRequest?: unknown[]): PipelineDeclaration {
  return {
    name: 'p',
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
            configuration: { BranchName: 'main' },
          },
        ],
      },
    ],
    ...(push || pullRequest
      ? {
          triggers: [
            {
              providerType: 'CodeStarSourceConnection',
              gitConfiguration: {
                sourceActionName: 'Src',
                ...(push ? { push } : {}),
                ...(pullRequest ? { pullRequest } : {}),
              },
            },
          ],
        }
      : {}),
  } as PipelineDeclaration;
}
const branch = (name: string, oldSha = sha) => ({
  ref: `refs/heads/${name}`,
  oldSha,
  newSha: 'b'.repeat(40),
});

describe('matchPush (V2 trigger push filters)', () => {
  it('without triggers, matches a push to the source branch only', () => {
    expect(matchPush(pipeline(), branch('main'), []).match).toBe(true);
    expect(matchPush(pipeline(), branch('dev'), [])).toMatchObject({
      match: false,
      reason: expect.stringContaining('not the source branch'),
    });
  });

  it('applies branch includes and excludes as globs', () => {
    const p = pipeline([{ branches: { includes: ['release/**', 'main'], excludes: ['release/old-*'] } }]);
    expect(matchPush(p, branch('release/2.0'), []).match).toBe(true);
    expect(matchPush(p, branch('release/old-1'), []).match).toBe(false);
    expect(matchPush(p, branch('feature/x'), []).reason).toContain(
      'branch feature/x does not match includes [release/**, main]',
    );
  });

  it('needs at least one changed file accepted by a filePaths filter (AND with branches)', () => {
    const p = pipeline([
      { branches: { includes: ['main'] }, filePaths: { includes: ['src/**'], excludes: ['**/*.md'] } },
    ]);
    expect(matchPush(p, branch('main'), ['src/a.ts', 'README.md']).match).toBe(true);
    expect(matchPush(p, branch('main'), ['src/notes.md']).match).toBe(false);
    expect(matchPush(p, branch('dev'), ['src/a.ts']).match).toBe(false);
  });

  it('ORs filters, matches tags only against tag refs, ignores deletions and pull-request filters', () => {
    const p = pipeline([{ tags: { includes: ['v*'] } }, { branches: { includes: ['main'] } }]);
    expect(matchPush(p, { ref: 'refs/tags/v1.2', oldSha: zero, newSha: sha }, []).match).toBe(true);
    expect(matchPush(p, { ref: 'refs/tags/nightly', oldSha: zero, newSha: sha }, []).match).toBe(false);
    expect(matchPush(p, branch('main'), []).match).toBe(true);
    expect(matchPush(p, { ref: 'refs/heads/main', oldSha: sha, newSha: zero }, []).reason).toContain(
      'deleted',
    );
    const prOnly = pipeline(undefined, [{ events: ['OPEN'], branches: { includes: ['main'] } }]);
    expect(matchPush(prOnly, branch('main'), []).reason).toContain('pullRequest');
  });
});
