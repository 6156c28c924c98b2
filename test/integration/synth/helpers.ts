import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { runCli } from '../../../src/cli/run-cli.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** Absolute import of the builders for TS sources in temp projects (outside the package). */
export const builders = JSON.stringify(join(repoRoot, 'src/synth/index.ts'));

export function tempProject(files: Record<string, string>): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'conveyor-synth-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** A `project(files)` for this test file: each temp project is removed after its test, also on failure. */
export function useTempProjects(): (files: Record<string, string>) => string {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    while (cleanups.length) cleanups.pop()?.();
  });
  return (files) => {
    const p = tempProject(files);
    cleanups.push(p.cleanup);
    return p.root;
  };
}

export async function synth(root: string, args: string[] = []) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['synth', ...args], {
    cwd: root,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split('\\').join('/'));
    }
  };
  try {
    walk(dir);
  } catch {
    return [];
  }
  return out.sort();
}
