/**
 * A temporary project folder per test, with the CLI run in-process inside it: the setup most CLI tests share.
 * The folder is made before each test and removed after it, also when the test fails.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { runCli } from '../src/cli/run-cli.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function useCliProject(prefix: string) {
  let current = '';
  beforeEach(() => {
    current = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(() => {
    rmSync(current, { recursive: true, force: true });
  });
  return {
    /** The current test's project folder. */
    get dir(): string {
      return current;
    },
    write(rel: string, text: string): void {
      const file = join(current, rel);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
    },
    /** Runs `conveyor ARGS` in the project; `env` replaces the environment when given, `tty` marks stdout a terminal. */
    async run(args: string[], opts: { env?: Record<string, string>; tty?: boolean } = {}): Promise<CliRun> {
      let stdout = '';
      let stderr = '';
      const code = await runCli(args, {
        cwd: current,
        ...(opts.env ? { env: opts.env } : {}),
        stdout: { write: (s: string) => (stdout += s), ...(opts.tty ? { isTTY: true } : {}) },
        stderr: { write: (s: string) => (stderr += s) },
      });
      return { code, stdout, stderr };
    },
  };
}
