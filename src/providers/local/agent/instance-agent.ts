/**
 * The local stand-in for the CodeDeploy agent on ONE instance: walks a list of lifecycle events the way the
 * agent executes a deployment's commands (command_executor.rb, hook_executor.rb, installer.rb).
 *
 * Per instance it keeps, under `<instanceRoot>/.conveyor/`:
 * - `deployment-archive/<deploymentId>/`: the revision as DownloadBundle copied it (the agent's deployment-archive);
 * - `last-successful-install.json` / `most-recent-install.json`: which archive the last successful Install and the
 *   last DownloadBundle used (the agent's `<group>_last_successful_install` and `_most_recent_install`);
 * - `deployment-instructions/<groupId>-cleanup`: files the last Install created (see files.ts);
 * - `logs/<deploymentId>/<event>.log`: hook output, per event;
 * - `process-groups.json`: processes hook scripts left running (see process-groups.ts).
 */
import { cp, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  type AppspecSource,
  appspecSourceFor,
  type DeploymentType,
  IGNORABLE_STOP_EVENTS,
  isLifecycleEvent,
  isReservedEvent,
  type LifecycleEvent,
  type TrafficEvent,
} from '../../../deploy/lifecycle-events.js';
import {
  type AppspecFileMapping,
  type AppspecPermission,
  applyPermissions,
  CONVEYOR_DIR,
  type FileExistsBehavior,
  installFiles,
} from './files.js';
import { stopInstanceProcesses } from './process-groups.js';
import type { IdentityPort } from './runas.js';
import { type HookDeploymentInfo, type HookScript, runHookScripts, type ScriptRunResult } from './scripts.js';

/**
 * The parts of an EC2/on-premises appspec the agent acts on. Structural, so the validated type from
 * src/documents/appspec fits; `hooks` values may be null (an empty hook, ignored).
 */
export interface AgentAppspec {
  os?: string;
  files?: readonly AppspecFileMapping[] | null;
  permissions?: readonly AppspecPermission[] | null;
  file_exists_behavior?: FileExistsBehavior | null;
  hooks?: Readonly<Record<string, readonly HookScript[] | null | undefined>> | null;
}

export interface AgentRevision {
  /** The revision folder, with appspec.yml (or appspec.yaml) at its root. */
  dir: string;
  /** The parsed appspec; read from `dir` when absent. */
  appspec?: AgentAppspec;
  /** Short name for messages (e.g. `v2`). */
  label?: string;
}

export interface AgentInstance {
  id: string;
  /** The instance's folder: `files` destinations land under it, Conveyor's own state in its `.conveyor/`. */
  root: string;
  /** The loopback port the instance's server must listen on (PORT in hook scripts). */
  port: number;
}

/** Progress of one event, reported as it happens; the same shape the deploy engine's LifecycleProgress takes. */
export interface InstanceEventProgress {
  instance: string;
  event: string;
  status: 'started' | 'succeeded' | 'failed' | 'skipped';
  /** The failure was ignored (ignoreApplicationStopFailures); the lifecycle went on. */
  ignored?: boolean;
  script?: string;
  durationMs?: number;
  message?: string;
  /** Tail of the failed script's output. */
  output?: string;
}

