/**
 * The binary writes a file, pipe or /dev/null stdout with write(2) rather than through Node's stream
 * (src/cli/fd-output.ts). What a user notices if that goes wrong: output cut short or reordered when a
 * reader is slow, a lost summary line, or a stack trace when the reader leaves.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cliEntry = join(repoRoot, 'dist/cli/main.js');

let root: string;
const FILES = 150;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'conveyor-plain-output-'));
  // Each file has three warnings (unknown keys): 450 diagnostics, a JSON report of a few hundred KiB,
  // more than a pipe holds (64 KiB), so a reader that waits makes the writer wait.
  for (let i = 0; i < FILES; i++) {
    const dir = join(root, 'docs', `app-${String(i).padStart(3, '0')}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'buildspec.yml'),
      `version: 0.2\nphasez: {}\nenv:\n  variable: {}\n  compute: x\nphases:\n  build:\n    commands:\n      - echo ${i}\n`,
    );
  }
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function env(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: root, NODE_DISABLE_COMPILE_CACHE: '1' };
}

describe('stdout that is not a terminal', () => {
  it('a slow pipe reader gets the whole JSON report, in order, and the exit code', async () => {
    const child = spawn(process.execPath, [cliEntry, 'validate', 'docs', '--json'], {
      cwd: root,
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    // Not reading for a while: the pipe fills and the writer must wait, not drop or fail.
    child.stdout.pause();
    setTimeout(() => child.stdout.resume(), 700);
    child.stdout.on('data', (b: Buffer) => chunks.push(b));
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text.length).toBeGreaterThan(65_536);
    const report = JSON.parse(text) as {
      files: string[];
      diagnostics: { file: string }[];
      summary: { files: number; warnings: number };
    };
    expect(report.summary.files).toBe(FILES);
    expect(report.diagnostics.length).toBe(report.summary.warnings);
    expect(report.diagnostics.length).toBeGreaterThanOrEqual(FILES * 2);
    // Sorted by file as the command reports them: nothing interleaved or repeated.
    const files = report.diagnostics.map((d) => d.file);
    expect(files).toEqual([...files].sort());
    expect(stderr).toBe('');
    expect(code).toBe(0);
  }, 30_000);

  it('a file gets every line, and stderr gets the summary after them', () => {
    const out = join(root, 'out.txt');
    const fd = openSync(out, 'w');
    try {
      const r = spawnSync(process.execPath, [cliEntry, 'validate', 'docs'], {
        cwd: root,
        env: env(),
        stdio: ['ignore', fd, fd],
        timeout: 30_000,
      });
      expect(r.status).toBe(0);
    } finally {
      closeSync(fd);
    }
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(new RegExp(`^${FILES} files checked: 0 errors, \\d+ warnings$`));
    const warnings = Number(/(\d+) warnings$/.exec(lines.at(-1)!)![1]);
    expect(lines.slice(0, -1)).toHaveLength(warnings);
    expect(lines.slice(0, -1).every((l) => / warning buildspec\//.test(l))).toBe(true);
  }, 30_000);

  it('/dev/null takes the output without a complaint', () => {
    const r = spawnSync(process.execPath, [cliEntry, 'validate', 'docs'], {
      cwd: root,
      env: env(),
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 30_000,
    });
    expect(r.stderr.toString()).toMatch(/^150 files checked: 0 errors, \d+ warnings\n$/);
    expect(r.status).toBe(0);
  }, 30_000);

  it('a reader that leaves in the middle (`| head -c 100`) ends the command with 141 and no stack', () => {
    // A shell pipe (64 KiB), as a user's; the JSON report is several times that.
    const r = spawnSync(
      '/bin/bash',
      [
        '-c',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's own ${…}, not a template
        '"$0" "$1" validate docs --json | head -c 100 >/dev/null; exit "${PIPESTATUS[0]}"',
        process.execPath,
        cliEntry,
      ],
      { cwd: root, env: env(), timeout: 30_000 },
    );
    expect(r.stderr.toString()).not.toMatch(/EPIPE|Error| {4}at /);
    expect(r.status).toBe(141);
  }, 30_000);
});
