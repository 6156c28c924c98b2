/** A throwaway deployment group on loopback: temp folder, example revisions, in-process CLI, cleanup. */
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, expect } from 'vitest';
import { commands } from '../../../src/cli/commands.js';
import { runCli } from '../../../src/cli/run-cli.js';
import { packageRoot } from '../../../src/core/paths.js';
import type { LedgerEvent } from '../../../src/deploy/events.js';
import { describeStep, type Step } from '../../../src/deploy/steps.js';
import { type RouterState, UPSTREAM_HEADER } from '../../../src/router/api.js';
import { RouterClient } from '../../../src/router/client.js';
import { routerFiles } from '../../../src/router/files.js';
import { ownTempDir } from '../owned-processes.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  signal?: AbortSignal;
  /** The CLI's environment (default: this process's). */
  env?: Record<string, string | undefined>;
}

export interface GroupFixture {
  dir: string;
  config: string;
  rev(name: string): string;
  /** The CLI run in-process in the group's folder with --config; `signal` stops it like Ctrl-C. */
  cli(args: string[], options?: CliOptions): Promise<CliResult>;
  /** The CLI run in the group's folder without --config. */
  bare(args: string[], options?: CliOptions): Promise<CliResult>;
  routerPort(): number;
  get(path?: string): Promise<{ status: number; revision: string | null; body: string }>;
  /** Writes a hook script into a revision and makes it executable (or not). */
  script(rev: string, name: string, body: string, executable?: boolean): void;
  appspec(rev: string, text: string): void;
  groupDir: string;
  cleanup(): Promise<void>;
}

const BASE = `application: hello
deploymentGroup: test
provider: local
local:
  instances: 1
  routerPort: 0
healthCheck:
  path: /health
  intervalSeconds: 0.3
  unhealthyThreshold: 2
  startupSeconds: 5
analysis:
  intervalSeconds: 0.5
  maxErrorRate: 0.05
  minRequests: 3
  noDataPolicy: pass
`;

