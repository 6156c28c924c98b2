/**
 * Synth's output folder. It is owned by synth and replaced as a whole: the complete tree is written to
 * a staging folder beside it, then swapped in by rename, so a failure before the swap leaves the
 * folder as it was, and the old tree is deleted only once the new one is in place.
 */
import { randomBytes } from 'node:crypto';
import { type Dirent, mkdirSync, readdirSync, writeFile as writeFileCallback, writeFileSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { glob } from 'tinyglobby';
import { readFileIfPresent } from '../core/files.js';
import type { PlannedFile, SynthPlan } from './synth.js';

export interface OutputComparison {
  /** Files whose bytes would change. */
  changed: string[];
  /** Files that would be created. */
  added: string[];
  /** Files in the output folder that no definition emits any more. */
  removed: string[];
  unchanged: string[];
}

async function existingFiles(outDir: string): Promise<string[]> {
  try {
    if (!(await stat(outDir)).isDirectory()) return [];
  } catch {
    return [];
  }
  return (await glob('**/*', { cwd: outDir, onlyFiles: true, dot: true })).sort();
}

/** Every file under `dir` (relative, `/`-separated); none when it is missing or not a folder. */
function listFilesSync(dir: string, prefix = ''): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) =>
    e.isDirectory()
      ? listFilesSync(join(dir, e.name), `${prefix}${e.name}/`)
      : e.isFile()
        ? [`${prefix}${e.name}`]
        : [],
  );
}

function compareInto(comparison: OutputComparison, file: PlannedFile, outDir: string): boolean {
  const current = readFileIfPresent(join(outDir, file.path));
  if (current === undefined) comparison.added.push(file.path);
  else if (current !== file.text) comparison.changed.push(file.path);
  else comparison.unchanged.push(file.path);
  return current === file.text;
}

async function addRemoved(comparison: OutputComparison, plan: SynthPlan, outDir: string): Promise<void> {
  const planned = new Set(plan.files.map((f) => f.path));
  for (const path of await existingFiles(outDir)) if (!planned.has(path)) comparison.removed.push(path);
}

export async function compareOutput(plan: SynthPlan, outDir: string): Promise<OutputComparison> {
  const result: OutputComparison = { changed: [], added: [], removed: [], unchanged: [] };
  for (const file of plan.files) compareInto(result, file, outDir);
  await addRemoved(result, plan, outDir);
  return result;
}

/** Where a planned file goes under `root`; refuses a path that would leave it. */
function targetIn(root: string, file: PlannedFile): string {
  const target = join(root, ...file.path.split('/'));
  if (!target.startsWith(root + sep))
    throw new Error(`refusing to write outside the output folder: ${file.path}`);
  return target;
}

function stagingPaths(outDir: string): { staging: string; previous: string } {
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  return {
    staging: join(dirname(outDir), `.${basename(outDir)}.staging-${tag}`),
    previous: join(dirname(outDir), `.${basename(outDir)}.previous-${tag}`),
  };
}

/** Puts the complete `staging` tree in the place of `outDir`; on failure `outDir` is as it was. */
async function swapIn(staging: string, outDir: string, previous: string): Promise<void> {
  let hadPrevious = true;
  try {
    await rename(outDir, previous);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    hadPrevious = false;
  }
  try {
    await rename(staging, outDir);
  } catch (err) {
    if (hadPrevious) await rename(previous, outDir);
    throw err;
  }
  if (hadPrevious) await rm(previous, { recursive: true, force: true });
}

/** Writes the plan as a whole (every file, changed or not) and swaps it in. */
export async function writeOutput(plan: SynthPlan, outDir: string): Promise<void> {
  const { staging, previous } = stagingPaths(outDir);
  await mkdir(dirname(outDir), { recursive: true });
  try {
    await mkdir(staging);
    // Synchronous writes, as in compareOutput: many small files, nothing else to do meanwhile.
    const folders = new Set<string>([staging]);
    for (const file of plan.files) {
      const target = targetIn(staging, file);
      const folder = dirname(target);
      if (!folders.has(folder)) {
        mkdirSync(folder, { recursive: true });
        folders.add(folder);
      }
      writeFileSync(target, file.text);
    }
    await swapIn(staging, outDir, previous);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Writing that overlaps planning. Each file is offered as soon as synth has planned it and compared
 * with the folder at once; from the first file that differs, files are written to staging by the
 * thread pool while the main thread goes on emitting and checking the next ones. Nothing is written
 * while every file so far is unchanged, so an up-to-date folder costs only the reads. `commit` swaps
 * the complete tree in; `discard` (after any error in the plan) removes the staging folder.
 */
export class OutputStager {
  readonly comparison: OutputComparison = { changed: [], added: [], removed: [], unchanged: [] };
  private readonly staging: string;
  private readonly previous: string;
  private started = false;
  /** Files offered before the first difference: written only if the tree is written at all. */
  private readonly held: PlannedFile[] = [];
  private readonly folders = new Set<string>();
  private readonly writes: Promise<void>[] = [];
  private failure: unknown;

  /** Files the output folder holds now (one walk, so a file that is not there is never read). */
  private readonly existing: Set<string>;

  constructor(private readonly outDir: string) {
    ({ staging: this.staging, previous: this.previous } = stagingPaths(outDir));
    this.existing = new Set(listFilesSync(outDir));
  }

  /** Never throws: a write that fails is reported by `commit`. */
  offer(file: PlannedFile): void {
    let unchanged = false;
    if (this.existing.has(file.path)) unchanged = compareInto(this.comparison, file, this.outDir);
    else this.comparison.added.push(file.path);
    if (!this.started && unchanged) {
      this.held.push(file);
      return;
    }
    this.start();
    this.write(file);
  }

  /** The comparison of every offered file, plus the files the folder holds that the plan does not. */
  async compare(plan: SynthPlan): Promise<OutputComparison> {
    // The folder as listed when staging began (nothing but synth writes it in between).
    const planned = new Set(plan.files.map((f) => f.path));
    this.comparison.removed = [...this.existing].filter((path) => !planned.has(path)).sort();
    return this.comparison;
  }

  async commit(): Promise<void> {
    try {
      this.start();
      await Promise.all(this.writes);
      if (this.failure !== undefined) throw this.failure;
      await swapIn(this.staging, this.outDir, this.previous);
    } finally {
      await rm(this.staging, { recursive: true, force: true });
    }
  }

  async discard(): Promise<void> {
    await Promise.all(this.writes);
    if (this.started) await rm(this.staging, { recursive: true, force: true });
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    try {
      mkdirSync(dirname(this.outDir), { recursive: true });
      mkdirSync(this.staging);
      this.folders.add(this.staging);
    } catch (err) {
      this.failure ??= err;
    }
    for (const file of this.held.splice(0)) this.write(file);
  }

  private write(file: PlannedFile): void {
    if (this.failure !== undefined) return;
    try {
      const target = targetIn(this.staging, file);
      const folder = dirname(target);
      if (!this.folders.has(folder)) {
        mkdirSync(folder, { recursive: true });
        this.folders.add(folder);
      }
      // The callback API: no FileHandle and promise chain per file (hundreds of files, on the main thread).
      this.writes.push(
        new Promise<void>((done) =>
          writeFileCallback(target, file.text, (err) => {
            if (err) this.failure ??= err;
            done();
          }),
        ),
      );
    } catch (err) {
      this.failure ??= err;
    }
  }
}
