import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, lstat, mkdir, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  applyPermissions,
  type FileExistsBehavior,
  InstallError,
  installFiles,
  matchesSimpleGlob,
  parseMode,
} from '../../../src/providers/local/agent/files.js';
import { Sandbox } from './helpers.js';

const sandbox = new Sandbox();
afterEach(() => sandbox.cleanup());

async function put(root: string, path: string, content: string): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), content);
}

async function revisionWith(files: Record<string, string>): Promise<string> {
  const dir = await sandbox.dir('conveyor-revision-');
  for (const [path, content] of Object.entries(files)) await put(dir, path, content);
  return dir;
}

const read = (root: string, path: string) => readFileSync(join(root, path), 'utf8');

describe('installFiles', () => {
  it('copies a directory source recursively into the destination, mapped under the instance root', async () => {
    const revision = await revisionWith({
      'web/index.html': 'v1',
      'web/css/site.css': 'body{}',
      'appspec.yml': 'x',
    });
    const root = await sandbox.instanceRoot();
    const result = await installFiles({
      files: [{ source: 'web', destination: '/var/www/app' }],
      revisionDir: revision,
      instanceRoot: root,
    });
    expect(read(root, 'var/www/app/index.html')).toBe('v1');
    expect(read(root, 'var/www/app/css/site.css')).toBe('body{}');
    expect(existsSync(join(root, 'var/www/app/appspec.yml'))).toBe(false);
    expect(result.copied.sort()).toEqual(['/var/www/app/css/site.css', '/var/www/app/index.html']);
    expect(result.createdDirectories).toEqual(['/var', '/var/www', '/var/www/app', '/var/www/app/css']);
  });

  it('copies a file source to destination/<basename>, keeping its mode', async () => {
    const revision = await revisionWith({ 'bin/server.js': 'console.log(1)' });
    await chmod(join(revision, 'bin/server.js'), 0o750);
    const root = await sandbox.instanceRoot();
    const result = await installFiles({
      files: [{ source: '/bin/server.js', destination: '/opt/app' }],
      revisionDir: revision,
      instanceRoot: root,
    });
    expect(result.copied).toEqual(['/opt/app/server.js']);
    expect(read(root, 'opt/app/server.js')).toBe('console.log(1)');
    expect((await stat(join(root, 'opt/app/server.js'))).mode & 0o777).toBe(0o750);
  });

  it('copies the whole revision for source: /', async () => {
    const revision = await revisionWith({
      'appspec.yml': 'version: 0.0',
      'app/main.js': 'm',
      'scripts/start.sh': 's',
    });
    const root = await sandbox.instanceRoot();
    await installFiles({
      files: [{ source: '/', destination: '/srv/hello' }],
      revisionDir: revision,
      instanceRoot: root,
    });
    expect(read(root, 'srv/hello/appspec.yml')).toBe('version: 0.0');
    expect(read(root, 'srv/hello/app/main.js')).toBe('m');
    expect(read(root, 'srv/hello/scripts/start.sh')).toBe('s');
  });

  describe('when a destination file already exists (not from a previous deployment)', () => {
    async function withExisting(behavior: FileExistsBehavior | undefined) {
      const revision = await revisionWith({ 'web/index.html': 'new', 'web/about.html': 'about' });
      const root = await sandbox.instanceRoot();
      await put(root, 'var/www/index.html', 'hand-made');
      const run = () =>
        installFiles({
          files: [{ source: 'web', destination: '/var/www' }],
          revisionDir: revision,
          instanceRoot: root,
          ...(behavior ? { fileExistsBehavior: behavior } : {}),
        });
      return { root, run };
    }

    it('DISALLOW (the default) fails naming the file, before copying anything', async () => {
      const { root, run } = await withExisting(undefined);
      await expect(run()).rejects.toThrow(
        'a specified file already exists at this location: /var/www/index.html (file_exists_behavior DISALLOW',
      );
      expect(read(root, 'var/www/index.html')).toBe('hand-made');
      expect(existsSync(join(root, 'var/www/about.html'))).toBe(false);
    });

    it('OVERWRITE replaces it', async () => {
      const { root, run } = await withExisting('OVERWRITE');
      const result = await run();
      expect(read(root, 'var/www/index.html')).toBe('new');
      expect(result.copied).toContain('/var/www/index.html');
    });

    it('RETAIN keeps it and copies the rest', async () => {
      const { root, run } = await withExisting('RETAIN');
      const result = await run();
      expect(read(root, 'var/www/index.html')).toBe('hand-made');
      expect(read(root, 'var/www/about.html')).toBe('about');
      expect(result.retained).toEqual(['/var/www/index.html']);
    });
  });

  it("removes the previous deployment's files first, so DISALLOW does not trip over them", async () => {
    const root = await sandbox.instanceRoot();
    const v1 = await revisionWith({
      'web/index.html': 'v1',
      'web/old.html': 'old',
      'web/img/logo.svg': '<svg/>',
    });
    await installFiles({
      files: [{ source: 'web', destination: '/var/www' }],
      revisionDir: v1,
      instanceRoot: root,
    });
    await put(root, 'var/www/uploads/user.txt', 'user data');

    const v2 = await revisionWith({ 'web/index.html': 'v2' });
    const result = await installFiles({
      files: [{ source: 'web', destination: '/var/www' }],
      revisionDir: v2,
      instanceRoot: root,
    });
    expect(result.removedFromPrevious).toBeGreaterThanOrEqual(3);
    expect(read(root, 'var/www/index.html')).toBe('v2');
    expect(existsSync(join(root, 'var/www/old.html'))).toBe(false);
    expect(existsSync(join(root, 'var/www/img'))).toBe(false);
    // A directory v1 created but that now holds someone else's file stays, with that file.
    expect(read(root, 'var/www/uploads/user.txt')).toBe('user data');
  });

  it('ignores an unfinished last line of a cleanup list left by a crash', async () => {
    const root = await sandbox.instanceRoot();
    const v1 = await revisionWith({ 'web/a.txt': 'a' });
    await installFiles({
      files: [{ source: 'web', destination: '/w' }],
      revisionDir: v1,
      instanceRoot: root,
    });
    const list = join(root, '.conveyor/deployment-instructions/default-cleanup');
    await writeFile(list, readFileSync(list, 'utf8') + join(root, 'w/keep'));
    await put(root, 'w/keep', 'k');
    await installFiles({
      files: [{ source: 'web', destination: '/w' }],
      revisionDir: v1,
      instanceRoot: root,
    });
    expect(read(root, 'w/keep')).toBe('k');
  });

  it('rejects sources that leave the revision, directly or through a link', async () => {
    const root = await sandbox.instanceRoot();
    const outside = await sandbox.dir();
    await put(outside, 'secret.txt', 's');
    const revision = await revisionWith({ 'ok.txt': 'ok' });
    await symlink(join(outside, 'secret.txt'), join(revision, 'link.txt'));
    const install = (source: string) =>
      installFiles({ files: [{ source, destination: '/x' }], revisionDir: revision, instanceRoot: root });
    await expect(install('../secret.txt')).rejects.toThrow(
      'files: source ../secret.txt resolves outside the revision',
    );
    await expect(install('link.txt')).rejects.toThrow('outside the revision');
    await expect(install('missing.txt')).rejects.toThrow(
      'files: source missing.txt does not exist in the revision',
    );
  });

  it('keeps destinations inside the instance root and out of its .conveyor folder', async () => {
    const root = await sandbox.instanceRoot();
    const revision = await revisionWith({ 'a.txt': 'a' });
    await installFiles({
      files: [{ source: 'a.txt', destination: '/../../etc' }],
      revisionDir: revision,
      instanceRoot: root,
    });
    expect(read(root, 'etc/a.txt')).toBe('a');
    await expect(
      installFiles({
        files: [{ source: 'a.txt', destination: '/.conveyor/x' }],
        revisionDir: revision,
        instanceRoot: root,
      }),
    ).rejects.toThrow(InstallError);
    await expect(
      installFiles({
        files: [{ source: 'a.txt', destination: 'relative/dir' }],
        revisionDir: revision,
        instanceRoot: root,
      }),
    ).rejects.toThrow('not an absolute path');
  });

  it('refuses two sources for one destination', async () => {
    const root = await sandbox.instanceRoot();
    const revision = await revisionWith({ 'a/index.html': '1', 'b/index.html': '2' });
    await expect(
      installFiles({
        files: [
          { source: 'a/index.html', destination: '/www' },
          { source: 'b/index.html', destination: '/www' },
        ],
        revisionDir: revision,
        instanceRoot: root,
      }),
    ).rejects.toThrow(
      'two sources, a/index.html and b/index.html, are copied to the same destination /www/index.html',
    );
  });

  it('recreates symlinks inside a directory source as links', async () => {
    const root = await sandbox.instanceRoot();
    const revision = await revisionWith({ 'web/v1.html': 'x' });
    await symlink('v1.html', join(revision, 'web/current.html'));
    await installFiles({
      files: [{ source: 'web', destination: '/www' }],
      revisionDir: revision,
      instanceRoot: root,
    });
    expect(await readlink(join(root, 'www/current.html'))).toBe('v1.html');
  });
});

