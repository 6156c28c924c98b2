import { beforeEach, describe, expect, it } from 'vitest';
import { useCliProject } from '../../cli-project.js';

const project = useCliProject('conveyor-strict-');
const { write, run } = project;

/** Two warnings (two empty command items), no error. */
const TWO_WARNINGS = 'version: 0.2\nphases:\n  build:\n    commands:\n      - make\n      -\n      -\n';

describe('validate --strict / --max-warnings', () => {
  beforeEach(() => write('buildspec/buildspec.yml', TWO_WARNINGS));

  it('passes warnings by default', async () => {
    const r = await run(['validate', 'buildspec']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('1 file checked: 0 errors, 2 warnings\n');
  });

  it('fails on any warning with --strict and says why', async () => {
    const r = await run(['validate', '--strict', 'buildspec']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('1 file checked: 0 errors, 2 warnings\n--strict: 2 warnings fail the check\n');
  });

  it('fails only above the --max-warnings limit', async () => {
    expect((await run(['validate', '--max-warnings', '2', 'buildspec'])).code).toBe(0);
    const r = await run(['validate', '--max-warnings', '1', 'buildspec']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--max-warnings 1: 2 warnings exceed the limit\n');
  });

  it('reports failedBy in --json', async () => {
    const strict = JSON.parse((await run(['validate', '--json', '--strict', 'buildspec'])).stdout);
    expect(strict.summary).toMatchObject({ errors: 0, warnings: 2, valid: true, failedBy: 'strict' });
    const limit = JSON.parse((await run(['validate', '--json', '--max-warnings=1', 'buildspec'])).stdout);
    expect(limit.summary.failedBy).toBe('max-warnings');
    const plain = JSON.parse((await run(['validate', '--json', 'buildspec'])).stdout);
    expect(plain.summary.failedBy).toBeNull();
  });

  it('names errors as the cause even with a warning policy', async () => {
    write('buildspec/buildspec.yml', 'version: 0.2\nphases:\n  build:\n');
    const r = JSON.parse((await run(['validate', '--json', '--max-warnings', '5', 'buildspec'])).stdout);
    expect(r.summary.failedBy).toBe('errors');
  });

  it('refuses a --max-warnings that is not a count (exit 2)', async () => {
    const r = await run(['validate', '--max-warnings', 'many', 'buildspec']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--max-warnings takes a whole number of warnings (0 or more), not 'many'");
  });
});

describe('synth --check --strict / --max-warnings', () => {
  beforeEach(async () => {
    write('buildspec/app.yml', TWO_WARNINGS);
    expect((await run(['synth'])).code).toBe(0);
  });

  it('passes an up-to-date output with warnings by default', async () => {
    const r = await run(['synth', '--check']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('is up to date');
  });

  it('fails an up-to-date output with warnings under --strict', async () => {
    const r = await run(['synth', '--check', '--strict']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('conveyor synth: --strict: 2 warnings fail the check\n');
  });

  it('applies --max-warnings and reports failedBy in --json', async () => {
    expect((await run(['synth', '--check', '--max-warnings', '2'])).code).toBe(0);
    const r = await run(['synth', '--check', '--json', '--max-warnings', '1']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, failedBy: 'max-warnings' });
  });

  it('refuses --strict without --check (exit 2)', async () => {
    const r = await run(['synth', '--strict']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--strict applies to synth --check');
  });
});
