/**
 * Bad input as a user hits it, for every command: missing or invalid flags, paths that do not exist,
 * empty, binary and oversized files, folders without documents. Each case must end with a clear
 * message and exit 1 or 2 — never a stack trace or an "internal error".
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cliEntry = join(repoRoot, 'dist/cli/main.js');

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'conveyor-bad-input-'));
  const write = (path: string, data: string | Buffer) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), data);
  };
  write('buildspec.yml', 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n');
  write('empty.yml', '');
  write('binary.yml', Buffer.from([0x76, 0x3a, 0x00, 0xff, 0xfe, 0x00, 0x01, 0x89, 0x50, 0x4e, 0x47]));
  // Past the 2 MB the readers accept for a definition file.
  write(
    'huge.yml',
    `version: 0.2\nphases:\n  build:\n    commands:\n${'      - echo line\n'.repeat(150_000)}`,
  );
  // Far past the limit: readers must refuse it before parsing (a full YAML parse of this takes many seconds).
  write(
    'huger.yml',
    `version: 0.2\nphases:\n  build:\n    commands:\n${'      - echo line\n'.repeat(500_000)}`,
  );
  write('.conveyor/runs/b-damaged/run.json', '{"id": "b-damaged", "status": ');
  write('bad.yml', 'not: [valid\n');
  write('bad.json', '{"x":');
  write('nodocs/readme.txt', 'no definitions here\n');
  mkdirSync(join(root, 'emptydir'));
  write('pj/p.json', '{"pipeline":{"name":"p"}}');
  write('group.yml', 'application: hello\ndeploymentGroup: dev\nprovider: local\nlocal:\n  instances: 1\n');
  write('partial-group.yml', 'application: x\n');
  cpSync(join(repoRoot, 'examples/hello-web/v1'), join(root, 'rev'), { recursive: true });
  // Nesting far past what the YAML parser can recurse into, as `run`, `build` and `import` read it.
  write('deep.yml', `pipeline:\n  name: p\n  stages: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`);
  write('deep.json', `{"pipeline":{"name":"p","stages":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`);
  // Latin-1, not UTF-8: read as UTF-8 the é silently became U+FFFD.
  write(
    'latin1.yml',
    Buffer.from('version: 0.2\nphases:\n  build:\n    commands:\n      - echo caf\xe9\n', 'latin1'),
  );
  write(
    'latin1-group.yml',
    Buffer.from('application: hello\ndeploymentGroup: dev\nprovider: local\n# caf\xe9\n', 'latin1'),
  );
  // A named pipe where a file is expected: opening it for reading would wait for a writer forever.
  execFileSync('mkfifo', [join(root, 'fifo.yml')]);
  write(
    'slow/buildspec.yml',
    'version: 0.2\nphases:\n  build:\n    commands:\n      - echo started\n      - sleep 27.25\n',
  );
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

/** No AWS setup from the machine: region and credentials come only from what a case passes. */
const isolatedEnv = (): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: root,
  AWS_CONFIG_FILE: join(root, 'no-aws-config'),
  AWS_SHARED_CREDENTIALS_FILE: join(root, 'no-aws-credentials'),
  AWS_EC2_METADATA_DISABLED: 'true',
});

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    cwd: root,
    env: { ...isolatedEnv(), ...env },
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

type Case = [args: string, exit: 1 | 2, message: RegExp];

