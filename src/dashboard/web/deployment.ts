/// <reference lib="dom" />
/**
 * A group's page: the deployment (actions, timeline, split, signals, analysis checks, gates, hooks, rollback) and
 * its history. Each
 * section is memoized on the fields it shows, so a patch (a ledger event) re-renders only the sections it changed;
 * clocks (bake countdown, the chart's "now") tick inside their own small components.
 */

import { useEffect, useMemo, useState } from 'preact/hooks';
import uPlot from 'uplot';
import type { ActionName, CheckPoint, DeploymentView, GroupView, SignalSample } from '../protocol.js';
import { Chart } from './chart.js';
import { html } from './html.js';
import { fmtDuration, fmtNumber, fmtTime, memo, sendAction, statusClass } from './util.js';

const ACTIVE = ['Created', 'InProgress', 'Paused'];

const LABELS: Record<ActionName, string> = {
  promote: 'Promote',
  'promote-full': 'Promote fully',
  abort: 'Abort',
  rollback: 'Rollback',
};

const EXPLAIN: Record<ActionName, string> = {
  promote: 'continue past the current pause or bake',
  'promote-full': 'skip every remaining weight and bake and send all traffic to the new revision',
  abort: 'stop the deployment and roll it back (traffic back to the stable revision first)',
  rollback: 'roll back the unfinished deployment, or redeploy the previous good revision',
};

/** The server's clock (the page's plus the offset measured at the snapshot), ticking every `everyMs`. */
function useNow(offset: number, everyMs: number): number {
  const [now, setNow] = useState(Date.now() + offset);
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now() + offset), everyMs);
    return () => window.clearInterval(t);
  }, [offset, everyMs]);
  return now;
}

const Actions = memo(function Actions({
  groupKey,
  id,
  status,
}: {
  groupKey: string;
  id: string | undefined;
  status: string | undefined;
}) {
  const [asking, setAsking] = useState<ActionName | null>(null);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const active = status !== undefined && ACTIVE.includes(status);
  const enabled: Record<ActionName, boolean> = {
    promote: active,
    'promote-full': active,
    abort: active,
    rollback: id !== undefined,
  };
  const confirm = async () => {
    const action = asking;
    setAsking(null);
    if (!action) return;
    try {
      const text = await sendAction({
        group: groupKey,
        action,
        ...(active && id ? { deploymentId: id } : {}),
      });
      setResult({ ok: true, text });
    } catch (err) {
      setResult({ ok: false, text: (err as Error).message });
    }
  };
  return html`<div class="actions">
    ${(Object.keys(LABELS) as ActionName[]).map(
      (a) =>
        html`<button type="button" class=${`action ${a}`} disabled=${!enabled[a]} onClick=${() => setAsking(a)}>
          ${LABELS[a]}
        </button>`,
    )}
    <span class="action-result ${result ? (result.ok ? 'ok' : 'bad') : ''}" role="status">${result?.text ?? ''}</span>
    ${
      asking &&
      html`<div class="modal-back">
        <div class="modal" role="dialog" aria-modal="true" aria-labelledby="confirm-title">
          <h3 id="confirm-title">${LABELS[asking]} ${asking === 'rollback' && !active ? groupKey : (id ?? '')}?</h3>
          <p>This will ${EXPLAIN[asking]}. It writes the same request as <code>conveyor ${asking === 'promote-full' ? 'promote --full' : asking}</code>.</p>
          <div class="modal-buttons">
            <button type="button" class="confirm" onClick=${confirm}>Confirm</button>
            <button type="button" onClick=${() => setAsking(null)}>Cancel</button>
          </div>
        </div>
      </div>`
    }
  </div>`;
});

function Countdown({ until, offset }: { until: number; offset: number }) {
  const now = useNow(offset, 1000);
  return html`<span class="countdown" data-testid="bake-countdown">${Math.max(0, Math.ceil((until - now) / 1000))}s left</span>`;
}

/** One step of the plan: rendered again only when its own row changed (a patch replaces just those, patch.ts). */
const Step = memo(function Step({
  step: s,
  bakeUntil,
  pausedReason,
  waiting,
  offset,
}: {
  step: DeploymentView['steps'][number];
  bakeUntil: number | undefined;
  pausedReason: string | undefined;
  waiting: boolean;
  offset: number;
}) {
  const current = s.state === 'current';
  return html`<li class=${`step ${s.state}${waiting ? ' waiting' : ''}`} aria-current=${current ? 'step' : undefined}>
    <span class="step-n">${s.index + 1}</span>
    <span class="step-text">${s.description}</span>
    ${current && bakeUntil ? html`<${Countdown} until=${bakeUntil} offset=${offset} />` : ''}
    ${waiting && html`<span class="waiting-note">waiting for a human: ${pausedReason ?? 'promote to continue'}</span>`}
    ${s.completedAt && s.startedAt ? html`<span class="step-time">${fmtDuration(s.completedAt - s.startedAt)}</span>` : ''}
  </li>`;
});

