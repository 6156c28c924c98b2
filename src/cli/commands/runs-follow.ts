/**
 * `conveyor runs show ID --follow`: a run's output as it is written (a push-triggered run's console.log, a
 * build's log), until the run ends; then its summary. Polls the file and the record: both are written by
 * another process, and a quarter second is well below what a person notices.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode } from '../../core/exit-codes.js';
import { type RunRecord, readRunRecord, runsDir } from '../../local-ci/run-store.js';
import type { CliContext } from '../context.js';

const POLL_MS = 250;
const LIVE = new Set<RunRecord['status']>(['Queued', 'InProgress']);

async function readFrom(path: string, offset: number): Promise<Buffer> {
  let file: Awaited<ReturnType<typeof open>> | undefined;
  try {
    file = await open(path, 'r');
    const { size } = await file.stat();
    if (size <= offset) return Buffer.alloc(0);
    const buffer = Buffer.alloc(size - offset);
    await file.read(buffer, 0, buffer.length, offset);
    return buffer;
  } catch {
    return Buffer.alloc(0);
  } finally {
    await file?.close();
  }
}

/** Streams the run's output to stdout until the record is no longer Queued or InProgress; exit 0 if it succeeded. */
export async function followRun(
  root: string,
  first: RunRecord,
  ctx: CliContext,
  render: (r: RunRecord) => string,
): Promise<number> {
  const consoleLog = join(runsDir(root), first.id, 'console.log');
  let record = first;
  let offset = 0;
  const pump = async (path: string) => {
    const chunk = await readFrom(path, offset);
    offset += chunk.length;
    if (chunk.length) ctx.stdout.write(chunk.toString('utf8'));
  };
  // A push-triggered run writes everything to console.log; a build run started by hand to its own log.
  const logOf = (r: RunRecord) => (r.trigger.type === 'push' || !r.logPath ? consoleLog : r.logPath);
  while (LIVE.has(record.status) && !ctx.signal.aborted) {
    await pump(logOf(record));
    try {
      await ctx.clock.sleep(POLL_MS, ctx.signal);
    } catch {
      break;
    }
    const next = await readRunRecord(root, record.id);
    if ('record' in next) record = next.record;
  }
  await pump(logOf(record));
  if (ctx.signal.aborted) return ExitCode.Ok;
  ctx.stdout.write(`\n${render(record)}`);
  return record.status === 'Succeeded' ? ExitCode.Ok : ExitCode.Failed;
}
