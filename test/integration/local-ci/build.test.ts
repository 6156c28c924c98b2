import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { processAlive } from '../../../src/core/process.js';
import type { RunRecord } from '../../../src/local-ci/run-store.js';
import { cli, gitInit, lastEvent, tempDir, write } from './helpers.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

function project(buildspec: string, files: Record<string, string> = {}): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  write(t.dir, 'buildspec.yml', buildspec);
  for (const [name, text] of Object.entries(files)) write(t.dir, name, text);
  return t.dir;
}

async function build(
  dir: string,
  ...args: string[]
): Promise<{ code: number; record: RunRecord; stdout: string; stderr: string }> {
  const r = await cli(['build', '--json', ...args], dir);
  const event = lastEvent(r.stdout) as { type: string; record: RunRecord };
  expect(event.type).toBe('build-end');
  return { code: r.code, record: event.record, stdout: r.stdout, stderr: r.stderr };
}

const phase = (record: RunRecord, name: string) => record.phases!.find((p) => p.name === name)!;

function zipEntries(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const names: string[] = [];
      zip.on('entry', (e: { fileName: string }) => {
        names.push(e.fileName);
        zip.readEntry();
      });
      zip.on('end', () => resolve(names.sort()));
      zip.readEntry();
    });
  });
}