/** Rows a long plan shows, from a few before the current step on: a 1,000-step plan keeps a small page. */
const STEPS_SHOWN = 60;

const Timeline = memo(function Timeline({
  steps,
  step,
  bakeUntil,
  status,
  pausedReason,
  offset,
}: {
  steps: DeploymentView['steps'];
  step: number;
  bakeUntil: number | undefined;
  status: string;
  pausedReason: string | undefined;
  offset: number;
}) {
  const from = Math.max(0, Math.min(step - 5, steps.length - STEPS_SHOWN));
  const shown = steps.slice(from, from + STEPS_SHOWN);
  const later = steps.length - from - shown.length;
  return html`<ol class="timeline" aria-label="plan">
    ${from > 0 && html`<li key="before" class="step more" data-testid="steps-before">steps 1–${from} not shown</li>`}
    ${shown.map((s) => {
      const current = s.state === 'current';
      // Only the current step gets the clock and the pause: the other rows' props stay the same objects.
      return html`<${Step} key=${s.index} step=${s} bakeUntil=${current ? bakeUntil : undefined}
        pausedReason=${current ? pausedReason : undefined} waiting=${current && status === 'Paused'} offset=${offset} />`;
    })}
    ${later > 0 && html`<li key="after" class="step more" data-testid="steps-after">${later} more steps</li>`}
  </ol>`;
});

/** The split as it is now: the numbers a person watches, re-rendered by a traffic change and nothing else. */
const SplitNow = memo(function SplitNow({
  traffic,
  revisions,
}: {
  traffic: DeploymentView['traffic'];
  revisions: DeploymentView['trafficRevisions'];
}) {
  const canary = traffic?.canary.length ? traffic.canaryWeight : 0;
  return html`<p class="split-now">
    <span class="set stable">stable <b data-testid="stable-weight">${100 - canary}%</b> ${revisions?.stable ?? ''}</span>
    <span class="set canary">canary <b data-testid="canary-weight">${canary}%</b> ${revisions?.canary ?? ''}</span>
  </p>`;
});

/** The split over time, extended to "now" every 5 s. */
const SplitChart = memo(function SplitChart({
  split,
  revisions,
  revision,
  offset,
}: {
  split: DeploymentView['split'];
  revisions: DeploymentView['trafficRevisions'];
  revision: string;
  offset: number;
}) {
  const now = useNow(offset, 5000);
  const revs = revisions ?? {};
  const data = useMemo((): uPlot.AlignedData => {
    const pts = split.length ? [...split, { ...split[split.length - 1]!, at: now }] : [];
    return [pts.map((p) => p.at / 1000), pts.map(() => 100), pts.map((p) => p.canary)];
  }, [split, now]);
  return html`<${Chart}
      title="Share of requests by set (%)"
      testId="split-chart"
      yRange=${[0, 100]}
      data=${data}
      series=${[
        {
          label: `stable ${revs.stable ?? ''}`,
          stroke: '#3b7dd8',
          fill: 'rgba(59,125,216,0.25)',
          paths: stepped,
        },
        {
          label: `canary ${revs.canary ?? revision}`,
          stroke: '#e0892b',
          fill: 'rgba(224,137,43,0.45)',
          paths: stepped,
        },
      ]}
    />`;
});

const stepped = uPlot.paths.stepped!({ align: 1 });

const STABLE = { stroke: '#3b7dd8', width: 1.5 };
const CANARY = { stroke: '#e0892b', width: 1.5 };
const LIMIT = { stroke: '#c62828', dash: [6, 4], width: 1.5 };

