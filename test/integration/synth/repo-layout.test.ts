/**
 * The repository's own layout is the one README tells users to have: top-level pipelines/, appspec/ and
 * buildspec/ folders that `conveyor validate` and `conveyor synth` find with no arguments. The example app's
 * revisions carry the appspec synthesized from appspec/hello-web.yml, so the source and what deploys agree.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/run-cli.js';
import { validateText } from '../../../src/documents/validate.js';
import { repoRoot } from './helpers.js';

async function cli(args: string[], cwd = repoRoot) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    cwd,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

describe('the repository layout', () => {
  const temps: string[] = [];
  afterEach(() => {
    while (temps.length) rmSync(temps.pop() ?? '', { recursive: true, force: true });
  });

  it('validate with no arguments covers appspec/, buildspec/ and pipelines/', async () => {
    const r = await cli(['validate', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const files = (JSON.parse(r.stdout) as { files: string[] }).files;
    for (const folder of ['appspec/', 'buildspec/', 'pipelines/']) {
      expect(
        files.some((f) => f.startsWith(folder)),
        folder,
      ).toBe(true);
    }
  });

  it('every hello-web revision deploys the appspec synthesized from appspec/hello-web.yml', () => {
    const emitted = readFileSync(join(repoRoot, 'conveyor.out/apps/hello-web/appspec.yml'), 'utf8');
    expect(emitted).toContain('from appspec/hello-web.yml');
    const revisions = readdirSync(join(repoRoot, 'examples/hello-web')).filter((d) => /^v\d+$/.test(d));
    expect(revisions).toEqual(['v1', 'v2', 'v3']);
    for (const v of revisions) {
      expect(readFileSync(join(repoRoot, 'examples/hello-web', v, 'appspec.yml'), 'utf8'), v).toBe(emitted);
    }
  });

  it('buildspec/hello-web.yml checks and packages the v1 revision', async () => {
    const src = mkdtempSync(join(tmpdir(), 'conveyor-layout-'));
    temps.push(src);
    cpSync(join(repoRoot, 'buildspec'), join(src, 'buildspec'), { recursive: true });
    cpSync(join(repoRoot, 'examples/hello-web/v1'), join(src, 'examples/hello-web/v1'), { recursive: true });
    const r = await cli(['build', '--buildspec', 'buildspec/hello-web.yml', '--out', 'bundle'], src);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const file of ['appspec.yml', 'app/server.js', 'scripts/start.sh']) {
      expect(existsSync(join(src, 'bundle/primary', file)), file).toBe(true);
    }
    expect(existsSync(join(src, 'bundle/primary/buildspec'))).toBe(false);
  });

  it("README's CodeBuild snippet is a valid buildspec running validate --strict and synth --check", async () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const block = /```yaml\n# buildspec\/conveyor-check\.yml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    expect(
      validateText(block ?? '', 'buildspec/conveyor-check.yml', { kind: 'buildspec' }).diagnostics,
    ).toEqual([]);
    expect(block).toContain('npx conveyor validate --strict');
    expect(block).toContain('npx conveyor synth --check');
    const flags = await cli(['validate', '--strict', '--json']);
    expect(flags.code, flags.stdout + flags.stderr).toBe(0);
  });
});
