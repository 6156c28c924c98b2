/**
 * Deployment checks never keep a secret: a real `sh -c` command that prints a credential from its
 * environment every way a smoke test does (plainly, inside JSON, in an `env` dump, in a `set -x` trace, split
 * across two writes and across stdout/stderr, at the 4 KiB cut), an HTTP endpoint on loopback that echoes
 * the check's own Authorization header or URL token back, URLs with a password in them, a header value that
 * fetch refuses and quotes; then the verdict, the ledger file and `conveyor status` (text and --json) of a
 * whole deployment are searched for the secret. What is deliberately not masked (a transformed value, such
 * as its base64) is listed in docs/gates.md.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/run-cli.js';
import { FakeClock } from '../../../src/core/clock.js';
import {
  type CheckContext,
  type CheckProvider,
  evaluateCheck,
  measureCheck,
} from '../../../src/deploy/checks/check.js';
import { commandProvider } from '../../../src/deploy/checks/command.js';
import { httpProvider } from '../../../src/deploy/checks/http.js';
import { prometheusProvider } from '../../../src/deploy/checks/prometheus.js';
import { type CheckProviders, defaultCheckProviders } from '../../../src/deploy/checks/providers.js';
import { Ledger } from '../../../src/deploy/ledger.js';
import { createDeployment, Runner } from '../../../src/deploy/runner.js';
import { reduce } from '../../../src/deploy/state.js';
import { planDeployment } from '../../../src/deploy/strategies/plan.js';
import { Strategies, type Strategy } from '../../../src/deploy/strategies/strategy.js';
import type { CheckSpec } from '../../../src/documents/deployment-group/checks-schema.js';
import { FakeProvider } from '../../unit/deploy/fake-provider.js';

/** A credential in the check process's environment (its name says TOKEN). */
const SECRET = 'tok-7Hq2vX9pL4mZ8wR3';
/** An API key carried only by an http check's own Authorization header. */
const HEADER_KEY = 'hk-Zp4Tq8Lm2Vx6Rb9N';
/** A password carried only in a URL's userinfo. */
const URL_PASSWORD = 'pw-Kd83jQmv27Xa';
/** A password inside a connection URL whose variable name says nothing about secrets. */
const DB_PASSWORD = 'db-Wq5Lr9Tz3Mn';

const ctx: CheckContext = {
  canaryRevision: 'v2',
  stableRevision: 'v1',
  canarySet: 'canary',
  stableSet: 'stable',
  deploymentId: 'd-1',
};

const saved = new Map<string, string | undefined>();
function setEnv(name: string, value: string): void {
  if (!saved.has(name)) saved.set(name, process.env[name]);
  process.env[name] = value;
}
beforeEach(() => {
  setEnv('CONVEYOR_LEAK_API_TOKEN', SECRET);
  setEnv('CONVEYOR_LEAK_DB_URL', `postgres://app:${DB_PASSWORD}@db.internal:5432/app`);
  // Short and not secret: masking "true" would mangle every output.
  setEnv('CONVEYOR_LEAK_AUTH_ENABLED', 'true');
});

const servers: http.Server[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  saved.clear();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function serve(handler: http.RequestListener): Promise<{ url: string; port: number }> {
  const s = http.createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port };
}

async function judge(provider: CheckProvider, spec: CheckSpec) {
  const reading = await measureCheck(provider, spec, ctx);
  return evaluateCheck(undefined, reading, spec).verdict;
}

/** Every secret of these tests, and the 6-character ends of each (what a cut through one would leave). */
function expectNoSecret(text: string): void {
  for (const s of [SECRET, HEADER_KEY, URL_PASSWORD, DB_PASSWORD]) {
    expect(text).not.toContain(s);
    expect(text).not.toContain(s.slice(0, 6));
    expect(text).not.toContain(s.slice(-6));
  }
}

const cmd = (command: string, extra: Partial<CheckSpec> = {}): CheckSpec =>
  ({ name: 'smoke', provider: 'command', command, timeoutSeconds: 5, ...extra }) as CheckSpec;

