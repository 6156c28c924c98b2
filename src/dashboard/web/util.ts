/// <reference lib="dom" />
/** Small helpers of the dashboard page: formatting, the two write calls (actions and approvals), `memo`. */
import { Component, type ComponentType, type FunctionComponent, h } from 'preact';
import type { ActionRequest, ApprovalRequest } from '../protocol.js';

/**
 * One formatter for every time shown: `toLocaleTimeString` builds a new one per call, which cost the page more CPU
 * than everything else it did together (seconds a minute, on the rows of the verdict and event lists).
 */
const TIME = new Intl.DateTimeFormat([], {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

export function fmtTime(at: number | string | undefined): string {
  if (at === undefined) return '';
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? '' : TIME.format(d);
}

export function fmtDuration(ms: number | undefined): string {
  if (ms === undefined) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m${String(s % 60).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function fmtNumber(key: string, v: number): string {
  if (/rate/i.test(key)) return `${(v * 100).toFixed(2)}%`;
  if (/ms|latency|p\d\d/i.test(key)) return `${Math.round(v * 10) / 10} ms`;
  return String(Math.round(v * 100) / 100);
}

/** Terminal statuses of deployments and runs, and the CSS class a status takes. */
export function statusClass(status: string): string {
  if (['Succeeded', 'SUCCEEDED', 'pass'].includes(status)) return 'ok';
  if (
    ['Failed', 'FAILED', 'RolledBack', 'TimedOut', 'TIMED_OUT', 'Abandoned', 'fail', 'Stopped'].includes(
      status,
    )
  )
    return 'bad';
  if (['Paused', 'Waiting', 'inconclusive'].includes(status)) return 'wait';
  if (['InProgress', 'IN_PROGRESS', 'Created', 'Queued'].includes(status)) return 'run';
  return 'idle';
}

async function post(path: string, body: unknown): Promise<string> {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    credentials: 'same-origin',
  });
  const answer = (await res.json().catch(() => ({}))) as { message?: string; error?: string };
  if (!res.ok) throw new Error(answer.error ?? `HTTP ${res.status}`);
  return answer.message ?? 'done';
}

export const sendAction = (req: ActionRequest) => post('/api/action', req);
export const sendApproval = (req: ApprovalRequest) => post('/api/approval', req);

/**
 * A component that renders again only when one of its props changed identity. The live stream patches the page's
 * model field by field (patch.ts), so a ledger event re-renders the parts it changed and nothing else.
 */
export function memo<P extends object>(inner: FunctionComponent<P>): ComponentType<P> {
  class Memo extends Component<P> {
    override shouldComponentUpdate(next: P): boolean {
      const now = this.props as Record<string, unknown>;
      const then = next as Record<string, unknown>;
      for (const k in then) if (then[k] !== now[k]) return true;
      for (const k in now) if (!(k in then)) return true;
      return false;
    }
    override render(props: P) {
      return h(inner, props);
    }
  }
  return Memo;
}
