/**
 * The port between the deploy engine and where revisions run. The runner executes a plan's steps
 * through these calls only; it never knows whether processes on this machine or CodeDeploy do the work.
 * Failures the user must see (a hook exited 3, an instance is unhealthy) are returned as data;
 * a throw means the provider itself could not act (router gone, AWS unreachable).
 */
import type { MetricsSnapshot } from '../router/api.js';

export type { MetricsSnapshot };

/** A revision as the engine knows it: a folder with appspec.yml at its root. */
export interface Revision {
  label: string;
  dir: string;
}

/** Which set an instance belongs to in a lifecycle run (decides e.g. which appspec BlockTraffic uses). */
export type InstanceRole = 'in-place' | 'replacement' | 'original';

/** Progress from a lifecycle run, reported as it happens (the runner records each one). */
export interface LifecycleProgress {
  instance: string;
  event: string;
  status: 'started' | 'succeeded' | 'failed' | 'skipped';
  script?: string;
  durationMs?: number;
  message?: string;
  /** Captured stdout/stderr of the failed script (tail). */
  output?: string;
}

export interface LifecycleRequest {
  deploymentId: string;
  instances: string[];
  role: InstanceRole;
  /** Events in order, reserved ones included (the provider acts on DownloadBundle/Install/BlockTraffic/AllowTraffic). */
  events: string[];
  /** Revision whose appspec drives install-side events. */
  revision: Revision;
  /** Last successful revision on these instances (ApplicationStop and block-traffic events use its appspec). */
  lastRevision?: Revision;
  ignoreApplicationStopFailures: boolean;
  /** Called for BlockTraffic/AllowTraffic: the engine owns routing, so it updates the router and records it. */
  onTrafficEvent(instance: string, event: 'BlockTraffic' | 'AllowTraffic'): Promise<void>;
  onProgress(progress: LifecycleProgress): void;
  signal: AbortSignal;
}

export interface InstanceOutcome {
  instance: string;
  ok: boolean;
  /** The event that failed, when not ok. */
  failedEvent?: string;
  message?: string;
}

export interface HealthReport {
  instance: string;
  healthy: boolean;
  detail: string;
}

/** Desired routing by instance id; the provider maps ids to addresses. */
export interface TrafficRoute {
  stable: string[];
  canary: string[];
  canaryWeight: number;
  /** Revision labels per set, for the router's metrics and status. */
  revisions: { stable?: string; canary?: string };
}

export interface ProviderTraffic {
  stable: string[];
  canary: string[];
  canaryWeight: number;
  /** The revisions the data plane's upstreams of each set run (`v1+v2` when they differ). */
  revisions?: { stable?: string; canary?: string };
  /** Where the service answers (the router's listen address). */
  url?: string;
}

export interface DeployProvider {
  readonly name: string;
  /** Makes the data plane ready (e.g. starts the router) — idempotent, safe to call on resume. */
  prepare(): Promise<{ endpoint?: string }>;
  /** Runs lifecycle events on instances (in parallel); per-instance failures come back as data. */
  runLifecycle(request: LifecycleRequest): Promise<InstanceOutcome[]>;
  /** One health probe per instance (the runner retries within its startup budget). */
  checkHealth(instances: string[], signal: AbortSignal): Promise<HealthReport[]>;
  /** Applies routing in one atomic call. */
  route(route: TrafficRoute): Promise<void>;
  /** Routing as the data plane has it now (the truth after a crash), undefined when nothing runs. */
  observeTraffic(): Promise<ProviderTraffic | undefined>;
  /** Golden signals per set over the last `windowMs`. */
  metrics(windowMs: number): Promise<MetricsSnapshot>;
  resetMetrics(): Promise<void>;
  /** Stops the processes of these instances (after traffic left them). */
  stopInstances(instances: string[]): Promise<void>;
  /** Stops everything this provider started for the group; says what it stopped. */
  down(): Promise<{ stopped: string[] }>;
}