const Signals = memo(function Signals({
  t,
  samples,
}: {
  t: GroupView['thresholds'];
  samples: SignalSample[];
}) {
  // Rebuilt only when a sample arrives, so a ledger change does not redraw the charts.
  const data = useMemo(() => {
    const x = samples.map((s) => s.at / 1000);
    const col = (f: (s: SignalSample) => number) => samples.map(f);
    const flat = (v: number | undefined) => samples.map(() => v ?? null);
    return {
      rps: [x, col((s) => s.stable.rps), col((s) => s.canary.rps)] as uPlot.AlignedData,
      errors: [
        x,
        col((s) => s.stable.errorRate),
        col((s) => s.canary.errorRate),
        flat(t.maxErrorRate),
      ] as uPlot.AlignedData,
      latency: [
        x,
        col((s) => s.stable.p50),
        col((s) => s.stable.p99),
        col((s) => s.canary.p50),
        col((s) => s.canary.p99),
        flat(t.maxP99LatencyMs),
      ] as uPlot.AlignedData,
    };
  }, [samples, t.maxErrorRate, t.maxP99LatencyMs]);
  const stable = STABLE;
  const canary = CANARY;
  const limit = LIMIT;
  if (!samples.length)
    return html`<section class="signals"><h3>Golden signals</h3><p class="muted">No samples yet: the router of this group is not running.</p></section>`;
  const last = samples[samples.length - 1]!;
  return html`<section class="signals">
    <h3>Golden signals <span class="muted">(router, per set, 1 s windows)</span></h3>
    <p class="signals-now" data-testid="signals-now">
      stable ${last.stable.rps} req/s, ${fmtNumber('rate', last.stable.errorRate)} errors, p99 ${last.stable.p99} ms ·
      canary ${last.canary.rps} req/s, ${fmtNumber('rate', last.canary.errorRate)} errors, p99 ${last.canary.p99} ms
    </p>
    <div class="charts">
      <${Chart} title="Requests/s" testId="rps-chart" yLabel="req/s"
        data=${data.rps}
        series=${[{ label: 'stable', ...stable }, { label: 'canary', ...canary }]} />
      <${Chart} title="Error rate" testId="error-chart" yLabel="share"
        data=${data.errors}
        series=${[{ label: 'stable', ...stable }, { label: 'canary', ...canary }, { label: `gate max ${t.maxErrorRate ?? '—'}`, ...limit }]} />
      <${Chart} title="Latency (ms)" testId="latency-chart" yLabel="ms"
        data=${data.latency}
        series=${[
          { label: 'stable p50', ...stable, dash: [2, 2] },
          { label: 'stable p99', ...stable },
          { label: 'canary p50', ...canary, dash: [2, 2] },
          { label: 'canary p99', ...canary },
          { label: `gate max p99 ${t.maxP99LatencyMs ?? '—'}`, ...limit },
        ]} />
    </div>
  </section>`;
});

/** The numbers a gate decides on (the verdict records more: windows, in-flight counts). */
const MEASURED = ['requests', 'errorRate', 'p99LatencyMs', 'stableErrorRate', 'stableP99LatencyMs'];
const THRESHOLDS = [
  'minRequests',
  'maxErrorRate',
  'maxP99LatencyMs',
  'maxErrorRateIncrease',
  'maxP99LatencyRatio',
];

function pick(rec: Record<string, number>, keys: string[]): string {
  const shown = Object.entries(rec).filter(
    ([k]) => keys.includes(k) || !/Ms$|Limit|Seconds|inFlight|window/i.test(k),
  );
  return shown.map(([k, n]) => `${k} ${fmtNumber(k, n)}`).join(', ');
}

const Verdicts = memo(function Verdicts({
  verdicts,
  verdictCount,
}: {
  verdicts: DeploymentView['verdicts'];
  verdictCount: number;
}) {
  if (!verdicts.length)
    return html`<section><h3>Gate verdicts</h3><p class="muted">No gate reading yet.</p></section>`;
  return html`<section class="verdicts">
    <h3>Gate verdicts <span class="muted">(${verdictCount} in all, newest first)</span></h3>
    <table>
      <thead><tr><th>time</th><th>step</th><th>verdict</th><th>measured</th><th>thresholds</th><th>why</th></tr></thead>
      <tbody>
        ${verdicts
          .slice(-30)
          .reverse()
          .map(
            // Keyed: a new verdict inserts one row at the top instead of rewriting every row.
            (v) => html`<tr key=${`${v.at}:${v.index}`} class=${`verdict ${v.result}`}>
            <td>${fmtTime(v.at)}</td><td>${v.index + 1}</td>
            <td><span class=${`badge ${statusClass(v.result)}`}>${v.result}</span></td>
            <td>${pick(v.measured, MEASURED)}</td>
            <td>${pick(v.thresholds, THRESHOLDS)}</td>
            <td>${v.reasons.join('; ')}</td>
          </tr>`,
          )}
      </tbody>
    </table>
  </section>`;
});

const SPARK = { w: 160, h: 28, pad: 3 };

/** A check's numbers as measured (a query result of 0.004 is not rounded away): four significant digits. */
function measuredText(measured: Record<string, number>): string {
  const parts = Object.entries(measured).map(([k, n]) => `${k} ${Number(n.toPrecision(4))}`);
  return parts.length ? parts.join(', ') : 'nothing measured';
}