describe('conveyor build: one shell session, CodeBuild variables', () => {
  it('carries variables and the working directory across commands and phases, exports variables', async () => {
    const dir = project(`version: 0.2
env:
  variables:
    GREETING: hello
  exported-variables: [VERSION, UNSET_ONE]
phases:
  install:
    commands:
      - export VERSION=1.2.3
      - mkdir -p sub && cd sub
  build:
    commands:
      - echo "$GREETING $VERSION" > here.txt
      - env | grep -E '^(CODEBUILD_|AWS_REGION)' | sort > ../vars.txt
`);
    const commit = gitInit(dir);
    const { code, record } = await build(dir, '--env', 'AWS_REGION=eu-west-1');
    expect(code).toBe(0);
    expect(record.status).toBe('Succeeded');
    expect(readFileSync(join(dir, 'sub', 'here.txt'), 'utf8')).toBe('hello 1.2.3\n');
    expect(record.exportedVariables).toEqual({ VERSION: '1.2.3' });
    const vars = Object.fromEntries(
      readFileSync(join(dir, 'vars.txt'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(vars.CODEBUILD_SRC_DIR).toBe(dir);
    expect(vars.CODEBUILD_RESOLVED_SOURCE_VERSION).toBe(commit);
    expect(vars.CODEBUILD_BUILD_ID).toMatch(/^conveyor-build-[^:]+:[0-9a-f-]{36}$/);
    expect(vars.CODEBUILD_BUILD_ARN).toContain(':build/');
    expect(vars.CODEBUILD_BUILD_NUMBER).toBe('1');
    expect(vars.CODEBUILD_BUILD_SUCCEEDING).toBe('1');
    expect(Number(vars.CODEBUILD_START_TIME)).toBeGreaterThan(1.6e12);
    expect(vars.AWS_REGION).toBe('eu-west-1');
    expect(record.commit).toBe(commit);
    const second = await build(dir);
    expect(second.record.buildNumber).toBe(2);
  });

  it('version 0.1 runs each command in its own shell, with environment_variables.plaintext', async () => {
    const dir = project(`version: 0.1
environment_variables:
  plaintext:
    X: "from-0.1"
phases:
  build:
    commands:
      - export A=1; mkdir -p sub; cd sub
      - echo "A=$A X=$X" > out.txt
`);
    const { code } = await build(dir);
    expect(code).toBe(0);
    expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe('A= X=from-0.1\n');
  });

  it('rejects an invalid buildspec with positions, exit 1, and records the run', async () => {
    const dir = project(`version: 0.2
phases:
  build:
    comands:
      - echo hi
  deploy:
    commands: [x]
`);
    const r = await cli(['build'], dir);
    expect(r.code).toBe(1);
    // file:line:col positions; the exact rule ids come from the shared buildspec validator.
    expect(r.stderr).toMatch(/buildspec\.yml:\d+:\d+ error \S+ .*commands/);
    expect(r.stderr).toContain('YAML_FILE_ERROR');
    const runs = await cli(['runs', '--json'], dir);
    const list = JSON.parse(runs.stdout) as RunRecord[];
    expect(list[0]?.status).toBe('Failed');
    expect(list[0]?.diagnostics?.length).toBeGreaterThan(0);
  });

  it('the built CLI refuses exactly what `conveyor validate` refuses, and remembers only a passing buildspec', async () => {
    // Runs dist/ (the bundle users run), where the validator is a lazily loaded chunk.
    const dir = project(`version: 0.2
phases:
  build:
    commands:
      - echo hi
artifacts:
  files: ['**/*']
  discard-paths: maybe
`);
    const { spawnSync } = await import('node:child_process');
    const { distEntry } = await import('../../../src/core/paths.js');
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [distEntry('cli/main.js'), ...args], { cwd: dir, encoding: 'utf8' });
    const validated = run('validate', 'buildspec.yml');
    const built = run('build');
    const ruleLines = (text: string) => text.split('\n').filter((l) => /^buildspec\.yml:\d+:\d+ /.test(l));
    expect(ruleLines(validated.stdout)).toEqual([expect.stringContaining('buildspec/invalid-type')]);
    expect(ruleLines(built.stderr)).toEqual(ruleLines(validated.stdout));
    expect(built.status).toBe(1);
    expect(existsSync(join(dir, '.conveyor/cache/validated'))).toBe(false);
    writeFileSync(
      join(dir, 'buildspec.yml'),
      'version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n',
    );
    expect(run('build').status).toBe(0);
    expect(readdirSync(join(dir, '.conveyor/cache/validated'))).toHaveLength(1);
  });

  it('while a build runs, its record shows the phase in progress; at the end, the final record', async () => {
    const dir = project(`version: 0.2
phases:
  install:
    commands:
      - echo quick
  build:
    commands:
      - touch started; sleep 1.2
`);
    const { spawn } = await import('node:child_process');
    const { distEntry } = await import('../../../src/core/paths.js');
    const child = spawn(process.execPath, [distEntry('cli/main.js'), 'build'], { cwd: dir, stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    try {
      for (let i = 0; i < 200 && !existsSync(join(dir, 'started')); i++)
        await new Promise((r) => setTimeout(r, 10));
      // Progress reaches the record within its write interval (200 ms).
      await new Promise((r) => setTimeout(r, 400));
      const during = JSON.parse((await cli(['runs', '--json'], dir)).stdout) as RunRecord[];
      expect(during[0]?.status).toBe('InProgress');
      expect(during[0]?.phases?.find((p) => p.name === 'INSTALL')?.status).toBe('SUCCEEDED');
      expect(during[0]?.phases?.find((p) => p.name === 'BUILD')?.status).toBe('IN_PROGRESS');
      expect(await exited).toBe(0);
      const after = JSON.parse((await cli(['runs', '--json'], dir)).stdout) as RunRecord[];
      expect(after[0]?.status).toBe('Succeeded');
      expect(after[0]?.phases?.find((p) => p.name === 'BUILD')?.status).toBe('SUCCEEDED');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 20_000);

  it.skipIf(!existsSync('/dev/shm'))(
    "a killed build's scratch files (on tmpfs) are removed by the next build; a finished build leaves none",
    async () => {
      const dir = project(`version: 0.2
phases:
  build:
    commands:
      - touch started; sleep 30.317
`);
      const { spawn, spawnSync } = await import('node:child_process');
      const { distEntry } = await import('../../../src/core/paths.js');
      const ours = () => readdirSync('/dev/shm').filter((n) => n.includes(`-${child.pid}-`));
      const child = spawn(process.execPath, [distEntry('cli/main.js'), 'build'], {
        cwd: dir,
        stdio: 'ignore',
        detached: true,
      });
      try {
        for (let i = 0; i < 300 && !existsSync(join(dir, 'started')); i++)
          await new Promise((r) => setTimeout(r, 10));
        expect(ours()).toHaveLength(1);
        process.kill(-child.pid!, 'SIGKILL');
        await new Promise((r) => child.on('exit', r));
        expect(ours()).toHaveLength(1);
        writeFileSync(
          join(dir, 'buildspec.yml'),
          'version: 0.2\nphases:\n  build:\n    commands:\n      - echo ok\n',
        );
        const next = spawnSync(process.execPath, [distEntry('cli/main.js'), 'build'], {
          cwd: dir,
          encoding: 'utf8',
        });
        expect(next.status).toBe(0);
        expect(ours()).toEqual([]);
        expect(
          readdirSync('/dev/shm').filter((n) => n.startsWith('conveyor-') && n.includes(`-${next.pid}-`)),
        ).toEqual([]);
      } finally {
        if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
        // The killed build's shell leads its own group: stop what it was running.
        spawnSync('pkill', ['-KILL', '-f', 'sleep 30.317']);
      }
    },
    20_000,
  );

  it('exits 2 when there is no buildspec', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const r = await cli(['build'], t.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no buildspec.yml');
  });
});

describe('conveyor build: phase transitions as CodeBuild', () => {
  it("a phase's commands run back to back: each one's output between its start and end, none after a failure", async () => {
    const dir = project(`version: 0.2
phases:
  build:
    commands:
      - echo one
      - printf 'two\\n'; echo two-err >&2
      - X=three; echo $X
      - echo four; false
      - echo never
    finally:
      - echo cleanup
`);
    const r = await build(dir);
    expect(r.code).toBe(1);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; command?: string; text?: string; exitCode?: number })
      .filter((e) => ['command-start', 'command-end', 'output'].includes(e.type));
    const trace = events.map((e) =>
      e.type === 'output'
        ? `out:${e.text?.trim()}`
        : `${e.type === 'command-start' ? 'start' : 'end'}:${e.command}`,
    );
    const between = (command: string) =>
      trace.slice(trace.indexOf(`start:${command}`), trace.indexOf(`end:${command}`));
    expect(between('echo one').join(' ')).toContain('out:one');
    expect(between("printf 'two\\n'; echo two-err >&2").join(' ')).toMatch(/two[\s\S]*two-err/);
    expect(between('X=three; echo $X').join(' ')).toContain('out:three');
    expect(between('echo four; false').join(' ')).toContain('out:four');
    expect(trace).not.toContain('start:echo never');
    expect(trace.join(' ')).not.toContain('never');
    expect(trace.indexOf('start:echo cleanup')).toBeGreaterThan(trace.indexOf('end:echo four; false'));
    const commands = phase(r.record, 'BUILD').commands ?? [];
    expect(commands.map((c) => [c.command, c.exitCode])).toEqual([
      ['echo one', 0],
      ["printf 'two\\n'; echo two-err >&2", 0],
      ['X=three; echo $X', 0],
      ['echo four; false', 1],
      ['echo cleanup', 0],
    ]);
  });

  it('runs finally and post_build after a failed build phase, with CODEBUILD_BUILD_SUCCEEDING=0, and uploads artifacts', async () => {
    const dir = project(`version: 0.2
phases:
  build:
    commands:
      - echo built > out.txt
      - exit_code=3; (exit $exit_code)
      - echo never >> out.txt
    finally:
      - echo "finally $CODEBUILD_BUILD_SUCCEEDING" >> out.txt
  post_build:
    commands:
      - echo "post $CODEBUILD_BUILD_SUCCEEDING" >> out.txt
artifacts:
  files: [out.txt]
`);
    const { code, record } = await build(dir);
    expect(code).toBe(1);
    expect(record.status).toBe('Failed');
    expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe('built\nfinally 0\npost 0\n');
    expect(phase(record, 'BUILD').status).toBe('FAILED');
    expect(phase(record, 'BUILD').message).toContain('exit status 3');
    expect(phase(record, 'POST_BUILD').status).toBe('SUCCEEDED');
    expect(phase(record, 'UPLOAD_ARTIFACTS').status).toBe('SUCCEEDED');
    expect(record.artifacts?.[0]?.files).toBe(1);
  });

  it('goes to FINALIZING after an INSTALL failure: later phases and the upload are skipped', async () => {
    const dir = project(`version: 0.2
phases:
  install:
    commands: ['false']
  build:
    commands: [touch built]
  post_build:
    commands: [touch posted]
artifacts:
  files: ['**/*']
`);
    const { code, record } = await build(dir);
    expect(code).toBe(1);
    expect(
      ['PRE_BUILD', 'BUILD', 'POST_BUILD', 'UPLOAD_ARTIFACTS'].map((p) => phase(record, p).status),
    ).toEqual(['SKIPPED', 'SKIPPED', 'SKIPPED', 'SKIPPED']);
    expect(existsSync(join(dir, 'built'))).toBe(false);
  });

  it('on-failure CONTINUE runs the next phases; ABORT stops the build', async () => {
    const cont = project(`version: 0.2
phases:
  install:
    on-failure: CONTINUE
    commands: ['false']
  build:
    commands: [touch built]
`);
    const a = await build(cont);
    expect(a.code).toBe(1);
    expect(phase(a.record, 'BUILD').status).toBe('SUCCEEDED');
    expect(existsSync(join(cont, 'built'))).toBe(true);

    const abort = project(`version: 0.2
phases:
  build:
    on-failure: ABORT
    commands: ['false']
  post_build:
    commands: [touch posted]
`);
    const b = await build(abort);
    expect(b.code).toBe(1);
    expect(phase(b.record, 'POST_BUILD').status).toBe('SKIPPED');
    expect(existsSync(join(abort, 'posted'))).toBe(false);
  });

  it('on-failure RETRY-2 reruns the build until it passes', async () => {
    const dir = project(`version: 0.2
phases:
  build:
    on-failure: RETRY-2
    commands:
      - echo x >> attempts
      - test $(wc -l < attempts) -ge 3
`);
    const { code, record } = await build(dir);
    expect(code).toBe(0);
    expect(readFileSync(join(dir, 'attempts'), 'utf8').trim().split('\n')).toHaveLength(3);
    expect(record.message).toContain('3 attempts');
  });

  it('a command that exits the shell fails the phase, and later commands run in a fresh shell', async () => {
    const dir = project(`version: 0.2
phases:
  build:
    commands: ['exit 4']
  post_build:
    commands: [touch posted]
`);
    const { record } = await build(dir);
    expect(phase(record, 'BUILD').message).toContain('exit status 4');
    expect(existsSync(join(dir, 'posted'))).toBe(true);
  });
});

describe('conveyor build: timeout', () => {
  it('kills the whole process group of a hanging command', async () => {
    const dir = project(`version: 0.2
phases:
  build:
    commands:
      - sleep 30 & echo $! > bg.pid
      - echo $$ > shell.pid; sleep 30
  post_build:
    commands: [touch posted]
`);
    const started = Date.now();
    const { code, record } = await build(dir, '--timeout', '1s');
    expect(Date.now() - started).toBeLessThan(8000);
    expect(code).toBe(1);
    expect(record.status).toBe('TimedOut');
    expect(phase(record, 'BUILD').status).toBe('TIMED_OUT');
    expect(existsSync(join(dir, 'posted'))).toBe(false);
    for (const f of ['bg.pid', 'shell.pid']) {
      const pid = Number(readFileSync(join(dir, f), 'utf8'));
      // SIGKILL lands asynchronously; an unreaped zombie counts as gone.
      for (let i = 0; i < 40 && processAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
      expect(processAlive(pid)).toBe(false);
    }
  });
});

describe('conveyor build: artifacts, reports, cache', () => {
  it('collects primary and secondary artifacts with base-directory, discard-paths and exclude-paths', async () => {
    const dir = project(`version: 0.2
phases:
  build:
    commands:
      - mkdir -p dist/js dist/css docs
      - echo a > dist/js/app.js; echo b > dist/css/app.css; echo c > dist/js/app.js.map; echo d > docs/readme.md
artifacts:
  files: ['**/*']
  base-directory: dist
  exclude-paths: ['**/*.map']
  secondary-artifacts:
    Docs:
      files: ['docs/*']
      discard-paths: yes
`);
    const { code, record } = await build(dir, '--out', 'out');
    expect(code).toBe(0);
    expect(await zipEntries(join(dir, 'out', 'primary.zip'))).toEqual(['css/app.css', 'js/app.js']);
    expect(await zipEntries(join(dir, 'out', 'Docs.zip'))).toEqual(['readme.md']);
    expect(readFileSync(join(dir, 'out', 'primary', 'js', 'app.js'), 'utf8')).toBe('a\n');
    expect(record.artifacts?.map((a) => a.identifier)).toEqual(['primary', 'Docs']);
  });

  it('keeps symlinks with enable-symlinks, copies their targets otherwise, and refuses links leaving the source', async () => {
    const spec = (symlinks: string) => `version: 0.2
phases:
  build:
    commands:
      - mkdir -p out && echo real > out/real.txt && ln -sf real.txt out/link.txt
artifacts:
  files: ['**/*']
  base-directory: out
  enable-symlinks: ${symlinks}
`;
    const linked = project(spec('yes'));
    expect((await build(linked, '--out', 'a')).code).toBe(0);
    const { lstatSync } = await import('node:fs');
    expect(lstatSync(join(linked, 'a', 'primary', 'link.txt')).isSymbolicLink()).toBe(true);
    const copied = project(spec('no'));
    expect((await build(copied, '--out', 'a')).code).toBe(0);
    expect(lstatSync(join(copied, 'a', 'primary', 'link.txt')).isSymbolicLink()).toBe(false);
    expect(readFileSync(join(copied, 'a', 'primary', 'link.txt'), 'utf8')).toBe('real\n');
    const escaping = project(`version: 0.2
phases:
  build:
    commands: ['ln -sf /etc/hostname leak.txt']
artifacts:
  files: [leak.txt]
`);
    const r = await build(escaping);
    expect(r.code).toBe(1);
    expect(r.record.message).toContain('symlink leak.txt points outside the source directory');
  });

  it('fails UPLOAD_ARTIFACTS when files match nothing, as CodeBuild does', async () => {
    const dir = project(`version: 0.2
phases:
  build:
    commands: [echo ok]
artifacts:
  files: ['target/*.jar']
`);
    const { code, record } = await build(dir);
    expect(code).toBe(1);
    expect(phase(record, 'UPLOAD_ARTIFACTS').status).toBe('FAILED');
    expect(record.message).toContain('no matching artifact paths found');
  });

  it('rejects an artifact path escaping the source folder', async () => {
    const dir = project(`version: 0.2
phases:
  build:
    commands: [echo ok]
artifacts:
  files: ['../../etc/passwd']
`);
    const { code, record } = await build(dir);
    expect(code).toBe(1);
    expect(record.message).toMatch(/'\.\.\/\.\.\/etc\/passwd' escapes the source directory/);
  });

  it('collects reports even when the build fails, and keeps cache paths between builds', async () => {
    const dir = project(`version: 0.2
phases:
  build:
    commands:
      - mkdir -p reports deps
      - test -f deps/cached && echo hit > hit.txt || echo miss > hit.txt
      - echo '<testsuite/>' > reports/junit.xml
      - touch deps/cached; rm -rf deps-marker
      - test "$FAIL" != 1
reports:
  unit:
    files: ['reports/*.xml']
cache:
  paths: ['deps/**/*']
`);
    const first = await build(dir, '--env', 'FAIL=1');
    expect(first.code).toBe(1);
    expect(first.record.reports?.[0]).toMatchObject({ group: 'unit', files: 1 });
    const ok = await build(dir);
    expect(ok.code).toBe(0);
    // Remove the build's copy: the next build gets it back from .conveyor/cache.
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, 'deps'), { recursive: true });
    await build(dir);
    expect(readFileSync(join(dir, 'hit.txt'), 'utf8')).toBe('hit\n');
  });
});

describe('conveyor build: parameter store and secrets manager', () => {
  const spec = `version: 0.2
env:
  parameter-store:
    DB_HOST: /app/db/host
  secrets-manager:
    DB_PASS: prod/db:password
phases:
  build:
    commands: ['echo "$DB_HOST/$DB_PASS" > conn.txt']
`;
  it('reads values from .conveyor/secrets.json', async () => {
    const dir = project(spec);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, '.conveyor'));
    write(
      join(dir, '.conveyor'),
      'secrets.json',
      JSON.stringify({
        'parameter-store': { '/app/db/host': 'db.local' },
        'secrets-manager': { 'prod/db': { password: 'pw' } },
      }),
    );
    const { code } = await build(dir);
    expect(code).toBe(0);
    expect(readFileSync(join(dir, 'conn.txt'), 'utf8')).toBe('db.local/pw\n');
  });

  it('fails with a message naming the missing parameter', async () => {
    const dir = project(spec);
    const { code, record } = await build(dir);
    expect(code).toBe(1);
    expect(phase(record, 'PROVISIONING').status).toBe('FAILED');
    expect(record.message).toContain('parameter does not exist: /app/db/host');
    expect(phase(record, 'BUILD').status).toBe('SKIPPED');
  });
});

describe('conveyor build: progress and history output', () => {
  it('redraws phase lines on a terminal, prints plain lines otherwise, and shows the run in history', async () => {
    const dir = project(`version: 0.2
phases:
  build:
    commands:
      - echo compiling
      - 'false'
`);
    const { runCli } = await import('../../../src/cli/run-cli.js');
    let tty = '';
    const code = await runCli(['build'], {
      cwd: dir,
      stdout: { write: (s: string) => (tty += s), isTTY: true },
      stderr: { write: () => {} },
    });
    expect(code).toBe(1);
    expect(tty).toContain('\x1b[2K');
    expect(tty).toMatch(/BUILD\s+FAILED/);
    expect(tty).toContain('Output of the failing command');
    expect(tty).toContain('compiling');
    const plain = await cli(['build'], dir);
    expect(plain.stdout).not.toContain('\x1b[');
    expect(plain.stdout).toContain('[BUILD] $ false');
    expect(plain.stdout).toMatch(/PHASE\s+STATUS\s+DURATION/);
    const list = await cli(['runs'], dir);
    expect(list.stdout.split('\n').filter((l) => l.includes('Failed'))).toHaveLength(2);
    const id = /^(b-\S+)/m.exec(list.stdout.split('\n')[1]!)![1]!;
    const shown = await cli(['runs', 'show', id.slice(-6)], dir);
    expect(shown.stdout).toContain(`${id}  build`);
    expect(shown.stdout).toMatch(/BUILD\s+FAILED.*COMMAND_EXECUTION_ERROR/);
    expect((await cli(['runs', 'show', 'nope'], dir)).code).toBe(2);
  });
});

describe('conveyor build: interrupted', () => {
  it('stops on SIGINT: the run is recorded Stopped and the commands are killed', async () => {
    const dir = project(`version: 0.2
phases:
  build:
    commands:
      - echo $$ > shell.pid; sleep 30
`);
    const { spawn } = await import('node:child_process');
    const { distEntry } = await import('../../../src/core/paths.js');
    const child = spawn(process.execPath, [distEntry('cli/main.js'), 'build', '--json'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    for (let i = 0; i < 100 && !existsSync(join(dir, 'shell.pid')); i++)
      await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code).toBe(1);
    const record = (lastEvent(out) as { record: RunRecord }).record;
    expect(record.status).toBe('Stopped');
    expect(phase(record, 'BUILD').status).toBe('STOPPED');
    const pid = Number(readFileSync(join(dir, 'shell.pid'), 'utf8'));
    for (let i = 0; i < 40 && processAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    expect(processAlive(pid)).toBe(false);
  });
});
