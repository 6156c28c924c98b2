/// <reference lib="dom" />
/** Local pipeline runs and builds: waiting approvals, the stage/action graph, phase timelines, live logs. */

import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApprovalView, RunView } from '../protocol.js';
import { html } from './html.js';
import { fmtDuration, fmtTime, sendApproval, statusClass } from './util.js';

function Approvals({ approvals }: { approvals: ApprovalView[] }) {
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const answer = async (a: ApprovalView, decision: 'Approved' | 'Rejected') => {
    try {
      setResult({ ok: true, text: await sendApproval({ ...a, decision }) });
    } catch (err) {
      setResult({ ok: false, text: (err as Error).message });
    }
  };
  return html`<section class="approvals">
    <h3>Waiting approvals</h3>
    ${approvals.length === 0 && html`<p class="muted">None.</p>`}
    <ul>
      ${approvals.map(
        (a) => html`<li class="approval" data-run=${a.runId}>
          <b>${a.pipeline}</b> › ${a.stage} › ${a.action} <span class="muted">since ${fmtTime(a.since)}</span>
          ${a.customData && html`<div class="muted">${a.customData}</div>`}
          <button type="button" class="approve" onClick=${() => answer(a, 'Approved')}>Approve</button>
          <button type="button" class="reject" onClick=${() => answer(a, 'Rejected')}>Reject</button>
        </li>`,
      )}
    </ul>
    <span class="action-result ${result ? (result.ok ? 'ok' : 'bad') : ''}" role="status">${result?.text ?? ''}</span>
  </section>`;
}

/** A log followed live over its own event stream while shown. */
function Log({ run, stage, action }: { run: string; stage?: string; action?: string }) {
  const [text, setText] = useState('');
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => {
    setText('');
    const q = new URLSearchParams({ run, ...(stage && action ? { stage, action } : {}) });
    const es = new EventSource(`/api/log?${q}`);
    es.addEventListener('log', (e) => {
      const chunk = (JSON.parse((e as MessageEvent<string>).data) as { text: string }).text;
      // Bounded: the page keeps the last 200 kB of a log.
      setText((t) => (t + chunk).slice(-200_000));
    });
    return () => es.close();
  }, [run, stage, action]);
  useEffect(() => {
    if (pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [text]);
  return html`<pre class="log" ref=${pre} aria-label="log">${text || '(empty so far)'}</pre>`;
}

function Phases({ run }: { run: RunView }) {
  const phases = run.phases ?? [];
  const total = Math.max(
    1,
    phases.reduce((n, p) => n + (p.durationMs ?? 0), 0),
  );
  return html`<div class="phases" aria-label="phases">
    ${phases.map(
      (
        p,
      ) => html`<div class=${`phase ${statusClass(p.status)}`} style=${`flex-grow:${Math.max(0.04, (p.durationMs ?? 0) / total)}`}
        title=${`${p.name} ${p.status} ${fmtDuration(p.durationMs)}${p.message ? `: ${p.message}` : ''}`}>
        <span>${p.name}</span><small>${p.status} ${fmtDuration(p.durationMs)}</small>
      </div>`,
    )}
  </div>`;
}

function Stages({ run, onLog }: { run: RunView; onLog: (stage: string, action: string) => void }) {
  return html`<div class="stages" aria-label="stages">
    ${(run.stages ?? []).map(
      (s, i) => html`${i > 0 && html`<span class="arrow" aria-hidden="true">→</span>`}
        <div class=${`stage ${statusClass(s.status)}`}>
          <h4>${s.name} <span class=${`badge ${statusClass(s.status)}`}>${s.status}</span></h4>
          ${s.actions.map(
            (a) => html`<div class=${`act ${statusClass(a.status)}`} data-action=${`${s.name}/${a.name}`}>
              <b>${a.name}</b> <span class="muted">${a.category} · ${a.provider} · run order ${a.runOrder}</span>
              <div><span class=${`badge ${statusClass(a.status)}`}>${a.status}</span> ${fmtDuration(a.durationMs)}
                ${a.hasLog && html`<button type="button" class="link" onClick=${() => onLog(s.name, a.name)}>log of ${a.name}</button>`}</div>
              ${a.message && html`<div class="muted">${a.message}</div>`}
            </div>`,
          )}
        </div>`,
    )}
  </div>`;
}

export function RunsPanel({ runs, approvals }: { runs: RunView[]; approvals: ApprovalView[] }) {
  const [picked, setPicked] = useState<string | null>(null);
  const [log, setLog] = useState<{ stage?: string; action?: string } | null>(null);
  // By default the newest run started by a person or a push (a pipeline's builds are listed beside it).
  const run =
    runs.find((r) => r.id === picked) ?? runs.find((r) => !r.trigger.startsWith('pipeline')) ?? runs[0];
  return html`<article class="runs">
    <${Approvals} approvals=${approvals} />
    <div class="runs-grid">
      <section>
        <h3>Runs</h3>
        <table>
          <thead><tr><th>run</th><th>what</th><th>status</th><th>trigger</th><th>started</th><th>took</th></tr></thead>
          <tbody>
            ${runs.map(
              (r) => html`<tr class=${r === run ? 'picked' : ''} onClick=${() => {
                setPicked(r.id);
                setLog(null);
              }}>
                <td><code>${r.id}</code></td><td>${r.kind} ${r.name}</td>
                <td><span class=${`badge ${statusClass(r.status)}`}>${r.status}</span></td>
                <td>${r.trigger}</td><td>${fmtTime(r.startedAt)}</td><td>${fmtDuration(r.durationMs)}</td>
              </tr>`,
            )}
          </tbody>
        </table>
        ${runs.length === 0 && html`<p class="muted">No local build or pipeline run here yet.</p>`}
      </section>
      ${
        run &&
        html`<section class="run-detail">
          <h3>${run.kind} ${run.name} <code>${run.id}</code> <span class=${`badge ${statusClass(run.status)}`}>${run.status}</span></h3>
          ${run.message && html`<p class="muted">${run.message}</p>`}
          ${run.kind === 'build' ? html`<${Phases} run=${run} />` : html`<${Stages} run=${run} onLog=${(stage: string, action: string) => setLog({ stage, action })} />`}
          ${run.kind === 'build' && run.hasLog ? html`<${Log} run=${run.id} />` : ''}
          ${run.kind === 'pipeline' && log ? html`<h4>log of ${log.stage}/${log.action}</h4><${Log} run=${run.id} stage=${log.stage} action=${log.action} />` : ''}
        </section>`
      }
    </div>
  </article>`;
}