describe('command checks keep no secret of their environment', () => {
  it.each([
    ['printed plainly', 'echo "token is $CONVEYOR_LEAK_API_TOKEN"'],
    ['inside JSON', `printf '{"auth":{"token":"%s"}}\\n' "$CONVEYOR_LEAK_API_TOKEN"`],
    ['in an env dump', 'env | sort'],
    [
      'in a set -x trace on stderr',
      'set -x; : curl -H "Authorization: Bearer $CONVEYOR_LEAK_API_TOKEN" https://x',
    ],
    ['as a connection URL', 'echo "connecting to $CONVEYOR_LEAK_DB_URL"'],
    ['with exit status 3', 'echo "$CONVEYOR_LEAK_API_TOKEN rejected" >&2; exit 3'],
  ])('%s', async (_how, line) => {
    const v = await judge(commandProvider, cmd(line));
    expect(v.output).toContain('***');
    expectNoSecret(JSON.stringify(v));
  });

  it('split across two writes with a delay, and across stdout and stderr', async () => {
    const first10 = `printf '%.10s' "$CONVEYOR_LEAK_API_TOKEN"`;
    const rest = `printf '%s\\n' "\${CONVEYOR_LEAK_API_TOKEN#??????????}"`;
    const v = await judge(
      commandProvider,
      cmd(`${first10}; sleep 0.3; ${rest}; ${first10}; sleep 0.3; ${rest} >&2`),
    );
    expect(v.output).toBe('***\n***\n');
    expectNoSecret(JSON.stringify(v));
  });

  it('more than 4 KiB of output with the secret where the 4 KiB cut falls', async () => {
    // The secret, then 4090 characters: the last 4096 characters begin inside the secret.
    const v = await judge(
      commandProvider,
      cmd(`printf '%s' "$CONVEYOR_LEAK_API_TOKEN"; head -c 4090 /dev/zero | tr '\\0' x`),
    );
    expect(v.output?.endsWith('x'.repeat(4090))).toBe(true);
    expect(v.output!.length).toBeLessThanOrEqual(4096);
    expectNoSecret(JSON.stringify(v));
  });

  it('more than 4 KiB arriving in many writes, the secret straddling a write at the cut', async () => {
    const v = await judge(
      commandProvider,
      cmd(
        `head -c 5000 /dev/zero | tr '\\0' y; printf '%.8s' "$CONVEYOR_LEAK_API_TOKEN"; sleep 0.2; ` +
          `printf '%s' "\${CONVEYOR_LEAK_API_TOKEN#????????}"; head -c 4085 /dev/zero | tr '\\0' x`,
      ),
    );
    expectNoSecret(JSON.stringify(v));
  });

  it('leaves short values alone: "true" is not a secret', async () => {
    const v = await judge(commandProvider, cmd('echo "auth enabled: $CONVEYOR_LEAK_AUTH_ENABLED"'));
    expect(v.output).toBe('auth enabled: true\n');
  });
});

/**
 * A password no variable names, known only by its `scheme://user:password@` shape, in a URL the check prints
 * itself: masked before the 4 KiB cut, wherever the cut or a write boundary falls in the URL.
 */
const PRINTED_PASSWORD = 'hunter2-Vb7Yq4Ns';
const PRINTED_URL = `postgres://dbuser:${PRINTED_PASSWORD}@db.example.com/app`;
const AT = PRINTED_URL.indexOf('@');
const KEEP = 4096;

/** No 4 characters in a row of the printed password (what a cut through it would leave). */
function expectNoPieceOfPrintedPassword(text: string): void {
  for (let i = 0; i + 4 <= PRINTED_PASSWORD.length; i++)
    expect(text).not.toContain(PRINTED_PASSWORD.slice(i, i + 4));
}

/** `n` times `char`, printed by the shell. */
const fill = (n: number, char: string) => `head -c ${n} /dev/zero | tr '\\0' ${char}`;

/**
 * A command printing filler, `connecting to URL`, then as many x as puts the start of the last 4 KiB of the
 * unmasked output at `cutAt` in the URL; the URL written in two parts (a pause between) when `splitAt` is given.
 * Returns the command and what the check should keep: the last 4 KiB of the output with the password masked.
 */
