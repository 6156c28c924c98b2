import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { distEntry } from '../../core/paths.js';
import { SecretMasker } from '../../core/secret-mask.js';

/** Runs one deployment of a revision folder to a deployment group, for a pipeline's CodeDeploy action. */
export interface LocalDeployer {
  deploy(options: {
    configFile: string;
    revisionDir: string;
    cwd: string;
    logPath: string;
    env: Record<string, string | undefined>;
    signal?: AbortSignal;
    /** The run's secrets: masked in the log and the message as the deployment's output arrives. */
    masker?: SecretMasker;
  }): Promise<{ ok: boolean; message: string }>;
}

/**
 * The default deployer goes through the CLI contract, `conveyor deploy --config FILE --revision DIR`, in its own
 * process: the deploy engine and its local fleet stay decoupled from the pipeline runner, and the deployment is
 * recorded in the group's own history like any other.
 */
export const cliDeployer: LocalDeployer = {
  deploy: ({ configFile, revisionDir, cwd, logPath, env, signal, masker = new SecretMasker() }) =>
    new Promise((resolve) => {
      const log = createWriteStream(logPath, { flags: 'a' });
      log.on('error', () => {});
      const child = spawn(
        process.execPath,
        [distEntry('cli/main.js'), 'deploy', '--config', configFile, '--revision', revisionDir],
        {
          cwd,
          env: env as NodeJS.ProcessEnv,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let tail = '';
      // Masked before the cut to 2000 characters: the end of a secret the cut went through is none the
      // run's masking of its record would recognise.
      const output = masker.stream((text) => {
        log.write(text);
        tail = (tail + text).slice(-2000);
      });
      const onData = (text: string) => output.write(text);
      // Decoded per pipe: a character split across two reads stays whole.
      child.stdout.setEncoding('utf8').on('data', onData);
      child.stderr.setEncoding('utf8').on('data', onData);
      const onAbort = () => child.kill('SIGTERM');
      signal?.addEventListener('abort', onAbort, { once: true });
      child.on('error', (err) => {
        log.end();
        resolve({ ok: false, message: `cannot start conveyor deploy: ${err.message}` });
      });
      child.on('close', (code) => {
        signal?.removeEventListener('abort', onAbort);
        output.flush();
        log.end();
        const last = tail.trim().split('\n').filter(Boolean).pop() ?? '';
        resolve(
          code === 0
            ? { ok: true, message: last }
            : { ok: false, message: `conveyor deploy exited ${code}: ${last}` },
        );
      });
    }),
};
