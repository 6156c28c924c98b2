import { existsSync, readFileSync } from 'node:fs';
import { chmod, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  processGroupAlive,
  readProcessGroups,
  stopInstanceProcesses,
} from '../../../src/providers/local/agent/process-groups.js';
import { type HookRunRequest, runHookScripts } from '../../../src/providers/local/agent/scripts.js';
import { deployment, pidAlive, readPids, Sandbox, waitFor, writeScript } from './helpers.js';

const sandbox = new Sandbox();

/** A non-root user with a login shell on this machine, for the `su` test (none: that test is skipped). */
const loginUser = (() => {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , uid, , , home, shell] = line.split(':');
      if (Number(uid) >= 1 && shell && !/nologin|false|sync/.test(shell) && home && existsSync(home))
        return { name: name!, home };
    }
  } catch {}
  return undefined;
})();
afterEach(() => sandbox.cleanup());

async function setup() {
  const revision = await sandbox.dir('conveyor-revision-');
  const instanceRoot = await sandbox.instanceRoot();
  const logFile = join(instanceRoot, '.conveyor', 'logs', 'ApplicationStart.log');
  const request = (overrides: Partial<HookRunRequest>): HookRunRequest => ({
    event: 'ApplicationStart',
    scripts: [],
    scriptRoot: revision,
    deployment,
    logFile,
    instanceRoot,
    killGraceMs: 300,
    ...overrides,
  });
  return { revision, instanceRoot, logFile, request };
}

