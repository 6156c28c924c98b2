import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../context.js';

export const DEFAULT_PORT = 7717;

function parsePort(text: string | undefined): number {
  if (text === undefined) return DEFAULT_PORT;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`--port must be 0-65535, got '${text}'`);
  return port;
}

function openBrowser(url: string): void {
  const opener =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(opener, [url], { detached: true, stdio: 'ignore' });
    child.on('error', () => {});
    child.unref();
  } catch {
    // No opener: the URL is printed anyway.
  }
}

const command: Command = {
  summary: 'Local web UI: deployments, traffic, signals, gates, actions, pipeline runs',
  usage: `Usage: conveyor dashboard [--port N] [--host ADDR] [--open] [--config FILE]... [--new-token] [--json]

Serves a live dashboard on loopback (default port ${DEFAULT_PORT}; --port 0 picks a free one): every deployment
group found under ./.conveyor (and ./<dir>/.conveyor), or those named by --config, with the plan as a timeline,
the traffic split and golden signals over time, gate verdicts, hooks and rollbacks; Promote, Promote fully, Abort
and Rollback buttons (the same requests as the CLI commands); local pipeline runs and builds with their logs, and
Approve/Reject for waiting approvals. Runs until Ctrl-C.

Open the URL it prints: it carries the session token, without which the dashboard refuses every call. The token is
kept in .conveyor/dashboard/token (mode 0600), so a restarted dashboard keeps it and open pages reconnect;
--new-token replaces it. With --json the URL and token are printed as one JSON line.`,
  async run(args, ctx) {
    const { values } = parseCommandArgs({
      args,
      options: {
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        open: { type: 'boolean' },
        config: { type: 'string', short: 'c', multiple: true },
        'new-token': { type: 'boolean' },
        json: { type: 'boolean' },
      },
      allowPositionals: false,
    });
    const port = parsePort(values.port);
    const host = values.host ?? '127.0.0.1';
    const { sessionToken } = await import('../../dashboard/security.js');
    const { startDashboard } = await import('../../dashboard/server.js');
    const { findGroups } = await import('../../dashboard/groups.js');
    const configs = values.config ?? [];
    if (configs.length) {
      const { problems } = findGroups({ cwd: ctx.cwd, configs });
      if (problems.length) throw new UsageError(problems.join('\n'));
    }
    const token = sessionToken(
      join(ctx.cwd, '.conveyor', 'dashboard', 'token'),
      values['new-token'] === true,
    );
    const dashboard = await startDashboard({
      cwd: ctx.cwd,
      configs,
      host,
      port,
      token,
      clock: ctx.clock,
      env: ctx.env,
      signal: ctx.signal,
      log: (line) => ctx.stderr.write(`dashboard: ${line}\n`),
    });
    const url = `${dashboard.url}?token=${token}`;
    const groups = dashboard.live.snapshot().groups.map((g) => g.key);
    if (values.json) {
      ctx.stdout.write(`${JSON.stringify({ url, token, port: dashboard.port, host, groups })}\n`);
    } else {
      ctx.stdout.write(`dashboard at ${url}\n`);
      ctx.stdout.write(
        groups.length
          ? `groups: ${groups.join(', ')}\n`
          : 'no deployment group found yet (groups appear when they are deployed here)\n',
      );
      if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
        ctx.stderr.write(`warning: listening on ${host}, not loopback: anyone who gets the token can act\n`);
      }
      ctx.stdout.write('Ctrl-C stops it\n');
    }
    if (values.open) openBrowser(url);
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await dashboard.close();
    return ExitCode.Ok;
  },
};
export default command;