describe('links and non-files never lead a write or a permission change outside the instance', () => {
  /** A file outside both the revision and the instance, owner-only, as /etc/shadow is. */
  async function victim(): Promise<string> {
    const dir = await sandbox.dir('conveyor-victim-');
    const file = join(dir, 'victim');
    await writeFile(file, 'secret');
    await chmod(file, 0o600);
    return file;
  }

  it('permissions on a folder holding a link to an outside file change neither its mode nor its owner', async () => {
    const outside = await victim();
    const revision = await revisionWith({ 'app/index.html': 'i', 'appspec.yml': 'x' });
    await symlink(outside, join(revision, 'app/link'));
    const root = await sandbox.instanceRoot();
    const installed = await installFiles({
      files: [{ source: '/', destination: '/srv/hello-web' }],
      revisionDir: revision,
      instanceRoot: root,
    });
    const out = await applyPermissions({
      permissions: [{ object: '/srv/hello-web', mode: 777, owner: 'nobody' }],
      instanceRoot: root,
      installed,
    });
    const after = await lstat(outside);
    expect(after.mode & 0o7777).toBe(0o600);
    expect(after.uid).toBe(process.getuid?.());
    expect(await readlink(join(root, 'srv/hello-web/app/link'))).toBe(outside);
    expect((await stat(join(root, 'srv/hello-web/app/index.html'))).mode & 0o777).toBe(0o777);
    expect(out.warnings.map((w) => w.message)).toContain(
      'mode 777 not applied: /srv/hello-web/app/link is a link, and a mode is never set through one',
    );
    if (process.getuid?.() === 0) {
      // The link itself belongs to nobody now; its target does not.
      expect((await lstat(join(root, 'srv/hello-web/app/link'))).uid).toBe(65534);
    }
  });

  it('a file copied onto an existing link (OVERWRITE) replaces the link instead of writing through it', async () => {
    const outside = await victim();
    const root = await sandbox.instanceRoot();
    await mkdir(join(root, 'etc'), { recursive: true });
    await symlink(outside, join(root, 'etc/app.conf'));
    const revision = await revisionWith({ 'config/app.conf': 'mine' });
    await installFiles({
      files: [{ source: 'config/app.conf', destination: '/etc' }],
      fileExistsBehavior: 'OVERWRITE',
      revisionDir: revision,
      instanceRoot: root,
    });
    expect(readFileSync(outside, 'utf8')).toBe('secret');
    expect((await lstat(join(root, 'etc/app.conf'))).isSymbolicLink()).toBe(false);
    expect(read(root, 'etc/app.conf')).toBe('mine');
  });

  it('refuses to copy into a folder that is a link to outside (left by a hook or a retained file)', async () => {
    const outsideDir = await sandbox.dir('conveyor-outside-');
    const revision = await revisionWith({ 'web/index.html': 'i' });
    const root = await sandbox.instanceRoot();
    await mkdir(join(root, 'srv'));
    await symlink(outsideDir, join(root, 'srv/www'));
    await expect(
      installFiles({
        files: [{ source: 'web/index.html', destination: '/srv/www' }],
        revisionDir: revision,
        instanceRoot: root,
      }),
    ).rejects.toThrow(/\/srv\/www\/index\.html would be written through a link to .*outside the instance/);
    expect(existsSync(join(outsideDir, 'index.html'))).toBe(false);
  });

  it('refuses a FIFO in the revision instead of blocking on it', async () => {
    const revision = await revisionWith({ 'web/index.html': 'i' });
    execFileSync('mkfifo', [join(revision, 'web/pipe')]);
    const root = await sandbox.instanceRoot();
    await expect(
      installFiles({
        files: [{ source: 'web', destination: '/www' }],
        revisionDir: revision,
        instanceRoot: root,
      }),
    ).rejects.toThrow('files: web/pipe is not a regular file, folder or link (a FIFO, socket or device)');
  });
});

