/**
 * `conveyor validate --cache` through the binary: an unchanged repository is answered by
 * dist/cli/validate-cached.js before the CLI loads, trusting unchanged folder mtimes instead of reading the
 * folders. What a user would notice if that went wrong: a stale result after adding, editing or removing a
 * document, output or an exit code that differ from a run without the cache, or an error printed by the
 * wrong path.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cliEntry = join(repoRoot, 'dist/cli/main.js');
const CACHE = '.conveyor/cache/validate.json';

const WARNING = 'version: 0.2\nphases:\n  build:\n    commands:\n      - make\n      -\n';
const VALID = 'version: 0.2\nphases:\n  build:\n    commands:\n      - make\n';
/** Seconds since the epoch, long enough ago that no mtime counts as racily clean. */
const PAST = 1_700_000_000;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'conveyor-cached-bin-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(rel: string, text: string, mtime = PAST): void {
  const file = join(dir, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  utimesSync(file, mtime, mtime);
}

/** Sets the mtime of folders (relative to the project), as an unchanged checkout has them. */
function settle(...folders: string[]): void {
  for (const f of folders) utimesSync(join(dir, f), PAST, PAST);
}

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [cliEntry, ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 20_000,
    env: { PATH: process.env.PATH, HOME: dir, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Marks every cached message, so output that came from the cache shows it. */
function markCache(): void {
  const file = join(dir, CACHE);
  const [header, result, hashes] = readFileSync(file, 'utf8').split('\n');
  const parsed = JSON.parse(result!) as { diagnostics: { message: string }[] };
  for (const d of parsed.diagnostics) d.message = `(cached) ${d.message}`;
  writeFileSync(file, `${header}\n${JSON.stringify(parsed)}\n${hashes}\n`);
}

describe.skipIf(!readFileSync(cliEntry, 'utf8').includes('validate-cached'))(
  'validate --cache, answered by the binary',
  () => {
    it('answers an unchanged repository from the cache with the output and exit code of a full run', () => {
      write('ci/a/buildspec.yml', WARNING);
      write('ci/b/buildspec.yml', VALID);
      settle('ci/a', 'ci/b', 'ci');
      for (const extra of [[], ['--json'], ['--strict'], ['--max-warnings', '0'], ['--max-warnings', '1']]) {
        const fresh = run(['validate', 'ci', ...extra]);
        run(['validate', '--cache', 'ci', ...extra]);
        const cached = run(['validate', '--cache', 'ci', ...extra]);
        expect(cached, extra.join(' ')).toEqual(fresh);
      }
      markCache();
      const marked = run(['validate', '--cache', 'ci', '--max-warnings', '1']);
      expect(marked.stdout).toContain('(cached)');
    });

    it('validates a document added to a folder (its mtime changes), and one edited in place', () => {
      write('ci/a/buildspec.yml', VALID);
      settle('ci/a', 'ci');
      run(['validate', '--cache', 'ci']);
      markCache();
      write('ci/a/other.buildspec.yml', WARNING);
      settle('ci'); // only ci/a changed, as adding a file changes only its folder
      const added = run(['validate', '--cache', 'ci']);
      expect(added.stdout).toMatch(/ci\/a\/other\.buildspec\.yml:\d+:\d+ warning /);
      expect(added.stderr).toContain('2 files checked');
      expect(added.stdout).not.toContain('(cached)');
      // In place: no folder changes; the file's size and mtime do.
      markCache();
      write('ci/a/buildspec.yml', 'version: 0.9\n', PAST + 50);
      const edited = run(['validate', '--cache', 'ci']);
      expect(edited.code).toBe(1);
      expect(edited.stdout).toMatch(/ci\/a\/buildspec\.yml:1:\d+ error /);
    });

    it('notices a document removed, and a folder of documents added', () => {
      write('ci/a/buildspec.yml', WARNING);
      write('ci/b/buildspec.yml', WARNING);
      settle('ci/a', 'ci/b', 'ci');
      expect(run(['validate', '--cache', 'ci']).stderr).toContain('2 files checked');
      rmSync(join(dir, 'ci/b/buildspec.yml'));
      expect(run(['validate', '--cache', 'ci']).stderr).toContain('1 file checked');
      write('ci/c/d/buildspec.yml', WARNING);
      expect(run(['validate', '--cache', 'ci']).stderr).toContain('2 files checked');
    });

    it('reads a folder again when it changed too recently to trust its mtime (racily clean)', () => {
      write('ci/a/buildspec.yml', VALID);
      // A folder whose clock ticks coarsely: a file added later within the same tick leaves its mtime as the
      // run saw it. Such a folder is listed with no mtime, so the next run reads it.
      const now = Math.floor(Date.now() / 1000);
      utimesSync(join(dir, 'ci/a'), now, now);
      settle('ci');
      run(['validate', '--cache', 'ci']);
      write('ci/a/other.buildspec.yml', WARNING);
      utimesSync(join(dir, 'ci/a'), now, now);
      const again = run(['validate', '--cache', 'ci']);
      expect(again.stderr).toContain('2 files checked');
      expect(again.stdout).toMatch(/other\.buildspec\.yml:\d+:\d+ warning /);
    });

    it('leaves errors in the arguments, --help and CI formats to the CLI', () => {
      write('ci/buildspec.yml', WARNING);
      settle('ci');
      run(['validate', '--cache', 'ci']);
      run(['validate', '--cache', 'ci']);
      const badKind = run(['validate', '--cache', '--kind', 'buildspek', 'ci']);
      expect(badKind.code).toBe(2);
      expect(badKind.stderr).toContain("conveyor validate: unknown kind 'buildspek'");
      const help = run(['validate', '--cache', '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^Usage: conveyor validate/);
      const github = run(['validate', '--cache', 'ci'], { GITHUB_ACTIONS: 'true' });
      expect(github.stdout).toMatch(/^::warning file=ci\/buildspec\.yml,line=\d+/);
    });
  },
);
