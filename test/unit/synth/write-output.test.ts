import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defineBuildspec } from '../../../src/synth/index.js';
import { type PlannedFile, type SynthPlan, writeOutput } from '../../../src/synth/synth.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop() as string, { recursive: true, force: true });
});

function planOf(files: Record<string, string>): SynthPlan {
  const definition = defineBuildspec({ name: 'x', phases: { build: { commands: ['make'] } } });
  const planned: PlannedFile[] = Object.entries(files).map(([path, text]) => ({
    path,
    text,
    kind: 'buildspec',
    document: {},
    definition,
    source: 'buildspec/x.ts',
  }));
  return { files: planned, diagnostics: [], sourceCount: 1 };
}

describe('writeOutput', () => {
  it('replaces the folder as a whole: new files in, stale files gone', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'conveyor-write-'));
    dirs.push(parent);
    const out = join(parent, 'out');
    mkdirSync(join(out, 'old'), { recursive: true });
    writeFileSync(join(out, 'old/stale.yml'), 'x');
    await writeOutput(planOf({ 'builds/x/buildspec.yml': 'version: 0.2\n' }), out);
    expect(readFileSync(join(out, 'builds/x/buildspec.yml'), 'utf8')).toBe('version: 0.2\n');
    expect(readdirSync(out)).toEqual(['builds']);
    expect(readdirSync(parent)).toEqual(['out']);
  });

  it('on a failure while writing, the previous output stays as it was and no staging is left', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'conveyor-write-'));
    dirs.push(parent);
    const out = join(parent, 'out');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.json'), '{}\n');
    // 'a' as a file and as a folder: the second write fails halfway through the plan.
    await expect(writeOutput(planOf({ a: 'file', 'a/b': 'nested' }), out)).rejects.toThrow();
    expect(readdirSync(out)).toEqual(['keep.json']);
    expect(readFileSync(join(out, 'keep.json'), 'utf8')).toBe('{}\n');
    expect(readdirSync(parent)).toEqual(['out']);
  });
});
