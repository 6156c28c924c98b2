/**
 * The local provider: a fleet of instances on this machine. Each instance is a folder under the group's
 * state directory with its own loopback port; its processes are started by the appspec's hooks (run by
 * the local instance agent), and users reach the fleet through the group's router on `routerPort`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STATE_HINT, storageFailure } from '../../core/errors.js';
import { isDiskFull } from '../../core/files.js';
import type { DeploymentGroup } from '../../documents/deployment-group/schema.js';
import type { RoutingTable, Upstream } from '../../router/api.js';
import { RouterClient, RouterUnavailableError } from '../../router/client.js';
import { routerFiles } from '../../router/files.js';
import { ensureRouter, stopRouter } from '../../router/launch.js';
import type {
  DeployProvider,
  HealthReport,
  InstanceOutcome,
  LifecycleRequest,
  MetricsSnapshot,
  ProviderTraffic,
  TrafficRoute,
} from '../provider.js';
import { DEFAULT_FILE_EXISTS_BEHAVIOR } from './agent/files.js';
import { runInstanceLifecycle } from './agent/instance-agent.js';
import { stopInstanceProcesses } from './agent/process-groups.js';
import { localGroupId } from './group-id.js';
import { PortBook } from './ports.js';

export interface LocalProviderOptions {
  group: DeploymentGroup;
  /** The group's state folder (`.conveyor/groups/<app>/<group>`). */
  groupDir: string;
  /** Host the router listens on for users. @default 127.0.0.1 */
  host?: string;
}

export class LocalProvider implements DeployProvider {
  readonly name = 'local';
  private client: RouterClient | undefined;
  private readonly ports: PortBook;
  private readonly host = '127.0.0.1';

  constructor(private readonly options: LocalProviderOptions) {
    mkdirSync(this.instancesDir, { recursive: true });
    this.ports = new PortBook(
      join(options.groupDir, 'ports.json'),
      options.group.local?.instances ?? 1,
      options.group.local?.basePort,
    );
  }

  get instancesDir(): string {
    return join(this.options.groupDir, 'instances');
  }

  get routerDir(): string {
    return join(this.options.groupDir, 'router');
  }

  instanceRoot(id: string): string {
    return join(this.instancesDir, id);
  }

  async prepare(): Promise<{ endpoint?: string }> {
    const { group } = this.options;
    const port = group.local?.routerPort ?? 0;
    try {
      const hc = group.healthCheck;
      const router = await ensureRouter({
        stateDir: this.routerDir,
        port,
        host: this.options.host ?? '127.0.0.1',
        // A killed or crashed router comes back by itself with its last table.
        supervise: true,
        ...(group.local?.metricsPort !== undefined ? { metricsPort: group.local.metricsPort } : {}),
        healthCheck: {
          ...(hc?.path ? { path: hc.path } : {}),
          ...(hc?.intervalSeconds ? { intervalMs: Math.round(hc.intervalSeconds * 1000) } : {}),
          ...(hc?.timeoutSeconds ? { timeoutMs: Math.round(hc.timeoutSeconds * 1000) } : {}),
          ...(hc?.unhealthyThreshold ? { unhealthyThreshold: hc.unhealthyThreshold } : {}),
        },
      });
      this.client = router.client;
      const state = await router.client.getState();
      return { endpoint: `http://${state.listen.host}:${state.listen.port}` };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (/EADDRINUSE|address already in use/i.test(message)) {
        throw new Error(
          `router port ${port} is already taken by another program; free it or change local.routerPort`,
        );
      }
      if (isDiskFull(this.options.groupDir)) {
        throw storageFailure(
          Object.assign(new Error(message), { code: 'ENOSPC' }),
          this.options.groupDir,
          STATE_HINT,
        );
      }
      throw new Error(`could not start the router: ${message}`);
    }
  }

  private async router(): Promise<RouterClient> {
    if (!this.client) await this.prepare();
    return this.client!;
  }

  /**
   * One admin call; when the router is not there (killed with SIGKILL, crashed) the call is made once more after
   * `prepare`, which waits for the supervisor to bring it back (or starts it). Every admin call is safe to repeat.
   */
  private async withRouter<T>(call: (client: RouterClient) => Promise<T>): Promise<T> {
    try {
      return await call(await this.router());
    } catch (err) {
      if (!(err instanceof RouterUnavailableError)) throw err;
      this.client = undefined;
      return call(await this.router());
    }
  }

  async runLifecycle(req: LifecycleRequest): Promise<InstanceOutcome[]> {
    const { group } = this.options;
    // A UUID, as CodeDeploy's DEPLOYMENT_GROUP_ID is.
    const groupId = localGroupId(
      this.options.groupDir,
      this.instancesDir,
      `${group.application}/${group.deploymentGroup}`,
    );
    return Promise.all(
      req.instances.map(async (id): Promise<InstanceOutcome> => {
        const root = this.instanceRoot(id);
        mkdirSync(root, { recursive: true });
        const port = await this.ports.portFor(id);
        const result = await runInstanceLifecycle({
          instance: { id, root, port },
          deployment: {
            id: req.deploymentId,
            applicationName: group.application,
            groupName: group.deploymentGroup,
            groupId,
          },
          newRevision: { dir: req.revision.dir, label: req.revision.label },
          events: req.events,
          deploymentType: req.role === 'in-place' ? 'in-place' : 'blue-green',
          fileExistsBehavior: group.fileExistsBehavior ?? DEFAULT_FILE_EXISTS_BEHAVIOR,
          ignoreApplicationStopFailures: req.ignoreApplicationStopFailures,
          onTrafficEvent: (event) => req.onTrafficEvent(id, event),
          onEvent: (p) => req.onProgress({ ...p, instance: id }),
          signal: req.signal,
          env: { CONVEYOR_REVISION: req.revision.label },
        });
        if (result.ok && req.events.includes('Install')) {
          writeFileSync(join(root, 'revision'), req.revision.label);
        }
        return {
          instance: id,
          ok: result.ok,
          ...(result.failedEvent ? { failedEvent: result.failedEvent } : {}),
          ...(result.message ? { message: result.message } : {}),
        };
      }),
    );
  }

