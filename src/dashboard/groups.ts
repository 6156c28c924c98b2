/**
 * Which deployment groups the dashboard shows: those named by `--config`, or every group whose state folder is
 * found under the working directory (`./.conveyor`, and `./<dir>/.conveyor` one level down).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../core/errors.js';
import { findGroupFile, type GroupContext, openGroup } from '../deploy/group.js';

export interface FoundGroups {
  groups: GroupContext[];
  /** Group files that could not be opened, with why (shown on the page, never a crash). */
  problems: string[];
}

const SKIP = new Set(['node_modules', '.git', 'dist']);

function stateDirsUnder(cwd: string): string[] {
  const dirs = [join(cwd, '.conveyor')];
  let entries: string[] = [];
  try {
    entries = readdirSync(cwd, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.') && !SKIP.has(e.name))
      .map((e) => e.name);
  } catch {
    // an unreadable working directory has no groups
  }
  for (const name of entries) dirs.push(join(cwd, name, '.conveyor'));
  return dirs.filter((d) => existsSync(join(d, 'groups')));
}

export function groupKey(ctx: GroupContext): string {
  return `${ctx.loaded.group.application}/${ctx.loaded.group.deploymentGroup}`;
}

export function findGroups(opts: { cwd: string; configs: string[] }): FoundGroups {
  const groups: GroupContext[] = [];
  const problems: string[] = [];
  const add = (file: string, stateDir?: string) => {
    try {
      const ctx = openGroup(file, { cwd: opts.cwd, readOnly: true, ...(stateDir ? { stateDir } : {}) });
      if (!groups.some((g) => g.groupDir === ctx.groupDir)) groups.push(ctx);
    } catch (err) {
      problems.push(`${file}: ${errorMessage(err)}`);
    }
  };
  if (opts.configs.length) {
    for (const file of opts.configs) add(file);
  } else {
    for (const stateDir of stateDirsUnder(opts.cwd)) {
      for (const file of findGroupFile(stateDir).candidates) add(file, stateDir);
    }
  }
  groups.sort((a, b) => groupKey(a).localeCompare(groupKey(b)));
  return { groups, problems };
}
