/**
 * The Install event's file work, as the CodeDeploy agent does it (installer.rb, install_instruction.rb):
 * remove what the group's previous deployment installed, plan every copy and directory, fail before touching
 * anything when `file_exists_behavior` says so, then copy while writing a cleanup list for the next deployment;
 * afterwards apply `permissions` to what this deployment installed.
 *
 * On the local provider the instance root stands in for the machine's `/`: `destination: /var/www/app` is
 * `<instanceRoot>/var/www/app`.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import {
  chmod,
  chown,
  copyFile,
  lchown,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  readlink,
  realpath,
  rm,
  rmdir,
  stat,
  symlink,
  utimes,
} from 'node:fs/promises';
import { isAbsolute, join, posix, relative, resolve, sep } from 'node:path';

export type FileExistsBehavior = 'DISALLOW' | 'OVERWRITE' | 'RETAIN';
export const FILE_EXISTS_BEHAVIORS: readonly FileExistsBehavior[] = ['DISALLOW', 'OVERWRITE', 'RETAIN'];
/** The deployment-level default (deployment_specification.rb). */
export const DEFAULT_FILE_EXISTS_BEHAVIOR: FileExistsBehavior = 'DISALLOW';

export interface AppspecFileMapping {
  source: string;
  destination: string;
}

/** An appspec `permissions` entry, structurally. */
export interface AppspecPermission {
  object: string;
  pattern?: string | null;
  except?: readonly string[] | null;
  type?: readonly string[] | null;
  owner?: string | null;
  group?: string | null;
  mode?: string | number | null;
  acls?: readonly string[] | null;
  context?: Record<string, unknown> | null;
}

/** A user's mistake or a conflict on the instance: the Install event fails with this message. */
export class InstallError extends Error {
  override readonly name = 'InstallError';
}

export interface InstallFilesRequest {
  files: readonly AppspecFileMapping[] | null | undefined;
  fileExistsBehavior?: FileExistsBehavior;
  /** The downloaded revision (deployment archive); sources resolve against it. */
  revisionDir: string;
  instanceRoot: string;
  /** Key of the cleanup list, as the agent keys it by deployment group id. Default 'default'. */
  groupId?: string;
}

export interface InstallFilesResult {
  /** Files (and symlinks) copied, as paths on the instance (`/var/www/app/index.html`). */
  copied: string[];
  /** Files left as they were because of RETAIN. */
  retained: string[];
  /** Directories this deployment created, as paths on the instance. */
  createdDirectories: string[];
  /** Entries of the previous deployment's cleanup list that were removed first. */
  removedFromPrevious: number;
}

/** Folder under the instance root that belongs to Conveyor, never a `files` destination. */
export const CONVEYOR_DIR = '.conveyor';

export function cleanupListFile(instanceRoot: string, groupId = 'default'): string {
  return join(instanceRoot, CONVEYOR_DIR, 'deployment-instructions', `${safeName(groupId)}-cleanup`);
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith('..' + sep) && !isAbsolute(rel));
}

/** Map an instance path (`/var/www/app`) to its local folder under the instance root. */
export function localPath(instanceRoot: string, instancePath: string): string {
  if (!instancePath.startsWith('/')) {
    throw new InstallError(
      `destination ${instancePath} is not an absolute path; appspec destinations must be fully qualified`,
    );
  }
  const normalized = posix.normalize(instancePath);
  const local = resolve(instanceRoot, '.' + normalized);
  const own = join(resolve(instanceRoot), CONVEYOR_DIR);
  if (local === own || isInside(own, local)) {
    throw new InstallError(
      `destination ${instancePath} is inside ${CONVEYOR_DIR}/, which the local agent keeps for itself`,
    );
  }
  return local;
}

function instancePathOf(instanceRoot: string, local: string): string {
  const rel = relative(resolve(instanceRoot), local);
  return '/' + rel.split(sep).join('/');
}

type Instruction =
  | { kind: 'mkdir'; path: string }
  | { kind: 'copy'; source: string; path: string; link: boolean };