export interface InstanceLifecycleRequest {
  instance: AgentInstance;
  deployment: HookDeploymentInfo;
  newRevision: AgentRevision;
  /**
   * The revision ApplicationStop and the block-traffic hooks take their scripts from. Default: the one the
   * instance recorded at its last successful Install (as the agent does).
   */
  lastRevision?: AgentRevision;
  events: readonly string[];
  /** Selects the blue/green rollback appspec mapping together with `rollback`. Default 'in-place'. */
  deploymentType?: DeploymentType;
  rollback?: boolean;
  /** Deployment-level default; the appspec's own `file_exists_behavior` wins. Default DISALLOW. */
  fileExistsBehavior?: FileExistsBehavior;
  /** Go on when ApplicationStop, BeforeBlockTraffic or AfterBlockTraffic fails (CodeDeploy's flag); recorded. */
  ignoreApplicationStopFailures?: boolean;
  /**
   * When ApplicationStop is absent or its failure is ignored, stop the processes earlier hooks left running on
   * the instance, so the new revision can take the port. Default true (a local-provider convenience).
   */
  stopLeftoverProcesses?: boolean;
  /** BlockTraffic / AllowTraffic: the caller moves the instance in or out of the router. A throw fails the event. */
  onTrafficEvent(event: TrafficEvent): Promise<void>;
  onEvent?(progress: InstanceEventProgress): void;
  signal?: AbortSignal;
  /** Extra variables for hook scripts, after PORT, INSTANCE_ROOT and INSTANCE_ID. */
  env?: Record<string, string>;
  /** Grace between SIGTERM and SIGKILL for timed-out scripts and leftover processes. Default 2000 ms. */
  killGraceMs?: number;
  identity?: IdentityPort;
}

export interface InstanceEventResult {
  event: string;
  status: 'succeeded' | 'failed' | 'skipped';
  ignored?: boolean;
  durationMs: number;
  /** Which revision's appspec a scripted event used. */
  appspecSource?: AppspecSource;
  /** The archive the scripts ran from. */
  revisionDir?: string;
  scripts?: ScriptRunResult[];
  message?: string;
  warnings?: string[];
  logFile?: string;
}

export interface InstanceLifecycleResult {
  instanceId: string;
  ok: boolean;
  events: InstanceEventResult[];
  /** The first failure that stopped the lifecycle. */
  failedEvent?: string;
  failedScript?: string;
  exitCode?: number | null;
  timedOut?: boolean;
  message?: string;
  output?: string;
}

interface InstallRecord {
  deploymentId: string;
  archiveDir: string;
  label?: string;
  recordedAt: string;
}

/** Archives kept per instance besides the current one and the last successful (the agent's max_revisions). */
export const ARCHIVES_TO_RETAIN = 5;

export function agentStateDir(instanceRoot: string): string {
  return join(instanceRoot, CONVEYOR_DIR);
}

export function archiveDirFor(instanceRoot: string, deploymentId: string): string {
  return join(agentStateDir(instanceRoot), 'deployment-archive', safeSegment(deploymentId));
}

export function eventLogFile(instanceRoot: string, deploymentId: string, event: string): string {
  return join(agentStateDir(instanceRoot), 'logs', safeSegment(deploymentId), `${safeSegment(event)}.log`);
}

function safeSegment(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

const recordFile = (root: string, which: 'last-successful' | 'most-recent') =>
  join(agentStateDir(root), `${which}-install.json`);

async function readRecord(
  root: string,
  which: 'last-successful' | 'most-recent',
): Promise<InstallRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(recordFile(root, which), 'utf8')) as InstallRecord;
    return (await isDirectory(record.archiveDir)) ? record : undefined;
  } catch {
    return undefined;
  }
}

async function writeRecord(root: string, which: 'last-successful' | 'most-recent', record: InstallRecord) {
  const file = recordFile(root, which);
  await mkdir(agentStateDir(root), { recursive: true });
  await writeFile(`${file}.tmp`, JSON.stringify(record, null, 2) + '\n');
  await rename(`${file}.tmp`, file);
}

/** The revision the instance's last successful Install used, if its archive is still there. */
export async function lastSuccessfulInstall(instanceRoot: string): Promise<InstallRecord | undefined> {
  return readRecord(instanceRoot, 'last-successful');
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path)
    .then((s) => s.isDirectory())
    .catch(() => false);
}

