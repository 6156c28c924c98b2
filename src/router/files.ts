/** Files the router keeps in a group's state folder. */
import { join } from 'node:path';

export interface RouterFiles {
  /** Admin endpoint (unix socket). */
  socket: string;
  /** `{pid, host, port, socket, startedAt}` of the running router; removed on clean exit. */
  pidFile: string;
  /** Last applied routing table, reloaded when the router restarts. */
  tableFile: string;
  /** stdout and stderr of the detached router process. */
  log: string;
}

export function routerFiles(stateDir: string): RouterFiles {
  return {
    socket: join(stateDir, 'router.sock'),
    pidFile: join(stateDir, 'router.pid'),
    tableFile: join(stateDir, 'router-table.json'),
    log: join(stateDir, 'router.log'),
  };
}

export interface RouterPidInfo {
  pid: number;
  host: string;
  port: number;
  socket: string;
  startedAt: number;
}

/** Pid of the router's supervisor (src/router/supervisor-main.ts), when the router runs supervised. */
export function supervisorPidFile(stateDir: string): string {
  return join(stateDir, 'router-supervisor.pid');
}
