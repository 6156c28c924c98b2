import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type GroupFixture, makeGroup, preloadCli } from './helpers.js';

const fixtures: GroupFixture[] = [];
preloadCli();
const servers: Server[] = [];
afterEach(async () => {
  for (const f of fixtures.splice(0)) await f.cleanup();
  for (const s of servers.splice(0)) s.close();
});

describe('notifications', () => {
  it('a command gets each event as JSON on stdin, a webhook gets it as a POST; a dead webhook is reported, not fatal', async () => {
    const received: { kind: string; deploymentId: string; status: string }[] = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.end('ok');
      });
    });
    servers.push(hook);
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    const port = (hook.address() as { port: number }).port;
    const f = makeGroup(
      'strategy: all-at-once',
      `notifications:\n  - command: [./notify.sh]\n  - webhook: http://127.0.0.1:${port}/events\n  - webhook: http://127.0.0.1:1/nobody-listens\n    events: [succeeded]\n`,
    );
    fixtures.push(f);
    mkdirSync(join(f.dir, 'events'));
    writeFileSync(join(f.dir, 'notify.sh'), '#!/bin/sh\ncat > "$(dirname "$0")/events/$$.json"\n');
    chmodSync(join(f.dir, 'notify.sh'), 0o755);
    const r = await f.cli(['deploy', '--revision', f.rev('v1')]);
    expect(r.code, r.stderr).toBe(0);
    const fromCommand = readdirSync(join(f.dir, 'events')).map(
      (name) => JSON.parse(readFileSync(join(f.dir, 'events', name), 'utf8')) as { kind: string },
    );
    const kinds = (xs: { kind: string }[]) => [...new Set(xs.map((x) => x.kind))].sort();
    expect(kinds(fromCommand)).toEqual(['started', 'step', 'succeeded']);
    expect(kinds(received)).toEqual(['started', 'step', 'succeeded']);
    expect(received.find((e) => e.kind === 'succeeded')).toMatchObject({ status: 'Succeeded' });
    expect(r.stdout).toMatch(/notification to http:\/\/127\.0\.0\.1:1\/\*\*\* failed/);
  });
});