/** A check's charted number over time: a line, one dot per measurement coloured by its verdict. */
function Spark({ points, metric }: { points: CheckPoint[]; metric: string | undefined }) {
  const t0 = points[0]?.at ?? 0;
  const span = Math.max(1, (points.at(-1)?.at ?? 0) - t0);
  const values = points.flatMap((p) => (p.value === undefined ? [] : [p.value]));
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const x = (at: number) => SPARK.pad + ((at - t0) / span) * (SPARK.w - 2 * SPARK.pad);
  // A flat series sits in the middle; no value (a failed measurement) sits on the bottom edge.
  const y = (v: number | undefined) =>
    v === undefined
      ? SPARK.h - 1
      : hi === lo
        ? SPARK.h / 2
        : SPARK.pad + (1 - (v - lo) / (hi - lo)) * (SPARK.h - 2 * SPARK.pad);
  const line = points
    .filter((p) => p.value !== undefined)
    .map((p) => `${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`)
    .join(' ');
  return html`<svg class="spark" width=${SPARK.w} height=${SPARK.h} role="img"
    aria-label=${`${metric ?? 'value'} over ${points.length} measurements`}>
    <polyline points=${line} />
    ${points.map(
      (
        p,
      ) => html`<circle cx=${x(p.at).toFixed(1)} cy=${y(p.value).toFixed(1)} r="2" class=${statusClass(p.result)}>
        <title>${fmtTime(p.at)} ${metric ?? ''} ${p.value ?? 'no value'}: ${p.result}</title>
      </circle>`,
    )}
  </svg>`;
}

/** The named analysis checks: each one's condition, latest reading and verdict, and its readings over time. */
const Checks = memo(function Checks({
  checks,
  points,
}: {
  checks: DeploymentView['checks'];
  points: DeploymentView['checkPoints'];
}) {
  const byCheck = useMemo(() => {
    const m = new Map<string, CheckPoint[]>();
    for (const p of points) {
      const list = m.get(p.check);
      if (list) list.push(p);
      else m.set(p.check, [p]);
    }
    return m;
  }, [points]);
  if (!checks.length) return '';
  return html`<section class="checks" data-testid="checks">
    <h3>Analysis checks</h3>
    <table>
      <thead><tr><th>check</th><th>condition</th><th>latest</th><th>verdict</th><th>over time</th><th>measurements</th></tr></thead>
      <tbody>
        ${checks.map(
          (c) => html`<tr key=${c.name} class=${`check ${c.latest.result}`} data-check=${c.name}>
            <td><b>${c.name}</b> <span class="muted">${c.provider ?? ''}</span></td>
            <td><code>${c.condition ?? ''}</code></td>
            <td>${measuredText(c.latest.measured)} <span class="muted">at ${fmtTime(c.latest.at)}${c.latest.point ? `, ${c.latest.point}` : ''}</span></td>
            <td><span class=${`badge ${statusClass(c.latest.result)}`}>${c.latest.result}</span>
              <div class="muted">${c.latest.reasons.join('; ')}</div>
              ${c.latest.output ? html`<details><summary>output</summary><pre>${c.latest.output}</pre></details>` : ''}</td>
            <td><${Spark} points=${byCheck.get(c.name) ?? []} metric=${c.metric} /></td>
            <td>${c.counts.pass} pass, ${c.counts.fail} fail, ${c.counts.inconclusive} inconclusive</td>
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
});

const Hooks = memo(function Hooks({ hooks }: { hooks: DeploymentView['hooks'] }) {
  if (!hooks.length) return '';
  const byInstance = new Map<string, DeploymentView['hooks']>();
  for (const h of hooks) byInstance.set(h.instance, [...(byInstance.get(h.instance) ?? []), h]);
  return html`<section class="hooks">
    <h3>Lifecycle hooks</h3>
    <div class="instances">
      ${[...byInstance].map(
        ([instance, hooks]) => html`<div class="instance">
          <h4>${instance}</h4>
          <ul>
            ${hooks.map(
              (h) => html`<li class=${`hook ${h.status}`}>
                <span class=${`badge ${statusClass(h.status === 'succeeded' ? 'Succeeded' : h.status === 'failed' ? 'Failed' : h.status === 'started' ? 'InProgress' : 'idle')}`}>${h.status}</span>
                ${h.event} ${h.script ? html`<code>${h.script}</code>` : ''} ${fmtDuration(h.durationMs)}
                ${h.message && h.status !== 'succeeded' ? html`<div class=${h.status === 'failed' ? 'hook-msg' : 'muted'}>${h.message}</div>` : ''}
                ${h.output ? html`<details><summary>output</summary><pre>${h.output}</pre></details>` : ''}
              </li>`,
            )}
          </ul>
        </div>`,
      )}
    </div>
  </section>`;
});