const cases: Case[] = [
  ['bogus', 2, /unknown command 'bogus'/],
  // validate
  ['validate --bogus', 2, /unknown option|--bogus/],
  ['validate --kind', 2, /--kind/],
  ['validate --kind nope buildspec.yml', 2, /unknown kind 'nope'/],
  ['validate missing.yml', 2, /path does not exist: missing\.yml/],
  ['validate emptydir', 2, /no buildspec, appspec, pipeline or deployment-group documents found in emptydir/],
  ['validate nodocs', 2, /documents found in nodocs/],
  ['validate empty.yml', 1, /empty\.yml:1:1 error source\/empty/],
  ['validate binary.yml', 1, /binary\.yml:\d+:\d+ error source\/binary/],
  ['validate huge.yml', 1, /huge\.yml:1:1 error source\/too-large/],
  ['validate bad.yml', 1, /bad\.yml:\d+:\d+ error source\/yaml-syntax/],
  ['validate bad.json', 1, /bad\.json:\d+:\d+ error/],
  ['validate --revision missing buildspec.yml', 2, /revision folder missing does not exist/],
  ['validate --json missing.yml', 2, /path does not exist/],
  // synth / import
  ['synth', 2, /no definition sources found/],
  ['synth --json', 2, /no definition sources found/],
  ['synth extra', 2, /unexpected argument 'extra'/],
  ['synth --out', 2, /--out/],
  ['import', 2, /missing FILE/],
  ['import missing.json', 2, /missing\.json does not exist/],
  ['import emptydir', 2, /emptydir is a folder/],
  ['import empty.yml', 1, /empty\.yml/],
  ['import binary.yml', 1, /binary\.yml/],
  ['import bad.json', 1, /bad\.json:1:\d+: not valid YAML\/JSON/],
  ['import --json bad.json', 1, /bad\.json/],
  // build / run / hooks / runs
  ['build --bogus', 2, /unknown option '--bogus'/],
  ['build --buildspec missing.yml', 2, /buildspec not found: missing\.yml/],
  ['build --json --buildspec missing.yml', 2, /buildspec not found/],
  ['build --buildspec empty.yml', 1, /source\/empty/],
  ['build --buildspec binary.yml', 1, /source\/binary/],
  ['build --buildspec huge.yml', 1, /huge\.yml:1:1 error source\/too-large/],
  ['build --buildspec huger.yml', 1, /huger\.yml:1:1 error source\/too-large/],
  ['build --buildspec bad.yml', 1, /source\/yaml-syntax/],
  ['build --buildspec buildspec.yml --src missing', 2, /source folder not found: missing/],
  ['build --buildspec buildspec.yml --env NOEQUALS', 2, /--env 'NOEQUALS' must be NAME=VALUE/],
  ['build --remote', 2, /--remote/],
  ['run', 2, /give one pipeline/],
  ['run missing', 2, /pipeline 'missing' not found/],
  ['run --json missing', 2, /pipeline 'missing' not found/],
  ['run approve', 2, /approve takes PIPELINE STAGE ACTION/],
  ['run empty.yml', 1, /empty\.yml:1:1 error source\/empty/],
  ['run binary.yml', 1, /binary\.yml:\d+:\d+ error source\/binary/],
  ['run huge.yml', 1, /huge\.yml:1:1 error source\/too-large/],
  ['run huger.yml', 1, /huger\.yml:1:1 error source\/too-large/],
  ['validate deep.yml', 1, /deep\.yml:3:139 error source\/too-deep nesting is deeper than 128 levels/],
  ['run deep.yml', 1, /deep\.yml:3:139 error source\/too-deep nesting is deeper than 128 levels/],
  ['run deep.json', 1, /deep\.json:1:1 error source\/too-deep nesting is deeper than 128 levels/],
  ['build --buildspec deep.yml', 1, /deep\.yml:3:139 error source\/too-deep/],
  ['import deep.yml', 1, /deep\.yml:3:139: nesting is deeper than 128 levels/],
  [
    'validate latin1.yml',
    1,
    /latin1\.yml:5:17 error source\/not-utf8 file is not UTF-8 text: the byte at line 5, column 17/,
  ],
  ['build --buildspec latin1.yml', 1, /latin1\.yml:5:17 error source\/not-utf8/],
  ['run latin1.yml', 1, /latin1\.yml:5:17 error source\/not-utf8/],
  [
    'deploy --config latin1-group.yml --revision rev',
    2,
    /latin1-group\.yml is not UTF-8 text: the byte at line 4, column 6/,
  ],
  ['hooks', 2, /missing subcommand/],
  ['hooks bogus', 2, /unknown subcommand 'bogus'/],
  ['hooks install', 2, /--bare-repo DIR|--pre-push/],
  ['hooks install --bare-repo missing', 2, /not a bare git repository/],
  ['hooks install --pre-push --repo missing', 2, /is not a git repository/],
  ['runs --limit abc', 2, /--limit 'abc' is not a positive number/],
  ['runs show', 2, /runs show takes one run id/],
  ['runs show nope --json', 2, /no run 'nope'/],
  [
    'runs show b-damaged',
    1,
    /record of run 'b-damaged' is unreadable: \.conveyor\/runs\/b-damaged\/run\.json: not valid JSON/,
  ],
  ['runs show b-damaged --json', 1, /record of run 'b-damaged' is unreadable/],
  // deploy family
  ['deploy', 2, /--config FILE is required/],
  ['deploy --config missing.yml --revision rev', 2, /deployment group file missing\.yml does not exist/],
  ['deploy --config group.yml', 2, /--revision DIR is required/],
  ['deploy --config group.yml --revision missing', 2, /revision missing is not a folder/],
  ['deploy --config group.yml --revision emptydir --dry-run', 2, /has no appspec\.yml/],
  ['deploy --config group.yml --revision rev --strategy nope --dry-run', 2, /unknown strategy 'nope'/],
  ['deploy --config empty.yml --revision rev', 2, /source\/empty/],
  ['deploy --config binary.yml --revision rev', 2, /source\/binary/],
  ['deploy --config huge.yml --revision rev', 2, /too-large/],
  ['deploy --config emptydir --revision rev', 2, /deployment group file emptydir is a folder/],
  ['deploy --config partial-group.yml --revision rev', 2, /missing required key `deploymentGroup`/],
  ['deploy --config group.yml --revision rev --resume', 2, /no unfinished deployment/],
  ['status', 2, /--config FILE is required/],
  ['status --config missing.yml --json', 2, /deployment group file missing\.yml does not exist/],
  ['status --config group.yml --json', 2, /no deployments in this group yet/],
  ['status nope --config group.yml', 2, /no deployment nope/],
  ['promote --config group.yml --json', 2, /no deployment in this group yet/],
  ['abort --config group.yml --json', 2, /no deployment in this group yet/],
  ['rollback --config group.yml --json', 2, /no earlier successful revision/],
  ['history', 2, /--config FILE is required/],
  ['history --config binary.yml --json', 2, /source\/binary/],
  ['down', 2, /--config FILE is required/],
  ['down --config partial-group.yml', 2, /deploymentGroup/],
  // AWS commands, without AWS setup
  ['plan', 2, /no pipeline folder at conveyor\.out\/pipelines/],
  ['plan --json', 2, /no pipeline folder/],
  ['plan missing.json', 2, /missing\.json: no such file/],
  ['plan empty.yml', 2, /empty\.yml: not readable JSON/],
  ['plan binary.yml', 2, /binary\.yml: not readable JSON/],
  ['plan --dir emptydir', 2, /no pipeline declarations found/],
  ['plan --dir missing', 2, /no pipeline folder at missing/],
  ['plan pj/p.json --json', 2, /not a pipeline declaration/],
  ['apply', 2, /no pipeline folder/],
  ['apply missing.json', 2, /no such file/],
  ['apply pj/p.json --json', 2, /not a pipeline declaration/],
  ['pipeline', 2, /needs a subcommand/],
  ['pipeline bogus', 2, /unknown pipeline subcommand 'bogus'/],
  ['pipeline start', 2, /needs NAME/],
  ['pipeline start nope', 2, /no AWS region configured/],
  ['pipeline start nope --region us-east-1 --json', 2, /no AWS credentials found/],
  ['pipeline watch nope', 2, /needs NAME EXECUTION_ID/],
  ['pipeline approve nope', 2, /needs NAME STAGE ACTION/],
  ['pipeline start nope --variable NOEQ', 2, /--variable 'NOEQ' must look like NAME=VALUE/],
];

