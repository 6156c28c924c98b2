/**
 * `http` and `command` checks against real servers and processes on loopback: conditions on status and
 * JSON, a non-JSON answer, a server that never answers and a command that hangs (both bounded by the
 * check's timeout and recorded as failed measurements), a command's output kept with its verdict, and a
 * command run in the group file's folder whatever this process's own working folder is.
 */
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type CheckContext, evaluateCheck, measureCheck } from '../../../src/deploy/checks/check.js';
import { commandProvider } from '../../../src/deploy/checks/command.js';
import { httpProvider } from '../../../src/deploy/checks/http.js';
import type { CheckSpec } from '../../../src/documents/deployment-group/checks-schema.js';

const ctx: CheckContext = {
  canaryRevision: 'v2',
  stableRevision: 'v1',
  canarySet: 'canary',
  stableSet: 'stable',
  deploymentId: 'd-1',
};

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function serve(handler: http.RequestListener): Promise<string> {
  const s = http.createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

const httpCheck = (url: string, extra: Partial<CheckSpec> = {}): CheckSpec =>
  ({ name: 'smoke', provider: 'http', url, timeoutSeconds: 1, ...extra }) as CheckSpec;

async function judge(provider: typeof httpProvider, spec: CheckSpec) {
  const started = Date.now();
  const reading = await measureCheck(provider, spec, ctx);
  return { ...evaluateCheck(undefined, reading, spec).verdict, ms: Date.now() - started };
}

describe('http checks', () => {
  it('judges status and a JSON path of the body; POSTs the templated body', async () => {
    let posted = '';
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        posted = `${req.method} ${body}`;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ data: { ok: req.url === '/good', rate: 0.01 } }));
      });
    });
    const cond = 'status == 200 && body.data.ok == true && body.data.rate < 0.05';
    const good = await judge(httpProvider, httpCheck(`${url}/good`, { condition: cond }));
    expect(good).toMatchObject({ result: 'pass', measured: { status: 200 } });
    const bad = await judge(
      httpProvider,
      httpCheck(`${url}/bad`, { condition: cond, method: 'POST', body: '{"revision":"{{canaryRevision}}"}' }),
    );
    expect(bad.result).toBe('fail');
    expect(bad.reasons[0]).toBe(`smoke: ${cond} does not hold (status=200)`);
    expect(posted).toBe('POST {"revision":"v2"}');
  });

  it('a non-JSON answer leaves body unset: a condition on it fails, the text is kept as output', async () => {
    const url = await serve((_req, res) => res.end('<html>maintenance</html>'));
    const v = await judge(httpProvider, httpCheck(url, { condition: 'body.ok == true' }));
    expect(v.result).toBe('fail');
    expect(v.output).toBe('<html>maintenance</html>');
    // The default condition is a 2xx status.
    expect((await judge(httpProvider, httpCheck(url))).result).toBe('pass');
  });

  it('a server that never answers is a failed measurement at the timeout, not a hang', async () => {
    const url = await serve(() => {});
    const v = await judge(httpProvider, httpCheck(url, { noDataPolicy: 'pause' }));
    expect(v).toMatchObject({
      result: 'inconclusive',
      action: 'pause',
      reasons: ['smoke: measurement failed: timed out after 1s'],
    });
    expect(v.ms).toBeGreaterThanOrEqual(950);
    expect(v.ms).toBeLessThan(3000);
  });

  it('a refused connection is a failed measurement with the reason', async () => {
    const url = await serve(() => {});
    const port = new URL(url).port;
    await new Promise((r) => servers.pop()!.close(r));
    const v = await judge(httpProvider, httpCheck(`http://127.0.0.1:${port}/`, { noDataPolicy: 'fail' }));
    expect(v.result).toBe('fail');
    expect(v.reasons[0]).toMatch(/^smoke: measurement failed: fetch failed/);
  });
});

const cmd = (command: string | string[], extra: Partial<CheckSpec> = {}): CheckSpec =>
  ({ name: 'job', provider: 'command', command, timeoutSeconds: 2, ...extra }) as CheckSpec;

