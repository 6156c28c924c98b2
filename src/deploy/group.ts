/**
 * A deployment group as the commands use it: the checked group file, its state folder, its ledger,
 * and the provider that runs it. `.conveyor/groups/<app>/<group>/` under the group file's folder,
 * or under `--state-dir`.
 */

import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { type LoadedGroup, loadDeploymentGroup } from '../documents/deployment-group/load.js';
import { formatDiagnostics } from '../documents/diagnostics.js';
import type { DeployProvider } from '../providers/provider.js';
import { Ledger, type LedgerProblem } from './ledger.js';
import { type GroupState, reduce } from './state.js';

export interface GroupContext {
  loaded: LoadedGroup;
  stateDir: string;
  groupDir: string;
  ledger: Ledger;
}

/**
 * Loads a group file. `readOnly` is for commands that only look at or stop a group (status, history, down):
 * they must work even when a rollback hook script named in the file has gone missing.
 */
export function openGroup(
  configPath: string,
  options: { stateDir?: string; cwd: string; readOnly?: boolean },
): GroupContext {
  const file = resolve(options.cwd, configPath);
  if (!existsSync(file)) throw new UsageError(`deployment group file ${configPath} does not exist`);
  if (statSync(file).isDirectory()) {
    throw new UsageError(`deployment group file ${configPath} is a folder`, 'pass the group file itself');
  }
  const { loaded, diagnostics } = loadDeploymentGroup(file, {
    ...(options.readOnly ? { ignoreRules: ['deployment-group/rollback-hook-missing'] } : {}),
  });
  if (!loaded) {
    throw new UsageError(`the deployment group file is invalid:\n${formatDiagnostics(diagnostics)}`);
  }
  const stateDir = options.stateDir ? resolve(options.cwd, options.stateDir) : join(loaded.dir, '.conveyor');
  const groupDir = join(stateDir, 'groups', loaded.group.application, loaded.group.deploymentGroup);
  return { loaded, stateDir, groupDir, ledger: new Ledger(join(groupDir, 'ledger.ndjson')) };
}

export function readGroupState(ctx: GroupContext): { state: GroupState; problems: LedgerProblem[] } {
  const { events, problems } = ctx.ledger.read();
  return { state: reduce(events), problems };
}

export function describeLedgerProblems(ctx: GroupContext, problems: LedgerProblem[]): string {
  return problems.map((p) => `${ctx.ledger.file}:${p.line}: ${p.reason}; the line is ignored`).join('\n');
}

export async function providerFor(ctx: GroupContext): Promise<DeployProvider> {
  const kind = ctx.loaded.group.provider ?? 'local';
  if (kind === 'local') {
    const { LocalProvider } = await import('../providers/local/provider.js');
    return new LocalProvider({ group: ctx.loaded.group, groupDir: ctx.groupDir });
  }
  throw new UsageError(
    `provider '${kind}' is not available in this build`,
    'use provider: local, or the CodeDeploy provider once it is installed',
  );
}

const GROUP_FILE_POINTER = 'group-file';

/** Remembers which group file a state folder belongs to, so commands can find it from a deployment id. */
export function rememberGroupFile(ctx: GroupContext): void {
  writeFileSync(join(ctx.groupDir, GROUP_FILE_POINTER), ctx.loaded.file);
}

/**
 * The group file to use when --config is not given: the group under `<stateDir>/groups/` whose ledger holds
 * the deployment id, or the only group there. Undefined when none can be told apart.
 */
export function findGroupFile(
  stateDir: string,
  deploymentId?: string,
): { file?: string; candidates: string[] } {
  const root = join(stateDir, 'groups');
  const candidates: string[] = [];
  if (!existsSync(root)) return { candidates };
  for (const app of readdirSync(root)) {
    for (const name of readdirSync(join(root, app))) {
      const pointer = join(root, app, name, GROUP_FILE_POINTER);
      if (!existsSync(pointer)) continue;
      const file = readFileSync(pointer, 'utf8').trim();
      candidates.push(file);
      if (deploymentId) {
        const ledger = new Ledger(join(root, app, name, 'ledger.ndjson'));
        if (ledger.read().events.some((e) => e.type === 'created' && e.deploymentId === deploymentId)) {
          return { file, candidates };
        }
      }
    }
  }
  if (!deploymentId && candidates.length === 1) return { file: candidates[0]!, candidates };
  return { candidates };
}

export function fleetSize(ctx: GroupContext): number {
  return ctx.loaded.group.local?.instances ?? 1;
}