/** Plans copies like the agent's CommandBuilder, with its conflict errors. */
class InstallPlan {
  readonly instructions: Instruction[] = [];
  readonly copyTargets = new Map<string, string>();
  readonly mkdirTargets = new Set<string>();
  readonly retained: string[] = [];

  constructor(
    private readonly instanceRoot: string,
    private readonly behavior: FileExistsBehavior,
  ) {}

  show(local: string): string {
    return instancePathOf(this.instanceRoot, local);
  }

  /** A `files` entry copying into the instance root must not write into Conveyor's own folder. */
  private guardOwnFolder(path: string, label: string): void {
    const own = join(this.instanceRoot, CONVEYOR_DIR);
    if (path === own || isInside(own, path)) {
      throw new InstallError(
        `files: ${label} would be installed into ${CONVEYOR_DIR}/, which the local agent keeps for itself`,
      );
    }
  }

  mkdir(path: string, label = this.show(path)): void {
    this.guardOwnFolder(path, label);
    if (this.copyTargets.has(path)) {
      throw new InstallError(
        `files: ${this.show(path)} is both a directory to create and the destination of ${this.copyTargets.get(path)}`,
      );
    }
    if (!this.mkdirTargets.has(path)) this.instructions.push({ kind: 'mkdir', path });
    this.mkdirTargets.add(path);
  }

  async copy(source: string, path: string, sourceLabel: string, link: boolean): Promise<void> {
    this.guardOwnFolder(path, sourceLabel);
    const existing = await lstat(path).catch(() => undefined);
    if (existing) {
      if (this.behavior === 'DISALLOW') {
        throw new InstallError(
          `The deployment failed because a specified file already exists at this location: ${this.show(path)} (file_exists_behavior DISALLOW; use OVERWRITE or RETAIN, or remove the file)`,
        );
      }
      if (this.behavior === 'RETAIN') {
        this.retained.push(this.show(path));
        return;
      }
      if (existing.isDirectory()) {
        throw new InstallError(
          `files: cannot overwrite the directory ${this.show(path)} with the file ${sourceLabel}`,
        );
      }
    }
    const previous = this.copyTargets.get(path);
    if (previous !== undefined) {
      throw new InstallError(
        `files: two sources, ${previous} and ${sourceLabel}, are copied to the same destination ${this.show(path)}`,
      );
    }
    if (this.mkdirTargets.has(path)) {
      throw new InstallError(`files: ${sourceLabel} would be copied onto the directory ${this.show(path)}`);
    }
    this.instructions.push({ kind: 'copy', source, path, link });
    this.copyTargets.set(path, sourceLabel);
  }
}

async function resolveSource(revisionDir: string, source: string): Promise<string> {
  const root = resolve(revisionDir);
  // `source: /` is the whole revision; other leading slashes are relative to the revision too (File.join).
  const candidate = resolve(root, source.trim().replace(/^\/+/, '') || '.');
  if (!isInside(root, candidate)) {
    throw new InstallError(`files: source ${source} resolves outside the revision`);
  }
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    throw new InstallError(`files: source ${source} does not exist in the revision`);
  }
  if (!isInside(await realpath(root), real)) {
    throw new InstallError(`files: source ${source} is a link to ${real}, outside the revision`);
  }
  return candidate;
}

/** Copying a FIFO would block on its read end forever; a socket or device is no file to install either. */
function notAFile(label: string): InstallError {
  return new InstallError(
    `files: ${label} is not a regular file, folder or link (a FIFO, socket or device); remove it from the revision`,
  );
}

/**
 * What is written at `path` must land inside the instance: its folder, links resolved, is under the instance
 * root. Checked when writing (not when planning), because an earlier copy of this deployment may have placed a
 * link where a folder was expected.
 */
async function assertParentInside(instanceRoot: string, path: string): Promise<void> {
  const realRoot = await realpath(instanceRoot);
  const parent = await realpath(resolve(path, '..')).catch(() => undefined);
  if (parent === undefined || !isInside(realRoot, parent)) {
    throw new InstallError(
      `files: ${instancePathOf(instanceRoot, path)} would be written through a link to ${parent ?? 'a missing folder'}, outside the instance`,
    );
  }
}

