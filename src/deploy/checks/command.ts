/**
 * `command` checks (Argo's "job", Flagger's webhooks): run a command; `exitCode` decides by default.
 * Its output (stdout and stderr, the last 4 KiB) is kept with the verdict, masked as it arrives: the command
 * runs with the whole environment (AWS credentials, tokens), and a cut through a secret would leave part of
 * it unrecognised, so the secrets are masked before the cut, never after. The check's timeout aborts
 * the whole process group, so a hanging smoke test cannot outlive its measurement.
 */
import { spawn } from 'node:child_process';
import type { SecretMasker } from '../../core/secret-mask.js';
import type { CheckSpec } from '../../documents/deployment-group/checks-schema.js';
import { type CheckContext, type CheckProvider, type CheckReading, renderTemplate } from './check.js';

const KEEP = 4096;

export const commandProvider: CheckProvider = {
  measure(
    spec: CheckSpec,
    ctx: CheckContext,
    signal: AbortSignal,
    masker: SecretMasker,
  ): Promise<CheckReading> {
    if (spec.provider !== 'command')
      return Promise.resolve({ error: `not a command check: ${spec.provider}` });
    const env = {
      ...process.env,
      CONVEYOR_CANARY_REVISION: ctx.canaryRevision,
      CONVEYOR_STABLE_REVISION: ctx.stableRevision,
      CONVEYOR_DEPLOYMENT_ID: ctx.deploymentId,
    };
    const argv =
      typeof spec.command === 'string' ? ['/bin/sh', '-c', renderTemplate(spec.command, ctx)] : spec.command;
    return new Promise((resolve) => {
      let output = '';
      // One stream for both pipes, as they interleave in `output`: a secret split across two writes is held
      // back until it is whole, then masked.
      const kept = masker.stream((text) => {
        output = (output + text).slice(-KEEP);
      });
      const keep = (text: string) => kept.write(text);
      const child = spawn(argv[0]!, argv.slice(1), {
        env,
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
      signal.addEventListener('abort', kill, { once: true });
      // Decoded per pipe: a character split across two reads stays whole.
      child.stdout.setEncoding('utf8').on('data', keep);
      child.stderr.setEncoding('utf8').on('data', keep);
      child.on('error', (err) => {
        signal.removeEventListener('abort', kill);
        resolve({ error: `cannot run ${argv[0]}: ${err.message}` });
      });
      child.on('close', (code, sig) => {
        signal.removeEventListener('abort', kill);
        kept.flush();
        // measureCheck answers a timeout itself: a stopped measurement is the runner stopping, or the timeout.
        if (signal.aborted) return resolve({ error: 'stopped before it finished', output });
        if (code === null) return resolve({ error: `killed by ${sig}`, output });
        resolve({ vars: { exitCode: code }, measured: { exitCode: code }, output });
      });
    });
  },
};