function urlAtTheCut(cutAt: number, splitAt?: number): { line: string; expected: string } {
  const tail = KEEP - (PRINTED_URL.length - cutAt) - 1;
  const parts =
    splitAt === undefined ? [PRINTED_URL] : [PRINTED_URL.slice(0, splitAt), PRINTED_URL.slice(splitAt)];
  const line = [
    fill(300, 'f'),
    `printf '\\nconnecting to %s' '${parts[0]}'`,
    ...(parts.length > 1 ? ['sleep 0.2', `printf '%s' '${parts[1]}'`] : []),
    'echo',
    fill(tail, 'x'),
  ].join('; ');
  const printed = `${'f'.repeat(300)}\nconnecting to ${PRINTED_URL}\n${'x'.repeat(tail)}`;
  return { line, expected: printed.replace(PRINTED_PASSWORD, '***').slice(-KEEP) };
}

describe('command checks keep no URL password, wherever the 4 KiB cut falls in the URL', () => {
  it.each([
    ['in the scheme', 3],
    ['in the //', 'postgres:/'.length],
    ['right after the //', 'postgres://'.length],
    ['in the user', 'postgres://db'.length],
    ['at the colon before the password', 'postgres://dbuser'.length],
    ['in the password', 'postgres://dbuser:hunt'.length],
    ['4 characters before the @', AT - 4],
    ['right before the @', AT - 1],
  ])('the cut %s', async (_where, cutAt) => {
    const { line, expected } = urlAtTheCut(cutAt);
    const v = await judge(commandProvider, cmd(line));
    expectNoPieceOfPrintedPassword(JSON.stringify(v));
    expect(v.output).toBe(expected);
  });

  it.each([
    ['in the scheme', 4],
    ['in the ://', 'postgres:'.length],
    ['in the user', 'postgres://dbu'.length],
    ['at the colon', 'postgres://dbuser:'.length],
    ['in the password', 'postgres://dbuser:hunter2'.length],
    ['right before the @', AT],
  ])('the URL split across two writes %s, the cut in its user', async (_where, splitAt) => {
    const { line, expected } = urlAtTheCut('postgres://dbus'.length, splitAt);
    const v = await judge(commandProvider, cmd(line));
    expectNoPieceOfPrintedPassword(JSON.stringify(v));
    expect(v.output).toBe(expected);
  });

  it('a short output with the URL split across two writes keeps the URL, its password masked', async () => {
    const v = await judge(
      commandProvider,
      cmd(`printf 'to postgres://dbuser:hunt'; sleep 0.2; printf 'er2-Vb7Yq4Ns@db.example.com/app\\n'`),
    );
    expect(v.output).toBe('to postgres://dbuser:***@db.example.com/app\n');
  });

  it('a port is no password: http://host:8080/ is kept as it is', async () => {
    const v = await judge(
      commandProvider,
      cmd(`printf 'GET http://api.internal:8'; sleep 0.2; echo '080/health 200'`),
    );
    expect(v.output).toBe('GET http://api.internal:8080/health 200\n');
  });
});

const httpCheck = (url: string, extra: Partial<CheckSpec> = {}): CheckSpec =>
  ({ name: 'api', provider: 'http', url, timeoutSeconds: 2, ...extra }) as CheckSpec;

/** A server that answers with what the request carried: its URL and headers. */
function echoServer(status = 200) {
  return serve((req, res) => {
    res.statusCode = status;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ url: req.url, headers: req.headers }));
  });
}

