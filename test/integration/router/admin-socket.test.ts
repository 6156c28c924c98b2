/**
 * The admin socket is owner-only whatever the umask (issue #13 item 6): started under `umask 000` in a
 * world-writable state folder, the router's socket and files still let no other user in. The "other user"
 * part runs a client as `nobody` and so needs root; elsewhere it is skipped with a note.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { distEntry } from '../../../src/core/paths.js';
import { RouterClient } from '../../../src/router/client.js';
import { routerFiles } from '../../../src/router/files.js';
import { stopRouter } from '../../../src/router/launch.js';
import { killQuietly, until } from './helpers.js';

const started: { dir: string; child: ChildProcess }[] = [];

afterEach(async () => {
  for (const { dir, child } of started.splice(0)) {
    await stopRouter(dir, 3000);
    if (child.pid) killQuietly(child.pid);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** What a connection from user `nobody` gets from GET /state: the status line, or the error code. */
function askAsNobody(socket: string): string {
  const script = `const s = require('node:net').connect(process.argv[1]);
s.on('connect', () => s.write('GET /state HTTP/1.0\\r\\n\\r\\n'));
s.on('data', (d) => { console.log(String(d).split('\\r\\n')[0]); process.exit(0); });
s.on('error', (e) => { console.log(e.code); process.exit(0); });`;
  const r = spawnSync(process.execPath, ['-e', script, socket], {
    uid: 65534,
    gid: 65534,
    cwd: '/',
    encoding: 'utf8',
    timeout: 5000,
  });
  // A node binary that user nobody cannot execute (e.g. under a 0700 folder) would look like a refusal otherwise.
  if (r.error) throw new Error(`cannot run ${process.execPath} as user nobody: ${r.error.message}`);
  return r.stdout.trim();
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe('router: the admin socket is owner-only', () => {
  it('under umask 000 and in a world-writable folder, no other user can reach it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cva-'));
    chmodSync(dir, 0o777);
    const child = spawn(
      'sh',
      [
        '-c',
        'umask 000 && exec "$0" "$@"',
        process.execPath,
        distEntry('router/main.js'),
        '--state-dir',
        dir,
        '--port',
        '0',
      ],
      { stdio: 'ignore' },
    );
    started.push({ dir, child });
    const files = routerFiles(dir);
    await until(() => existsSync(files.pidFile), 5000, 'the router to start');

    expect(mode(files.socket).toString(8)).toBe('600');
    expect(mode(files.pidFile).toString(8)).toBe('600');
    const client = new RouterClient(files.socket);
    await client.setRouting({ stable: [], canary: [], canaryWeight: 0 });
    expect(mode(files.tableFile).toString(8)).toBe('600');
    expect((await client.getState()).generation).toBe(1);
    client.close();

    if (process.getuid?.() !== 0) {
      console.log('admin-socket: not root, so the check as another user is skipped');
      return;
    }
    expect(askAsNobody(files.socket)).toBe('EACCES');
  });
});
