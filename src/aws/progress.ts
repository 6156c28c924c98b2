/**
 * Progress for long AWS waits. Every state change is a plain line; on a terminal, one status line below
 * them is redrawn in place (what is running, for how long). Streams that are not terminals get only lines.
 */

import type { Clock } from '../core/clock.js';
import type { OutputStream } from '../core/output.js';

const CLEAR = '\r\x1b[2K';

export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

export class ProgressView {
  private status = '';
  private readonly live: boolean;
  private readonly started: number;

  constructor(
    private readonly out: OutputStream,
    private readonly clock: Clock,
    enabled = true,
  ) {
    this.live = enabled && out.isTTY === true;
    this.started = clock.now();
  }

  /** A permanent line (a state change). */
  line(text: string): void {
    if (this.live && this.status) this.out.write(CLEAR);
    this.out.write(`${text}\n`);
    if (this.live && this.status) this.draw();
  }

  /** The in-place status line (terminals only): `text` plus the time since the start. */
  update(text: string): void {
    if (!this.live) return;
    this.status = text;
    this.draw();
  }

  /** Removes the status line before the final output. */
  done(): void {
    if (this.live && this.status) this.out.write(CLEAR);
    this.status = '';
  }

  private draw(): void {
    this.out.write(`${CLEAR}${this.status} · ${formatElapsed(this.clock.now() - this.started)}`);
  }
}
