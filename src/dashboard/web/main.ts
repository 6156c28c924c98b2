/// <reference lib="dom" />
/**
 * The dashboard page: one Server-Sent Events stream (`/api/events`) carries a snapshot, then each change — a patch
 * of a group's page model when its ledger grows (only the fields that changed, patch.ts; a whole model when another
 * deployment starts), a signal sample a second, the runs when a record changes. The page never polls the state.
 * When the stream drops (the dashboard restarted) it reconnects and takes a new snapshot.
 */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { applyPatch, type GroupPatch } from '../patch.js';
import type { GroupView, SignalSample, Snapshot } from '../protocol.js';
import { GroupPanel } from './deployment.js';
import { html } from './html.js';
import { RunsPanel } from './pipelines.js';

type Connection = 'connecting' | 'live' | 'reconnecting' | 'refused';

/** Signal history kept by the page: at most this many points per group (older ones are thinned). */
const MAX_POINTS = 1200;

function addSample(list: SignalSample[], sample: SignalSample): SignalSample[] {
  const next = [...list, sample];
  if (next.length <= MAX_POINTS) return next;
  // Halve the older half: the recent minutes stay at full resolution.
  const half = Math.floor(next.length / 2);
  return [...next.slice(0, half).filter((_, i) => i % 2 === 0), ...next.slice(half)];
}

function useLive(): { snap: Snapshot | null; conn: Connection; offset: number } {
  const [snap, setSnap] = useState<Snapshot | null>(null);
  const [conn, setConn] = useState<Connection>('connecting');
  const [offset, setOffset] = useState(0);
  useEffect(() => {
    let es: EventSource | null = null;
    let retry: number | undefined;
    const connect = () => {
      es = new EventSource('/api/events');
      const on = <T>(name: string, f: (m: T) => void) =>
        es!.addEventListener(name, (e) => f(JSON.parse((e as MessageEvent<string>).data) as T));
      on<Snapshot>('snapshot', (s) => {
        setSnap(s);
        setOffset(s.serverTime - Date.now());
        setConn('live');
      });
      on<{ group: GroupView }>('group', ({ group }) =>
        setSnap((s) => {
          if (!s) return s;
          const groups = s.groups.some((g) => g.key === group.key)
            ? s.groups.map((g) => (g.key === group.key ? group : g))
            : [...s.groups, group].sort((a, b) => a.key.localeCompare(b.key));
          return { ...s, groups };
        }),
      );
      on<{ group: string; sample: SignalSample }>('signal', ({ group, sample }) =>
        setSnap((s) =>
          s ? { ...s, signals: { ...s.signals, [group]: addSample(s.signals[group] ?? [], sample) } } : s,
        ),
      );
      on<{ patch: GroupPatch }>('patch', ({ patch }) =>
        setSnap((s) => {
          if (!s) return s;
          let applied = false;
          const groups = s.groups.map((g) => {
            const next = g.key === patch.key ? applyPatch(g, patch) : undefined;
            if (next) applied = true;
            return next ?? g;
          });
          if (!applied) {
            // Not about the model held (cannot happen on one ordered stream): start over from a snapshot.
            window.setTimeout(() => {
              es?.close();
              connect();
            }, 0);
          }
          return applied ? { ...s, groups } : s;
        }),
      );
      on<Pick<Snapshot, 'runs' | 'approvals'>>('runs', ({ runs, approvals }) =>
        setSnap((s) => (s ? { ...s, runs, approvals } : s)),
      );
      es.onerror = () => {
        if (es?.readyState === EventSource.CLOSED) {
          // The server answered but refused the stream (a restarted dashboard with a new token), or it is down.
          es.close();
          fetch('/api/snapshot', { credentials: 'same-origin' })
            .then((r) => {
              if (r.status === 401 || r.status === 403) setConn('refused');
              else retry = window.setTimeout(connect, 1000);
            })
            .catch(() => {
              setConn('reconnecting');
              retry = window.setTimeout(connect, 1000);
            });
        } else {
          setConn('reconnecting');
        }
      };
    };
    connect();
    return () => {
      es?.close();
      window.clearTimeout(retry);
    };
  }, []);
  return { snap, conn, offset };
}

function App() {
  const { snap, conn, offset } = useLive();
  const [view, setView] = useState<string>(() => decodeURIComponent(location.hash.slice(1)) || '');
  useEffect(() => {
    const onHash = () => setView(decodeURIComponent(location.hash.slice(1)));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const groups = snap?.groups ?? [];
  const current =
    view === 'runs' ? 'runs' : (groups.find((g) => g.key === view)?.key ?? groups[0]?.key ?? 'runs');
  const group = groups.find((g) => g.key === current);
  const waiting = snap?.approvals.length ?? 0;
  return html`<div class="page">
    <header class="top">
      <h1>Conveyor</h1>
      <nav aria-label="views">
        ${groups.map(
          (g) => html`<a href=${`#${encodeURIComponent(g.key)}`} class=${g.key === current ? 'on' : ''}
            aria-current=${g.key === current ? 'page' : undefined}>${g.key}
            ${g.current && html` <span class=${`dot ${g.current.status}`} title=${g.current.status}></span>`}</a>`,
        )}
        <a href="#runs" class=${current === 'runs' ? 'on' : ''} aria-current=${current === 'runs' ? 'page' : undefined}>
          Pipelines and builds${waiting ? html` <span class="count">${waiting}</span>` : ''}</a>
      </nav>
      <span class=${`conn ${conn}`} role="status" data-testid="connection">${
        conn === 'live'
          ? 'live'
          : conn === 'refused'
            ? 'refused: open the URL conveyor dashboard printed'
            : conn === 'reconnecting'
              ? 'reconnecting…'
              : 'connecting…'
      }</span>
    </header>
    <main>
      ${snap?.problems.map((p) => html`<p class="problem">${p}</p>`)}
      ${!snap && html`<p class="muted">Connecting…</p>`}
      ${snap && current === 'runs' && html`<${RunsPanel} runs=${snap.runs} approvals=${snap.approvals} />`}
      ${snap && group && html`<${GroupPanel} group=${group} samples=${snap.signals[group.key] ?? []} offset=${offset} />`}
    </main>
  </div>`;
}

const root = document.getElementById('app')!;
root.replaceChildren();
render(html`<${App} />`, root);
