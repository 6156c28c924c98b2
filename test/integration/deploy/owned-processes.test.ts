/**
 * A killed test process takes what it started with it (test/integration/owned-processes.ts): before, an interrupted
 * run left its router, the router's supervisor and the app instances running for hours.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it, onTestFinished } from 'vitest';
import { packageRoot } from '../../../src/core/paths.js';
import { ownTempDir } from '../owned-processes.js';
import { running, SLOW, waitFor } from './helpers.js';

describe('processes started by test helpers', () => {
  it(
    'die with the test process: SIGKILL of a helper process stops its router, supervisor and instance',
    async () => {
      // The helper process names a folder this process owns, so it cannot outlive this test either.
      const owner = ownTempDir(mkdtempSync(join(tmpdir(), 'conveyor-it-owner-')));
      const helper = spawn(
        process.execPath,
        ['--import', 'tsx', join(packageRoot, 'test', 'integration', 'deploy', 'owned-group-main.ts'), owner],
        { cwd: packageRoot, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      helper.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
      const started = new Promise<string>((resolve, reject) => {
        createInterface({ input: helper.stdout }).once('line', resolve);
        helper.once('exit', (code) => reject(new Error(`helper exited ${code}: ${stderr}`)));
      });
      const group: { dir: string; router: number; supervisor: number; instance: number } = JSON.parse(
        await Promise.race([
          started,
          new Promise<never>((_, reject) =>
            setTimeout(() => reject(new Error(`helper did not start in 60 s: ${stderr}`)), 60_000).unref(),
          ),
        ]),
      );
      const pids = [group.router, group.supervisor, group.instance];
      // Whatever the outcome, nothing of the helper's is left behind.
      onTestFinished(() => {
        for (const pid of [helper.pid!, ...pids])
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone
          }
        rmSync(group.dir, { recursive: true, force: true });
        rmSync(owner, { recursive: true, force: true });
      });
      expect(pids.map(running)).toEqual([true, true, true]);

      helper.kill('SIGKILL');
      await waitFor(
        'the router, its supervisor and the instance to go away, and their folder',
        async () => (pids.some(running) || existsSync(group.dir) ? undefined : true),
        10_000,
      );
    },
    SLOW,
  );
});
