import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lifecycleSequence } from '../../../src/deploy/lifecycle-events.js';
import {
  type InstanceEventProgress,
  type InstanceLifecycleRequest,
  lastSuccessfulInstall,
  runInstanceLifecycle,
} from '../../../src/providers/local/agent/instance-agent.js';
import { readProcessGroups } from '../../../src/providers/local/agent/process-groups.js';
import { pidAlive, Sandbox, waitFor, writeScript } from './helpers.js';

const sandbox = new Sandbox();
afterEach(() => sandbox.cleanup());

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function get(port: number): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
    return await res.text();
  } catch {
    return undefined;
  }
}

const SERVER_JS = `
const http = require('node:http');
const version = require('node:fs').readFileSync(__dirname + '/VERSION', 'utf8').trim();
http.createServer((req, res) => res.end(version)).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

interface RevisionOptions {
  version: string;
  /** Overrides of hook script bodies by event. */
  scripts?: Partial<Record<string, string>>;
  appspecExtra?: string;
}

/** A small web app revision: files copied to /srv/app, a server started in the background, stopped by pid file. */
async function makeRevision(options: RevisionOptions): Promise<string> {
  const dir = await sandbox.dir(`conveyor-rev-${options.version}-`);
  await mkdir(join(dir, 'app'), { recursive: true });
  await writeFile(join(dir, 'app', 'server.js'), SERVER_JS);
  await writeFile(join(dir, 'app', 'VERSION'), options.version);
  const trail = (event: string) =>
    `echo "${event} ${options.version} $DEPLOYMENT_ID $LIFECYCLE_EVENT" >> "$INSTANCE_ROOT/trail.txt"`;
  const bodies: Record<string, string> = {
    ApplicationStop: `${trail('ApplicationStop')}\nif [ -f "$INSTANCE_ROOT/server.pid" ]; then kill "$(cat "$INSTANCE_ROOT/server.pid")" 2>/dev/null; rm -f "$INSTANCE_ROOT/server.pid"; fi`,
    BeforeInstall: trail('BeforeInstall'),
    AfterInstall: trail('AfterInstall'),
    ApplicationStart: `${trail('ApplicationStart')}\nnode "$INSTANCE_ROOT/srv/app/server.js" > /dev/null 2>&1 &\necho $! > "$INSTANCE_ROOT/server.pid"`,
    ValidateService: `${trail('ValidateService')}\nexec node -e "
const port = process.env.PORT; const until = Date.now() + 3000;
(async function poll() {
  try { const r = await fetch('http://127.0.0.1:' + port + '/'); if (r.ok) process.exit(0); } catch {}
  if (Date.now() > until) { console.error('not serving on ' + port); process.exit(1); }
  setTimeout(poll, 50);
})();"`,
    BeforeBlockTraffic: trail('BeforeBlockTraffic'),
    AfterBlockTraffic: trail('AfterBlockTraffic'),
    BeforeAllowTraffic: trail('BeforeAllowTraffic'),
    AfterAllowTraffic: trail('AfterAllowTraffic'),
    ...options.scripts,
  };
  const hooks: string[] = [];
  for (const [event, body] of Object.entries(bodies)) {
    if (body === undefined) continue;
    await writeScript(dir, `scripts/${event}.sh`, body);
    hooks.push(`  ${event}:\n    - location: scripts/${event}.sh\n      timeout: 5`);
  }
  await writeFile(
    join(dir, 'appspec.yml'),
    `version: 0.0\nos: linux\nfiles:\n  - source: app\n    destination: /srv/app\nfile_exists_behavior: OVERWRITE\nhooks:\n${hooks.join('\n')}\n${options.appspecExtra ?? ''}`,
  );
  return dir;
}

async function setupInstance() {
  const root = await sandbox.instanceRoot();
  const port = await freePort();
  return { id: 'i-1', root, port };
}

function trail(root: string): string[] {
  const file = join(root, 'trail.txt');
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
}

function request(
  instance: { id: string; root: string; port: number },
  deploymentId: string,
  revisionDir: string,
  overrides: Partial<InstanceLifecycleRequest> = {},
) {
  const progress: InstanceEventProgress[] = [];
  const traffic: string[] = [];
  const req: InstanceLifecycleRequest = {
    instance,
    deployment: { id: deploymentId, applicationName: 'hello', groupName: 'dev', groupId: 'g-1' },
    newRevision: { dir: revisionDir },
    events: lifecycleSequence({ deploymentType: 'in-place', withTraffic: true }),
    onTrafficEvent: async (event) => {
      traffic.push(event);
    },
    onEvent: (p) => progress.push(p),
    killGraceMs: 300,
    ...overrides,
  };
  return { req, progress, traffic };
}