async function fillInMissingAncestors(plan: InstallPlan, instanceRoot: string, path: string): Promise<void> {
  const missing: string[] = [];
  let parent = resolve(path, '..');
  const root = resolve(instanceRoot);
  while (parent !== root && isInside(root, parent) && !(await exists(parent))) {
    missing.unshift(parent);
    parent = resolve(parent, '..');
  }
  for (const dir of missing) plan.mkdir(dir);
}

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined)) !== undefined;
}

async function planDirectoryCopy(
  plan: InstallPlan,
  source: string,
  destination: string,
  label: string,
): Promise<void> {
  const info = await lstat(destination).catch(() => undefined);
  if (info && !info.isDirectory()) {
    throw new InstallError(`files: ${label} is a directory, but ${plan.show(destination)} is a file`);
  }
  if (!info) plan.mkdir(destination, label);
  const entries = (await readdir(source, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  );
  for (const entry of entries) {
    const from = join(source, entry.name);
    const to = join(destination, entry.name);
    const entryLabel = `${label.replace(/\/$/, '')}/${entry.name}`;
    // Symlinks are recreated as links (the agent's CopyCommand), never followed out of the revision.
    if (entry.isDirectory()) await planDirectoryCopy(plan, from, to, entryLabel);
    else if (entry.isFile() || entry.isSymbolicLink())
      await plan.copy(from, to, entryLabel, entry.isSymbolicLink());
    else throw notAFile(entryLabel);
  }
}

/** Read a cleanup list, dropping a last line cut short by a crash (install_instruction.rb does the same). */
function parseCleanupList(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  lines.pop(); // after the final newline, or an unfinished line
  return lines.filter(Boolean);
}

/** Remove what the previous deployment installed: files and links, then directories that are now empty. */
export async function removePreviousInstall(instanceRoot: string, groupId?: string): Promise<number> {
  const listFile = cleanupListFile(instanceRoot, groupId);
  let text: string;
  try {
    text = await readFile(listFile, 'utf8');
  } catch {
    return 0;
  }
  const root = resolve(instanceRoot);
  let removed = 0;
  const realRoot = await realpath(root);
  for (const path of parseCleanupList(text).reverse()) {
    // Never act outside the instance, whatever the list says, nor through a link a hook put in a folder's place.
    if (!isInside(root, path) || path === root) continue;
    const parent = await realpath(resolve(path, '..')).catch(() => undefined);
    if (parent === undefined || !isInside(realRoot, parent)) continue;
    const info = await lstat(path).catch(() => undefined);
    if (!info) continue;
    if (info.isDirectory()) {
      try {
        await rmdir(path);
        removed++;
      } catch {
        // Not empty: something else lives there now; keep it.
      }
    } else {
      await rm(path, { force: true });
      removed++;
    }
  }
  await rm(listFile, { force: true });
  return removed;
}

/** Install the appspec `files` of a revision into the instance root. Throws InstallError for a conflict. */
export async function installFiles(req: InstallFilesRequest): Promise<InstallFilesResult> {
  const behavior = req.fileExistsBehavior ?? DEFAULT_FILE_EXISTS_BEHAVIOR;
  if (!FILE_EXISTS_BEHAVIORS.includes(behavior)) {
    throw new InstallError(
      `invalid file_exists_behavior ${String(behavior)}; valid options are OVERWRITE, RETAIN and DISALLOW`,
    );
  }
  const instanceRoot = resolve(req.instanceRoot);
  await mkdir(instanceRoot, { recursive: true });
  const removedFromPrevious = await removePreviousInstall(instanceRoot, req.groupId);

  const plan = new InstallPlan(instanceRoot, behavior);
  for (const [index, mapping] of (req.files ?? []).entries()) {
    if (!mapping?.source) throw new InstallError(`files[${index}] has a destination but no source`);
    if (!mapping.destination) throw new InstallError(`files[${index}] has only a source (${mapping.source})`);
    const source = await resolveSource(req.revisionDir, mapping.source);
    const destination = localPath(instanceRoot, mapping.destination.trim());
    const sourceInfo = await stat(source);
    if (sourceInfo.isDirectory()) {
      await fillInMissingAncestors(plan, instanceRoot, join(destination, 'x'));
      await planDirectoryCopy(plan, source, destination, mapping.source);
    } else if (!sourceInfo.isFile()) {
      throw notAFile(mapping.source);
    } else {
      const target = join(destination, source.split(sep).pop()!);
      await fillInMissingAncestors(plan, instanceRoot, target);
      const link = (await lstat(source)).isSymbolicLink();
      await plan.copy(source, target, mapping.source, link);
    }
  }

  const listFile = cleanupListFile(instanceRoot, req.groupId);
  await mkdir(resolve(listFile, '..'), { recursive: true });
  const list = await open(listFile, 'w');
  const copied: string[] = [];
  const createdDirectories: string[] = [];
  try {
    for (const step of plan.instructions) {
      await assertParentInside(instanceRoot, step.path);
      if (step.kind === 'mkdir') {
        await mkdir(step.path);
        await list.write(step.path + '\n');
        createdDirectories.push(instancePathOf(instanceRoot, step.path));
      } else {
        // Listed before copying, so a crash mid-copy still cleans the partial file up next time.
        await list.write(step.path + '\n');
        await copyPreserving(step.source, step.path, step.link);
        copied.push(instancePathOf(instanceRoot, step.path));
      }
    }
  } finally {
    await list.close();
  }
  return { copied, retained: plan.retained, createdDirectories, removedFromPrevious };
}

async function copyPreserving(source: string, destination: string, link: boolean): Promise<void> {
  // Whatever is there (OVERWRITE) is replaced, never written through: a link at the destination is removed, not
  // followed, and the new file is created exclusively.
  await rm(destination, { force: true });
  if (link) {
    await symlink(await readlink(source), destination);
    return;
  }
  await copyFile(source, destination, constants.COPYFILE_EXCL);
  const info = await stat(source);
  await chmod(destination, info.mode & 0o7777);
  await utimes(destination, info.atime, info.mtime);
}

// ---------------------------------------------------------------------------------------------------------
// permissions

export interface PermissionWarning {
  object: string;
  message: string;
}

export interface ApplyPermissionsRequest {
  permissions: readonly AppspecPermission[] | null | undefined;
  instanceRoot: string;
  /** What installFiles just installed: permissions only touch this deployment's files and directories. */
  installed: Pick<InstallFilesResult, 'copied' | 'createdDirectories'>;
  /** Owner/group changes need root; replaceable in tests. */
  isRoot?: boolean;
}

export interface ApplyPermissionsResult {
  /** Instance paths whose permissions were set. */
  applied: string[];
  /** Settings that could not be applied locally (acls, SELinux context, owner when not root). */
  warnings: PermissionWarning[];
}

/** The agent's mode rule (mode_info.rb): the value as text, padded to 3 digits, at most 4, each 0-7. */
export function parseMode(mode: string | number): number {
  const text = String(mode).padStart(3, '0');
  if (text.length > 4 || !/^[0-7]+$/.test(text)) {
    throw new InstallError(
      `permissions: invalid mode ${String(mode)}; use 3 or 4 octal digits such as "644"`,
    );
  }
  return Number.parseInt(text, 8);
}

/** The agent's simple glob: `*` matches any run of characters within one path segment. */
export function matchesSimpleGlob(name: string, pattern: string): boolean {
  if (name.includes('/')) return false;
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*+/g, '.*');
  return new RegExp(`^${escaped}$`, 's').test(name);
}

