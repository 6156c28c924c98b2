/**
 * The router's metrics in Prometheus text exposition format (version 0.0.4), served on an opt-in
 * loopback listener of its own (never the traffic port). Counters are cumulative from the router's
 * start, per set and revision, and start at zero again when the router process restarts: not persisted on
 * purpose, since Prometheus's rate()/increase() read a drop as a reset; process_start_time_seconds shows when. The revision is the one of the instance that answered (a set can mix
 * revisions: in place, batch by batch); a request the set could not pass to any instance counts under
 * the set's revisions, sorted and joined with `+` (as `status` names them). A record is two or three
 * array writes into a series found once per table change, so the proxy hot path allocates nothing.
 */
import http from 'node:http';

/** Latency bucket upper bounds, in seconds (Prometheus convention). */
export const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
/** The same bounds in ms, the unit requests are timed in: recording divides nothing. */
const LATENCY_BUCKETS_MS = LATENCY_BUCKETS_S.map((s) => Math.round(s * 1000));

/**
 * One (set, revision) series: counters and a latency histogram. A record is increments only (the
 * bucket found by comparing with the bounds, all of them above a typical latency's bucket); buckets
 * are made cumulative, and the sum turned into seconds, when a scrape renders them.
 */
export class Series {
  requests = 0;
  errors = 0;
  sumMs = 0;
  readonly buckets = new Float64Array(LATENCY_BUCKETS_S.length + 1);
  constructor(
    readonly set: string,
    readonly revision: string,
  ) {}

  record(latencyMs: number, isError: boolean): void {
    this.requests++;
    if (isError) this.errors++;
    this.sumMs += latencyMs;
    let i = 0;
    while (i < LATENCY_BUCKETS_MS.length && latencyMs > LATENCY_BUCKETS_MS[i]!) i++;
    this.buckets[i] = this.buckets[i]! + 1;
  }
}

/** Everything the exposition shows besides the counters, read at scrape time. */
export interface ExpositionGauges {
  inFlight: { set: string; value: number }[];
  upstreams: { id: string; set: string; revision: string; healthy: boolean }[];
  generation: number;
  startedAtMs: number;
}

export class PrometheusCounters {
  private readonly series = new Map<string, Series>();
  /** Indexed like the traffic rings: stable, canary, none — where requests no instance answered count. */
  private readonly current: [Series, Series, Series];

  constructor() {
    this.current = [this.seriesFor('stable', ''), this.seriesFor('canary', ''), this.seriesFor('none', '')];
  }

  /** The series of `set` and `revision` (created on first use; a table change calls this, never a request). */
  seriesFor(set: string, revision: string): Series {
    const key = `${set}\u0000${revision}`;
    let s = this.series.get(key);
    if (!s) {
      s = new Series(set, revision);
      this.series.set(key, s);
    }
    return s;
  }

  /** A table change: each set's revisions (joined), for its requests that reached no instance. */
  setRevisions(stable: string, canary: string): void {
    this.current[0] = this.seriesFor('stable', stable);
    this.current[1] = this.seriesFor('canary', canary);
  }

  /** A request of `setIndex` is over: counted in `served`, the answering instance's series, when one answered. */
  record(setIndex: number, latencyMs: number, isError: boolean, served?: Series | null): void {
    const current = this.current[setIndex as 0 | 1 | 2];
    let s = served ?? current;
    // The instance moved to the other set while this request (placed in the first) was in flight.
    if (s.set !== current.set) s = this.seriesFor(current.set, s.revision);
    s.record(latencyMs, isError);
  }

  render(g: ExpositionGauges): string {
    const out: string[] = [];
    const all = [...this.series.values()].filter((s) => s.requests > 0 || s.set !== 'none');
    const lbl = (s: Series) => `set="${esc(s.set)}",revision="${esc(s.revision)}"`;
    out.push('# HELP conveyor_router_requests_total Requests answered, per target set and revision.');
    out.push('# TYPE conveyor_router_requests_total counter');
    for (const s of all) out.push(`conveyor_router_requests_total{${lbl(s)}} ${s.requests}`);
    out.push('# HELP conveyor_router_errors_total Requests answered with a 5xx or failed upstream.');
    out.push('# TYPE conveyor_router_errors_total counter');
    for (const s of all) out.push(`conveyor_router_errors_total{${lbl(s)}} ${s.errors}`);
    out.push('# HELP conveyor_router_request_duration_seconds Request latency through the router.');
    out.push('# TYPE conveyor_router_request_duration_seconds histogram');
    for (const s of all) {
      let cum = 0;
      for (let i = 0; i < LATENCY_BUCKETS_S.length; i++) {
        cum += s.buckets[i]!;
        out.push(
          `conveyor_router_request_duration_seconds_bucket{${lbl(s)},le="${LATENCY_BUCKETS_S[i]}"} ${cum}`,
        );
      }
      out.push(`conveyor_router_request_duration_seconds_bucket{${lbl(s)},le="+Inf"} ${s.requests}`);
      out.push(`conveyor_router_request_duration_seconds_sum{${lbl(s)}} ${s.sumMs / 1000}`);
      out.push(`conveyor_router_request_duration_seconds_count{${lbl(s)}} ${s.requests}`);
    }
    out.push('# HELP conveyor_router_in_flight Requests in flight now, per set.');
    out.push('# TYPE conveyor_router_in_flight gauge');
    for (const f of g.inFlight) out.push(`conveyor_router_in_flight{set="${esc(f.set)}"} ${f.value}`);
    out.push('# HELP conveyor_router_upstream_healthy 1 when the upstream passes its health checks.');
    out.push('# TYPE conveyor_router_upstream_healthy gauge');
    for (const u of g.upstreams) {
      out.push(
        `conveyor_router_upstream_healthy{upstream="${esc(u.id)}",set="${esc(u.set)}",revision="${esc(u.revision)}"} ${u.healthy ? 1 : 0}`,
      );
    }
    out.push('# HELP conveyor_router_table_generation Generation of the routing table in force.');
    out.push('# TYPE conveyor_router_table_generation gauge');
    out.push(`conveyor_router_table_generation ${g.generation}`);
    out.push('# HELP conveyor_router_start_time_seconds When this router process started.');
    out.push('# TYPE conveyor_router_start_time_seconds gauge');
    out.push(`conveyor_router_start_time_seconds ${g.startedAtMs / 1000}`);
    // The name Prometheus's own clients export, so existing boards and `changes()` alerts see restarts too.
    out.push(
      '# HELP process_start_time_seconds Start time of the router process since the Unix epoch, in seconds; its counters start at zero then.',
    );
    out.push('# TYPE process_start_time_seconds gauge');
    out.push(`process_start_time_seconds ${g.startedAtMs / 1000}`);
    return `${out.join('\n')}\n`;
  }
}

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * The metrics listener: GET /metrics answers the exposition; anything else 404. Loopback only unless
 * the caller passes another host on purpose.
 */
export function startMetricsListener(
  host: string,
  port: number,
  render: () => string,
): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    const body = render();
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve({ server, port: addr && typeof addr === 'object' ? addr.port : port });
    });
  });
}
