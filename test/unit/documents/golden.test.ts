/**
 * Golden tests: each test/fixtures/<kind>/{ok,err}/<case> is validated through the CLI and its stdout
 * must equal <case>.out exactly. `ok` cases exit 0 (warnings allowed), `err` cases exit 1.
 * UPDATE_GOLDEN=1 rewrites the .out files (review the diff before committing).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/run-cli.js';

const root = join(import.meta.dirname, '../../..');
const fixtures = join(root, 'test/fixtures');

const KINDS = ['buildspec', 'appspec', 'pipeline', 'deployment-group'];

const cases = KINDS.flatMap((kind) =>
  (['ok', 'err'] as const).flatMap((verdict) => {
    const dir = join(fixtures, kind, verdict);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => /\.(ya?ml|json)$/.test(f))
      .sort()
      .map((f) => ({ kind, verdict, name: `${kind}/${verdict}/${f}`, file: join(dir, f) }));
  }),
);

async function validate(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['validate', ...args], {
    cwd: root,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

describe('golden fixtures', () => {
  it('has cases for every kind and verdict', () => {
    for (const kind of KINDS)
      for (const verdict of ['ok', 'err'])
        expect(cases.some((c) => c.kind === kind && c.verdict === verdict)).toBe(true);
  });

  describe.each(cases)('$name', ({ kind, verdict, file }) => {
    it(`prints the expected lines and exits ${verdict === 'ok' ? 0 : 1}`, async () => {
      const rel = relative(root, file);
      const { code, stdout } = await validate(['--kind', kind, rel]);
      const outFile = file.replace(/\.(ya?ml|json)$/, '.out');
      if (process.env.UPDATE_GOLDEN) writeFileSync(outFile, stdout);
      const expected = existsSync(outFile) ? readFileSync(outFile, 'utf8') : '';
      expect(stdout).toBe(expected);
      expect(code).toBe(verdict === 'ok' ? 0 : 1);
      if (verdict === 'err') expect(stdout).toMatch(/ error /);
    });
  });
});
