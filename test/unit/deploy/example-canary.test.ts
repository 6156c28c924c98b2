/**
 * The example group (examples/hello-web/deploy.yml) must work with traffic a person makes by hand — a curl loop of
 * two requests a second — in fake time: its canary finishes without pausing for evidence, and a broken revision
 * is still caught by the gates at that rate.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { packageRoot } from '../../../src/core/paths.js';
import { Ledger } from '../../../src/deploy/ledger.js';
import { createDeployment, Runner } from '../../../src/deploy/runner.js';
import { reduce } from '../../../src/deploy/state.js';
import { planDeployment } from '../../../src/deploy/strategies/plan.js';
import { resolveStrategy } from '../../../src/deploy/strategies/strategy.js';
import { loadDeploymentGroup } from '../../../src/documents/deployment-group/load.js';
import type { MetricsSnapshot } from '../../../src/providers/provider.js';
import { FakeProvider } from './fake-provider.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Two requests a second through the router, split by the weight in force; `broken` revisions answer 500. */
class CurlLoop extends FakeProvider {
  constructor(
    clock: FakeClock,
    private readonly perSecond: number,
    private readonly broken: string,
  ) {
    super(clock);
  }

  override async metrics(windowMs: number): Promise<MetricsSnapshot> {
    const weight = this.traffic?.canaryWeight ?? 0;
    const requests = Math.floor((this.perSecond * windowMs * weight) / 100_000);
    const canaryRevision = this.instances.get(this.traffic?.canary[0] ?? '')?.revision;
    this.canaryMetrics = { requests, errors: canaryRevision === this.broken ? requests : 0 };
    return super.metrics(windowMs);
  }
}

function exampleGroup() {
  const { loaded } = loadDeploymentGroup(join(packageRoot, 'examples', 'hello-web', 'deploy.yml'));
  if (!loaded) throw new Error('the example group file is invalid');
  return loaded.group;
}

async function deploy(ledger: Ledger, clock: FakeClock, provider: FakeProvider, label: string) {
  const group = exampleGroup();
  const state = reduce(ledger.read().events);
  const current = state.fleet ? { slot: state.fleet.slot, revision: state.fleet.revision.label } : undefined;
  const id = createDeployment(ledger, clock, {
    revision: { label, dir: `/revisions/${label}` },
    plan: planDeployment(group.local?.instances ?? 1, current, resolveStrategy(group.strategy)),
    options: { creator: 'user', ignoreApplicationStopFailures: false, skipAnalysis: false },
    ...(state.fleet ? { previous: { slot: state.fleet.slot, revision: state.fleet.revision } } : {}),
  });
  const done = new Runner({ ledger, provider, clock, group, configDir: '/', pid: 1 }, id).run();
  let settled = false;
  void done.finally(() => (settled = true));
  for (let t = 0; t < 120_000 && !settled; t += 100) await clock.advance(100);
  if (!settled) {
    const paused = reduce(ledger.read().events).deployments.find((d) => d.id === id)?.pausedReason;
    throw new Error(
      `${label} did not finish within 120 s of fake time${paused ? `: paused, ${paused}` : ''}`,
    );
  }
  return { final: await done, events: ledger.read().events.filter((e) => e.deploymentId === id) };
}

describe('examples/hello-web/deploy.yml with a curl loop of 2 requests a second', () => {
  function setup() {
    const dir = mkdtempSync(join(tmpdir(), 'conveyor-example-'));
    dirs.push(dir);
    const clock = new FakeClock(1_000_000);
    return { ledger: new Ledger(join(dir, 'ledger.ndjson')), clock, provider: new CurlLoop(clock, 2, 'v3') };
  }

  it('finishes a good canary without pausing for evidence', async () => {
    const { ledger, clock, provider } = setup();
    expect((await deploy(ledger, clock, provider, 'v1')).final.status).toBe('Succeeded');
    const { final, events } = await deploy(ledger, clock, provider, 'v2');
    expect(final.status).toBe('Succeeded');
    expect(events.filter((e) => e.type === 'paused')).toEqual([]);
    expect(events.filter((e) => e.type === 'verdict').map((e) => e.type === 'verdict' && e.result)).toContain(
      'pass',
    );
  });

  it('still rolls a broken canary back on its errors', async () => {
    const { ledger, clock, provider } = setup();
    await deploy(ledger, clock, provider, 'v1');
    const { final } = await deploy(ledger, clock, provider, 'v3');
    expect(final.status).toBe('RolledBack');
    expect(final.reason).toMatch(/gate breached: error rate/);
  });
});
