/**
 * Notifications on deployment events, like CodeDeploy triggers: a command gets the event JSON on stdin,
 * a webhook gets it as a POST body. A failing notification is reported, never fatal, and never blocks a step.
 */
import { spawn } from 'node:child_process';
import type { NotificationSpec } from '../documents/deployment-group/schema.js';
import { envMasker, MaskedTail, maskText } from './checks/secrets.js';

/** How much of a failing command's stderr its failure message keeps. */
const KEEP_STDERR = 500;

export type NotificationKind =
  | 'started'
  | 'step'
  | 'paused'
  | 'succeeded'
  | 'failed'
  | 'rolled-back'
  | 'stopped';

export interface NotificationEvent {
  kind: NotificationKind;
  application: string;
  deploymentGroup: string;
  deploymentId: string;
  revision: string;
  status: string;
  at: string;
  step?: { index: number; description: string };
  reason?: string;
}

export interface Notifier {
  notify(event: NotificationEvent): void;
  /** Waits (bounded) for notifications still being delivered. */
  flush(timeoutMs?: number): Promise<void>;
}

export const silentNotifier: Notifier = { notify: () => {}, flush: async () => {} };

export function createNotifier(
  specs: readonly NotificationSpec[],
  options: {
    cwd: string;
    onFailure(target: string, message: string): void;
    timeoutMs?: number;
    /** The run's environment when not this process's: its credentials are masked in stderr too. */
    runEnv?: Record<string, string | undefined>;
  },
): Notifier {
  const inFlight = new Set<Promise<void>>();
  const timeoutMs = options.timeoutMs ?? 5000;
  const deliver = async (spec: NotificationSpec, body: string): Promise<void> => {
    if ('webhook' in spec) {
      const res = await fetch(spec.webhook, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      await res.arrayBuffer();
      return;
    }
    const argv = Array.isArray(spec.command) ? spec.command : [spec.command];
    const [file, ...args] = argv as [string, ...string[]];
    await new Promise<void>((resolve, reject) => {
      const child = spawn(file, args, {
        cwd: options.cwd,
        stdio: ['pipe', 'ignore', 'pipe'],
        timeout: timeoutMs,
      });
      // The command runs with this process's environment (AWS credentials, tokens), and its stderr goes to the
      // ledger: masked as it arrives, before the cut.
      const masker = envMasker(process.env, ...(options.runEnv ? [options.runEnv] : []));
      const kept = new MaskedTail(masker, KEEP_STDERR);
      child.stderr.setEncoding('utf8').on('data', (text: string) => kept.write(text));
      child.on('error', reject);
      child.on('close', (code, signal) => {
        const stderr = kept.text();
        if (code === 0) resolve();
        else reject(new Error(`exited ${code ?? signal}${stderr ? `: ${stderr.trim()}` : ''}`));
      });
      child.stdin.on('error', () => {});
      child.stdin.end(body);
    });
  };
  return {
    notify(event) {
      const body = JSON.stringify(event);
      for (const spec of specs) {
        if (spec.events && !spec.events.includes(event.kind)) continue;
        const target =
          'webhook' in spec
            ? webhookLabel(spec.webhook)
            : maskText(
                envMasker(process.env, ...(options.runEnv ? [options.runEnv] : [])),
                [spec.command].flat().join(' '),
              );
        const p = deliver(spec, body).catch((err: unknown) => {
          options.onFailure(target, err instanceof Error ? err.message : String(err));
        });
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
    },
    async flush(timeout = timeoutMs) {
      if (inFlight.size === 0) return;
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise((r) => setTimeout(r, timeout).unref()),
      ]);
    },
  };
}

/**
 * A webhook as the ledger, `status` and the dashboard name it: its scheme and host, with the path and query
 * masked. Chat webhooks carry their credential there (Slack's and Discord's in the path, Google Chat's in the
 * query), so the whole URL is a secret; the host still tells a user which one failed.
 */
export function webhookLabel(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' && u.search === '' ? '/' : '/***'}`;
  } catch {
    return '***';
  }
}