describe('runInstanceLifecycle', () => {
  it('deploys v1 then v2 in place: v1 ApplicationStop stops v1, v2 serves', async () => {
    const instance = await setupInstance();
    const v1 = await makeRevision({ version: 'v1' });
    const first = request(instance, 'd-1', v1);
    const r1 = await runInstanceLifecycle(first.req);
    expect(r1.ok).toBe(true);
    expect(r1.events.map((e) => [e.event, e.status])).toEqual([
      ['BeforeBlockTraffic', 'skipped'],
      ['BlockTraffic', 'succeeded'],
      ['AfterBlockTraffic', 'skipped'],
      ['ApplicationStop', 'skipped'],
      ['DownloadBundle', 'succeeded'],
      ['BeforeInstall', 'succeeded'],
      ['Install', 'succeeded'],
      ['AfterInstall', 'succeeded'],
      ['ApplicationStart', 'succeeded'],
      ['ValidateService', 'succeeded'],
      ['BeforeAllowTraffic', 'succeeded'],
      ['AllowTraffic', 'succeeded'],
      ['AfterAllowTraffic', 'succeeded'],
    ]);
    expect(r1.events[3]!.message).toBe('no previous successful revision on this instance');
    expect(first.traffic).toEqual(['BlockTraffic', 'AllowTraffic']);
    expect(await get(instance.port)).toBe('v1');
    expect(readFileSync(join(instance.root, 'srv/app/VERSION'), 'utf8')).toBe('v1');
    expect(first.progress.filter((p) => p.status === 'started').map((p) => p.event)).toHaveLength(13);
    expect((await lastSuccessfulInstall(instance.root))?.deploymentId).toBe('d-1');

    const v2 = await makeRevision({ version: 'v2' });
    const second = request(instance, 'd-2', v2);
    const r2 = await runInstanceLifecycle(second.req);
    expect(r2.ok).toBe(true);
    expect(await get(instance.port)).toBe('v2');
    const lines = trail(instance.root).slice(6); // v1's 6 scripted hooks ran first (nothing to stop yet)
    // Block-traffic hooks and ApplicationStop come from v1 (last successful); the rest from v2.
    expect(lines).toEqual([
      'BeforeBlockTraffic v1 d-2 BeforeBlockTraffic',
      'AfterBlockTraffic v1 d-2 AfterBlockTraffic',
      'ApplicationStop v1 d-2 ApplicationStop',
      'BeforeInstall v2 d-2 BeforeInstall',
      'AfterInstall v2 d-2 AfterInstall',
      'ApplicationStart v2 d-2 ApplicationStart',
      'ValidateService v2 d-2 ValidateService',
      'BeforeAllowTraffic v2 d-2 BeforeAllowTraffic',
      'AfterAllowTraffic v2 d-2 AfterAllowTraffic',
    ]);
    const stop = r2.events.find((e) => e.event === 'ApplicationStop')!;
    expect(stop.appspecSource).toBe('last-successful');
    expect(stop.revisionDir).toContain(join('deployment-archive', 'd-1'));
    expect(readFileSync(stop.logFile!, 'utf8')).toContain('Script - scripts/ApplicationStop.sh');
  });

  it('stops at a failing hook and reports event, script, exit code and output', async () => {
    const instance = await setupInstance();
    const v3 = await makeRevision({
      version: 'v3',
      scripts: { ApplicationStart: 'echo "config missing: DATABASE_URL" >&2\nexit 7' },
    });
    const { req, progress, traffic } = request(instance, 'd-3', v3);
    const result = await runInstanceLifecycle(req);
    expect(result).toMatchObject({
      ok: false,
      failedEvent: 'ApplicationStart',
      failedScript: 'scripts/ApplicationStart.sh',
      exitCode: 7,
      timedOut: false,
      message: 'Script at specified location: scripts/ApplicationStart.sh failed with exit code 7',
    });
    expect(result.output).toContain('config missing: DATABASE_URL');
    expect(result.events.map((e) => e.event)).not.toContain('ValidateService');
    expect(traffic).toEqual(['BlockTraffic']);
    const failed = progress.find((p) => p.status === 'failed')!;
    expect(failed).toMatchObject({
      instance: 'i-1',
      event: 'ApplicationStart',
      script: 'scripts/ApplicationStart.sh',
    });
    expect(failed.output).toContain('config missing');
  });

  it('reports a hook timeout and leaves nothing of the script running', async () => {
    const instance = await setupInstance();
    const rev = await makeRevision({
      version: 'v1',
      scripts: { AfterInstall: `sleep 60 &\necho $! > "$INSTANCE_ROOT/child.pid"\nsleep 60` },
      appspecExtra: '',
    });
    // Shorten only AfterInstall's timeout.
    const appspecFile = join(rev, 'appspec.yml');
    const text = readFileSync(appspecFile, 'utf8').replace(
      'location: scripts/AfterInstall.sh\n      timeout: 5',
      'location: scripts/AfterInstall.sh\n      timeout: 1',
    );
    await writeFile(appspecFile, text);
    const result = await runInstanceLifecycle(request(instance, 'd-1', rev).req);
    expect(result).toMatchObject({ ok: false, failedEvent: 'AfterInstall', timedOut: true });
    const child = Number(readFileSync(join(instance.root, 'child.pid'), 'utf8'));
    expect(pidAlive(child)).toBe(false);
  });

  describe('when the previous revision’s ApplicationStop fails', () => {
    async function deployBrokenThenNext(ignore: boolean) {
      const instance = await setupInstance();
      const broken = await makeRevision({
        version: 'v1',
        scripts: { ApplicationStop: 'echo "cannot stop" >&2\nexit 1' },
      });
      expect((await runInstanceLifecycle(request(instance, 'd-1', broken).req)).ok).toBe(true);
      const serverPid = Number(readFileSync(join(instance.root, 'server.pid'), 'utf8'));
      const next = await makeRevision({ version: 'v2' });
      const result = await runInstanceLifecycle(
        request(instance, 'd-2', next, { ignoreApplicationStopFailures: ignore }).req,
      );
      return { instance, result, serverPid };
    }

    it('fails the deployment at ApplicationStop by default', async () => {
      const { result } = await deployBrokenThenNext(false);
      expect(result).toMatchObject({ ok: false, failedEvent: 'ApplicationStop', exitCode: 1 });
      expect(result.output).toContain('cannot stop');
    });

    it('goes on with ignoreApplicationStopFailures, records it, and stops the old server', async () => {
      const { instance, result, serverPid } = await deployBrokenThenNext(true);
      expect(result.ok).toBe(true);
      const stop = result.events.find((e) => e.event === 'ApplicationStop')!;
      expect(stop.status).toBe('failed');
      expect(stop.ignored).toBe(true);
      expect(stop.message).toContain('(ignored: ignoreApplicationStopFailures)');
      expect(stop.message).toContain('stopped processes left running by ApplicationStart');
      expect(await waitFor(() => !pidAlive(serverPid))).toBe(true);
      expect(await get(instance.port)).toBe('v2');
    });
  });

  it('stops the previous server when the previous revision has no ApplicationStop hook', async () => {
    const instance = await setupInstance();
    const v1 = await makeRevision({ version: 'v1', scripts: { ApplicationStop: undefined } });
    expect((await runInstanceLifecycle(request(instance, 'd-1', v1).req)).ok).toBe(true);
    expect(await readProcessGroups(instance.root)).toHaveLength(1);
    const v2 = await makeRevision({ version: 'v2' });
    const result = await runInstanceLifecycle(request(instance, 'd-2', v2).req);
    expect(result.ok).toBe(true);
    expect(result.events.find((e) => e.event === 'ApplicationStop')!.message).toMatch(
      /^no ApplicationStop hook in the appspec; stopped processes left running by ApplicationStart/,
    );
    expect(await get(instance.port)).toBe('v2');
  });

  it('runs blue/green original and replacement sequences, and the rollback mapping', async () => {
    const original = await setupInstance();
    const replacement = { ...(await setupInstance()), id: 'i-2' };
    const v1 = await makeRevision({ version: 'v1' });
    const v2 = await makeRevision({ version: 'v2' });
    const inPlace = lifecycleSequence({ deploymentType: 'in-place', withTraffic: false });
    expect((await runInstanceLifecycle(request(original, 'd-1', v1, { events: inPlace }).req)).ok).toBe(true);

    const green = request(replacement, 'd-2', v2, {
      deploymentType: 'blue-green',
      events: lifecycleSequence({ deploymentType: 'blue-green', role: 'replacement', withTraffic: true }),
    });
    expect((await runInstanceLifecycle(green.req)).ok).toBe(true);
    expect(green.traffic).toEqual(['AllowTraffic']);
    const blue = request(original, 'd-2', v2, {
      deploymentType: 'blue-green',
      events: lifecycleSequence({ deploymentType: 'blue-green', role: 'original', withTraffic: true }),
    });
    expect((await runInstanceLifecycle(blue.req)).ok).toBe(true);
    expect(blue.traffic).toEqual(['BlockTraffic']);
    // The original instance's block-traffic hooks are the ones of what it runs (v1).
    expect(trail(original.root).slice(-2)).toEqual([
      'BeforeBlockTraffic v1 d-2 BeforeBlockTraffic',
      'AfterBlockTraffic v1 d-2 AfterBlockTraffic',
    ]);

    // Rollback deployment d-3 (revision v1): originals allow traffic with v1's hooks, replacements block with v2's.
    const back = { deploymentType: 'blue-green' as const, rollback: true };
    const allow = request(original, 'd-3', v1, {
      ...back,
      events: lifecycleSequence({
        deploymentType: 'blue-green',
        role: 'original',
        withTraffic: true,
        rollback: true,
      }),
    });
    expect((await runInstanceLifecycle(allow.req)).ok).toBe(true);
    expect(trail(original.root).slice(-2)).toEqual([
      'BeforeAllowTraffic v1 d-3 BeforeAllowTraffic',
      'AfterAllowTraffic v1 d-3 AfterAllowTraffic',
    ]);
    const block = request(replacement, 'd-3', v1, {
      ...back,
      events: lifecycleSequence({
        deploymentType: 'blue-green',
        role: 'replacement',
        withTraffic: true,
        rollback: true,
      }),
    });
    const blocked = await runInstanceLifecycle(block.req);
    expect(blocked.ok).toBe(true);
    expect(blocked.events[0]!.appspecSource).toBe('most-recent');
    expect(trail(replacement.root).slice(-2)).toEqual([
      'BeforeBlockTraffic v2 d-3 BeforeBlockTraffic',
      'AfterBlockTraffic v2 d-3 AfterBlockTraffic',
    ]);
  });

  it('fails clearly for a revision without appspec.yml', async () => {
    const instance = await setupInstance();
    const empty = await sandbox.dir('conveyor-rev-empty-');
    const result = await runInstanceLifecycle(request(instance, 'd-1', empty).req);
    expect(result.ok).toBe(false);
    expect(result.failedEvent).toBe('BeforeInstall');
    expect(result.message).toContain('no AppSpec file in the revision: expected appspec.yml at the root of');
  });

  it('fails Install when a file exists and the appspec says DISALLOW', async () => {
    const instance = await setupInstance();
    const rev = await makeRevision({ version: 'v1' });
    const appspecFile = join(rev, 'appspec.yml');
    await writeFile(appspecFile, readFileSync(appspecFile, 'utf8').replace('OVERWRITE', 'DISALLOW'));
    await mkdir(join(instance.root, 'srv/app'), { recursive: true });
    await writeFile(join(instance.root, 'srv/app/VERSION'), 'hand-made');
    const result = await runInstanceLifecycle(request(instance, 'd-1', rev).req);
    expect(result).toMatchObject({ ok: false, failedEvent: 'Install' });
    expect(result.message).toContain('a specified file already exists at this location: /srv/app/VERSION');
  });

  it('fails the traffic event when the router callback throws', async () => {
    const instance = await setupInstance();
    const rev = await makeRevision({ version: 'v1' });
    const { req } = request(instance, 'd-1', rev, {
      onTrafficEvent: async () => {
        throw new Error('router admin endpoint not reachable');
      },
    });
    const result = await runInstanceLifecycle(req);
    expect(result).toMatchObject({
      ok: false,
      failedEvent: 'BlockTraffic',
      message: 'BlockTraffic failed: router admin endpoint not reachable',
    });
  });

  it('takes the appspec object from the caller and accepts null hooks and string timeouts', async () => {
    const instance = await setupInstance();
    const rev = await sandbox.dir('conveyor-rev-obj-');
    await writeScript(rev, 'start.sh', 'echo "$LIFECYCLE_EVENT" > "$INSTANCE_ROOT/ran.txt"');
    const { req } = request(instance, 'd-1', rev, {
      newRevision: {
        dir: rev,
        appspec: {
          os: 'linux',
          files: [],
          hooks: { BeforeInstall: null, ApplicationStart: [{ location: 'start.sh', timeout: '10' }] },
        },
      },
      events: lifecycleSequence({ deploymentType: 'in-place', withTraffic: false }),
    });
    const result = await runInstanceLifecycle(req);
    expect(result.ok).toBe(true);
    expect(result.events.find((e) => e.event === 'BeforeInstall')!.status).toBe('skipped');
    expect(readFileSync(join(instance.root, 'ran.txt'), 'utf8')).toBe('ApplicationStart\n');
  });

  it('rejects an unknown event name and stops when aborted', async () => {
    const instance = await setupInstance();
    const rev = await makeRevision({ version: 'v1' });
    const unknown = await runInstanceLifecycle(request(instance, 'd-1', rev, { events: ['Deploy'] }).req);
    expect(unknown.message).toBe('unknown lifecycle event Deploy');
    const controller = new AbortController();
    controller.abort();
    const aborted = await runInstanceLifecycle(
      request(instance, 'd-1', rev, { signal: controller.signal }).req,
    );
    expect(aborted).toMatchObject({ ok: false, failedEvent: 'BeforeBlockTraffic' });
    expect(aborted.message).toContain('aborted');
  });
});
