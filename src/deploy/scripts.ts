/**
 * Group-level scripts (beforeRollback/afterRollback) run as files, never through a shell, in their own
 * process group so a timeout kills everything they started.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

export interface ScriptResult {
  ok: boolean;
  exitCode: number | null;
  output: string;
  message: string;
  durationMs: number;
}

export async function runGroupScript(
  script: string,
  options: { cwd: string; env: Record<string, string>; timeoutMs: number },
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
    const child = spawn(file, [], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    const collect = (c: Buffer) => {
      output = (output + c.toString()).slice(-4000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, options.timeoutMs);
    const finish = (exitCode: number | null, message: string) => {
      clearTimeout(timer);
      done({ ok: exitCode === 0 && !timedOut, exitCode, output, message, durationMs: Date.now() - started });
    };
    child.on('error', (err) => finish(null, `${script} could not start: ${err.message}`));
    // 'exit' rather than 'close': a script that leaves a background process holding stdout must not hang us.
    child.on('exit', (code, signal) => {
      if (timedOut)
        finish(code, `${script} exceeded its timeout of ${options.timeoutMs / 1000}s and was killed`);
      else finish(code, code === 0 ? `${script} succeeded` : `${script} exited with ${code ?? signal}`);
    });
  });
}
