/**
 * The phase records of one build attempt and the `[Container]` lines of build.log that go with them:
 * entering a phase, completing it with a status, and the runner's own notes between command output.
 */
import type { Clock } from '../core/clock.js';
import type { MaskStream } from '../core/secret-mask.js';
import { skippedPhases } from './build-record.js';
import type { BuildEvent } from './build-types.js';
import type { PhaseRecord } from './run-store.js';

/** The time as build.log shows it: `2024-05-01 12:00:00` (UTC). */
export function logTimestamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '');
}

export class PhaseLog {
  readonly phases: PhaseRecord[] = skippedPhases();
  private outputAtLineStart = true;

  constructor(
    private readonly log: MaskStream,
    private readonly clock: Clock,
    private readonly emit: (e: BuildEvent) => void,
    /** Called when a phase begins, with every phase's record so far. */
    private readonly onProgress: (phases: PhaseRecord[]) => void,
  ) {}

  record(name: string): PhaseRecord {
    return this.phases.find((p) => p.name === name)!;
  }

  /** A runner line, on a line of its own even when command output did not end with a newline. */
  write(line: string): void {
    this.log.write(
      `${this.outputAtLineStart ? '' : '\n'}[Container] ${logTimestamp(this.clock.now())} ${line}\n`,
    );
    this.outputAtLineStart = true;
  }

  /** Command output, as the shell wrote it. */
  output(text: string): void {
    this.log.write(text);
    if (text) this.outputAtLineStart = text.endsWith('\n');
  }

  begin(name: string): void {
    const p = this.record(name);
    p.status = 'IN_PROGRESS';
    p.startedAt = new Date(this.clock.now()).toISOString();
    this.write(`Entering phase ${name}`);
    this.emit({ type: 'phase-start', phase: name });
    this.onProgress(this.phases);
  }

  end(name: string, status: PhaseRecord['status'], message?: string): void {
    const p = this.record(name);
    p.status = status;
    p.durationMs = this.clock.now() - Date.parse(p.startedAt ?? new Date(this.clock.now()).toISOString());
    if (message) p.message = message;
    this.write(`Phase complete: ${name} State: ${status}`);
    if (message) this.write(`Phase context: ${message}`);
    this.emit({
      type: 'phase-end',
      phase: name,
      status,
      durationMs: p.durationMs,
      ...(message ? { message } : {}),
    });
  }
}
