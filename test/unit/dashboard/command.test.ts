/** `conveyor dashboard` refuses bad input with exit 2 and one line, never a stack. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'conveyor-dash-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['dashboard', ...args], {
    cwd: dir,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

describe('conveyor dashboard: bad input', () => {
  it.each([
    [['--port', 'abc'], "--port must be 0-65535, got 'abc'"],
    [['--port', '70000'], '--port must be 0-65535'],
    [['--config', 'missing.yml'], 'deployment group file missing.yml does not exist'],
    [['--bogus'], "unknown option '--bogus'"],
  ])('%j exits 2 and says why', async (args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toContain('    at ');
    expect(r.stdout).toBe('');
  });
});