describe('http checks keep none of their own credentials', () => {
  it('an Authorization header echoed back in a passing answer', async () => {
    const { url } = await echoServer();
    const v = await judge(
      httpProvider,
      httpCheck(url, { headers: { Authorization: `Bearer ${HEADER_KEY}` } }),
    );
    expect(v.result).toBe('pass');
    expect(v.output).toContain('***');
    expectNoSecret(JSON.stringify(v));
  });

  it('an API key header echoed back in a failing answer', async () => {
    const { url } = await echoServer(401);
    const v = await judge(httpProvider, httpCheck(url, { headers: { 'X-Api-Key': HEADER_KEY } }));
    expect(v.result).toBe('fail');
    expectNoSecret(JSON.stringify(v));
  });

  it('a Basic credential: neither the header nor its decoded password', async () => {
    const { url } = await serve((req, res) => {
      const b64 = (req.headers.authorization ?? '').replace(/^Basic /, '');
      const [user, password] = Buffer.from(b64, 'base64').toString('utf8').split(':');
      res.end(`you are ${user}:${password}; user ${user}, password ${password}`);
    });
    const basic = Buffer.from(`deployer:${URL_PASSWORD}`).toString('base64');
    const v = await judge(httpProvider, httpCheck(url, { headers: { Authorization: `Basic ${basic}` } }));
    expect(v.output).toBe('you are ***; user deployer, password ***');
    expectNoSecret(JSON.stringify(v));
  });

  it('a token in the query string echoed back', async () => {
    const { url } = await echoServer();
    const v = await judge(httpProvider, httpCheck(`${url}/health?access_token=${HEADER_KEY}&verbose=1`));
    expect(v.output).toContain('verbose=1');
    expectNoSecret(JSON.stringify(v));
  });

  it('a long answer cut at 2000 characters with the header value at the cut', async () => {
    // Cut first, the answer would keep the key's first 7 characters.
    const { url } = await serve((req, res) => res.end(`${'z'.repeat(1993)}${req.headers.authorization}`));
    const v = await judge(httpProvider, httpCheck(url, { headers: { Authorization: HEADER_KEY } }));
    expectNoSecret(JSON.stringify(v));
  });

  it('a long answer cut at 2000 characters inside the password of a URL it prints', async () => {
    // Cut first, the answer would end `postgres://dbuser:hunter2-Vb7…`: no `@` left to know it for a password.
    const { url } = await serve((_req, res) => res.end(`${'z'.repeat(1970)} ${PRINTED_URL}`));
    const v = await judge(httpProvider, httpCheck(url));
    expect(v.output).toBe(`${'z'.repeat(1970)} postgres://dbuser:***@db.exam…`);
    expectNoPieceOfPrintedPassword(JSON.stringify(v));
  });

  it('a password in the URL, quoted by fetch in its error', async () => {
    const { port } = await echoServer();
    const v = await judge(
      httpProvider,
      httpCheck(`http://deployer:${URL_PASSWORD}@127.0.0.1:${port}/`, { noDataPolicy: 'fail' }),
    );
    expect(v.result).toBe('fail');
    expect(v.reasons[0]).toContain('deployer:***@127.0.0.1');
    expectNoSecret(JSON.stringify(v));
  });

  it('a header value fetch refuses, quoted in its error', async () => {
    const { url } = await echoServer();
    const v = await judge(
      httpProvider,
      httpCheck(url, {
        headers: { Authorization: `Bearer ${HEADER_KEY}\r\nX-Injected: 1` },
        noDataPolicy: 'fail',
      }),
    );
    expect(v.reasons[0]).toContain('invalid header value');
    expectNoSecret(JSON.stringify(v));
  });
});

describe('other providers', () => {
  it('a prometheus address with a password, quoted by fetch', async () => {
    const { port } = await echoServer();
    const spec = {
      name: 'rate',
      provider: 'prometheus',
      address: `http://reader:${URL_PASSWORD}@127.0.0.1:${port}`,
      query: 'up',
      noDataPolicy: 'fail',
    } as CheckSpec;
    const v = await judge(prometheusProvider, spec);
    expect(v.result).toBe('fail');
    expectNoSecret(JSON.stringify(v));
  });

  it('a prometheus answer that is not JSON, cut at 120 characters inside the password of a URL in it', async () => {
    const { url } = await serve((_req, res) => res.end(`${'z'.repeat(90)} ${PRINTED_URL}`));
    const spec = {
      name: 'rate',
      provider: 'prometheus',
      address: url,
      query: 'up',
      noDataPolicy: 'fail',
    } as CheckSpec;
    const v = await judge(prometheusProvider, spec);
    expect(v.reasons[0]).toMatch(/not JSON: z{90} postgres:\/\/dbuser:\*\*\*@db\.exam$/);
    expectNoPieceOfPrintedPassword(JSON.stringify(v));
  });

  it('an error text of any provider carrying a credential of the environment', async () => {
    const leaky: CheckProvider = {
      measure: async () => {
        throw new Error(`signature mismatch: request signed with ${SECRET}`);
      },
    };
    const spec = { name: 'alarm', provider: 'cloudwatch', alarmName: 'a', noDataPolicy: 'fail' } as CheckSpec;
    const v = await judge(leaky, spec);
    expect(v.reasons[0]).toBe('alarm: measurement failed: signature mismatch: request signed with ***');
  });
});