const STACK_LINE = /^\s+at /m;

describe('every command given bad input', () => {
  it.each(cases)('conveyor %s → exit %i with a clear message', async (args, exit, message) => {
    const started = Date.now();
    const r = await cli(args.split(' '));
    const output = `${r.stdout}${r.stderr}`;
    expect(output).toMatch(message);
    // An oversized file is refused before parsing: seconds of YAML parsing would show here.
    if (/too-large/.test(String(message))) expect(Date.now() - started).toBeLessThan(5_000);
    expect(output).not.toMatch(STACK_LINE);
    expect(output).not.toMatch(/internal error|\[object Object\]|undefined/i);
    expect(r.code).toBe(exit);
  });
});

describe('state-reporting commands print JSON with --json on empty state', () => {
  it.each([
    ['history --config group.yml --json', []],
    ['run approvals --json', []],
    ['down --config group.yml --json', { stopped: [] }],
  ] as const)('conveyor %s', async (args, expected) => {
    const r = await cli(args.split(' '));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(expected);
  });

  it('runs --json lists the runs the failed builds above recorded', async () => {
    await cli(['build', '--buildspec', 'empty.yml']);
    const r = await cli(['runs', '--json']);
    expect(r.code).toBe(0);
    const runs = JSON.parse(r.stdout) as { id: string; status: string }[];
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.every((run) => typeof run.id === 'string' && typeof run.status === 'string')).toBe(true);
  });

  it('validate --json reports problems as JSON and exits 1', async () => {
    const r = await cli(['validate', '--json', 'binary.yml', 'empty.yml']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.summary).toMatchObject({ files: 2, valid: false });
    expect(out.diagnostics.map((d: { ruleId: string }) => d.ruleId).sort()).toEqual([
      'source/binary',
      'source/empty',
    ]);
  });
});

