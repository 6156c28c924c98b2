import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defineBuildspec } from '../../../src/synth/index.js';
import { OutputStager, writeOutput } from '../../../src/synth/output.js';
import type { PlannedFile, SynthPlan } from '../../../src/synth/synth.js';

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

describe('OutputStager (writes while synth is still checking)', () => {
  function setup(existing: Record<string, string>) {
    const parent = mkdtempSync(join(tmpdir(), 'conveyor-stage-'));
    dirs.push(parent);
    const out = join(parent, 'out');
    for (const [path, text] of Object.entries(existing)) {
      mkdirSync(join(out, path, '..'), { recursive: true });
      writeFileSync(join(out, path), text);
    }
    return { parent, out };
  }

  it('writes nothing while every file is unchanged; an up-to-date folder is left alone', async () => {
    const { parent, out } = setup({ 'a.yml': 'a\n', 'b.yml': 'b\n' });
    const plan = planOf({ 'a.yml': 'a\n', 'b.yml': 'b\n' });
    const stager = new OutputStager(out);
    for (const f of plan.files) stager.offer(f);
    expect(readdirSync(parent)).toEqual(['out']);
    const c = await stager.compare(plan);
    expect(c).toMatchObject({ changed: [], added: [], removed: [], unchanged: ['a.yml', 'b.yml'] });
    await stager.discard();
    expect(readdirSync(parent)).toEqual(['out']);
  });

  it('from the first difference, stages the whole tree (files held before it too) and swaps it in on commit', async () => {
    const { parent, out } = setup({ 'a.yml': 'a\n', 'b.yml': 'old\n', 'gone.yml': 'x\n' });
    const plan = planOf({ 'a.yml': 'a\n', 'b.yml': 'new\n', 'sub/c.yml': 'c\n' });
    const stager = new OutputStager(out);
    for (const f of plan.files) stager.offer(f);
    // Staging exists beside the folder before commit; the folder itself is untouched so far.
    expect(readdirSync(parent).some((n) => n.startsWith('.out.staging-'))).toBe(true);
    expect(readFileSync(join(out, 'b.yml'), 'utf8')).toBe('old\n');
    const c = await stager.compare(plan);
    expect(c).toMatchObject({
      changed: ['b.yml'],
      added: ['sub/c.yml'],
      removed: ['gone.yml'],
      unchanged: ['a.yml'],
    });
    await stager.commit();
    expect(readdirSync(parent)).toEqual(['out']);
    expect(readdirSync(out).sort()).toEqual(['a.yml', 'b.yml', 'sub']);
    expect(readFileSync(join(out, 'a.yml'), 'utf8')).toBe('a\n');
    expect(readFileSync(join(out, 'b.yml'), 'utf8')).toBe('new\n');
    expect(readFileSync(join(out, 'sub/c.yml'), 'utf8')).toBe('c\n');
  });

  it('only files to remove: commit still writes the complete tree', async () => {
    const { out } = setup({ 'a.yml': 'a\n', 'gone.yml': 'x\n' });
    const plan = planOf({ 'a.yml': 'a\n' });
    const stager = new OutputStager(out);
    for (const f of plan.files) stager.offer(f);
    expect((await stager.compare(plan)).removed).toEqual(['gone.yml']);
    await stager.commit();
    expect(readdirSync(out)).toEqual(['a.yml']);
  });

  it('discard after a plan error removes what was staged and leaves the folder as it was', async () => {
    const { parent, out } = setup({ 'a.yml': 'a\n' });
    const stager = new OutputStager(out);
    for (const f of planOf({ 'a.yml': 'changed\n', 'b.yml': 'b\n' }).files) stager.offer(f);
    await stager.discard();
    expect(readdirSync(parent)).toEqual(['out']);
    expect(readdirSync(out)).toEqual(['a.yml']);
    expect(readFileSync(join(out, 'a.yml'), 'utf8')).toBe('a\n');
  });

  it('a write that fails is reported by commit; the folder stays as it was and no staging is left', async () => {
    const { parent, out } = setup({ 'keep.json': '{}\n' });
    const stager = new OutputStager(out);
    // 'a' as a file and as a folder: the second cannot be written.
    for (const f of planOf({ a: 'file', 'a/b': 'nested' }).files) stager.offer(f);
    await expect(stager.commit()).rejects.toThrow();
    expect(readdirSync(out)).toEqual(['keep.json']);
    expect(readdirSync(parent)).toEqual(['out']);
  });
});
