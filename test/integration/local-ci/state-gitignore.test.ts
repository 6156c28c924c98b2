/** `.conveyor/` carries its own .gitignore: a build's records, logs and artifacts never show up in `git status`. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/run-cli.js';

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

it('a local build in a git repository leaves nothing for git to commit under .conveyor/', async () => {
  root = mkdtempSync(join(tmpdir(), 'conveyor-state-'));
  const git = (...args: string[]) => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout;
  git('init', '-q');
  writeFileSync(
    join(root, 'buildspec.yml'),
    'version: 0.2\nphases:\n  build:\n    commands: [echo hi > out.txt]\nartifacts:\n  files: [out.txt]\n',
  );
  let output = '';
  const sink = { write: (s: string) => (output += s) };
  const code = await runCli(['build'], { cwd: root, stdout: sink, stderr: sink });
  expect(code, output).toBe(0);
  expect(output).toContain('.conveyor/runs/');
  expect(readFileSync(join(root, '.conveyor/.gitignore'), 'utf8')).toMatch(/^\*$/m);
  expect(git('status', '--porcelain', '--untracked-files=all').split('\n').filter(Boolean).sort()).toEqual([
    '?? buildspec.yml',
    '?? out.txt',
  ]);
});