describe('applyPermissions', () => {
  async function installed() {
    const revision = await revisionWith({
      'web/index.html': 'i',
      'web/app.js': 'a',
      'web/lib/util.js': 'u',
      'bin/run.sh': 'r',
    });
    const root = await sandbox.instanceRoot();
    const result = await installFiles({
      files: [
        { source: 'web', destination: '/var/www' },
        { source: 'bin/run.sh', destination: '/opt/bin' },
      ],
      revisionDir: revision,
      instanceRoot: root,
    });
    const mode = async (path: string) => (await stat(join(root, path))).mode & 0o777;
    return { root, result, mode };
  }

  it('sets the mode on an installed file named as object', async () => {
    const { root, result, mode } = await installed();
    const out = await applyPermissions({
      permissions: [{ object: '/opt/bin/run.sh', mode: '750' }],
      instanceRoot: root,
      installed: result,
    });
    expect(out.applied).toEqual(['/opt/bin/run.sh']);
    expect(await mode('opt/bin/run.sh')).toBe(0o750);
  });

  it('matches installed files under a directory by pattern and except, and directories by type', async () => {
    const { root, result, mode } = await installed();
    const out = await applyPermissions({
      permissions: [
        { object: '/var/www', pattern: '*.js', except: ['app*'], type: ['file'], mode: 600 },
        { object: '/var/www', type: ['directory'], mode: '0711' },
      ],
      instanceRoot: root,
      installed: result,
    });
    // *.js matches direct children only, and except removes app.js.
    expect(out.applied).toEqual(['/var/www/lib']);
    expect(await mode('var/www/app.js')).toBe(0o644 & ~process.umask());
    expect(await mode('var/www/lib')).toBe(0o711);
  });

  it('with pattern ** reaches every installed file below the object', async () => {
    const { root, result, mode } = await installed();
    await applyPermissions({
      permissions: [{ object: '/var/www', type: ['file'], mode: '640' }],
      instanceRoot: root,
      installed: result,
    });
    expect(await mode('var/www/index.html')).toBe(0o640);
    expect(await mode('var/www/lib/util.js')).toBe(0o640);
  });

  it('records acls and context as not supported locally instead of failing', async () => {
    const { root, result } = await installed();
    const out = await applyPermissions({
      permissions: [
        { object: '/opt/bin/run.sh', acls: ['u:web:rwx'], context: { type: 'httpd_sys_content_t' } },
      ],
      instanceRoot: root,
      installed: result,
    });
    expect(out.warnings.map((w) => w.message)).toEqual([
      'acls are not applied by the local provider (they are on EC2)',
      'SELinux context is not applied by the local provider (it is on EC2)',
    ]);
  });

  it('changes owner only when root, and warns otherwise', async () => {
    const { root, result } = await installed();
    const notRoot = await applyPermissions({
      permissions: [{ object: '/opt/bin/run.sh', owner: 'nobody' }],
      instanceRoot: root,
      installed: result,
      isRoot: false,
    });
    expect(notRoot.warnings[0]!.message).toBe(
      'owner/group (nobody) not applied: changing ownership needs root',
    );
    if (process.getuid?.() === 0) {
      await applyPermissions({
        permissions: [{ object: '/opt/bin/run.sh', owner: 'nobody' }],
        instanceRoot: root,
        installed: result,
      });
      expect((await stat(join(root, 'opt/bin/run.sh'))).uid).toBe(65534);
    }
  });

  it('rejects a file object with a pattern, a bad mode, and a path given twice', async () => {
    const { root, result } = await installed();
    const apply = (permissions: Parameters<typeof applyPermissions>[0]['permissions']) =>
      applyPermissions({ permissions, instanceRoot: root, installed: result });
    await expect(apply([{ object: '/opt/bin/run.sh', pattern: '*.sh' }])).rejects.toThrow(
      'pattern must be "**"',
    );
    await expect(apply([{ object: '/opt/bin/run.sh', mode: '0999' }])).rejects.toThrow('invalid mode 0999');
    await expect(
      apply([
        { object: '/var/www', mode: '644' },
        { object: '/var/www/index.html', mode: '600' },
      ]),
    ).rejects.toThrow('/var/www/index.html is given permissions more than once');
  });
});