/** The real binary (a blocked read would block a test worker too), killed if it has not ended in `ms`. */
function runBinary(
  args: string[],
  ms: number,
): Promise<{ code: number | null; output: string; timedOut: boolean }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [cliEntry, ...args], {
      cwd: root,
      env: isolatedEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, output, timedOut });
    });
  });
}

describe('a FIFO given where a file is expected is refused, not read', () => {
  it.each([
    ['validate fifo.yml', 1],
    ['build --buildspec fifo.yml', 1],
    ['deploy --config fifo.yml --revision rev', 2],
    ['run fifo.yml', 1],
    ['import fifo.yml', 2],
  ] as const)(
    'conveyor %s → exit %i at once, naming the FIFO',
    async (args, exit) => {
      const r = await runBinary(args.split(' '), 15_000);
      expect(r.timedOut).toBe(false);
      expect(r.output).toMatch(/fifo\.yml is a FIFO \(named pipe\), not a regular file/);
      expect(r.output).not.toMatch(STACK_LINE);
      expect(r.output).not.toMatch(/internal error/);
      expect(r.code).toBe(exit);
    },
    20_000,
  );
});

describe('a closed stdout', () => {
  it.each([['--help'], ['validate', 'binary.yml', 'empty.yml'], ['history', '--config', 'group.yml']])(
    'conveyor %s | (reader gone) ends quietly with 141, as SIGPIPE ends a Unix tool',
    async (...args: string[]) => {
      const child = spawn(process.execPath, [cliEntry, ...args], {
        cwd: root,
        env: isolatedEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      // The reader leaves before the command writes (`| head -0`): every write to stdout meets EPIPE.
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
      clearTimeout(timer);
      expect(stderr).not.toMatch(/EPIPE|Unhandled|internal error/);
      expect(stderr).not.toMatch(STACK_LINE);
      expect(code).toBe(141);
    },
    20_000,
  );
});

describe('Ctrl-C', () => {
  it('stops a local build: the phase is STOPPED, its commands are killed, exit 1, no stack', async () => {
    const child = spawn(
      process.execPath,
      [cliEntry, 'build', '--buildspec', 'slow/buildspec.yml', '--src', 'slow'],
      {
        cwd: root,
        env: isolatedEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    try {
      await new Promise<void>((ready, fail) => {
        const timer = setTimeout(() => fail(new Error(`build did not start: ${stdout}${stderr}`)), 15_000);
        child.stdout.on('data', (b: Buffer) => {
          stdout += b.toString();
          if (stdout.includes('started')) {
            clearTimeout(timer);
            ready();
          }
        });
      });
      child.kill('SIGINT');
      const code = await Promise.race([
        exited,
        new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000)),
      ]);
      expect(code).toBe(1);
      expect(stdout).toMatch(/STOPPED/);
      expect(`${stdout}${stderr}`).not.toMatch(STACK_LINE);
      const left = spawnSync('pgrep', ['-f', 'sleep 27.25'], { encoding: 'utf8' });
      expect(left.stdout.trim()).toBe('');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 30_000);
});
