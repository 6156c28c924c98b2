/**
 * `runas` the way the CodeDeploy agent honours it: the agent (running as root) starts the script with
 * `su USER -c <script>`, so the script gets USER's login shell, and an account whose shell is nologin fails with
 * "This account is currently not available". Locally, when Conveyor runs as root, scripts go through the same
 * `su`; when it does not, only the current user can be honoured, and anyone else is refused (never run as the
 * wrong user silently).
 */
import { execFile } from 'node:child_process';
import { userInfo } from 'node:os';
import { basename } from 'node:path';

export interface UserEntry {
  uid: number;
  gid: number;
  home: string;
  /** The login shell from the passwd entry; empty means /bin/sh. */
  shell?: string;
}

/** The user a script runs as; tests substitute their own. */
export interface IdentityPort {
  currentUid(): number;
  currentUserName(): string;
  lookupUser(name: string): Promise<UserEntry | undefined>;
}

export const systemIdentity: IdentityPort = {
  currentUid: () => process.getuid?.() ?? -1,
  currentUserName: () => userInfo().username,
  lookupUser: (name) =>
    new Promise((resolveUser) => {
      // getent consults NSS (LDAP, sssd…), not only /etc/passwd. No shell: the name is one argument.
      execFile('getent', ['passwd', name], { timeout: 5000 }, (err, stdout) => {
        if (err) return resolveUser(undefined);
        const fields = stdout.trim().split(':');
        const uid = Number(fields[2]);
        const gid = Number(fields[3]);
        if (!Number.isInteger(uid) || !Number.isInteger(gid)) return resolveUser(undefined);
        resolveUser({ uid, gid, home: fields[5] ?? '/', shell: fields[6] ?? '' });
      });
    }),
};

export type RunAsDecision =
  /** Run the script directly, as the user Conveyor runs as. */
  | { kind: 'current' }
  /** Run it with `su <user> -c <script>`, as the agent does. */
  | { kind: 'su'; user: string; shell: string }
  /** The agent's `su` would refuse this account (its login shell is nologin); fail as it would. */
  | { kind: 'nologin'; user: string; shell: string }
  | { kind: 'error'; message: string };

/** Shells with which `su USER -c` cannot run anything. */
export function isNoLoginShell(shell: string | undefined): boolean {
  return shell !== undefined && ['nologin', 'false'].includes(basename(shell.trim()));
}

/** The hint for a `runas` user whose login shell refuses `su`. */
export function noLoginHint(user: string, shell: string): string {
  return `${user}'s login shell is ${shell}, and the CodeDeploy agent runs a runas script with "su ${user} -c <script>", which such an account refuses ("This account is currently not available"); give ${user} a login shell (usermod -s /bin/bash ${user}) or remove runas`;
}

/**
 * How to honour `runas`: the current user runs the script directly (unless the agent's `su` would refuse that
 * account); as root, any existing user goes through `su`; otherwise refuse.
 */
export async function decideRunAs(
  runas: string | null | undefined,
  identity: IdentityPort,
): Promise<RunAsDecision> {
  const wanted = runas?.trim();
  if (!wanted) return { kind: 'current' };
  const current = identity.currentUserName();
  const user = await identity.lookupUser(wanted);
  if (wanted === current) {
    return user?.shell !== undefined && isNoLoginShell(user.shell)
      ? { kind: 'nologin', user: wanted, shell: user.shell }
      : { kind: 'current' };
  }
  if (identity.currentUid() !== 0) {
    return {
      kind: 'error',
      message: `runas: ${wanted} needs the runner to be root to switch user, but it runs as ${current}; run conveyor as root or remove runas (scripts would run as ${current})`,
    };
  }
  if (!user) return { kind: 'error', message: `runas: user ${wanted} does not exist on this machine` };
  return { kind: 'su', user: wanted, shell: user.shell ?? '' };
}

/** A path as one word for `su -c` (the agent pastes it unquoted; its paths never have spaces, ours may). */
export function shellQuote(path: string): string {
  return `'${path.replaceAll("'", `'\\''`)}'`;
}
