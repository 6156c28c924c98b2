/**
 * End to end: `conveyor deploy` with the router's metrics listener on (local.metricsPort), a real
 * Prometheus scraping it, and a `prometheus` check as the only gate that can see errors (no router
 * threshold): a broken canary (v3) is rolled back by the check, with its verdicts in the ledger.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, hasPrometheus, PROMETHEUS, startPrometheus } from '../prometheus.js';
import { type GroupFixture, makeGroup, sample, underTraffic } from './helpers.js';

if (!hasPrometheus) console.log(`skipped: ${PROMETHEUS} is absent (apt-get install prometheus)`);

const fixtures: GroupFixture[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) cleanups.pop()!();
  for (const f of fixtures.splice(0)) await f.cleanup();
});

describe.skipIf(!hasPrometheus)('deploy gated on a Prometheus query over the router metrics', () => {
  it('rolls a broken canary back on the check, and records the check verdicts', async () => {
    const metricsPort = await freePort();
    const prom = await startPrometheus(metricsPort, cleanups);
    const f = makeGroup('strategy: { type: canary, percent: 50, intervalSeconds: 20 }');
    fixtures.push(f);
    const { readFileSync, writeFileSync } = await import('node:fs');
    const text = readFileSync(f.config, 'utf8')
      .replace('  routerPort: 0\n', `  routerPort: 0\n  metricsPort: ${metricsPort}\n`)
      .replace('  maxErrorRate: 0.05\n', '')
      .replace(
        '  noDataPolicy: pass\n',
        [
          '  noDataPolicy: pass',
          '  checks:',
          '    - name: canary-errors',
          '      provider: prometheus',
          `      address: ${prom}`,
          '      query: sum(increase(conveyor_router_errors_total{set="canary"}[3s])) / sum(increase(conveyor_router_requests_total{set="canary"}[3s]))',
          '      condition: result < 0.05',
          '      intervalSeconds: 1',
          '      noDataPolicy: pass',
          '',
        ].join('\n'),
      );
    writeFileSync(f.config, text);
    expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
    // Steady traffic so the gate has evidence.
    const { result: r } = await underTraffic(f, f.cli(['deploy', '--revision', f.rev('v3')]));
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const s = JSON.parse((await f.cli(['status', '--json'])).stdout) as {
      deployment: { status: string; reason: string };
      events: { type: string; check?: string; result?: string; measured?: Record<string, number> }[];
    };
    expect(s.deployment.status).toBe('RolledBack');
    expect(s.deployment.reason).toMatch(
      /^check canary-errors failed: canary-errors: result < 0\.05 does not hold \(result=0\.\d+\)/,
    );
    const checks = s.events.filter((e) => e.type === 'verdict' && e.check === 'canary-errors');
    expect(checks.at(-1)).toMatchObject({ result: 'fail' });
    expect(checks.at(-1)!.measured!.result).toBeGreaterThan(0.05);
    expect(await sample(f, 10)).toEqual({ v1: 10 });
  }, 90_000);
});
