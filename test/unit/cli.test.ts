import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';

function capture() {
  let out = '';
  return { stream: { write: (s: string) => (out += s) }, text: () => out };
}

describe('runCli', () => {
  it('lists commands with --help and exits 0', async () => {
    const out = capture();
    const code = await runCli(['--help'], { stdout: out.stream, stderr: out.stream });
    expect(code).toBe(0);
    expect(out.text()).toContain('validate');
    expect(out.text()).toContain('deploy');
  });

  it('rejects an unknown command with exit 2 and no stack', async () => {
    const err = capture();
    const code = await runCli(['frobnicate'], { stdout: err.stream, stderr: err.stream });
    expect(code).toBe(2);
    expect(err.text()).toContain("unknown command 'frobnicate'");
    expect(err.text()).not.toContain('    at ');
  });
});