function underObject(object: string, path: string): string | undefined {
  const base = object.endsWith('/') ? object : object + '/';
  return path.startsWith(base) ? path.slice(base.length) : undefined;
}

/** Apply appspec `permissions` to what this deployment installed, as the agent selects them. */
export async function applyPermissions(req: ApplyPermissionsRequest): Promise<ApplyPermissionsResult> {
  const isRoot = req.isRoot ?? process.getuid?.() === 0;
  const copied = new Set(req.installed.copied);
  const created = new Set(req.installed.createdDirectories);
  const applied: string[] = [];
  const warnings: PermissionWarning[] = [];
  const seen = new Set<string>();
  const jobs: { path: string; permission: AppspecPermission }[] = [];

  const target = (path: string, permission: AppspecPermission) => {
    if (seen.has(path)) {
      throw new InstallError(`permissions: ${path} is given permissions more than once`);
    }
    seen.add(path);
    jobs.push({ path, permission });
  };

  for (const [index, permission] of (req.permissions ?? []).entries()) {
    const object = permission.object
      ? posix.normalize(String(permission.object)).replace(/(.)\/$/, '$1')
      : '';
    if (!object) throw new InstallError(`permissions[${index}] has no object`);
    const pattern = permission.pattern ?? '**';
    const except = permission.except ?? [];
    const types = permission.type ?? ['file', 'directory'];
    if (permission.mode !== undefined && permission.mode !== null) parseMode(permission.mode);

    if (copied.has(object)) {
      if (types.includes('file')) {
        if (pattern !== '**') {
          throw new InstallError(
            `permissions: object ${object} is a file, so pattern must be "**" (found ${JSON.stringify(pattern)})`,
          );
        }
        if (except.length > 0)
          throw new InstallError(`permissions: object ${object} is a file, so except must be empty`);
        target(object, permission);
      }
      continue;
    }
    const isDirectory =
      created.has(object) ||
      (await lstat(localPath(req.instanceRoot, object))
        .then((s) => s.isDirectory())
        .catch(() => false));
    if (!isDirectory) continue;
    const candidates = [
      ...(types.includes('file') ? [...copied] : []),
      ...(types.includes('directory') ? [...created] : []),
    ];
    for (const path of candidates) {
      const rest = underObject(object, path);
      if (rest === undefined) continue;
      const matches = pattern === '**' || matchesSimpleGlob(rest, pattern);
      const excluded = except.some((glob) => matchesSimpleGlob(rest, glob));
      if (matches && !excluded) target(path, permission);
    }
  }

  const realRoot = await realpath(req.instanceRoot);
  for (const { path, permission } of jobs) {
    const local = localPath(req.instanceRoot, path);
    // Never through a link: not one installed by the revision (it may point at /etc/shadow), not one a hook put in
    // place of a folder on the way. A link's own mode means nothing on Linux, so only its owner is set (lchown).
    const parent = await realpath(resolve(local, '..')).catch(() => undefined);
    if (parent === undefined || !isInside(realRoot, parent)) {
      throw new InstallError(`permissions: ${path} lies behind a link that leads outside the instance`);
    }
    const isLink = (await lstat(local)).isSymbolicLink();
    if (permission.mode !== undefined && permission.mode !== null) {
      if (isLink) {
        warnings.push({
          object: path,
          message: `mode ${String(permission.mode)} not applied: ${path} is a link, and a mode is never set through one`,
        });
      } else await chmod(local, parseMode(permission.mode));
    }
    if (permission.acls && permission.acls.length > 0) {
      warnings.push({
        object: path,
        message: 'acls are not applied by the local provider (they are on EC2)',
      });
    }
    if (permission.context) {
      warnings.push({
        object: path,
        message: 'SELinux context is not applied by the local provider (it is on EC2)',
      });
    }
    if (permission.owner || permission.group) {
      if (isRoot) {
        await (isLink ? lchown : chown)(
          local,
          permission.owner ? await lookupId('passwd', permission.owner) : -1,
          permission.group ? await lookupId('group', permission.group) : -1,
        );
      } else {
        warnings.push({
          object: path,
          message: `owner/group (${[permission.owner, permission.group].filter(Boolean).join(':')}) not applied: changing ownership needs root`,
        });
      }
    }
    applied.push(path);
  }
  return { applied, warnings };
}

function lookupId(database: 'passwd' | 'group', name: string): Promise<number> {
  return new Promise((resolveId, reject) => {
    execFile('getent', [database, name], { timeout: 5000 }, (err, stdout) => {
      const id = Number(stdout.split(':')[2]);
      if (err || !Number.isInteger(id)) {
        reject(
          new InstallError(`permissions: ${database === 'passwd' ? 'user' : 'group'} ${name} does not exist`),
        );
      } else resolveId(id);
    });
  });
}