/** Read `appspec.yml` (or `.yaml`) at a revision's root, with the agent's message when there is none. */
export async function loadAgentAppspec(revisionDir: string): Promise<AgentAppspec> {
  for (const name of ['appspec.yml', 'appspec.yaml']) {
    let text: string;
    try {
      text = await readFile(join(revisionDir, name), 'utf8');
    } catch {
      continue;
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch (err) {
      throw new Error(
        `${join(revisionDir, name)} is not valid YAML: ${(err as Error).message.split('\n')[0]}`,
      );
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error(
        `${join(revisionDir, name)} is empty or not a mapping; it must define at least version and os`,
      );
    }
    return parsed as AgentAppspec;
  }
  throw new Error(`no AppSpec file in the revision: expected appspec.yml at the root of ${revisionDir}`);
}

/** Walk the events on one instance; stop at the first failure (unless it is an ignorable stop failure). */
export async function runInstanceLifecycle(req: InstanceLifecycleRequest): Promise<InstanceLifecycleResult> {
  const root = req.instance.root;
  const results: InstanceEventResult[] = [];
  const report = (progress: Omit<InstanceEventProgress, 'instance'>) =>
    req.onEvent?.({ instance: req.instance.id, ...progress });
  const currentArchive = archiveDirFor(root, req.deployment.id);
  await mkdir(agentStateDir(root), { recursive: true });
  // Each revision's appspec is read once per run, not once per event.
  const appspecs = new Map<string, Promise<AgentAppspec>>();
  const load: AppspecLoader = (dir) => {
    let loaded = appspecs.get(dir);
    if (!loaded) {
      loaded = loadAgentAppspec(dir);
      appspecs.set(dir, loaded);
    }
    return loaded;
  };

  const fail = (
    result: InstanceEventResult,
    details: Partial<InstanceLifecycleResult> = {},
  ): InstanceLifecycleResult => {
    results.push(result);
    return {
      instanceId: req.instance.id,
      ok: false,
      events: results,
      failedEvent: result.event,
      message: result.message,
      ...details,
    };
  };

  for (const name of req.events) {
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    if (req.signal?.aborted) {
      report({ event: name, status: 'failed', message: 'the deployment was aborted' });
      return fail({
        event: name,
        status: 'failed',
        durationMs: 0,
        message: `${name} not started: the deployment was aborted`,
      });
    }
    if (!isLifecycleEvent(name)) {
      const message = `unknown lifecycle event ${name}`;
      report({ event: name, status: 'failed', message });
      return fail({ event: name, status: 'failed', durationMs: 0, message });
    }
    const event: LifecycleEvent = name;
    report({ event, status: 'started' });

    if (isReservedEvent(event)) {
      try {
        const outcome = await runReservedEvent(req, event, currentArchive, load);
        const durationMs = elapsed();
        report({
          event,
          status: 'succeeded',
          durationMs,
          ...(outcome.message ? { message: outcome.message } : {}),
        });
        results.push({ event, status: 'succeeded', durationMs, ...outcome });
        continue;
      } catch (err) {
        const message = `${event} failed: ${(err as Error).message}`;
        report({ event, status: 'failed', durationMs: elapsed(), message });
        return fail({ event, status: 'failed', durationMs: elapsed(), message });
      }
    }

    // A scripted event: find the revision whose appspec it uses.
    const source = appspecSourceFor(event, {
      ...(req.rollback ? { rollback: true } : {}),
      deploymentType: req.deploymentType ?? 'in-place',
    });
    let revision: { dir: string; appspec: AgentAppspec } | undefined;
    try {
      revision = await revisionForEvent(req, source, currentArchive, load);
    } catch (err) {
      const message = `${event} failed: ${(err as Error).message}`;
      report({ event, status: 'failed', durationMs: elapsed(), message });
      return fail({ event, status: 'failed', durationMs: elapsed(), appspecSource: source, message });
    }
    const scripts = revision ? hookScripts(revision.appspec, event) : [];
    if (!revision || scripts.length === 0) {
      const message = !revision
        ? `no ${source === 'most-recent' ? 'earlier' : 'previous successful'} revision on this instance`
        : `no ${event} hook in the appspec`;
      const leftovers = await stopLeftoversIfNeeded(req, event);
      const fullMessage = leftovers ? `${message}; ${leftovers}` : message;
      report({ event, status: 'skipped', durationMs: elapsed(), message: fullMessage });
      results.push({
        event,
        status: 'skipped',
        durationMs: elapsed(),
        appspecSource: source,
        message: fullMessage,
      });
      continue;
    }

    const logFile = eventLogFile(root, req.deployment.id, event);
    const run = await runHookScripts({
      event,
      scripts,
      scriptRoot: revision.dir,
      deployment: req.deployment,
      env: {
        PORT: String(req.instance.port),
        INSTANCE_ROOT: root,
        INSTANCE_ID: req.instance.id,
        ...req.env,
      },
      logFile,
      instanceRoot: root,
      killGraceMs: req.killGraceMs ?? 2000,
      ...(req.signal ? { signal: req.signal } : {}),
      ...(req.identity ? { identity: req.identity } : {}),
    });
    const base = {
      event,
      durationMs: elapsed(),
      appspecSource: source,
      revisionDir: revision.dir,
      scripts: run.scripts,
      logFile,
    };
    if (run.ok) {
      report({ event, status: 'succeeded', durationMs: base.durationMs });
      results.push({ ...base, status: 'succeeded' });
      continue;
    }
    const failedScript = run.scripts[run.scripts.length - 1]!;
    const failure = {
      script: failedScript.location,
      durationMs: base.durationMs,
      message: run.error ?? `${event} failed`,
      output: failedScript.outputTail,
    };
    if (req.ignoreApplicationStopFailures && IGNORABLE_STOP_EVENTS.includes(event)) {
      const leftovers = await stopLeftoversIfNeeded(req, event);
      const message = `${failure.message} (ignored: ignoreApplicationStopFailures)${leftovers ? `; ${leftovers}` : ''}`;
      report({ event, status: 'failed', ignored: true, ...failure, message });
      results.push({ ...base, status: 'failed', ignored: true, message });
      continue;
    }
    report({ event, status: 'failed', ...failure });
    return fail(
      { ...base, status: 'failed', message: failure.message },
      {
        failedScript: failedScript.location,
        exitCode: failedScript.exitCode,
        timedOut: failedScript.timedOut,
        output: failedScript.outputTail,
      },
    );
  }
  return { instanceId: req.instance.id, ok: true, events: results };
}

function hookScripts(appspec: AgentAppspec, event: LifecycleEvent): HookScript[] {
  const entry = appspec.hooks?.[event];
  return Array.isArray(entry)
    ? entry.filter((s): s is HookScript => s !== null && typeof s === 'object')
    : [];
}

/** After ApplicationStop did not stop anything (absent, or failed and ignored), stop what earlier hooks left. */
async function stopLeftoversIfNeeded(
  req: InstanceLifecycleRequest,
  event: LifecycleEvent,
): Promise<string | undefined> {
  if (event !== 'ApplicationStop' || req.stopLeftoverProcesses === false) return undefined;
  const { stopped } = await stopInstanceProcesses(req.instance.root, { graceMs: req.killGraceMs ?? 2000 });
  if (stopped.length === 0) return undefined;
  const what = stopped.map((g) => `${g.event} ${g.location} (process group ${g.pgid})`).join(', ');
  return `stopped processes left running by ${what}`;
}

type AppspecLoader = (dir: string) => Promise<AgentAppspec>;

async function revisionForEvent(
  req: InstanceLifecycleRequest,
  source: AppspecSource,
  currentArchive: string,
  load: AppspecLoader,
): Promise<{ dir: string; appspec: AgentAppspec } | undefined> {
  const newAppspec = async (dir: string) => req.newRevision.appspec ?? (await load(dir));
  // Like the agent: once this deployment's bundle is on the instance, every event reads it.
  if (await isDirectory(currentArchive))
    return { dir: currentArchive, appspec: await newAppspec(currentArchive) };
  if (source === 'new') return { dir: req.newRevision.dir, appspec: await newAppspec(req.newRevision.dir) };
  if (source === 'last-successful' && req.lastRevision) {
    return {
      dir: req.lastRevision.dir,
      appspec: req.lastRevision.appspec ?? (await load(req.lastRevision.dir)),
    };
  }
  const record = await readRecord(
    req.instance.root,
    source === 'most-recent' ? 'most-recent' : 'last-successful',
  );
  if (!record) return undefined;
  return { dir: record.archiveDir, appspec: await load(record.archiveDir) };
}

async function runReservedEvent(
  req: InstanceLifecycleRequest,
  event: LifecycleEvent,
  currentArchive: string,
  load: AppspecLoader,
): Promise<Pick<InstanceEventResult, 'message' | 'warnings' | 'revisionDir'>> {
  const root = req.instance.root;
  switch (event) {
    case 'DownloadBundle': {
      await pruneOldArchives(root, req.deployment.id);
      await rm(currentArchive, { recursive: true, force: true });
      await mkdir(join(currentArchive, '..'), { recursive: true });
      await cp(req.newRevision.dir, currentArchive, { recursive: true, verbatimSymlinks: true });
      await writeRecord(root, 'most-recent', {
        deploymentId: req.deployment.id,
        archiveDir: currentArchive,
        ...(req.newRevision.label ? { label: req.newRevision.label } : {}),
        recordedAt: new Date().toISOString(),
      });
      return { revisionDir: currentArchive, message: `revision copied to ${currentArchive}` };
    }
    case 'Install': {
      const dir = (await isDirectory(currentArchive)) ? currentArchive : req.newRevision.dir;
      const appspec = req.newRevision.appspec ?? (await load(dir));
      const installed = await installFiles({
        files: appspec.files,
        fileExistsBehavior: appspec.file_exists_behavior ?? req.fileExistsBehavior ?? 'DISALLOW',
        revisionDir: dir,
        instanceRoot: root,
        groupId: req.deployment.groupId,
      });
      const permissions = await applyPermissions({
        permissions: appspec.permissions,
        instanceRoot: root,
        installed,
      });
      // The agent marks the revision last-successful as soon as Install succeeds (command_executor.rb).
      await writeRecord(root, 'last-successful', {
        deploymentId: req.deployment.id,
        archiveDir: dir,
        ...(req.newRevision.label ? { label: req.newRevision.label } : {}),
        recordedAt: new Date().toISOString(),
      });
      const warnings = permissions.warnings.map((w) => `${w.object}: ${w.message}`);
      const retained = installed.retained.length > 0 ? `, ${installed.retained.length} kept (RETAIN)` : '';
      return {
        revisionDir: dir,
        message: `${installed.copied.length} files installed${retained}`,
        ...(warnings.length > 0 ? { warnings } : {}),
      };
    }
    case 'BlockTraffic':
    case 'AllowTraffic':
      await req.onTrafficEvent(event);
      return {};
    default:
      throw new Error(`${event} is not a reserved event`);
  }
}

/** Keep the newest archives (and always the last successful one), as the agent's cleanup_old_archives does. */
async function pruneOldArchives(root: string, currentDeploymentId: string): Promise<void> {
  const parent = join(agentStateDir(root), 'deployment-archive');
  const names = await readdir(parent).catch(() => [] as string[]);
  const last = await readRecord(root, 'last-successful');
  const others = names.filter((n) => n !== safeSegment(currentDeploymentId));
  const extra = others.length - ARCHIVES_TO_RETAIN + 1;
  if (extra <= 0) return;
  const candidates = [];
  for (const name of others) {
    const dir = join(parent, name);
    if (last && last.archiveDir === dir) continue;
    candidates.push({ dir, mtime: (await stat(dir)).mtimeMs });
  }
  candidates.sort((a, b) => a.mtime - b.mtime);
  for (const { dir } of candidates.slice(0, extra)) await rm(dir, { recursive: true, force: true });
}
