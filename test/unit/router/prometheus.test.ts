import { describe, expect, it } from 'vitest';
import { PrometheusCounters, startMetricsListener } from '../../../src/router/prometheus.js';

describe('the Prometheus exposition', () => {
  it('counts per set and revision, with cumulative histogram buckets, and starts a new series on a new revision', () => {
    const c = new PrometheusCounters();
    c.setRevisions('v1', 'v2');
    c.record(0, 3, false); // stable, 3 ms
    c.record(1, 40, true); // canary, 40 ms, error
    c.record(1, 4000, false); // canary, 4 s
    c.setRevisions('v2', '');
    c.record(0, 1, false);
    c.record(2, 0.5, true); // refused, no set
    const text = c.render({
      inFlight: [{ set: 'stable', value: 2 }],
      upstreams: [{ id: 'a-"1"', set: 'stable', revision: 'v2', healthy: true }],
      generation: 7,
      startedAtMs: 1_700_000_000_000,
    });
    const line = (prefix: string) => text.split('\n').find((l) => l.startsWith(prefix));
    expect(line('conveyor_router_requests_total{set="stable",revision="v1"}')).toBe(
      'conveyor_router_requests_total{set="stable",revision="v1"} 1',
    );
    expect(line('conveyor_router_errors_total{set="canary",revision="v2"}')).toMatch(/ 1$/);
    expect(line('conveyor_router_requests_total{set="stable",revision="v2"}')).toMatch(/ 1$/);
    expect(line('conveyor_router_errors_total{set="none",revision=""}')).toMatch(/ 1$/);
    const canaryBuckets = text
      .split('\n')
      .filter((l) =>
        l.startsWith('conveyor_router_request_duration_seconds_bucket{set="canary",revision="v2"'),
      )
      .map((l) => `${/le="([^"]+)"/.exec(l)![1]}:${l.split(' ')[1]}`);
    expect(canaryBuckets).toEqual([
      '0.005:0',
      '0.01:0',
      '0.025:0',
      '0.05:1',
      '0.1:1',
      '0.25:1',
      '0.5:1',
      '1:1',
      '2.5:1',
      '5:2',
      '10:2',
      '+Inf:2',
    ]);
    expect(line('conveyor_router_request_duration_seconds_sum{set="canary",revision="v2"}')).toBe(
      'conveyor_router_request_duration_seconds_sum{set="canary",revision="v2"} 4.04',
    );
    expect(text).toContain(
      'conveyor_router_upstream_healthy{upstream="a-\\"1\\"",set="stable",revision="v2"} 1\n',
    );
    expect(text).toContain('conveyor_router_in_flight{set="stable"} 2\n');
    expect(text).toContain('conveyor_router_table_generation 7\n');
    // When the counters last started from zero: a router restarted by its supervisor shows a new start time.
    expect(text).toContain('conveyor_router_start_time_seconds 1700000000\n');
    expect(text).toContain(
      '# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds 1700000000\n',
    );
    expect(text).toContain('# TYPE conveyor_router_request_duration_seconds histogram\n');
  });

  it('books a request to the answering instance’s revision, in the set it was placed in; else to the set’s revisions', () => {
    const c = new PrometheusCounters();
    c.setRevisions('v1+v2', '');
    const stableV2 = c.seriesFor('stable', 'v2');
    c.record(0, 1, true, stableV2); // answered by a v2 instance of the stable set
    c.record(1, 1, false, stableV2); // placed in canary; the instance moved to stable meanwhile
    c.record(0, 1, true, null); // no instance answered
    const text = c.render({ inFlight: [], upstreams: [], generation: 1, startedAtMs: 0 });
    const count = (series: string) =>
      text
        .split('\n')
        .find((l) => l.startsWith(`${series} `))
        ?.split(' ')[1];
    expect(count('conveyor_router_errors_total{set="stable",revision="v2"}')).toBe('1');
    expect(count('conveyor_router_requests_total{set="canary",revision="v2"}')).toBe('1');
    expect(count('conveyor_router_errors_total{set="stable",revision="v1+v2"}')).toBe('1');
    expect(count('conveyor_router_requests_total{set="stable",revision="v2"}')).toBe('1');
  });

  it('the listener answers GET /metrics on loopback and 404 for anything else', async () => {
    const { server, port } = await startMetricsListener('127.0.0.1', 0, () => 'x 1\n');
    try {
      const ok = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(await ok.text()).toBe('x 1\n');
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).toBe(404);
    } finally {
      server.close();
    }
  });
});
