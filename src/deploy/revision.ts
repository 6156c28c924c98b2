/** Checking a revision folder before anything is touched, and keeping a copy of it in the group's state. */
import { cpSync, existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { UsageError } from '../core/errors.js';
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
  const doc = parseDocument(readFileSync(file, 'utf8'), { prettyErrors: false });
  const problems: string[] = doc.errors.map((e) => `${basename(file)}: ${e.message.split('\n')[0]}`);
  const value = problems.length ? undefined : (doc.toJS() as Record<string, unknown> | null);
  if (!problems.length) {
    if (!value || typeof value !== 'object') problems.push(`${basename(file)}: expected a mapping`);
    else {
      if (value.version === undefined) problems.push(`${basename(file)}: missing required key 'version'`);
      if (value.os === undefined)
        problems.push(`${basename(file)}: missing required key 'os' (linux or windows)`);
      const hooks = value.hooks;
      if (hooks !== undefined && hooks !== null && (typeof hooks !== 'object' || Array.isArray(hooks))) {
        problems.push(`${basename(file)}: hooks must be a mapping of lifecycle event to scripts`);
      }
    }
  }
  if (problems.length) {
    throw new UsageError(`revision ${dirArg} has an invalid appspec:\n  ${problems.join('\n  ')}`);
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
