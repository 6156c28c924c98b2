/**
 * A deployment group as the commands use it: the checked group file, its state folder, its ledger,
 * and the provider that runs it. `.conveyor/groups/<app>/<group>/` under the group file's folder,
 * or under `--state-dir`.
 */
import { join, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { DeployProvider } from '../providers/provider.js';
import { type LoadedGroup, loadDeploymentGroup } from '../spec/deployment-group/load.js';
import { formatDiagnostics } from '../spec/diagnostics.js';
import { Ledger, type LedgerProblem } from './ledger.js';
import { type GroupState, reduce } from './state.js';

export interface GroupContext {
  loaded: LoadedGroup;
  stateDir: string;
  groupDir: string;
  ledger: Ledger;
}

export function openGroup(configPath: string, options: { stateDir?: string; cwd: string }): GroupContext {
  const { loaded, diagnostics } = loadDeploymentGroup(resolve(options.cwd, configPath));
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
