/** An in-memory provider for runner tests in fake time: records calls, fails where a test says so. */
import type { Clock } from '../../../src/core/clock.js';
import type {
  DeployProvider,
  HealthReport,
  InstanceOutcome,
  LifecycleRequest,
  MetricsSnapshot,
  ProviderTraffic,
  TrafficRoute,
} from '../../../src/providers/provider.js';

const RESERVED = new Set(['DownloadBundle', 'Install', 'BlockTraffic', 'AllowTraffic']);

export interface FakeInstance {
  revision?: string;
  running: boolean;
  healthy: boolean;
}

export class FakeProvider implements DeployProvider {
  readonly name = 'fake';
  instances = new Map<string, FakeInstance>();
  traffic: ProviderTraffic | undefined;
  routes: { at: number; route: TrafficRoute }[] = [];
  lifecycleCalls: { role: string; instances: string[]; events: string[]; revision: string }[] = [];
  /** `${revision}:${event}` → message: that hook fails. */
  failures = new Map<string, string>();
  /** Canary metrics returned by metrics(). */
  canaryMetrics = { requests: 100, errors: 0 };
  resets = 0;
  stopped: string[] = [];

  constructor(private readonly clock: Clock) {}

  async prepare() {
    return { endpoint: 'fake' };
  }

  async runLifecycle(req: LifecycleRequest): Promise<InstanceOutcome[]> {
    this.lifecycleCalls.push({
      role: req.role,
      instances: req.instances,
      events: req.events,
      revision: req.revision.label,
    });
    return Promise.all(
      req.instances.map(async (id): Promise<InstanceOutcome> => {
        for (const event of req.events) {
          if (event === 'BlockTraffic' || event === 'AllowTraffic') {
            await req.onTrafficEvent(id, event);
            continue;
          }
          if (RESERVED.has(event)) continue;
          const revision = event === 'ApplicationStop' ? req.lastRevision?.label : req.revision.label;
          if (event === 'ApplicationStop' && !revision) continue;
          req.onProgress({ instance: id, event, status: 'started' });
          const failure =
            this.failures.get(`${revision}:${event}`) ?? this.failures.get(`${revision}:${event}@${id}`);
          if (failure && !(event === 'ApplicationStop' && req.ignoreApplicationStopFailures)) {
            req.onProgress({ instance: id, event, status: 'failed', message: failure });
            return { instance: id, ok: false, failedEvent: event, message: failure };
          }
          req.onProgress({ instance: id, event, status: 'succeeded', durationMs: 1 });
          if (event === 'ApplicationStart') {
            this.instances.set(id, {
              revision: req.revision.label,
              running: true,
              healthy: !this.failures.has(`${req.revision.label}:unhealthy`),
            });
          }
        }
        return { instance: id, ok: true };
      }),
    );
  }

  async checkHealth(instances: string[]): Promise<HealthReport[]> {
    return instances.map((id) => {
      const i = this.instances.get(id);
      const healthy = Boolean(i?.running && i.healthy);
      return {
        instance: id,
        healthy,
        detail: healthy ? 'HTTP 200' : i?.running ? 'HTTP 500' : 'connection refused',
      };
    });
  }

  async route(route: TrafficRoute) {
    this.routes.push({ at: this.clock.now(), route });
    this.traffic = { stable: route.stable, canary: route.canary, canaryWeight: route.canaryWeight };
  }

  async observeTraffic() {
    return this.traffic;
  }

  async metrics(windowMs: number): Promise<MetricsSnapshot> {
    const set = (requests: number, errors: number) => ({
      requests,
      errors,
      errorRate: requests ? errors / requests : 0,
      requestsPerSecond: requests / (windowMs / 1000),
      latencyMs: { p50: 1, p90: 2, p99: 3 },
      inFlight: 0,
      windowMs,
    });
    const c = this.canaryMetrics;
    return { stable: set(100, 0), canary: set(c.requests, c.errors), total: set(100 + c.requests, c.errors) };
  }

  async resetMetrics() {
    this.resets += 1;
  }

  async stopInstances(instances: string[]) {
    for (const id of instances) {
      const i = this.instances.get(id);
      if (i) i.running = false;
      this.stopped.push(id);
    }
  }

  async down() {
    this.traffic = undefined;
    return { stopped: ['router'] };
  }

  /** Which revision serves each weighted share now. */
  servingRevisions(): { stable: string[]; canary: string[]; weight: number } {
    const t = this.traffic ?? { stable: [], canary: [], canaryWeight: 0 };
    const rev = (ids: string[]) => [...new Set(ids.map((id) => this.instances.get(id)?.revision ?? '?'))];
    return { stable: rev(t.stable), canary: rev(t.canary), weight: t.canaryWeight };
  }
}
