/** A throwaway deployment group on loopback: temp folder, example revisions, in-process CLI, cleanup. */
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runCli } from '../../../src/cli/run-cli.js';
import { packageRoot } from '../../../src/core/paths.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface GroupFixture {
  dir: string;
  config: string;
  rev(name: string): string;
  cli(args: string[]): Promise<CliResult>;
  /** The CLI run in the group's folder without --config. */
  bare(args: string[]): Promise<CliResult>;
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
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-it-'));
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
    cli: (args) => fixture.bare([...args, '--config', config]),
    async bare(args) {
      let stdout = '';
      let stderr = '';
      const code = await runCli(args, {
        stdout: { write: (s: string) => (stdout += s) },
        stderr: { write: (s: string) => (stderr += s) },
        cwd: dir,
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
