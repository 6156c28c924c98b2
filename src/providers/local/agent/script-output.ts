/**
 * A lifecycle event's script output, kept the way the CodeDeploy agent keeps it (hook_executor.rb, ScriptLog):
 * entries `LifecycleEvent - <event>`, `Script - <location>`, then each line the scripts wrote, prefixed `[stdout]`
 * or `[stderr]`. Every entry goes to the event's log file with a timestamp; the newest ~2 KB of whole entries are
 * kept in memory, and that tail is what a failure shows — the same text the agent sends to CodeDeploy.
 * Not masked, unlike a rollback hook's or a command check's output: the real agent masks nothing, and a
 * script's output here is to read as it would on an instance.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { PROCESS_GROUP_TAG_ENV } from './process-groups.js';

/** What the agent's ScriptLog keeps of an event's output (2048 characters of whole entries). */
export const OUTPUT_TAIL_BYTES = 2048;

export class EventLog {
  private readonly entries: string[] = [];
  private size = 0;
  private pending: Promise<unknown> = Promise.resolve();

  private constructor(private readonly file: Awaited<ReturnType<typeof open>>) {}

  static async open(path: string): Promise<EventLog> {
    await mkdir(dirname(path), { recursive: true });
    return new EventLog(await open(path, 'a'));
  }

  /** Adds one entry (a line, with or without its newline) to the tail and the file. */
  add(entry: string): void {
    const line = entry.endsWith('\n') ? entry : `${entry}\n`;
    this.entries.push(line);
    this.size += line.length;
    while (this.size > OUTPUT_TAIL_BYTES && this.entries.length > 1)
      this.size -= this.entries.shift()!.length;
    const stamped = `${new Date().toISOString()} ${line}`;
    this.pending = this.pending.then(() => this.file.appendFile(stamped)).catch(() => {});
  }

  /** A line of Conveyor's own (an error) in the file only: the agent's tail has none. */
  note(line: string): void {
    const stamped = `${new Date().toISOString()} ${line}\n`;
    this.pending = this.pending.then(() => this.file.appendFile(stamped)).catch(() => {});
  }

  /** The newest ~2 KB of entries; one entry longer than that is cut to its end. */
  tail(): string {
    const text = this.entries.join('');
    return text.length > OUTPUT_TAIL_BYTES ? text.slice(-OUTPUT_TAIL_BYTES) : text;
  }

  async close(): Promise<void> {
    await this.pending;
    await this.file.close();
  }
}

/** Feeds a script's stream into the log line by line with the agent's prefix; resolves at end of stream. */
export function pipeLines(stream: Readable, prefix: '[stdout]' | '[stderr]', log: EventLog): Promise<void> {
  stream.setEncoding('utf8');
  let partial = '';
  stream.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) log.add(`${prefix}${line}`);
  });
  return new Promise((resolveEnd) => {
    const done = () => {
      if (partial) log.add(`${prefix}${partial}`);
      partial = '';
      resolveEnd();
    };
    stream.once('end', done);
    stream.once('close', done);
  });
}

/**
 * Processes of a script run (found by its process-group tag, so also those that left its process group) that
 * still hold the script's stdout (fd 1) or stderr (fd 2), as `pid (command line)`. Node gives a child a socket,
 * not a pipe, for each stream. Best effort: reads /proc, returns [] where there is none; only called when a
 * script left its output open.
 */
export function outputHolders(tag: string, stream: 'stdout' | 'stderr'): string[] {
  const needle = `${PROCESS_GROUP_TAG_ENV}=${tag}`;
  const fd = stream === 'stdout' ? 1 : 2;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid);
  } catch {
    return [];
  }
  const holders: string[] = [];
  for (const pid of pids) {
    try {
      if (!/^(socket|pipe):/.test(readlinkSync(`/proc/${pid}/fd/${fd}`))) continue;
      if (!readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(needle)) continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      holders.push(`${pid} (${cmd.length > 80 ? `${cmd.slice(0, 77)}...` : cmd})`);
    } catch {
      // Gone, or not ours to read.
    }
  }
  return holders;
}