export function makeGroup(
  strategyYaml: string,
  extra = '',
  options: { instances?: number } = {},
): GroupFixture {
  // Its router, instances and runners die with this process, also when it is killed (owned-processes.ts).
  const dir = ownTempDir(mkdtempSync(join(tmpdir(), 'conveyor-it-')));
  for (const v of ['v1', 'v2', 'v3']) {
    cpSync(join(packageRoot, 'examples', 'hello-web', v), join(dir, v), { recursive: true });
  }
  const config = join(dir, 'group.yml');
  writeFileSync(
    config,
    `${BASE.replace('instances: 1', `instances: ${options.instances ?? 1}`)}${strategyYaml}\n${extra}`,
  );
  const groupDir = join(dir, '.conveyor', 'groups', 'hello', 'test');
  const fixture: GroupFixture = {
    dir,
    config,
    groupDir,
    rev: (name) => join(dir, name),
    cli: (args, options) => fixture.bare([...args, '--config', config], options),
    async bare(args, options = {}) {
      let stdout = '';
      let stderr = '';
      const code = await runCli(args, {
        stdout: { write: (s: string) => (stdout += s) },
        stderr: { write: (s: string) => (stderr += s) },
        cwd: dir,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.env ? { env: options.env } : {}),
      });
      return { code, stdout, stderr };
    },
    routerPort() {
      return (JSON.parse(readFileSync(join(groupDir, 'router', 'router.pid'), 'utf8')) as { port: number })
        .port;
    },
    async get(path = '/') {
      const res = await fetch(`http://127.0.0.1:${fixture.routerPort()}${path}`, {
        signal: AbortSignal.timeout(2000),
      });
      return { status: res.status, revision: res.headers.get('x-revision'), body: await res.text() };
    },
    script(rev, name, body, executable = true) {
      const file = join(dir, rev, 'scripts', name);
      writeFileSync(file, `#!/bin/sh\n${body}\n`);
      chmodSync(file, executable ? 0o755 : 0o644);
    },
    appspec(rev, text) {
      writeFileSync(join(dir, rev, 'appspec.yml'), text);
    },
    async cleanup() {
      await runCli(['down', '--force', '--config', config], {
        stdout: { write: () => {} },
        stderr: { write: () => {} },
        cwd: dir,
      }).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fixture;
}

/** Several real deployments per test: bounded, but more than the default 30 s on a loaded machine. */
export const SLOW = 90_000;

/**
 * Loads the in-process CLI's deploy commands before a file's tests. vitest transforms their modules on first use
 * (5.7 s at load 14 on the shared 2-core machine, more at 20+), which the first test of each file paid out of its
 * own timeout; what a test is given time for is then the deployments it runs. The built CLI loads its bundle in
 * about 0.1 s, so this is no cost a user sees.
 */
export function preloadCli(): void {
  beforeAll(async () => {
    for (const name of ['deploy', 'status', 'promote', 'abort', 'rollback', 'history', 'down', 'up'])
      await commands[name]!.load();
  }, 120_000);
}

/**
 * The groups of one test file: call at its top level; `group(strategy, extra, instances)` makes a group, and
 * every group a test made is stopped and removed after that test.
 */
export function useGroups(defaultInstances = 1) {
  const fixtures: GroupFixture[] = [];
  preloadCli();
  afterEach(async () => {
    for (const f of fixtures.splice(0)) await f.cleanup();
  });
  return (strategy: string, extra = '', instances = defaultInstances): GroupFixture => {
    const f = makeGroup(strategy, extra, { instances });
    fixtures.push(f);
    return f;
  };
}

/** Revisions served over `n` requests through the router. */
export async function sample(f: GroupFixture, n = 20): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await f.get();
    const key = r.status === 200 ? (r.revision ?? '?') : `HTTP ${r.status}`;
    seen[key] = (seen[key] ?? 0) + 1;
  }
  return seen;
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const APPSPEC_WITH = (hooks: string) => `version: 0.0
os: linux
files:
  - source: app
    destination: /srv/hello-web
file_exists_behavior: OVERWRITE
hooks:
  ApplicationStop:
    - location: scripts/stop.sh
      timeout: 15
  ApplicationStart:
    - location: scripts/start.sh
      timeout: 10
  ValidateService:
    - location: scripts/validate.sh
      timeout: 10
${hooks}`;

/** A group serving v1, ready for a v2 that the test breaks. */
export async function servingV1(fixtures: GroupFixture[]): Promise<GroupFixture> {
  const f = makeGroup('strategy: all-at-once');
  fixtures.push(f);
  const r = await f.cli(['deploy', '--revision', f.rev('v1')]);
  expect(r.code, r.stderr).toBe(0);
  return f;
}

/** Asserts the deploy failed, the group reads RolledBack and v1 serves all traffic; returns the deployment. */
export async function expectRolledBackToV1(
  f: GroupFixture,
  deploy: { code: number; stdout: string; stderr: string },
) {
  expect(deploy.code).toBe(1);
  const s = JSON.parse((await f.cli(['status', '--json'])).stdout);
  expect(s.deployment.status).toBe('RolledBack');
  expect(await sample(f, 6)).toEqual({ v1: 6 });
  return s.deployment as {
    reason: string;
    failedHook?: { event: string; message?: string; output?: string };
  };
}

/** What `conveyor status --json` says about the group's latest deployment, runner and router. */
export interface StatusJson {
  deployment: { id: string; status: string; bakeUntil?: number; reason?: string };
  runner: { alive: boolean; pid: number | null };
  router: { canaryWeight: number; stable: string[]; canary: string[] } | null;
  ledgerProblems: { line: number; reason: string }[];
}

export async function status(f: GroupFixture): Promise<StatusJson> {
  return JSON.parse((await f.cli(['status', '--json'])).stdout) as StatusJson;
}

