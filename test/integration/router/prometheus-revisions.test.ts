/**
 * A set that mixes revisions (in place, batch by batch): the router's Prometheus series name the revision of
 * the instance that answered each request, so a query for one revision sees exactly that revision's traffic.
 * And a restarted router: its counters start from zero, and its start time says when.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readRouterPid } from '../../../src/router/launch.js';
import {
  killQuietly,
  request,
  startRouter,
  startUpstream,
  stopAllRouters,
  type TestUpstream,
  table,
  until,
} from './helpers.js';

const upstreams: TestUpstream[] = [];
afterEach(async () => {
  await stopAllRouters();
  while (upstreams.length > 0) await upstreams.pop()!.close();
});

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('router metrics of a set with two revisions', () => {
  it('counts each request under the revision of the instance that answered it', async () => {
    // The upstream's name is its revision (helpers.ts); v2 fails every other request.
    const v1 = await startUpstream('v1');
    const v2 = await startUpstream('v2', { failShare: 0.5 });
    upstreams.push(v1, v2);
    const router = await startRouter({ metricsPort: 0 });
    await router.client.setRouting(table([v1.upstream('i-1'), v2.upstream('i-2')]));
    const answered = { v1: 0, v2: 0, v2Errors: 0 };
    for (let i = 0; i < 40; i++) {
      const r = await request(router.url());
      if (r.body.startsWith('v1')) answered.v1++;
      else {
        answered.v2++;
        if (r.status === 500) answered.v2Errors++;
      }
    }
    expect(answered.v1).toBeGreaterThan(0);
    expect(answered.v2Errors).toBeGreaterThan(0);
    const metricsPort = readRouterPid(router.stateDir)!.metricsPort;
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(sample(text, 'conveyor_router_requests_total{set="stable",revision="v1"}')).toBe(answered.v1);
    expect(sample(text, 'conveyor_router_errors_total{set="stable",revision="v1"}')).toBe(0);
    expect(sample(text, 'conveyor_router_requests_total{set="stable",revision="v2"}')).toBe(answered.v2);
    expect(sample(text, 'conveyor_router_errors_total{set="stable",revision="v2"}')).toBe(answered.v2Errors);
    expect(sample(text, 'conveyor_router_request_duration_seconds_count{set="stable",revision="v2"}')).toBe(
      answered.v2,
    );
    // No request is booked to a series no instance serves.
    expect(text).not.toMatch(/revision="v1\+v2"\} [1-9]/);
  }, 30_000);

  it('a router restarted by its supervisor counts from zero again, and process_start_time_seconds moves', async () => {
    const v1 = await startUpstream('v1');
    upstreams.push(v1);
    const router = await startRouter({ metricsPort: 0, supervise: true });
    await router.client.setRouting(table([v1.upstream('i-1')]));
    // Ports may change across the restart (both are 0 here): always read them from the pid file.
    const scrape = async () => {
      const info = readRouterPid(router.stateDir)!;
      const res = await fetch(`http://127.0.0.1:${info.metricsPort}/metrics`);
      return res.text();
    };
    const served = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const r = await request(`http://127.0.0.1:${readRouterPid(router.stateDir)!.port}/`);
        expect(r.status).toBe(200);
      }
    };
    const counted = 'conveyor_router_requests_total{set="stable",revision="v1"}';
    await served(5);
    const before = await scrape();
    expect(sample(before, counted)).toBe(5);
    const firstStart = sample(before, 'process_start_time_seconds')!;
    expect(sample(before, 'conveyor_router_start_time_seconds')).toBe(firstStart);
    expect(firstStart * 1000).toBeLessThanOrEqual(Date.now());

    const first = readRouterPid(router.stateDir)!.pid;
    killQuietly(first);
    await until(
      async () => {
        const info = readRouterPid(router.stateDir);
        if (!info || info.pid === first) return false;
        return scrape().then(
          (t) => (sample(t, 'process_start_time_seconds') ?? 0) > firstStart,
          () => false,
        );
      },
      10_000,
      'the supervisor to start the router again with its metrics listener',
    );
    // It reloaded its table and serves; the counter counts this process's requests only.
    await served(2);
    const after = await scrape();
    expect(sample(after, counted)).toBe(2);
    expect(sample(after, 'process_start_time_seconds')).toBeGreaterThan(firstStart);
  }, 30_000);
});
