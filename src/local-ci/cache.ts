import { cp, mkdir, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';

/**
 * `cache.paths` kept between local builds under `.conveyor/cache/<project>/`. A path is a folder or file, relative to
 * the source folder or absolute; a trailing `/**` or `/**\/*` (the documented form) means the whole folder.
 * Restored before INSTALL when the build's copy is absent, saved after the build phases.
 */
export interface CacheEntry {
  /** As written in the buildspec. */
  pattern: string;
  target: string;
  stored: string;
}

export function cacheEntries(paths: string[], srcDir: string, cacheDir: string): CacheEntry[] {
  return paths.map((pattern) => {
    const cleaned = pattern.replace(/\/\*\*(\/\*)?$/, '').replace(/\/$/, '') || '.';
    const target = isAbsolute(cleaned) ? cleaned : resolve(srcDir, cleaned);
    const key = (isAbsolute(cleaned) ? `abs${cleaned}` : `src/${cleaned}`).replace(/\.\.(\/|$)/g, '__up__$1');
    return { pattern, target, stored: join(cacheDir, key) };
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Returns the patterns restored. */
export async function restoreCache(entries: CacheEntry[]): Promise<string[]> {
  const restored: string[] = [];
  for (const e of entries) {
    if (!(await exists(e.stored)) || (await exists(e.target))) continue;
    await cp(e.stored, e.target, { recursive: true, verbatimSymlinks: true });
    restored.push(e.pattern);
  }
  return restored;
}

/** Returns the patterns saved. */
export async function saveCache(entries: CacheEntry[]): Promise<string[]> {
  const saved: string[] = [];
  for (const e of entries) {
    if (!(await exists(e.target))) continue;
    await rm(e.stored, { recursive: true, force: true });
    await mkdir(join(e.stored, '..'), { recursive: true });
    await cp(e.target, e.stored, { recursive: true, verbatimSymlinks: true });
    saved.push(e.pattern);
  }
  return saved;
}