/** The router's own view (table, upstreams, health), read over its admin socket. */
export async function routerState(f: GroupFixture): Promise<RouterState> {
  const client = new RouterClient(routerFiles(join(f.groupDir, 'router')).socket, { timeoutMs: 2000 });
  try {
    return await client.getState();
  } finally {
    client.close();
  }
}

/** One request sent through the router while a deployment ran. */
export interface Served {
  at: number;
  status: number | 'error';
  revision: string | null;
  /** `set/instance` from the router's x-conveyor-upstream header. */
  upstream: string | null;
}

/** Upstreams able to take requests at one moment: in a set with traffic, healthy, not draining. */
export interface Capacity {
  at: number;
  serving: string[];
}

/**
 * Sends a request every `everyMs` and reads the router's state every `stateEveryMs` until `work` settles;
 * returns what `work` returned, every answer, and the serving upstreams over time.
 */
export async function underTraffic<T>(
  f: GroupFixture,
  work: Promise<T>,
  { everyMs = 20, stateEveryMs = 40 } = {},
): Promise<{ result: T; served: Served[]; capacity: Capacity[] }> {
  let done = false;
  const settled = work.finally(() => {
    done = true;
  });
  const served: Served[] = [];
  const capacity: Capacity[] = [];
  const requests = (async () => {
    while (!done) {
      const at = Date.now();
      try {
        const res = await fetch(`http://127.0.0.1:${f.routerPort()}/`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        served.push({
          at,
          status: res.status,
          revision: res.headers.get('x-revision'),
          upstream: res.headers.get(UPSTREAM_HEADER),
        });
      } catch {
        served.push({ at, status: 'error', revision: null, upstream: null });
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  const states = (async () => {
    while (!done) {
      const at = Date.now();
      const s = await routerState(f).catch(() => undefined);
      if (s) capacity.push({ at, serving: servingUpstreams(s) });
      await new Promise((r) => setTimeout(r, stateEveryMs));
    }
  })();
  const result = await settled;
  await Promise.all([requests, states]);
  return { result, served, capacity };
}

/** Ids of the upstreams the router would send a new request to. */
export function servingUpstreams(s: RouterState): string[] {
  const weight = s.effectiveCanaryWeight ?? s.table.canaryWeight;
  return s.upstreams
    .filter((u) => u.healthy && (u.set === 'stable' ? weight < 100 : u.set === 'canary' && weight > 0))
    .map((u) => u.id)
    .sort();
}

/** The descriptions of the steps a deployment completed, in order, and the ones its plan promised. */
export function stepsDone(s: { deployment: unknown; events: LedgerEvent[] }): {
  completed: string[];
  planned: string[];
} {
  const plan = (s.deployment as { plan: { steps: Step[] } }).plan;
  return {
    completed: s.events.flatMap((e) => (e.type === 'step' && e.phase === 'completed' ? [e.description] : [])),
    planned: plan.steps.map(describeStep),
  };
}

/** Whether a process runs (a zombie left for an init that does not reap counts as gone). */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '');
  } catch {
    return false;
  }
}

/** The pid of the app server an instance's ApplicationStart left running (the hello-web example's pid file). */
export function serverPid(f: GroupFixture, instance: string): number {
  return Number(readFileSync(join(f.groupDir, 'instances', instance, 'server.pid'), 'utf8'));
}

/** The router's table as ids, sorted, to compare with what status reports. */
export async function routerTable(f: GroupFixture) {
  const t = (await routerState(f)).table;
  return {
    stable: t.stable.map((u) => u.id).sort(),
    canary: t.canary.map((u) => u.id).sort(),
    canaryWeight: t.canaryWeight,
  };
}

/** SIGKILL to `pid`, then waits until the process is gone. */
export async function killAndWait(pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL');
  await waitFor(`pid ${pid} to die`, async () => (running(pid) ? undefined : true));
}
