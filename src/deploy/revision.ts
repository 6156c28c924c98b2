/** Checking a revision folder before anything is touched, and keeping a copy of it in the group's state. */
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { formatDiagnostics } from '../spec/diagnostics.js';
import { validateText } from '../spec/validate.js';
import type { RevisionRef } from './events.js';

export function appspecFile(dir: string): string | undefined {
  for (const name of ['appspec.yml', 'appspec.yaml']) {
    const file = join(dir, name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** A clear refusal for a folder that cannot be a revision; returns the folder's label. */
export function checkRevision(dirArg: string, cwd: string): { dir: string; label: string } {
  const dir = resolve(cwd, dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UsageError(`revision ${dirArg} is not a folder`);
  }
  const file = appspecFile(dir);
  if (!file) {
    throw new UsageError(
      `revision ${dirArg} has no appspec.yml at its root`,
      'a revision is a folder with appspec.yml at its top level, as CodeDeploy expects',
    );
  }
  // The same checks as `conveyor validate --kind appspec`, with hook scripts and file sources looked up in the folder.
  const { diagnostics } = validateText(readFileSync(file, 'utf8'), file, {
    kind: 'appspec',
    revisionDir: dir,
  });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    throw new UsageError(`revision ${dirArg} has an invalid appspec:\n${formatDiagnostics(errors)}`);
  }
  return { dir, label: basename(dir) };
}

/** Copies the revision under the group's state, so rollback and ApplicationStop find it later. */
export function storeRevision(
  groupDir: string,
  deploymentId: string,
  source: { dir: string; label: string },
): RevisionRef {
  const target = join(groupDir, 'revisions', deploymentId);
  cpSync(source.dir, target, { recursive: true });
  return { label: source.label, dir: target };
}

/**
 * Keeps the group's revision copies from piling up: those of the last `keep` deployments stay, and any
 * revision still needed (the serving fleet's, the last good one) stays whatever its age.
 */
export function pruneRevisions(
  groupDir: string,
  deploymentIds: string[],
  needed: string[],
  keep = 5,
): string[] {
  const root = join(groupDir, 'revisions');
  if (!existsSync(root)) return [];
  const recent = new Set(deploymentIds.slice(-keep));
  const neededDirs = new Set(needed.map((d) => resolve(d)));
  const removed: string[] = [];
  for (const name of readdirSync(root)) {
    const dir = join(root, name);
    if (recent.has(name) || neededDirs.has(resolve(dir))) continue;
    rmSync(dir, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