const Rollback = memo(function Rollback({
  rollback: r,
  reason,
  status,
}: {
  rollback: DeploymentView['rollback'];
  reason: string | undefined;
  status: string;
}) {
  if (!r && !reason) return '';
  return html`<section class="rollback" data-testid="rollback">
    <h3>${r ? 'Rollback' : 'Outcome'}</h3>
    ${
      r &&
      html`<p>Reason: <b>${r.reason}</b> (trigger: ${r.trigger})${r.ok === undefined ? ', in progress' : r.ok ? ', done' : `, failed: ${r.message ?? ''}`}
      ${r.trafficRestoredMs !== undefined ? html`; traffic back on stable in ${r.trafficRestoredMs} ms` : ''}</p>`
    }
    ${reason && html`<p>${status}: ${reason}</p>`}
  </section>`;
});

const Events = memo(function Events({ events }: { events: DeploymentView['events'] }) {
  // The server keeps a deployment's latest events only (view.ts LIMITS), so the list never grows past them.
  const rows = [...events].reverse();
  return html`<section class="events">
    <h3>Events <span class="muted">(the latest ${events.length}, newest first)</span></h3>
    <ul>${rows.map((e) => html`<li key=${`${e.at}:${e.text}`}><span class="muted">${fmtTime(e.at)}</span> ${e.text}</li>`)}</ul>
  </section>`;
});

const History = memo(function History({ history }: { history: GroupView['history'] }) {
  return html`<section class="history">
    <h3>History</h3>
    <table>
      <thead><tr><th>deployment</th><th>revision</th><th>status</th><th>started</th><th>took</th><th>why</th></tr></thead>
      <tbody>
        ${history.map(
          (h) => html`<tr key=${h.id}>
            <td><code>${h.id}</code>${h.rollbackOf ? ' (rollback)' : ''}</td><td>${h.revision}</td>
            <td><span class=${`badge ${statusClass(h.status)}`}>${h.status}</span></td>
            <td>${fmtTime(h.createdAt)}</td><td>${h.finishedAt ? fmtDuration(h.finishedAt - h.createdAt) : ''}</td>
            <td>${h.reason ?? ''}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
});

export function GroupPanel({
  group,
  samples,
  offset,
}: {
  group: GroupView;
  samples: SignalSample[];
  /** Server clock minus the page's, for countdowns. */
  offset: number;
}) {
  const d = group.current;
  return html`<article class="group" data-group=${group.key}>
    <header class="group-head">
      <h2>${group.key}</h2>
      ${d && html`<span class=${`badge big ${statusClass(d.status)}`} data-testid="deployment-status">${d.status}</span>`}
      ${d && html`<span class="muted"><code>${d.id}</code> ${d.previousRevision ? `${d.previousRevision} → ` : ''}${d.revision} by ${d.strategy}</span>`}
      ${group.routerUrl && html`<span class="muted">serving at ${group.routerUrl}</span>`}
    </header>
    ${group.problems.map((p) => html`<p class="problem">${p}</p>`)}
    <${Actions} groupKey=${group.key} id=${d?.id} status=${d?.status} />
    ${
      d
        ? html`<div class="grid">
          <section><h3>Plan</h3><${Timeline} steps=${d.steps} step=${d.step} bakeUntil=${d.bakeUntil} status=${d.status}
            pausedReason=${d.pausedReason} offset=${offset} /></section>
          <section class="split">
            <h3>Traffic split</h3>
            <${SplitNow} traffic=${d.traffic} revisions=${d.trafficRevisions} />
            <${SplitChart} split=${d.split} revisions=${d.trafficRevisions} revision=${d.revision} offset=${offset} />
          </section>
        </div>
        <${Signals} t=${group.thresholds} samples=${samples} />
        <${Rollback} rollback=${d.rollback} reason=${d.reason} status=${d.status} />
        <${Checks} checks=${d.checks} points=${d.checkPoints} />
        <${Verdicts} verdicts=${d.verdicts} verdictCount=${d.verdictCount} />
        <${Hooks} hooks=${d.hooks} />
        <${Events} events=${d.events} />`
        : html`<p class="muted">No deployment in this group yet.</p>`
    }
    <${History} history=${group.history} />
  </article>`;
}
