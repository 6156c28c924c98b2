/**
 * Instance ports: each instance keeps one loopback port for its life (the router's table names it).
 * With `local.basePort` they are predictable (slot a from basePort, slot b after it); otherwise a free
 * ephemeral port is picked once and remembered in the group's ports.json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export class PortBook {
  private ports: Record<string, number>;

  constructor(
    private readonly file: string,
    private readonly fleetSize: number,
    private readonly basePort?: number,
  ) {
    try {
      this.ports = JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>;
    } catch {
      this.ports = {};
    }
  }

  known(id: string): number | undefined {
    return this.ports[id];
  }

  async portFor(id: string): Promise<number> {
    const existing = this.ports[id];
    if (existing) return existing;
    let port: number;
    if (this.basePort !== undefined) {
      const [slot, n] = id.split('-') as [string, string];
      port = this.basePort + (slot === 'b' ? this.fleetSize : 0) + Number(n) - 1;
    } else {
      const taken = new Set(Object.values(this.ports));
      do port = await freePort();
      while (taken.has(port));
    }
    this.ports[id] = port;
    writeFileSync(this.file, JSON.stringify(this.ports, null, 2));
    return port;
  }

  all(): Record<string, number> {
    return { ...this.ports };
  }
}