  private revisionOf(id: string): string | undefined {
    try {
      return readFileSync(join(this.instanceRoot(id), 'revision'), 'utf8').trim();
    } catch {
      return undefined;
    }
  }

  async checkHealth(instances: string[], signal: AbortSignal): Promise<HealthReport[]> {
    const path = this.options.group.healthCheck?.path ?? '/';
    const timeoutMs = (this.options.group.healthCheck?.timeoutSeconds ?? 1) * 1000;
    return Promise.all(
      instances.map(async (instance): Promise<HealthReport> => {
        const port = this.ports.known(instance);
        if (!port) return { instance, healthy: false, detail: 'never installed' };
        try {
          const res = await fetch(`http://${this.host}:${port}${path}`, {
            signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
          });
          await res.arrayBuffer();
          const healthy = res.status >= 200 && res.status < 400;
          return { instance, healthy, detail: `HTTP ${res.status} on :${port}${path}` };
        } catch (err) {
          const cause = (err as { cause?: { code?: string } }).cause?.code;
          return {
            instance,
            healthy: false,
            detail:
              cause === 'ECONNREFUSED' ? `connection refused on :${port}` : `no answer on :${port}${path}`,
          };
        }
      }),
    );
  }

  private async upstream(id: string): Promise<Upstream> {
    const revision = this.revisionOf(id);
    return { id, host: this.host, port: await this.ports.portFor(id), ...(revision ? { revision } : {}) };
  }

  async route(route: TrafficRoute): Promise<void> {
    const table: RoutingTable = {
      stable: await Promise.all(route.stable.map((id) => this.upstream(id))),
      canary: await Promise.all(route.canary.map((id) => this.upstream(id))),
      canaryWeight: route.canaryWeight,
      ...(this.options.group.local?.sticky ? { sticky: true } : {}),
      drainTimeoutMs: this.drainMs,
      ...(this.options.group.local?.trustedProxies?.length
        ? { trustedProxies: this.options.group.local.trustedProxies }
        : {}),
    };
    await this.withRouter((client) => client.setRouting(table));
  }

  async observeTraffic(): Promise<ProviderTraffic | undefined> {
    try {
      const client = this.client ?? new RouterClient(routerFiles(this.routerDir).socket, { timeoutMs: 1000 });
      const state = await client.getState();
      const label = (set: Upstream[]) =>
        [...new Set(set.flatMap((u) => (u.revision ? [u.revision] : [])))].sort().join('+') || undefined;
      const stable = label(state.table.stable);
      const canary = label(state.table.canary);
      return {
        stable: state.table.stable.map((u) => u.id),
        canary: state.table.canary.map((u) => u.id),
        canaryWeight: state.table.canaryWeight,
        revisions: { ...(stable ? { stable } : {}), ...(canary ? { canary } : {}) },
        url: `http://${state.listen.host}:${state.listen.port}`,
      };
    } catch {
      return undefined;
    }
  }

  async metrics(windowMs: number): Promise<MetricsSnapshot> {
    return this.withRouter((client) => client.metrics(windowMs));
  }

  async resetMetrics(): Promise<void> {
    await this.withRouter((client) => client.resetMetrics());
  }

  private get drainMs(): number {
    return Math.round((this.options.group.local?.drainTimeoutSeconds ?? 5) * 1000);
  }

  async stopInstances(instances: string[]): Promise<void> {
    // Let requests already on these instances finish before their processes go (zero dropped requests).
    try {
      const client = this.client ?? new RouterClient(routerFiles(this.routerDir).socket, { timeoutMs: 1000 });
      await client.waitDrained(instances, this.drainMs);
    } catch {
      // no router (down, or never started): nothing to drain
    }
    await Promise.all(instances.map((id) => stopInstanceProcesses(this.instanceRoot(id))));
  }

  /**
   * Stops the router and every instance's processes; says only what actually ran. The router's saved table goes
   * too: the group is stopped, and a router started later must not route to instances that no longer run.
   */
  async down(): Promise<{ stopped: string[] }> {
    const ids = existsSync(this.instancesDir) ? readdirSync(this.instancesDir).sort() : [];
    try {
      const client = this.client ?? new RouterClient(routerFiles(this.routerDir).socket, { timeoutMs: 1000 });
      await client.waitDrained(ids, this.drainMs);
    } catch {
      // no router: nothing to drain
    }
    const ran = await Promise.all(
      ids.map(async (id) =>
        (await stopInstanceProcesses(this.instanceRoot(id))).stopped.length ? [id] : [],
      ),
    );
    const router = await stopRouter(this.routerDir);
    rmSync(routerFiles(this.routerDir).tableFile, { force: true });
    return { stopped: [...(router ? ['router'] : []), ...ran.flat().map((id) => `instance ${id}`)] };
  }
}