describe('permission rules', () => {
  it('parses modes as the agent does', () => {
    expect(parseMode('644')).toBe(0o644);
    expect(parseMode(755)).toBe(0o755);
    expect(parseMode('4755')).toBe(0o4755);
    expect(parseMode(7)).toBe(0o007);
    expect(() => parseMode('12345')).toThrow(InstallError);
    expect(() => parseMode('rw-')).toThrow(InstallError);
  });

  it('matches simple globs within one path segment', () => {
    expect(matchesSimpleGlob('app.js', '*.js')).toBe(true);
    expect(matchesSimpleGlob('lib/util.js', '*.js')).toBe(false);
    expect(matchesSimpleGlob('a.b', 'a.b')).toBe(true);
    expect(matchesSimpleGlob('axb', 'a.b')).toBe(false);
  });
});

describe('the instance root as destination', () => {
  it("refuses to copy a revision's .conveyor folder over the agent's own state", async () => {
    const root = await sandbox.instanceRoot();
    const revision = await revisionWith({ 'index.html': 'i', '.conveyor/evil.txt': 'x' });
    await expect(
      installFiles({ files: [{ source: '/', destination: '/' }], revisionDir: revision, instanceRoot: root }),
    ).rejects.toThrow('would be installed into .conveyor/');
    const plain = await revisionWith({ 'index.html': 'i' });
    await installFiles({
      files: [{ source: '/', destination: '/' }],
      revisionDir: plain,
      instanceRoot: root,
    });
    expect(read(root, 'index.html')).toBe('i');
  });
});
