/** `synth --check --diff`: the change itself, as a unified diff that `git apply` accepts. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../../src/synth/output-diff.js';
import { synth, useTempProjects } from './helpers.js';

const project = useTempProjects();

const buildspec = (commands: string[]) =>
  `version: 0.2\nphases:\n  build:\n    commands:\n${commands.map((c) => `      - ${c}\n`).join('')}`;

/** Applies `patch` with git in a scratch folder holding `before` as file.txt; returns the result. */
function gitApply(before: string, patch: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-diff-'));
  try {
    writeFileSync(join(dir, 'file.txt'), before);
    writeFileSync(join(dir, 'change.patch'), patch);
    const r = spawnSync('git', ['apply', '--unidiff-zero', 'change.patch'], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git apply: ${r.stderr}\n${patch}`);
    return readFileSync(join(dir, 'file.txt'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('unified diff', () => {
  const numbered = (n: number, edit: (i: number) => string | undefined = (i) => `line ${i}`) =>
    Array.from({ length: n }, (_, i) => edit(i))
      .filter((l) => l !== undefined)
      .map((l) => `${l}\n`)
      .join('');

  it.each([
    [
      'one line changed in the middle',
      numbered(20),
      numbered(20, (i) => (i === 10 ? 'changed' : `line ${i}`)),
    ],
    [
      'lines removed and added far apart (two hunks)',
      numbered(40),
      numbered(41, (i) => (i === 3 ? undefined : i === 40 ? 'tail' : `line ${i}`)),
    ],
    ['a file emptied', numbered(5), ''],
    ['everything replaced', numbered(6), numbered(4, (i) => `other ${i}`)],
  ])('%s: git apply turns the old text into the new', (_name, before, after) => {
    const patch = unifiedDiff(before, after, 'a/file.txt', 'b/file.txt');
    expect(patch.startsWith('--- a/file.txt\n+++ b/file.txt\n@@ -')).toBe(true);
    expect(gitApply(before, patch)).toBe(after);
  });

  it('equal texts give no diff; hunks keep three lines of context', () => {
    expect(unifiedDiff('a\n', 'a\n', 'x', 'y')).toBe('');
    const patch = unifiedDiff(
      numbered(20),
      numbered(20, (i) => (i === 10 ? 'changed' : `line ${i}`)),
      'x',
      'y',
    );
    expect(patch).toBe(
      '--- x\n+++ y\n@@ -8,7 +8,7 @@\n line 7\n line 8\n line 9\n-line 10\n+changed\n line 11\n line 12\n line 13\n',
    );
  });
});

describe('conveyor synth --check --diff', () => {
  it('prints what would change in each emitted file and exits 1, writing nothing', async () => {
    const root = project({
      'buildspec/api.yml': buildspec(['make']),
      'buildspec/web.yml': buildspec(['npm test']),
    });
    expect((await synth(root)).code).toBe(0);
    writeFileSync(join(root, 'buildspec/api.yml'), buildspec(['make', 'make install']));
    rmSync(join(root, 'buildspec/web.yml'));
    const before = readFileSync(join(root, 'conveyor.out/builds/api/buildspec.yml'), 'utf8');

    const r = await synth(root, ['--check', '--diff']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      '--- a/conveyor.out/builds/api/buildspec.yml\n+++ b/conveyor.out/builds/api/buildspec.yml\n',
    );
    expect(r.stdout).toContain('       - make\n+      - make install\n');
    expect(r.stdout).toContain('--- a/conveyor.out/builds/web/buildspec.yml\n+++ /dev/null\n');
    expect(r.stdout).toContain('-      - npm test\n');
    expect(r.stdout).toContain('would change: conveyor.out/builds/api/buildspec.yml');
    expect(readFileSync(join(root, 'conveyor.out/builds/api/buildspec.yml'), 'utf8')).toBe(before);

    const json = await synth(root, ['--diff', '--json']);
    expect(json.code).toBe(1);
    expect((JSON.parse(json.stdout) as { diff: string }).diff).toContain('+      - make install\n');
  });

  it('prints no diff when the output is current', async () => {
    const root = project({ 'buildspec/api.yml': buildspec(['make']) });
    await synth(root);
    const r = await synth(root, ['--check', '--diff']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('---');
  });
});
