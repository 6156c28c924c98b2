/**
 * Links in a revision that point outside it. The local agent installs a link as a link (as CodeDeploy's agent
 * does) and never writes or sets permissions through one, but a link to `/etc/shadow` in a revision is worth
 * saying before it is deployed. Never follows a link while walking.
 */
import { lstatSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

export interface OutsideLink {
  /** The link, relative to the revision (`app/link`). */
  link: string;
  /** What it points at, as written in the link. */
  target: string;
}

/** Walking stops after this many entries: a check, not an archiver. */
const MAX_ENTRIES = 100_000;

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith('..' + sep) && !isAbsolute(rel));
}

/** The links under `start` (a file or folder inside `revisionDir`) whose target resolves outside the revision. */
export function linksOutsideRevision(start: string, revisionDir: string): OutsideLink[] {
  let root: string;
  try {
    root = realpathSync(revisionDir);
  } catch {
    return [];
  }
  const found: OutsideLink[] = [];
  const pending = [resolve(start)];
  let seen = 0;
  while (pending.length > 0 && seen < MAX_ENTRIES) {
    const path = pending.pop()!;
    seen++;
    const info = lstatSync(path, { throwIfNoEntry: false });
    if (!info) continue;
    if (info.isSymbolicLink()) {
      const target = readlinkSync(path);
      // Resolve what the link leads to without requiring it to exist (a dangling link to /etc/x is still outside).
      let real: string;
      try {
        real = realpathSync(path);
      } catch {
        real = resolve(dirname(path), target);
      }
      if (!isInside(root, real)) found.push({ link: relative(resolve(revisionDir), path), target });
    } else if (info.isDirectory()) {
      for (const name of readdirSync(path).sort().reverse()) pending.push(join(path, name));
    }
  }
  return found.sort((a, b) => a.link.localeCompare(b.link));
}
