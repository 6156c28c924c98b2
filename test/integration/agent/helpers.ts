import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  stopInstanceProcesses,
  terminateProcessGroups,
} from '../../../src/providers/local/agent/process-groups.js';

/** Temp folders and process groups a test created; `cleanup()` in afterEach removes them even when a test failed. */
export class Sandbox {
  private readonly dirs: string[] = [];
  private readonly instanceRoots: string[] = [];
  private readonly pgids = new Set<number>();

  async dir(prefix = 'conveyor-agent-'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  /** An instance root whose recorded process groups are stopped at cleanup. */
  async instanceRoot(): Promise<string> {
    const root = await this.dir('conveyor-instance-');
    this.instanceRoots.push(root);
    return root;
  }

  trackPgid(pgid: number | undefined): void {
    if (pgid !== undefined) this.pgids.add(pgid);
  }

  async cleanup(): Promise<void> {
    for (const root of this.instanceRoots)
      await stopInstanceProcesses(root, { graceMs: 200 }).catch(() => {});
    await terminateProcessGroups([...this.pgids], 200);
    for (const dir of this.dirs) await rm(dir, { recursive: true, force: true });
    this.dirs.length = 0;
    this.instanceRoots.length = 0;
    this.pgids.clear();
  }
}

export async function writeScript(
  root: string,
  relativePath: string,
  body: string,
  mode = 0o755,
): Promise<string> {
  const file = join(root, relativePath);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, body.startsWith('#!') ? body : `#!/bin/sh\n${body}\n`);
  await chmod(file, mode);
  return file;
}

/** True when the pid runs and is not a zombie waiting for a reaper. */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export function readPids(file: string): number[] {
  return readFileSync(file, 'utf8').split(/\s+/).filter(Boolean).map(Number);
}

export async function waitFor(check: () => boolean, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

export const deployment = {
  id: 'd-TEST00001',
  applicationName: 'hello',
  groupName: 'dev',
  groupId: 'group-1234',
};
