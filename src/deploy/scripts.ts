/**
 * Group-level scripts (beforeRollback/afterRollback) run as files, never through a shell, in their own
 * process group so a timeout kills everything they started. They run with the runner's environment (AWS
 * credentials, tokens), so the end of their output that is kept (the ledger, `status`, the dashboard) is
 * masked as it arrives, as a command check's is.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { envMasker, MaskedTail } from './checks/secrets.js';

/** How much of a script's output is kept. */
const KEEP = 4000;
/** How long the pipes may stay open after the script exits: its last output may still be in them. */
const DRAIN_MS = 250;

export interface ScriptResult {
  ok: boolean;
  exitCode: number | null;
  output: string;
  message: string;
  durationMs: number;
}

export async function runGroupScript(
  script: string,
  options: {
    cwd: string;
    env: Record<string, string>;
    timeoutMs: number;
    /** The run's environment when not this process's: its credentials are masked too. */
    runEnv?: Record<string, string | undefined>;
  },
): Promise<ScriptResult> {
  const file = isAbsolute(script) ? script : resolve(options.cwd, script);
  const started = Date.now();
  try {
    accessSync(file, constants.X_OK);
  } catch {
    return {
      ok: false,
      exitCode: null,
      output: '',
      message: `${script} is missing or not executable`,
      durationMs: 0,
    };
  }
  return new Promise<ScriptResult>((done) => {
    const env = { ...process.env, ...options.env };
    const child = spawn(file, [], {
      cwd: options.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    // Masked before the cut: the end of a secret the cut went through would be recognised by nothing.
    const kept = new MaskedTail(envMasker(env, ...(options.runEnv ? [options.runEnv] : [])), KEEP);
    const collect = (text: string) => kept.write(text);
    // Decoded per pipe: a character split across two reads stays whole.
    child.stdout.setEncoding('utf8').on('data', collect);
    child.stderr.setEncoding('utf8').on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, options.timeoutMs);
    let finished = false;
    const finish = (exitCode: number | null, message: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      const output = kept.text();
      done({ ok: exitCode === 0 && !timedOut, exitCode, output, message, durationMs: Date.now() - started });
    };
    child.on('error', (err) => finish(null, `${script} could not start: ${err.message}`));
    // 'exit', then 'close' only for a moment: a script that leaves a background process holding stdout must not
    // hang us.
    child.on('exit', (code, signal) => {
      const message = timedOut
        ? `${script} exceeded its timeout of ${options.timeoutMs / 1000}s and was killed`
        : code === 0
          ? `${script} succeeded`
          : `${script} exited with ${code ?? signal}`;
      const drained = setTimeout(() => finish(code, message), DRAIN_MS);
      child.once('close', () => {
        clearTimeout(drained);
        finish(code, message);
      });
    });
  });
}
