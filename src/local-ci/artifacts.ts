import { createWriteStream } from 'node:fs';
import { copyFile, lstat, mkdir, readlink, realpath, rm, symlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { glob } from 'tinyglobby';
import yazl from 'yazl';
import type { ArtifactSpec, ReportSpec } from './buildspec.js';

/** A failure of the UPLOAD_ARTIFACTS phase, with CodeBuild's wording where it has one. */
export class ArtifactError extends Error {
  override readonly name = 'ArtifactError';
}

export interface CollectedArtifact {
  identifier: string;
  /** The evaluated `name`, when the buildspec gives one. */
  name?: string;
  files: string[];
  folder: string;
  zip: string;
}

export interface CollectedReport {
  group: string;
  fileFormat: string;
  files: string[];
  folder: string;
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function checkPattern(srcDir: string, base: string, pattern: string, what: string): void {
  const target = resolve(base, pattern.replace(/[*?[{].*$/s, ''));
  if (isAbsolute(pattern) || pattern.split(/[\\/]/).includes('..') || !isInside(srcDir, target)) {
    throw new ArtifactError(`${what} '${pattern}' escapes the source directory ${srcDir}`);
  }
}

async function resolveBase(srcDir: string, baseDirectory: string | undefined, what: string): Promise<string> {
  if (baseDirectory === undefined || baseDirectory === '' || baseDirectory === '.') return srcDir;
  checkPattern(srcDir, srcDir, baseDirectory, `${what} base-directory`);
  if (/[*?[{]/.test(baseDirectory)) {
    // base-directory may itself be a glob (e.g. 'my-build*'): the first matching folder is used.
    const dirs = (await glob(baseDirectory, { cwd: srcDir, onlyDirectories: true, dot: true })).sort();
    if (dirs.length === 0)
      throw new ArtifactError(`no matching base directory path found for ${baseDirectory}`);
    return resolve(srcDir, dirs[0]!);
  }
  return resolve(srcDir, baseDirectory);
}

/** Files (relative to the base directory) selected by `files` minus `exclude-paths`, sorted. */
async function select(
  srcDir: string,
  base: string,
  files: string[],
  excludes: string[],
  what: string,
): Promise<string[]> {
  for (const p of [...files, ...excludes]) checkPattern(srcDir, base, p, `${what} path`);
  // Symlinks are followed so that links are selected at all (CodeBuild collects them, as links or as their
  // targets' content); every selected file's real path is checked against the source folder when it is copied.
  const matched = await glob(files, {
    cwd: base,
    dot: true,
    onlyFiles: true,
    followSymbolicLinks: true,
    ignore: excludes,
    expandDirectories: false,
  });
  return matched.sort();
}

/**
 * Collects one artifact (primary or secondary) into `<outDir>/<identifier>/` and `<outDir>/<identifier>.zip`.
 * Follows CodeBuild: paths are relative to `base-directory`; `discard-paths` flattens; a `files` list that matches
 * nothing fails the phase with "no matching artifact paths found"; symlinks are stored as links only with
 * `enable-symlinks: yes`, otherwise their targets are copied, and a target outside the source folder is refused.
 */
export async function collectArtifact(
  spec: ArtifactSpec,
  srcDir: string,
  outDir: string,
  evaluatedName?: string,
  /** Folders never collected (Conveyor's own `.conveyor/` when the project root is the source folder). */
  internalDirs: string[] = [],
): Promise<CollectedArtifact> {
  const what = spec.identifier === 'primary' ? 'artifacts' : `secondary artifact ${spec.identifier}`;
  const root = await realpath(srcDir);
  const base = await resolveBase(root, spec.baseDirectory, what);
  const internal: string[] = [];
  for (const dir of internalDirs) {
    const real = await realpath(dir).catch(() => resolve(dir));
    const rel = relative(base, real);
    if (rel && !rel.startsWith('..') && !isAbsolute(rel)) internal.push(`${rel.split(sep).join('/')}/**`);
  }
  const selected = (await select(root, base, spec.files, spec.excludePaths, what)).filter(
    (f) => !internal.some((pattern) => f.startsWith(pattern.slice(0, -2))),
  );
  if (selected.length === 0) {
    throw new ArtifactError(
      `CLIENT_ERROR: no matching artifact paths found (${what} files: ${spec.files.join(', ')}${
        spec.baseDirectory ? `, base-directory: ${spec.baseDirectory}` : ''
      })`,
    );
  }
  const folder = join(outDir, spec.identifier);
  const zipPath = join(outDir, `${spec.identifier}.zip`);
  await rm(folder, { recursive: true, force: true });
  await mkdir(folder, { recursive: true });
  const zip = new yazl.ZipFile();
  const done = new Promise<void>((resolvePromise, reject) => {
    const out = createWriteStream(zipPath);
    out.on('close', () => resolvePromise());
    out.on('error', reject);
    zip.outputStream.pipe(out);
  });
  const entries: string[] = [];
  for (const rel of selected) {
    const source = join(base, rel);
    const entry = spec.discardPaths ? basename(rel) : rel.split(sep).join('/');
    const stat = await lstat(source);
    const dest = join(folder, entry);
    await mkdir(dirname(dest), { recursive: true });
    if (stat.isSymbolicLink()) {
      const target = await readlink(source);
      if (spec.enableSymlinks) {
        await rm(dest, { force: true });
        await symlink(target, dest);
        zip.addBuffer(Buffer.from(target), entry, { mode: 0o120777 });
        entries.push(entry);
        continue;
      }
      let real: string;
      try {
        real = await realpath(source);
      } catch {
        throw new ArtifactError(`${what}: symlink ${rel} points to a missing file`);
      }
      if (!isInside(root, real)) {
        throw new ArtifactError(`${what}: symlink ${rel} points outside the source directory (${real})`);
      }
      await copyFile(real, dest);
      zip.addFile(real, entry);
    } else {
      const real = await realpath(source);
      if (!isInside(root, real)) {
        throw new ArtifactError(
          `${what}: ${rel} is reached through a symlink pointing outside the source directory (${real})`,
        );
      }
      await copyFile(source, dest);
      zip.addFile(source, entry, { mode: stat.mode });
    }
    entries.push(entry);
  }
  zip.end();
  await done;
  return {
    identifier: spec.identifier,
    ...(evaluatedName ? { name: evaluatedName } : {}),
    files: entries,
    folder,
    zip: zipPath,
  };
}

/** Copies report files into `<outDir>/reports/<group>/`. A group matching nothing is reported, not fatal. */
export async function collectReport(
  spec: ReportSpec,
  srcDir: string,
  outDir: string,
): Promise<CollectedReport> {
  const root = await realpath(srcDir);
  const what = `report group ${spec.group}`;
  const base = await resolveBase(root, spec.baseDirectory, what);
  const selected = await select(root, base, spec.files, [], what);
  const folder = join(outDir, 'reports', spec.group.replace(/[^A-Za-z0-9._-]/g, '_'));
  await mkdir(folder, { recursive: true });
  const files: string[] = [];
  for (const rel of selected) {
    const entry = spec.discardPaths ? basename(rel) : rel;
    await mkdir(dirname(join(folder, entry)), { recursive: true });
    await copyFile(join(base, rel), join(folder, entry));
    files.push(entry);
  }
  return { group: spec.group, fileFormat: spec.fileFormat, files, folder };
}
