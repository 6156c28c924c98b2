/**
 * `validate --cache`: an unchanged run reuses the last result (kept under .conveyor/ or --cache-location);
 * a changed document, option or existence check (a revision's hook script) validates again.
 */
import { existsSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCliProject } from '../../cli-project.js';

const project = useCliProject('conveyor-cache-');
const { write } = project;
const run = (args: string[]) => project.run(args, { env: {} });

const CACHE = '.conveyor/cache/validate.json';
const WARNING = 'version: 0.2\nphases:\n  build:\n    commands:\n      - make\n      -\n';

/** The cache file's three JSON lines: header (key, stamp), result, hashes. */
function cacheLines(
  file = CACHE,
): [Record<string, unknown>, { diagnostics: { message: string }[] }, unknown] {
  const [header, result, hashes] = readFileSync(join(project.dir, file), 'utf8').split('\n');
  return [JSON.parse(header!), JSON.parse(result!), JSON.parse(hashes!)];
}

function writeCacheLines(lines: unknown[], file = CACHE) {
  writeFileSync(join(project.dir, file), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
}

/** Marks the cached messages, so a run that reuses the cache shows it. */
function markCache(file = CACHE) {
  const [header, result, hashes] = cacheLines(file);
  for (const d of result.diagnostics) d.message = `(cached) ${d.message}`;
  writeCacheLines([header, result, hashes], file);
}

describe('validate --cache', () => {
  it('reuses the result of an unchanged run, with the same output and exit code', async () => {
    write('ci/buildspec.yml', WARNING);
    const first = await run(['validate', '--cache', 'ci']);
    expect(existsSync(join(project.dir, CACHE))).toBe(true);
    markCache();
    const second = await run(['validate', '--cache', 'ci']);
    expect(second.stdout).toBe(first.stdout.replace(/( warning \S+ )/, '$1(cached) '));
    expect(second.stdout).toContain('(cached)');
    expect(second.stderr).toBe(first.stderr);
    // The verdict is decided again on every run: --strict applies to a cached result too.
    expect((await run(['validate', '--cache', '--strict', 'ci'])).code).toBe(1);
  });

  it('validates again when a document, an option or the set of files changes', async () => {
    write('ci/buildspec.yml', WARNING);
    await run(['validate', '--cache', 'ci']);
    markCache();
    write('ci/buildspec.yml', `${WARNING}      -\n`);
    const changed = await run(['validate', '--cache', 'ci']);
    expect(changed.stdout).not.toContain('(cached)');
    expect(changed.stdout.trim().split('\n')).toHaveLength(2);
    markCache();
    expect((await run(['validate', '--cache', '--kind', 'buildspec', 'ci'])).stdout).not.toContain(
      '(cached)',
    );
    markCache();
    write('ci/other/buildspec.yml', 'version: 0.2\nphases:\n  build:\n    commands: [make]\n');
    expect((await run(['validate', '--cache', 'ci'])).stdout).not.toContain('(cached)');
  });

  it('validates again when a file a rule checked for appears or disappears', async () => {
    write(
      'groups/web.deploy.yml',
      'application: web\ndeploymentGroup: dev\nrollback:\n  hooks:\n    beforeRollback: scripts/before.sh\n',
    );
    write('groups/scripts/before.sh', '#!/bin/sh\n');
    // Absolute: the rule resolves hook scripts against the process's cwd, not runCli's.
    const group = join(project.dir, 'groups/web.deploy.yml');
    expect((await run(['validate', '--cache', group])).code).toBe(0);
    rmSync(join(project.dir, 'groups/scripts/before.sh'));
    const missing = await run(['validate', '--cache', group]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('deployment-group/rollback-hook-missing');
  });

  it("validates again when a command check's script appears beside the group file", async () => {
    write(
      'groups/web.deploy.yml',
      'application: web\ndeploymentGroup: dev\nanalysis:\n  checks:\n' +
        '    - { name: smoke, provider: command, command: [./scripts/smoke.sh] }\n',
    );
    const group = join(project.dir, 'groups/web.deploy.yml');
    const missing = await run(['validate', '--cache', group]);
    expect(missing.code).toBe(0);
    expect(missing.stdout).toContain('web.deploy.yml:5:51 warning deployment-group/check-command-missing');
    write('groups/scripts/smoke.sh', '#!/bin/sh\n');
    expect((await run(['validate', '--cache', group])).stdout).toBe('');
  });

  it('does not cache a revision folder, whose files and symlinks it does not track', async () => {
    write(
      'rev/appspec.yml',
      'version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: scripts/after.sh\n',
    );
    write('rev/scripts/after.sh', '#!/bin/sh\n');
    expect((await run(['validate', '--cache', 'rev'])).code).toBe(0);
    expect(existsSync(join(project.dir, CACHE))).toBe(false);
  });

  it('keeps the cache where --cache-location says', async () => {
    write('ci/buildspec.yml', WARNING);
    await run(['validate', '--cache-location', 'tmp/cache/', 'ci']);
    expect(existsSync(join(project.dir, 'tmp/cache/validate.json'))).toBe(true);
    markCache('tmp/cache/validate.json');
    expect((await run(['validate', '--cache-location', 'tmp/cache/', 'ci'])).stdout).toContain('(cached)');
    expect(existsSync(join(project.dir, CACHE))).toBe(false);
  });

  it('ignores a damaged cache file (or one an older version wrote) and writes a sound one', async () => {
    write('ci/buildspec.yml', WARNING);
    const fresh = await run(['validate', '--cache', 'ci']);
    const [header, result, hashes] = cacheLines();
    const line = (...l: unknown[]) => `${l.map((x) => JSON.stringify(x)).join('\n')}\n`;
    const sound = line(header, result, hashes);
    let mtime = 1_700_000_000;
    // `touch`: the document's mtime changes, so its recorded hash is needed (the hashes line is read).
    for (const [damaged, touch] of [
      [sound.slice(0, sound.length / 2), false],
      [line(header, { ...result, diagnostics: 'none' }, hashes), false],
      [line(header, result, null), true],
      [line({ ...header, format: 1 }, result, hashes), false],
      // The single JSON object of earlier versions.
      [JSON.stringify({ key: header.key, hashes, ...result }), false],
      ['[]', false],
    ] as const) {
      writeFileSync(join(project.dir, CACHE), damaged);
      if (touch) utimesSync(join(project.dir, 'ci/buildspec.yml'), mtime, ++mtime);
      const again = await run(['validate', '--cache', 'ci']);
      expect(again).toEqual(fresh);
      const [rewritten, rewrittenResult] = cacheLines();
      expect(rewritten.key).toBe(header.key);
      expect(rewrittenResult).toEqual(result);
    }
  });

  it('reuses the result when only the stamp is stale (a file touched, its content the same)', async () => {
    write('ci/buildspec.yml', WARNING);
    await run(['validate', '--cache', 'ci']);
    markCache();
    const file = join(project.dir, 'ci/buildspec.yml');
    utimesSync(file, 1_700_000_000, 1_700_000_000);
    const touched = await run(['validate', '--cache', 'ci']);
    expect(touched.stdout).toContain('(cached)');
  });

  it('notices a file replaced by one of the same size and mtime (another inode, as editors save)', async () => {
    write('ci/buildspec.yml', WARNING);
    const file = join(project.dir, 'ci/buildspec.yml');
    const mtime = 1_700_000_000; // whole seconds: set exactly on both files
    utimesSync(file, mtime, mtime);
    await run(['validate', '--cache', 'ci']);
    markCache();
    const edited = WARNING.replace('version: 0.2', 'version: 0.9');
    expect(edited.length).toBe(WARNING.length);
    writeFileSync(`${file}.new`, edited);
    utimesSync(`${file}.new`, mtime, mtime);
    renameSync(`${file}.new`, file);
    expect(statSync(file).mtimeMs).toBe(mtime * 1000);
    const changed = await run(['validate', '--cache', 'ci']);
    expect(changed.stdout).not.toContain('(cached)');
    expect(changed.code).toBe(1);
    expect(changed.stdout).toMatch(/ci\/buildspec\.yml:1:\d+ error /);
  });

  it('notices a same-size edit made within the clock tick of the run that hashed the file (racily clean)', async () => {
    write('ci/buildspec.yml', WARNING);
    const file = join(project.dir, 'ci/buildspec.yml');
    // A file system whose clock ticks in whole seconds (or an edit within one jiffy): the edit below keeps
    // the size, the inode and the mtime the run saw.
    const now = Math.floor(Date.now() / 1000);
    utimesSync(file, now, now);
    await run(['validate', '--cache', 'ci']);
    markCache();
    const edited = WARNING.replace('version: 0.2', 'version: 0.9');
    writeFileSync(file, edited); // in place: same inode
    utimesSync(file, now, now);
    const changed = await run(['validate', '--cache', 'ci']);
    expect(changed.stdout).not.toContain('(cached)');
    expect(changed.code).toBe(1);
  });

  it('records a fresh stamp after a hit by content hashes, so the next run needs no hashing', async () => {
    write('ci/buildspec.yml', WARNING);
    const file = join(project.dir, 'ci/buildspec.yml');
    utimesSync(file, 1_700_000_000, 1_700_000_000);
    await run(['validate', '--cache', 'ci']);
    const [first] = cacheLines();
    expect(first.stamp).toEqual(expect.any(String));
    utimesSync(file, 1_700_000_100, 1_700_000_100); // touched: content the same
    markCache();
    expect((await run(['validate', '--cache', 'ci'])).stdout).toContain('(cached)');
    const [second, secondResult] = cacheLines();
    expect(second.key).toBe(first.key);
    expect(second.stamp).toEqual(expect.any(String));
    expect(second.stamp).not.toBe(first.stamp);
    expect(secondResult.diagnostics[0]!.message).toMatch(/^\(cached\) /);
    // The hashes line is not needed by a hit on the stamp: a damaged one proves the stamp was used.
    const [header, result] = cacheLines();
    writeCacheLines([header, result, 'damaged']);
    expect((await run(['validate', '--cache', 'ci'])).stdout).toContain('(cached)');
  });
});
