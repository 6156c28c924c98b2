/** Checking a revision folder before anything is touched, and keeping a copy of it in the group's state. */
import { cpSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../core/errors.js';
import { readTextFile } from '../core/files.js';
import { detectPlatform } from '../documents/appspec/normalize.js';
import type { ComputePlatform } from '../documents/appspec/types.js';
import { formatDiagnostics } from '../documents/diagnostics.js';
import { validateText } from '../documents/validate.js';
import type { RevisionRef } from './events.js';

export function appspecFile(dir: string): string | undefined {
  for (const name of ['appspec.yml', 'appspec.yaml']) {
    const file = join(dir, name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** Who runs the revision: the local fleet (EC2-style appspecs only) or CodeDeploy on a given compute platform. */
export interface RevisionTarget {
  provider: 'local' | 'codedeploy';
  /** CodeDeploy's compute platform as the group file names it; unset: whatever the appspec is written for. */
  computePlatform?: 'Server' | 'ECS' | 'Lambda';
}

const PLATFORM_OF: Record<NonNullable<RevisionTarget['computePlatform']>, ComputePlatform> = {
  Server: 'ec2',
  ECS: 'ecs',
  Lambda: 'lambda',
};
const A_PLATFORM: Record<ComputePlatform, string> = {
  ec2: 'an EC2/on-premises',
  ecs: 'an ECS',
  lambda: 'a Lambda',
};
const PLATFORM_LABEL: Record<ComputePlatform, string> = {
  ec2: 'EC2/on-premises',
  ecs: 'ECS',
  lambda: 'Lambda',
};

function appspecPlatform(text: string): ComputePlatform {
  try {
    return detectPlatform(parseYaml(text));
  } catch {
    return 'ec2'; // unreadable YAML: the validator below reports it
  }
}

/**
 * A clear refusal for a folder that cannot be a revision; returns the folder's label. The appspec is checked by
 * the shared validator for the platform it is written for, and that platform must be one the target can run.
 */
export function checkRevision(
  dirArg: string,
  cwd: string,
  target: RevisionTarget = { provider: 'local' },
): { dir: string; label: string } {
  const dir = resolve(cwd, dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UsageError(`revision ${dirArg} is not a folder`);
  }
  // CodeDeploy also reads appspec.json for ECS and Lambda; the local agent reads only YAML names.
  const jsonFile = join(dir, 'appspec.json');
  const file =
    appspecFile(dir) ?? (target.provider === 'codedeploy' && existsSync(jsonFile) ? jsonFile : undefined);
  if (!file) {
    throw new UsageError(
      `revision ${dirArg} has no appspec.yml at its root`,
      'a revision is a folder with appspec.yml at its top level, as CodeDeploy expects',
    );
  }
  const text = readTextFile(file);
  const platform = appspecPlatform(text);
  if (target.provider === 'local' && platform !== 'ec2') {
    throw new UsageError(
      `revision ${dirArg} has ${A_PLATFORM[platform]} appspec, which the local provider cannot run`,
      `the local fleet runs EC2/on-premises revisions (an appspec with 'os:', 'files' and 'hooks'); deploy ${PLATFORM_LABEL[platform]} revisions to a group with 'provider: codedeploy' and 'codedeploy: { computePlatform: ${platform === 'ecs' ? 'ECS' : 'Lambda'} }'`,
    );
  }
  const wanted = target.computePlatform ? PLATFORM_OF[target.computePlatform] : undefined;
  if (wanted && wanted !== platform) {
    throw new UsageError(
      `revision ${dirArg} has ${A_PLATFORM[platform]} appspec, but the group's CodeDeploy compute platform is ${target.computePlatform}`,
      `use a revision written for ${PLATFORM_LABEL[wanted]}, or fix codedeploy.computePlatform in the group file`,
    );
  }
  // The same checks as `conveyor validate --kind appspec`, with hook scripts and file sources looked up in the folder.
  const { diagnostics } = validateText(text, file, {
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
