/**
 * `command` checks (Argo's "job", Flagger's webhooks): run a command; `exitCode` decides by default.
 * Its output (stdout and stderr, the last 4 KiB) is kept with the verdict, masked as it arrives: the command
 * runs with the whole environment (AWS credentials, tokens), and a cut through a secret or through
 * `scheme://user:password@` would leave part of it unrecognised, so both are masked before the cut, never
 * after. The check's timeout aborts the whole process group, so a hanging smoke test cannot outlive its
 * measurement; the group is recorded in the group's state while it runs, so one whose runner was killed with -9
 * is killed by whoever takes over (check-processes.ts).
 * It runs in the group file's folder (`ctx.configDir`), as rollback hooks and notification commands do, so
 * `./scripts/smoke.sh` means the same whichever folder `conveyor deploy` (or a resumed runner) started in.
 */
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { errorMessage } from '../../core/errors.js';
import type { SecretMasker } from '../../core/secret-mask.js';
import type { CheckSpec } from '../../documents/deployment-group/checks-schema.js';
import { type CheckContext, type CheckProvider, type CheckReading, renderTemplate } from './check.js';
import { MaskedTail } from './secrets.js';

const KEEP = 4096;

export const commandProvider: CheckProvider = {
  async measure(
    spec: CheckSpec,
    ctx: CheckContext,
    signal: AbortSignal,
    masker: SecretMasker,
  ): Promise<CheckReading> {
    if (spec.provider !== 'command') return { error: `not a command check: ${spec.provider}` };
    const cwd = ctx.configDir;
    if (cwd !== undefined) {
      // spawn reports a missing cwd as its program missing (`spawn /bin/sh ENOENT`): say what is gone instead.
      const folder = await stat(cwd).catch(() => undefined);
      if (!folder?.isDirectory())
        return { error: `cannot run in the group file's folder ${cwd}: it is not there (moved or deleted?)` };
    }
    const env = {
      ...process.env,
      CONVEYOR_CANARY_REVISION: ctx.canaryRevision,
      CONVEYOR_STABLE_REVISION: ctx.stableRevision,
      CONVEYOR_DEPLOYMENT_ID: ctx.deploymentId,
      // The runner's own PWD would name the folder it started in, not the one the check runs in.
      ...(cwd !== undefined ? { PWD: cwd } : {}),
    };
    // Templates are filled in the argv form too, one argument at a time (no shell sees the values).
    const argv =
      typeof spec.command === 'string'
        ? ['/bin/sh', '-c', renderTemplate(spec.command, ctx)]
        : spec.command.map((arg) => renderTemplate(arg, ctx));
    // A relative program path (`./smoke.sh`, `scripts/smoke.sh`) is the group folder's; a bare name (`curl`) is
    // looked up on PATH. The shell line runs in that folder, so its own relative paths resolve there too.
    const program = programPath(argv[0]!, cwd);
    return new Promise((resolve) => {
      // One stream for both pipes, as they interleave: a secret or a URL with a password split across two
      // writes is held back until it is whole, then masked, before the cut to KEEP.
      const kept = new MaskedTail(masker, KEEP);
      const keep = (text: string) => kept.write(text);
      const child = spawn(program, argv.slice(1), {
        env,
        ...(cwd !== undefined ? { cwd } : {}),
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const kill = () => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      };
      // Recorded before the check waits on it: if this runner is killed with -9, whoever takes the deployment
      // over kills the group instead (check-processes.ts). A group that cannot be recorded is not left to run.
      let recorded = false;
      let unrecorded: string | undefined;
      if (child.pid !== undefined && ctx.processes) {
        try {
          ctx.processes.started(child.pid, spec.name);
          recorded = true;
        } catch (err) {
          unrecorded = errorMessage(err);
          kill();
        }
      }
      const forget = () => {
        try {
          if (recorded) ctx.processes?.ended(child.pid!);
        } catch {
          // A record left behind names a group that is gone: the next sweep finds nothing to kill and removes it.
        }
      };
      signal.addEventListener('abort', kill, { once: true });
      // Decoded per pipe: a character split across two reads stays whole.
      child.stdout.setEncoding('utf8').on('data', keep);
      child.stderr.setEncoding('utf8').on('data', keep);
      child.on('error', (err) => {
        signal.removeEventListener('abort', kill);
        forget();
        resolve({ error: `cannot run ${argv[0]}: ${err.message}${spawnHint(err, argv[0]!, program, cwd)}` });
      });
      child.on('close', (code, sig) => {
        signal.removeEventListener('abort', kill);
        forget();
        const output = kept.text();
        if (unrecorded !== undefined)
          return resolve({ error: `cannot record its process in the group's state: ${unrecorded}`, output });
        // measureCheck answers a timeout itself: a stopped measurement is the runner stopping, or the timeout.
        if (signal.aborted) return resolve({ error: 'stopped before it finished', output });
        if (code === null) return resolve({ error: `killed by ${sig}`, output });
        resolve({ vars: { exitCode: code }, measured: { exitCode: code }, output });
      });
    });
  },
};

/** The program to start: a relative path with a slash resolved against the group folder, anything else as is. */
function programPath(first: string, cwd: string | undefined): string {
  return cwd !== undefined && first.includes('/') && !isAbsolute(first) ? resolvePath(cwd, first) : first;
}

/** What a failed start most likely means, for the two mistakes a smoke script invites. */
function spawnHint(err: Error, first: string, program: string, cwd: string | undefined): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES') return ` (${first} is not executable: chmod +x it, or run it through a shell)`;
  if (code === 'ENOENT' && program !== first)
    return ` (relative paths are relative to the group file's folder ${cwd})`;
  return '';
}
