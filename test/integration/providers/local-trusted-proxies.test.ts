/** The group file's `local.trustedProxies` reaches the router through the local provider's routing table. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalProvider } from '../../../src/providers/local/provider.js';
import { RouterClient } from '../../../src/router/client.js';
import { routerFiles } from '../../../src/router/files.js';
import { stopRouter } from '../../../src/router/launch.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) {
    await stopRouter(join(dir, 'router'), 3000);
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('local provider: trusted proxies', () => {
  it("applies the group's local.trustedProxies with every routing table", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cvt-'));
    dirs.push(dir);
    const provider = new LocalProvider({
      group: {
        application: 'a',
        deploymentGroup: 'g',
        local: { routerPort: 0, trustedProxies: ['10.0.0.0/8'] },
      },
      groupDir: dir,
    });
    await provider.prepare();
    await provider.route({ stable: ['i-1'], canary: [], canaryWeight: 0, revisions: {} });
    const state = await provider.observeTraffic();
    expect(state?.stable).toEqual(['i-1']);
    const client = new RouterClient(routerFiles(join(dir, 'router')).socket);
    expect((await client.getState()).table.trustedProxies).toEqual(['10.0.0.0/8']);
    client.close();
  });
});