describe('command checks', () => {
  it('exit status decides; the output and the revisions reach the verdict', async () => {
    const ok = await judge(
      commandProvider,
      cmd('echo "testing $CONVEYOR_CANARY_REVISION over {{stableRevision}}"'),
    );
    expect(ok).toMatchObject({ result: 'pass', measured: { exitCode: 0 }, output: 'testing v2 over v1\n' });
    const bad = await judge(commandProvider, cmd('echo "3 of 40 smoke tests failed" >&2; exit 3'));
    expect(bad).toMatchObject({
      result: 'fail',
      measured: { exitCode: 3 },
      output: '3 of 40 smoke tests failed\n',
    });
    expect(bad.reasons[0]).toBe('job: exitCode == 0 does not hold (exitCode=3)');
  });

  it('an argv command gets the templates filled in too, each argument on its own (no shell)', async () => {
    const v = await judge(
      commandProvider,
      cmd(['/bin/echo', '--canary={{canaryRevision}}', '{{ stableRevision }}; rm -rf /tmp/x', '{{unknown}}']),
    );
    expect(v).toMatchObject({ result: 'pass', output: '--canary=v2 v1; rm -rf /tmp/x {{unknown}}\n' });
  });

  it('a command that hangs is killed with its children at the timeout and fails as a measurement', async () => {
    const started = Date.now();
    const v = await judge(
      commandProvider,
      cmd('echo started; sleep 30 & sleep 30; wait', { noDataPolicy: 'fail' }),
    );
    expect(v.result).toBe('fail');
    expect(v.reasons[0]).toBe('job: measurement failed: timed out after 2s');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a program that does not exist is a failed measurement that says so', async () => {
    const v = await judge(commandProvider, cmd(['/nonexistent/smoke-test'], { noDataPolicy: 'fail' }));
    expect(v.reasons[0]).toBe(
      'job: measurement failed: cannot run /nonexistent/smoke-test: spawn /nonexistent/smoke-test ENOENT',
    );
  });
});

describe("command checks run in the group file's folder", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** A group folder (not this process's cwd) with `check.sh`, which prints its argument and where it ran. */
  function groupFolder(): string {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'conveyor-check-cwd-')));
    dirs.push(dir);
    writeFileSync(join(dir, 'check.sh'), '#!/bin/sh\necho "$1 in $(pwd -P) with PWD=$PWD"\n');
    chmodSync(join(dir, 'check.sh'), 0o755);
    expect(process.cwd()).not.toBe(dir);
    return dir;
  }
  const inFolder = (configDir: string) => ({ ...ctx, configDir });
  async function judgeIn(configDir: string, spec: CheckSpec) {
    return evaluateCheck(undefined, await measureCheck(commandProvider, spec, inFolder(configDir)), spec)
      .verdict;
  }

  it('./check.sh in the group folder passes, as a shell line and as argv', async () => {
    const dir = groupFolder();
    expect(await judgeIn(dir, cmd('./check.sh shell'))).toMatchObject({
      result: 'pass',
      output: `shell in ${dir} with PWD=${dir}\n`,
    });
    expect(await judgeIn(dir, cmd(['./check.sh', 'argv']))).toMatchObject({
      result: 'pass',
      output: `argv in ${dir} with PWD=${dir}\n`,
    });
    // A path below the folder, without ./, is the folder's too; a bare name still comes from PATH.
    mkdirSync(join(dir, 'scripts'));
    writeFileSync(join(dir, 'scripts', 'smoke.sh'), '#!/bin/sh\necho smoke "$@"\n');
    chmodSync(join(dir, 'scripts', 'smoke.sh'), 0o755);
    expect(await judgeIn(dir, cmd(['scripts/smoke.sh', 'x']))).toMatchObject({
      result: 'pass',
      output: 'smoke x\n',
    });
    expect(await judgeIn(dir, cmd(['sh', '-c', 'pwd -P']))).toMatchObject({
      result: 'pass',
      output: `${dir}\n`,
    });
  });

  it('a script that is not executable, or not there, is a failed measurement that says why', async () => {
    const dir = groupFolder();
    chmodSync(join(dir, 'check.sh'), 0o644);
    const argv = await judgeIn(dir, cmd(['./check.sh'], { noDataPolicy: 'fail' }));
    expect(argv.result).toBe('fail');
    expect(argv.reasons[0]).toBe(
      `job: measurement failed: cannot run ./check.sh: spawn ${dir}/check.sh EACCES (./check.sh is not executable: chmod +x it, or run it through a shell)`,
    );
    // Through a shell, the shell says so: exit 126 and its message.
    const shell = await judgeIn(dir, cmd('./check.sh'));
    expect(shell).toMatchObject({ result: 'fail', measured: { exitCode: 126 } });
    expect(shell.output).toMatch(/check\.sh: Permission denied/);
    const gone = await judgeIn(dir, cmd(['./gone.sh'], { noDataPolicy: 'fail' }));
    expect(gone.reasons[0]).toBe(
      `job: measurement failed: cannot run ./gone.sh: spawn ${dir}/gone.sh ENOENT (relative paths are relative to the group file's folder ${dir})`,
    );
  });

  it('a group folder that is gone is a failed measurement that names it, for both forms', async () => {
    const dir = join(groupFolder(), 'moved-away');
    for (const spec of [
      cmd('./check.sh', { noDataPolicy: 'fail' }),
      cmd(['true'], { noDataPolicy: 'fail' }),
    ]) {
      const v = await judgeIn(dir, spec);
      expect(v.result).toBe('fail');
      expect(v.reasons[0]).toBe(
        `job: measurement failed: cannot run in the group file's folder ${dir}: it is not there (moved or deleted?)`,
      );
    }
  });
});