describe('a deployment whose checks print secrets', () => {
  it('keeps them out of the ledger file and `conveyor status` (text and --json)', async () => {
    const { url, port } = await echoServer();
    const dir = mkdtempSync(join(tmpdir(), 'conveyor-leaks-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'group.yml'), 'application: hello\ndeploymentGroup: dev\n');
    const groupDir = join(dir, '.conveyor', 'groups', 'hello', 'dev');
    mkdirSync(groupDir, { recursive: true });
    const ledgerPath = join(groupDir, 'ledger.ndjson');
    const ledger = new Ledger(ledgerPath);
    const clock = new FakeClock(1_000_000);
    // Long timeouts: fake time runs fast here, the checks' processes and sockets in real time.
    const at = ['pre-rollout' as const];
    const checks: CheckSpec[] = [
      httpCheck(url, {
        name: 'echo',
        at,
        timeoutSeconds: 600,
        headers: { Authorization: `Bearer ${HEADER_KEY}` },
      }),
      cmd('set -x; echo "$CONVEYOR_LEAK_API_TOKEN"; env', { name: 'smoke', at, timeoutSeconds: 600 }),
      httpCheck(`http://deployer:${URL_PASSWORD}@127.0.0.1:${port}/`, {
        name: 'userinfo',
        at,
        timeoutSeconds: 600,
      }),
    ];
    const group = {
      application: 'hello',
      deploymentGroup: 'dev',
      local: { instances: 2 },
      analysis: { intervalSeconds: 1, maxErrorRate: 0.05, minRequests: 10, checks },
    };
    const checkProviders: CheckProviders = defaultCheckProviders;
    const provider = new FakeProvider(clock);
    async function deploy(label: string, strategy: Strategy) {
      const state = reduce(ledger.read().events);
      const current = state.fleet
        ? { slot: state.fleet.slot, revision: state.fleet.revision.label }
        : undefined;
      const id = createDeployment(ledger, clock, {
        revision: { label, dir: `/revisions/${label}` },
        plan: planDeployment(2, current, strategy),
        options: { creator: 'user', ignoreApplicationStopFailures: false, skipAnalysis: false },
        ...(state.fleet ? { previous: { slot: state.fleet.slot, revision: state.fleet.revision } } : {}),
      });
      const runner = new Runner(
        { ledger, provider, clock, group, configDir: dir, checkProviders, pid: 1 },
        id,
      );
      let settled = false;
      const done = runner.run().finally(() => (settled = true));
      for (let t = 0; t < 300_000 && !settled; t += 100) {
        await clock.advance(100);
        await new Promise((r) => setTimeout(r, 2));
      }
      return done;
    }
    expect((await deploy('v1', Strategies.allAtOnce())).status).toBe('Succeeded');
    // The pre-rollout checks run before the canary takes traffic: the third fails the deployment.
    expect((await deploy('v2', Strategies.canary(50, 60))).status).toBe('RolledBack');

    const onDisk = readFileSync(ledgerPath, 'utf8');
    // The checks did run and kept their evidence: masked.
    expect(onDisk).toContain('"check":"smoke"');
    expect(onDisk).toContain('***');
    expectNoSecret(onDisk);

    for (const args of [['status'], ['status', '--json']]) {
      let out = '';
      let err = '';
      await runCli([...args, '--config', 'group.yml'], {
        cwd: dir,
        stdout: { write: (s: string) => (out += s) },
        stderr: { write: (s: string) => (err += s) },
      });
      expect(out).toContain('userinfo');
      expectNoSecret(out + err);
    }
  });
});
