/** Where a run keeps its artifacts (`<run>/artifacts/<name>`) and how artifact folders are copied between actions. */
import { cp } from 'node:fs/promises';
import { join } from 'node:path';

export const artifactDir = (runDir: string, name: string) => join(runDir, 'artifacts', name);

/** Copies an artifact folder; symlinks are copied as they are, not followed. */
export const copyArtifactFolder = (from: string, to: string) =>
  cp(from, to, { recursive: true, verbatimSymlinks: true });
