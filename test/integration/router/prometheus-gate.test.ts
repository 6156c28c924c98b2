/**
 * A real Prometheus server (Debian's `prometheus` package) scraping the router's metrics listener during a
 * canary under load, and the `prometheus` check judging the canary from it. Skipped, with a note, when the
 * binary is absent (.ci/run installs the package).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CheckContext,
  type CheckState,
  evaluateCheck,
  measureCheck,
} from '../../../src/deploy/checks/check.js';
import { prometheusProvider } from '../../../src/deploy/checks/prometheus.js';
import type { CheckSpec } from '../../../src/documents/deployment-group/checks-schema.js';
import { readRouterPid } from '../../../src/router/launch.js';
import { hasPrometheus, PROMETHEUS, startPrometheus } from '../prometheus.js';
import {
  sleep,
  startLoad,
  startRouter,
  startUpstream,
  stopAllRouters,
  type TestUpstream,
  table,
  until,
} from './helpers.js';

if (!hasPrometheus) console.log(`skipped: ${PROMETHEUS} is absent (apt-get install prometheus)`);

const upstreams: TestUpstream[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) cleanups.pop()!();
  await stopAllRouters();
  while (upstreams.length > 0) await upstreams.pop()!.close();
});

const ctx: CheckContext = {
  canaryRevision: 'v2',
  stableRevision: 'v1',
  canarySet: 'canary',
  stableSet: 'stable',
  deploymentId: 'd-test',
};

function errorRateCheck(address: string): CheckSpec {
  return {
    name: 'canary-error-rate',
    provider: 'prometheus',
    address,
    query:
      'sum(rate(conveyor_router_errors_total{revision="{{canaryRevision}}"}[2s])) / ' +
      'sum(rate(conveyor_router_requests_total{revision="{{canaryRevision}}"}[2s]))',
    condition: 'result < 0.05',
    intervalSeconds: 1,
    timeoutSeconds: 2,
    noDataPolicy: 'pause',
    failureLimit: 1,
  };
}

/** The check's interval loop as the runner drives it: measure, judge, stop at the first failure. */
async function runCheck(spec: CheckSpec, maxIntervals: number, onFail: () => Promise<void>) {
  let state: CheckState | undefined;
  const verdicts: { result: string; at: number; measured: Record<string, number>; reasons: string[] }[] = [];
  for (let i = 0; i < maxIntervals; i++) {
    await sleep(spec.intervalSeconds! * 1000);
    const next = evaluateCheck(state, await measureCheck(prometheusProvider, spec, ctx), spec);
    state = next.state;
    verdicts.push({ ...next.verdict, at: Date.now() });
    if (next.verdict.action === 'rollback') {
      await onFail();
      break;
    }
  }
  return verdicts;
}

describe.skipIf(!hasPrometheus)('prometheus gate over the router metrics listener', () => {
  async function setUp(failShare: number) {
    const stable = await startUpstream('stable', { delayMs: 2 });
    const canary = await startUpstream('canary', { delayMs: 2, failShare });
    upstreams.push(stable, canary);
    const router = await startRouter({ metricsPort: 0 });
    const metricsPort = readRouterPid(router.stateDir)?.metricsPort;
    expect(metricsPort).toBeGreaterThan(0);
    expect(metricsPort).not.toBe(router.port);
    const prom = await startPrometheus(metricsPort!, cleanups);
    await router.client.setRouting(
      table([{ ...stable.upstream(), revision: 'v1' }], [{ ...canary.upstream(), revision: 'v2' }], 50),
    );
    const load = startLoad(router.url(), 4, 40_000);
    return { router, prom, load, stable, canary };
  }

  it('rolls back a canary failing 30% of its requests within two intervals of the breach showing in Prometheus', async () => {
    const { router, prom, load, stable, canary } = await setUp(0.3);
    const spec = errorRateCheck(prom);
    // When the breach first shows in Prometheus, watched independently of the gate.
    let visibleAt = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching && visibleAt === 0) {
        const r = await measureCheck(prometheusProvider, spec, ctx);
        if ('vars' in r && Number(r.vars.result) >= 0.05) visibleAt = Date.now();
        await sleep(50);
      }
    })();
    let rolledBackAt = 0;
    const verdicts = await runCheck(spec, 15, async () => {
      await router.client.setRouting(
        table([{ ...stable.upstream(), revision: 'v1' }], [{ ...canary.upstream(), revision: 'v2' }], 0),
      );
      rolledBackAt = Date.now();
    });
    watching = false;
    await watcher;
    await load.stop();
    const last = verdicts.at(-1)!;
    expect(last.result).toBe('fail');
    expect(last.measured.result).toBeGreaterThan(0.15);
    expect(last.reasons[0]).toMatch(/^canary-error-rate: result < 0\.05 does not hold \(result=0\.\d+\)$/);
    expect(visibleAt).toBeGreaterThan(0);
    expect(rolledBackAt - visibleAt).toBeLessThanOrEqual(2 * spec.intervalSeconds! * 1000);
    // The router's own exposition agrees: the canary revision's series carries the errors.
    const text = await (
      await fetch(`http://127.0.0.1:${readRouterPid(router.stateDir)!.metricsPort}/metrics`)
    ).text();
    const errors = Number(/conveyor_router_errors_total\{set="canary",revision="v2"\} (\d+)/.exec(text)?.[1]);
    const requests = Number(
      /conveyor_router_requests_total\{set="canary",revision="v2"\} (\d+)/.exec(text)?.[1],
    );
    expect(errors / requests).toBeGreaterThan(0.2);
    expect(text).toMatch(/conveyor_router_table_generation 2\n/);
    expect(text).toMatch(
      /conveyor_router_request_duration_seconds_bucket\{set="stable",revision="v1",le="\+Inf"\} \d+/,
    );
  }, 60_000);

  it('passes a good canary every interval', async () => {
    const { prom, load } = await setUp(0);
    const spec = errorRateCheck(prom);
    // Data first: until Prometheus has two scrapes with canary traffic the query is empty (no data).
    await until(
      async () => 'vars' in (await measureCheck(prometheusProvider, spec, ctx)),
      15_000,
      'canary series in Prometheus',
    );
    const verdicts = await runCheck(spec, 3, async () => {});
    await load.stop();
    expect(verdicts.map((v) => v.result)).toEqual(['pass', 'pass', 'pass']);
    expect(verdicts.every((v) => v.measured.result === 0)).toBe(true);
  }, 60_000);
});
