/**
 * Process groups that hook scripts leave running on an instance (the server ApplicationStart starts), recorded in
 * `<instanceRoot>/.conveyor/process-groups.json` so `conveyor down`, or a deployment whose ApplicationStop is
 * missing or failed, can stop them later from another process.
 *
 * Every script runs in its own process group, and its environment carries a tag unique to that run. Before a
 * recorded group is signalled, its members are checked (through /proc, where there is one) for that tag, so a
 * process-group id reused by an unrelated program after ours ended is never killed.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export const PROCESS_GROUP_TAG_ENV = 'CONVEYOR_PROCESS_GROUP_TAG';

export interface RecordedProcessGroup {
  pgid: number;
  /** Value of CONVEYOR_PROCESS_GROUP_TAG in the script's environment. */
  tag: string;
  event: string;
  location: string;
  deploymentId: string;
  recordedAt: string;
}

export function processGroupsFile(instanceRoot: string): string {
  return join(instanceRoot, '.conveyor', 'process-groups.json');
}

export function newProcessGroupTag(): string {
  return randomUUID();
}

export async function readProcessGroups(instanceRoot: string): Promise<RecordedProcessGroup[]> {
  let text: string;
  try {
    text = await readFile(processGroupsFile(instanceRoot), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? (parsed as RecordedProcessGroup[]) : [];
  } catch {
    // A torn write loses the record, not the processes: `down` then has nothing to stop by id. Never crash on it.
    return [];
  }
}

async function writeProcessGroups(instanceRoot: string, groups: RecordedProcessGroup[]): Promise<void> {
  const file = processGroupsFile(instanceRoot);
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(groups, null, 2) + '\n');
  await rename(tmp, file);
}

export async function recordProcessGroup(instanceRoot: string, group: RecordedProcessGroup): Promise<void> {
  const groups = (await readProcessGroups(instanceRoot)).filter((g) => g.pgid !== group.pgid);
  groups.push(group);
  await writeProcessGroups(instanceRoot, groups);
}

/**
 * Whether any live process is still in the group. Where /proc exists its members are counted without zombies
 * (an init that does not reap would otherwise keep a dead group "alive"); elsewhere signal 0 probes.
 */
export function processGroupAlive(pgid: number): boolean {
  const members = processGroupMembers(pgid);
  if (members !== undefined) return members.length > 0;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else; still alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Live (non-zombie) members of a process group, from /proc; undefined where /proc is not available. */
function processGroupMembers(pgid: number): number[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  if (!entries.includes('self')) return undefined;
  const members: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the parenthesised command name: state ppid pgrp ...
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') members.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return members;
}

/** True when the group still runs a process started by us with this tag (or when that cannot be checked). */
export function processGroupCarriesTag(pgid: number, tag: string): boolean {
  const members = processGroupMembers(pgid);
  if (members === undefined) return true;
  const needle = `${PROCESS_GROUP_TAG_ENV}=${tag}`;
  return members.some((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(needle);
    } catch {
      return false;
    }
  });
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Stop process groups: SIGTERM, wait up to `graceMs` for them to go, SIGKILL what is left, then wait (bounded)
 * until they are gone. Returns the groups that needed SIGKILL.
 */
export async function terminateProcessGroups(pgids: number[], graceMs: number): Promise<number[]> {
  const alive = pgids.filter(processGroupAlive);
  for (const pgid of alive) signalGroup(pgid, 'SIGTERM');
  const termDeadline = Date.now() + graceMs;
  while (Date.now() < termDeadline && alive.some(processGroupAlive)) await sleep(20);
  const stubborn = alive.filter(processGroupAlive);
  for (const pgid of stubborn) signalGroup(pgid, 'SIGKILL');
  const killDeadline = Date.now() + 2000;
  while (Date.now() < killDeadline && stubborn.some(processGroupAlive)) await sleep(10);
  return stubborn;
}

export interface StopInstanceProcessesOptions {
  /** Time between SIGTERM and SIGKILL. Default 3000 ms. */
  graceMs?: number;
}

export interface StopInstanceProcessesResult {
  /** Groups that were running and have been stopped. */
  stopped: RecordedProcessGroup[];
  /** Of those, the ones that ignored SIGTERM and were killed. */
  killed: RecordedProcessGroup[];
}

/**
 * Stop every process group hook scripts left running on the instance and forget them. Used by `conveyor down`
 * and before installing a new revision when the previous one's ApplicationStop failed or does not exist.
 */
export async function stopInstanceProcesses(
  instanceRoot: string,
  options: StopInstanceProcessesOptions = {},
): Promise<StopInstanceProcessesResult> {
  const groups = await readProcessGroups(instanceRoot);
  const ours = groups.filter((g) => processGroupAlive(g.pgid) && processGroupCarriesTag(g.pgid, g.tag));
  const killedIds = await terminateProcessGroups(
    ours.map((g) => g.pgid),
    options.graceMs ?? 3000,
  );
  const stillAlive = ours.filter((g) => processGroupAlive(g.pgid));
  await writeProcessGroups(instanceRoot, stillAlive);
  return { stopped: ours, killed: ours.filter((g) => killedIds.includes(g.pgid)) };
}
