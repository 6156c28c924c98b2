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

  const run = async (args: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
    });
    return { code, stdout, stderr };
  };

  it.each([
    [['valdate'], "unknown command 'valdate'. Did you mean 'validate'?"],
    [['stauts'], "Did you mean 'status'?"],
    [['validate', '--jsn'], "unknown option '--jsn'\n  hint: did you mean '--json'?"],
    [['synth', '--chek'], "hint: did you mean '--check'?"],
    [['validate', '--kind', 'pipline', 'x.yml'], "unknown kind 'pipline'"],
    [['validate', '--kind', 'buildpsec', 'x.yml'], "hint: did you mean 'buildspec'?"],
    [['runs', '--kind', 'piepline'], "hint: did you mean 'pipeline'?"],
    [['runs', 'shwo', 'x'], "hint: did you mean 'show'?"],
  ])('%j: exit 2 with a did-you-mean hint', async (args, expected) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(expected);
  });

  it('no hint when nothing is close', async () => {
    const r = await run(['validate', '--zzzzzz']);
    expect(r.stderr).toBe("conveyor validate: unknown option '--zzzzzz'\n");
  });

  it('under --json a usage error is one JSON object on stdout (the text still on stderr)', async () => {
    const r = await run(['synth', '--chek', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      ok: false,
      exitCode: 2,
      error: {
        type: 'usage',
        command: 'synth',
        message: "unknown option '--chek'",
        hint: "did you mean '--check'?",
      },
    });
    expect(r.stderr).toContain("unknown option '--chek'");
    const unknown = await run(['valdate', '--json']);
    expect(JSON.parse(unknown.stdout).error).toEqual({
      type: 'usage',
      message: "unknown command 'valdate'",
      hint: "did you mean 'validate'?",
    });
    const runs = await run(['status', '--json', '--config', 'missing.yml']);
    expect(runs.code).toBe(2);
    expect(JSON.parse(runs.stdout).error.message).toContain('missing.yml');
  });
});