describe('runHookScripts', () => {
  it("gives scripts CodeDeploy's variables plus the caller's extras", async () => {
    const { revision, instanceRoot, request } = await setup();
    await writeScript(revision, 'scripts/env.sh', `env > "${instanceRoot}/env.txt"`);
    const result = await runHookScripts(
      request({
        event: 'AfterInstall',
        scripts: [{ location: 'scripts/env.sh' }],
        env: { PORT: '41234', INSTANCE_ROOT: instanceRoot, INSTANCE_ID: 'i-1' },
      }),
    );
    expect(result.ok).toBe(true);
    const env = readFileSync(join(instanceRoot, 'env.txt'), 'utf8').split('\n');
    expect(env).toEqual(
      expect.arrayContaining([
        'LIFECYCLE_EVENT=AfterInstall',
        'DEPLOYMENT_ID=d-TEST00001',
        'APPLICATION_NAME=hello',
        'DEPLOYMENT_GROUP_NAME=dev',
        'DEPLOYMENT_GROUP_ID=group-1234',
        'PORT=41234',
        `INSTANCE_ROOT=${instanceRoot}`,
        'INSTANCE_ID=i-1',
      ]),
    );
  });

  it('runs scripts in order and stops at the first failure, reporting exit code and output', async () => {
    const { revision, instanceRoot, request, logFile } = await setup();
    const trail = join(instanceRoot, 'trail.txt');
    await writeScript(revision, 'a.sh', `echo a >> "${trail}"`);
    await writeScript(revision, 'b.sh', `echo b >> "${trail}"; echo "database unreachable" >&2; exit 3`);
    await writeScript(revision, 'c.sh', `echo c >> "${trail}"`);
    const result = await runHookScripts(
      request({ scripts: [{ location: 'a.sh' }, { location: 'b.sh' }, { location: 'c.sh' }] }),
    );
    expect(result.ok).toBe(false);
    expect(readFileSync(trail, 'utf8')).toBe('a\nb\n');
    expect(result.scripts.map((s) => s.location)).toEqual(['a.sh', 'b.sh']);
    const failed = result.scripts[1]!;
    expect(failed.exitCode).toBe(3);
    expect(failed.timedOut).toBe(false);
    // The agent's report: the event's lines with headers and stream prefixes (what CodeDeploy shows).
    expect(failed.outputTail).toBe(
      'LifecycleEvent - ApplicationStart\nScript - a.sh\nScript - b.sh\n[stderr]database unreachable\n',
    );
    expect(failed.agentErrorCode).toBe(4);
    expect(result.error).toBe('Script at specified location: b.sh failed with exit code 3');
    const log = readFileSync(logFile, 'utf8');
    expect(log).toContain('LifecycleEvent - ApplicationStart');
    expect(log).toContain('Script - b.sh');
    expect(log).toContain('[stderr]database unreachable');
  });

  it('keeps the last ~2 KB of whole output lines, like the agent', async () => {
    const { revision, request } = await setup();
    await writeScript(
      revision,
      'chatty.sh',
      'i=0; while [ $i -lt 100 ]; do echo "line $i of a long and chatty build output"; i=$((i+1)); done\necho "the real error"\nexit 1',
    );
    const result = await runHookScripts(request({ scripts: [{ location: 'chatty.sh' }] }));
    const tail = result.scripts[0]!.outputTail;
    expect(tail.length).toBeLessThanOrEqual(2048);
    expect(tail.length).toBeGreaterThan(1900);
    expect(tail).toMatch(/^\[stdout\]line \d+ of a long and chatty build output\n/);
    expect(tail.endsWith('[stdout]line 99 of a long and chatty build output\n[stdout]the real error\n')).toBe(
      true,
    );
  });

  it('runs scripts in / like the agent under systemd, not in the instance or the revision', async () => {
    const { revision, instanceRoot, request } = await setup();
    await writeScript(revision, 'where.sh', `pwd > "${instanceRoot}/cwd.txt"\ncat where.sh`);
    const result = await runHookScripts(request({ scripts: [{ location: 'where.sh' }] }));
    expect(readFileSync(join(instanceRoot, 'cwd.txt'), 'utf8')).toBe('/\n');
    expect(result.ok).toBe(false);
    expect(result.scripts[0]!.outputTail).toContain('[stderr]cat: where.sh: No such file or directory');
  });

  it('kills a timed-out script together with the children it spawned', async () => {
    const { revision, instanceRoot, request } = await setup();
    const pidFile = join(instanceRoot, 'pids.txt');
    await writeScript(
      revision,
      'hang.sh',
      `sleep 60 & echo $! >> "${pidFile}"\nsleep 60 & echo $! >> "${pidFile}"\necho $$ >> "${pidFile}"\nwait`,
    );
    const started = Date.now();
    const result = await runHookScripts(request({ scripts: [{ location: 'hang.sh', timeout: 1 }] }));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.ok).toBe(false);
    expect(result.scripts[0]!.timedOut).toBe(true);
    expect(result.error).toBe('Script at specified location: hang.sh failed to complete in 1 seconds');
    const pids = readPids(pidFile);
    expect(pids).toHaveLength(3);
    expect(pids.filter(pidAlive)).toEqual([]);
  });

  it('escalates to SIGKILL when a timed-out script ignores SIGTERM', async () => {
    const { revision, instanceRoot, request } = await setup();
    const pidFile = join(instanceRoot, 'pids.txt');
    await writeScript(
      revision,
      'stubborn.sh',
      `trap '' TERM\necho $$ > "${pidFile}"\nwhile :; do sleep 0.1; done`,
    );
    const result = await runHookScripts(request({ scripts: [{ location: 'stubborn.sh', timeout: '1' }] }));
    expect(result.scripts[0]!.timedOut).toBe(true);
    expect(result.scripts[0]!.signal).toBe('SIGKILL');
    // The agent's message, then what differs: the agent would wait for the script instead of killing it.
    expect(result.error).toMatch(
      /^Script at specified location: stubborn\.sh failed to complete in 1 seconds \(it ignored SIGTERM and was killed after 0\.3 s; the CodeDeploy agent sends only SIGTERM and waits for the script to end/,
    );
    expect(readPids(pidFile).filter(pidAlive)).toEqual([]);
  });

  it('fails like the agent (error code 6) when a background process keeps stdout open, soon after the script exits', async () => {
    const { revision, instanceRoot, request } = await setup();
    const pidFile = join(instanceRoot, 'server.pid');
    // The server inherits stdout/stderr and never closes them: the most common CodeDeploy mistake. The agent
    // waits for the pipe until the timeout (30 s here) and fails; locally it fails after a short grace. It
    // writes once and then only holds the pipe: once the pipe is closed behind it, a server that wrote again
    // would die of SIGPIPE (as after the real agent's timeout), and whether it was still alive when checked
    // below would depend on the machine's load.
    await writeScript(
      revision,
      'start.sh',
      `(echo serving; exec sleep 30) &\necho $! > "${pidFile}"\necho started`,
    );
    const started = Date.now();
    const result = await runHookScripts(
      request({ scripts: [{ location: 'start.sh', timeout: 30 }], heldOutputGraceMs: 500 }),
    );
    sandbox.trackPgid(result.scripts[0]!.leftRunningPgid);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.ok).toBe(false);
    const script = result.scripts[0]!;
    expect(script).toMatchObject({ exitCode: 0, failure: 'output-left-open', agentErrorCode: 6 });
    const server = readPids(pidFile)[0]!;
    expect(result.error).toMatch(/^Script at specified location: start\.sh failed to close STDOUT \(/);
    expect(result.error).toMatch(/still holds? its stdout/);
    expect(result.error).toContain(` ${server} (`);
    expect(result.error).toContain("until the hook's timeout (30 s)");
    expect(result.error).toContain('node server.js > /dev/null 2>&1 &');
    expect(script.outputTail).toMatch(
      /^LifecycleEvent - ApplicationStart\nScript - start\.sh\n(\[stdout\](serving|started)\n)+$/,
    );

    // The process is left running, as the agent leaves it, and recorded so it can be stopped.
    expect(pidAlive(server)).toBe(true);
    const recorded = await readProcessGroups(instanceRoot);
    expect(recorded.map((g) => g.pgid)).toEqual([script.leftRunningPgid]);
    expect(recorded[0]).toMatchObject({ event: 'ApplicationStart', location: 'start.sh' });
    const stopped = await stopInstanceProcesses(instanceRoot, { graceMs: 500 });
    expect(stopped.stopped).toHaveLength(1);
    expect(await waitFor(() => !pidAlive(server))).toBe(true);
    expect(processGroupAlive(recorded[0]!.pgid)).toBe(false);
  });

  it('names STDERR when only stderr is left open', async () => {
    const { revision, request } = await setup();
    await writeScript(revision, 'start.sh', 'sleep 30 > /dev/null &');
    const result = await runHookScripts(
      request({ scripts: [{ location: 'start.sh', timeout: 30 }], heldOutputGraceMs: 300 }),
    );
    sandbox.trackPgid(result.scripts[0]!.leftRunningPgid);
    expect(result.error).toMatch(/^Script at specified location: start\.sh failed to close STDERR \(/);
  });

  it('succeeds, as the agent does, when background processes redirect their output or close it quickly', async () => {
    const { revision, request, logFile } = await setup();
    await writeScript(
      revision,
      'start.sh',
      'sleep 30 > /dev/null 2>&1 &\n(sleep 0.3; echo late line) &\necho started',
    );
    const result = await runHookScripts(request({ scripts: [{ location: 'start.sh', timeout: 30 }] }));
    sandbox.trackPgid(result.scripts[0]!.leftRunningPgid);
    expect(result.ok).toBe(true);
    expect(result.scripts[0]!.leftRunningPgid).toBeGreaterThan(0);
    // What a background process writes before it closes the pipe is part of the hook's output.
    expect(readFileSync(logFile, 'utf8')).toContain('[stdout]late line');
  });

  it('stopInstanceProcesses kills a left-running group that ignores SIGTERM', async () => {
    const { revision, instanceRoot, request } = await setup();
    const pidFile = join(instanceRoot, 'server.pid');
    await writeScript(
      revision,
      'start.sh',
      `(trap '' TERM; touch "${pidFile}.trapped"; while :; do sleep 0.1; done) >/dev/null 2>&1 &\necho $! > "${pidFile}"`,
    );
    const result = await runHookScripts(request({ scripts: [{ location: 'start.sh' }] }));
    expect(result.ok).toBe(true);
    sandbox.trackPgid(result.scripts[0]!.leftRunningPgid);
    // On a loaded machine the background subshell may not have installed its trap yet; SIGTERM would then
    // end it and the test would not exercise the SIGKILL escalation it is about.
    expect(await waitFor(() => existsSync(`${pidFile}.trapped`))).toBe(true);
    const stopped = await stopInstanceProcesses(instanceRoot, { graceMs: 200 });
    expect(stopped.killed).toHaveLength(1);
    expect(await waitFor(() => !pidAlive(readPids(pidFile)[0]!))).toBe(true);
  });

  it('does not signal a recorded group whose processes no longer carry our tag', async () => {
    const { revision, instanceRoot, request } = await setup();
    await writeScript(revision, 'quick.sh', 'sleep 30 >/dev/null 2>&1 &');
    const result = await runHookScripts(request({ scripts: [{ location: 'quick.sh' }] }));
    const pgid = result.scripts[0]!.leftRunningPgid!;
    sandbox.trackPgid(pgid);
    const { writeFile } = await import('node:fs/promises');
    const file = join(instanceRoot, '.conveyor', 'process-groups.json');
    const groups = JSON.parse(readFileSync(file, 'utf8'));
    groups[0].tag = 'someone-else';
    await writeFile(file, JSON.stringify(groups));
    const stopped = await stopInstanceProcesses(instanceRoot, { graceMs: 100 });
    expect(stopped.stopped).toEqual([]);
    expect(processGroupAlive(pgid)).toBe(true);
  });

  it('names the location of a missing script', async () => {
    const { revision, request } = await setup();
    const result = await runHookScripts(request({ scripts: [{ location: 'scripts/nope.sh' }] }));
    expect(result.ok).toBe(false);
    expect(result.scripts[0]!.failure).toBe('script-missing');
    expect(result.error).toBe(
      `Script does not exist at specified location: ${join(revision, 'scripts/nope.sh')}`,
    );
  });

  it('makes a non-executable script executable, as the agent does, and runs it', async () => {
    const { revision, instanceRoot, request } = await setup();
    const file = await writeScript(revision, 'plain.sh', `echo ran > "${instanceRoot}/ran.txt"`, 0o644);
    const result = await runHookScripts(request({ scripts: [{ location: 'plain.sh' }] }));
    expect(result.ok).toBe(true);
    expect((await stat(file)).mode & 0o111).toBe(0o111);
    expect(readFileSync(join(instanceRoot, 'ran.txt'), 'utf8')).toBe('ran\n');
  });

  it('runs a script without a #! line with /bin/sh, as the agent does', async () => {
    const { revision, instanceRoot, request } = await setup();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(revision, 'plain.sh'), `echo "$0 ran" > "${instanceRoot}/ran.txt"\n`, {
      mode: 0o755,
    });
    const result = await runHookScripts(request({ scripts: [{ location: 'plain.sh' }] }));
    expect(result.ok, result.error).toBe(true);
    expect(readFileSync(join(instanceRoot, 'ran.txt'), 'utf8')).toBe(`${join(revision, 'plain.sh')} ran\n`);
  });

  it('reports a script that cannot be executed even after chmod', async () => {
    const { revision, request } = await setup();
    // A directory at the script location can never be made executable as a program.
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(revision, 'dir.sh'));
    await chmod(join(revision, 'dir.sh'), 0o755);
    const result = await runHookScripts(request({ scripts: [{ location: 'dir.sh' }] }));
    expect(result.ok).toBe(false);
    expect(result.scripts[0]!.failure).toBe('not-executable');
    expect(result.error).toContain('dir.sh');
  });

  it('reports a script without an interpreter line clearly', async () => {
    const { revision, request } = await setup();
    await writeScript(revision, 'bin.sh', '\u0000\u0001not a program');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(revision, 'bin.sh'), Buffer.from([0x7f, 0x00, 0x01, 0x02]));
    const result = await runHookScripts(request({ scripts: [{ location: 'bin.sh' }] }));
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/bin\.sh (could not be started|failed with exit code)/);
  });

  it('rejects locations that leave the revision, also through symlinks', async () => {
    const { revision, instanceRoot, request } = await setup();
    await writeScript(instanceRoot, 'outside.sh', 'exit 0');
    await symlink(join(instanceRoot, 'outside.sh'), join(revision, 'link.sh'));
    const up = await runHookScripts(request({ scripts: [{ location: '../outside.sh' }] }));
    expect(up.scripts[0]!.failure).toBe('path-escapes-revision');
    expect(up.error).toContain('outside the revision');
    const linked = await runHookScripts(request({ scripts: [{ location: 'link.sh' }] }));
    expect(linked.scripts[0]!.failure).toBe('path-escapes-revision');
  });

  it('treats a leading slash in location as relative to the revision, as the agent does', async () => {
    const { revision, instanceRoot, request } = await setup();
    await writeScript(revision, 'scripts/ok.sh', `echo ok > "${instanceRoot}/ok.txt"`);
    const result = await runHookScripts(request({ scripts: [{ location: '/scripts/ok.sh' }] }));
    expect(result.ok).toBe(true);
  });

  it('rejects a timeout that is not a positive number', async () => {
    const { revision, request } = await setup();
    await writeScript(revision, 'ok.sh', 'exit 0');
    const result = await runHookScripts(request({ scripts: [{ location: 'ok.sh', timeout: 'soon' }] }));
    expect(result.error).toBe('Script at specified location: ok.sh has an invalid timeout value (soon)');
  });

  it('stops the running script when the deployment is aborted', async () => {
    const { revision, instanceRoot, request } = await setup();
    const pidFile = join(instanceRoot, 'pid.txt');
    await writeScript(revision, 'long.sh', `echo $$ > "${pidFile}"\nsleep 60`);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const result = await runHookScripts(
      request({ scripts: [{ location: 'long.sh' }], signal: controller.signal }),
    );
    expect(result.scripts[0]!.failure).toBe('aborted');
    expect(readPids(pidFile).filter(pidAlive)).toEqual([]);
  });

  describe('runas', () => {
    it('runs as the current user when runas names them', async () => {
      const { revision, instanceRoot, request } = await setup();
      const { userInfo } = await import('node:os');
      await writeScript(revision, 'who.sh', `id -u > "${instanceRoot}/uid.txt"`);
      const result = await runHookScripts(
        request({ scripts: [{ location: 'who.sh', runas: userInfo().username }] }),
      );
      expect(result.ok).toBe(true);
      expect(readFileSync(join(instanceRoot, 'uid.txt'), 'utf8').trim()).toBe(String(process.getuid!()));
    });

    it('refuses to run as another user when not root', async () => {
      const { revision, request } = await setup();
      await writeScript(revision, 'who.sh', 'exit 0');
      const result = await runHookScripts(
        request({
          scripts: [{ location: 'who.sh', runas: 'deployer' }],
          identity: {
            currentUid: () => 1000,
            currentUserName: () => 'alice',
            lookupUser: async () => ({ uid: 1001, gid: 1001, home: '/home/deployer' }),
          },
        }),
      );
      expect(result.ok).toBe(false);
      expect(result.scripts[0]!.failure).toBe('runas');
      expect(result.error).toContain('runas: deployer needs the runner to be root');
    });

    it('fails like the agent when runas names the current user and their shell is nologin', async () => {
      const { revision, instanceRoot, request } = await setup();
      await writeScript(revision, 'who.sh', `touch "${instanceRoot}/ran"`);
      const result = await runHookScripts(
        request({
          scripts: [{ location: 'who.sh', runas: 'svc' }],
          identity: {
            currentUid: () => 999,
            currentUserName: () => 'svc',
            lookupUser: async () => ({ uid: 999, gid: 999, home: '/srv', shell: '/usr/sbin/nologin' }),
          },
        }),
      );
      expect(result.scripts[0]!.failure).toBe('runas');
      expect(result.error).toMatch(
        /^Script at specified location: who\.sh run as user svc failed with exit code 1 \(/,
      );
      expect(existsSync(join(instanceRoot, 'ran'))).toBe(false);
    });

    it('treats sudo: true as root, refused when the runner is not root', async () => {
      const { revision, request } = await setup();
      await writeScript(revision, 'who.sh', 'exit 0');
      const result = await runHookScripts(
        request({
          scripts: [{ location: 'who.sh', sudo: true }],
          identity: {
            currentUid: () => 1000,
            currentUserName: () => 'alice',
            lookupUser: async () => ({ uid: 0, gid: 0, home: '/root' }),
          },
        }),
      );
      expect(result.error).toContain('runas: root needs the runner to be root');
    });

    it.runIf(process.getuid?.() === 0)(
      'fails like the agent for a runas user whose login shell is nologin',
      async () => {
        const { revision, instanceRoot, request } = await setup();
        await chmod(revision, 0o755);
        await chmod(instanceRoot, 0o777);
        await writeScript(revision, 'who.sh', `id -u > "${instanceRoot}/uid.txt"`);
        const result = await runHookScripts(request({ scripts: [{ location: 'who.sh', runas: 'nobody' }] }));
        expect(result.ok).toBe(false);
        expect(existsSync(join(instanceRoot, 'uid.txt'))).toBe(false);
        expect(result.error).toMatch(
          /^Script at specified location: who\.sh run as user nobody failed with exit code 1 \(nobody's login shell is \/usr\/sbin\/nologin, .*"su nobody -c <script>"/,
        );
        expect(result.scripts[0]!.outputTail).toBe(
          'LifecycleEvent - ApplicationStart\nScript - who.sh\n[stdout]This account is currently not available.\n',
        );
      },
    );

    it.runIf(process.getuid?.() === 0 && loginUser !== undefined)(
      'runs as a runas user with a login shell through su, keeping the environment and cwd',
      async () => {
        const { revision, instanceRoot, request } = await setup();
        await chmod(revision, 0o755);
        await chmod(instanceRoot, 0o777);
        await writeScript(
          revision,
          'who.sh',
          `{ id -un; echo "$USER $HOME"; pwd; echo "$DEPLOYMENT_ID $PORT"; } > "${instanceRoot}/who.txt"`,
        );
        const result = await runHookScripts(
          request({ scripts: [{ location: 'who.sh', runas: loginUser!.name }], env: { PORT: '4321' } }),
        );
        expect(result.ok, result.error).toBe(true);
        expect(readFileSync(join(instanceRoot, 'who.txt'), 'utf8').trim().split('\n')).toEqual([
          loginUser!.name,
          `${loginUser!.name} ${loginUser!.home}`,
          '/',
          'd-TEST00001 4321',
        ]);
      },
    );

    it.runIf(process.getuid?.() === 0)('fails clearly when the runas user does not exist', async () => {
      const { revision, request } = await setup();
      await writeScript(revision, 'who.sh', 'exit 0');
      const result = await runHookScripts(
        request({ scripts: [{ location: 'who.sh', runas: 'no-such-user-x9' }] }),
      );
      expect(result.error).toBe(
        'Script at specified location: who.sh run as user no-such-user-x9 cannot run: runas: user no-such-user-x9 does not exist on this machine',
      );
    });
  });
});
