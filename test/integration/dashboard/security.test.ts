/**
 * The dashboard over plain HTTP: without the session token nothing is read or written; a cross-origin page cannot
 * make a write even when the browser would send the cookie; with the token, Promote writes the same ledger request
 * as `conveyor promote`.
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { createUnderLock, prepareDeployment } from '../../../src/deploy/engine.js';
import { openGroup } from '../../../src/deploy/group.js';
import { Ledger } from '../../../src/deploy/ledger.js';
import { releaseLock } from '../../../src/deploy/lock.js';
import { type GroupFixture, makeGroup } from '../deploy/helpers.js';
import { type DashboardHandle, startDashboard } from './helpers.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Raw HTTP (fetch would not let a test set Host, Origin or Sec-Fetch-Site freely). */
function call(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: { host: `127.0.0.1:${port}`, ...headers },
        timeout: 5000,
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('dashboard HTTP: session token and cross-origin refusals', () => {
  let f: GroupFixture;
  let dash: DashboardHandle;
  let deploymentId: string;
  const ledger = () => new Ledger(join(f.groupDir, 'ledger.ndjson'));
  const requests = () =>
    ledger()
      .read()
      .events.filter((e) => e.type === 'promote-requested');

  beforeAll(async () => {
    f = makeGroup('strategy:\n  type: canary\n  steps:\n    - setWeight: 20\n    - pause: {}');
    // A deployment recorded as created (no runner needed: the request is only written to the ledger).
    const ctx = openGroup(f.config, { cwd: f.dir });
    const planned = prepareDeployment(ctx, { revisionDir: f.rev('v1'), cwd: f.dir });
    deploymentId = createUnderLock(
      ctx,
      planned,
      { ignoreApplicationStopFailures: false, skipAnalysis: false },
      systemClock,
    );
    releaseLock(ctx.groupDir);
    dash = await startDashboard(f.dir);
  });
  afterAll(async () => {
    await dash?.stop();
    await f?.cleanup();
  });

  const cookie = () => `conveyor_dashboard=${dash.token}`;
  const promote = (headers: Record<string, string>) =>
    call(
      dash.port,
      'POST',
      '/api/action',
      { 'content-type': 'application/json', ...headers },
      JSON.stringify({ group: 'hello/test', action: 'promote', deploymentId }),
    );

  it('refuses reads without the token, or with a wrong one', async () => {
    expect((await call(dash.port, 'GET', '/api/snapshot')).status).toBe(401);
    expect((await call(dash.port, 'GET', '/api/events')).status).toBe(401);
    expect(
      (await call(dash.port, 'GET', '/api/snapshot', { cookie: 'conveyor_dashboard=nope' })).status,
    ).toBe(401);
    const page = await call(dash.port, 'GET', '/');
    expect(page.status).toBe(401);
    expect(page.body).toContain('session token');
    expect((await call(dash.port, 'GET', '/?token=wrong')).status).toBe(401);
  });

  it('swaps the token in the URL for a SameSite=Strict, HttpOnly cookie, then serves the page and the state', async () => {
    const first = await call(dash.port, 'GET', `/?token=${dash.token}`);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    const set = String(first.headers['set-cookie']);
    expect(set).toContain(`conveyor_dashboard=${dash.token}`);
    expect(set).toContain('SameSite=Strict');
    expect(set).toContain('HttpOnly');
    expect((await call(dash.port, 'GET', '/', { cookie: cookie() })).body).toContain('/assets/app.js');
    const snap = JSON.parse((await call(dash.port, 'GET', '/api/snapshot', { cookie: cookie() })).body);
    expect(snap.groups.map((g: { key: string }) => g.key)).toEqual(['hello/test']);
    expect(snap.groups[0].current.id).toBe(deploymentId);
  });

  it('refuses writes without the token, from another origin or site, as a form post, or by another Host name', async () => {
    expect((await promote({})).status).toBe(401);
    const evil = await promote({ cookie: cookie(), origin: 'http://evil.example' });
    expect(evil.status).toBe(403);
    expect(JSON.parse(evil.body).error).toContain('cross-origin');
    expect((await promote({ cookie: cookie(), origin: 'http://localhost:1' })).status).toBe(403);
    expect((await promote({ cookie: cookie(), 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await promote({ cookie: cookie(), 'sec-fetch-site': 'same-site' })).status).toBe(403);
    expect((await promote({ cookie: cookie(), 'content-type': 'text/plain' })).status).toBe(415);
    // DNS rebinding: a page at evil.example resolved to 127.0.0.1 sends its own Host.
    expect((await promote({ cookie: cookie(), host: `evil.example:${dash.port}` })).status).toBe(403);
    expect(requests()).toEqual([]);
  });

  it('with the token from the same origin, Promote writes the request `conveyor promote` writes', async () => {
    const ok = await promote({
      cookie: cookie(),
      origin: `http://127.0.0.1:${dash.port}`,
      'sec-fetch-site': 'same-origin',
    });
    expect(ok.status, ok.body).toBe(200);
    expect(JSON.parse(ok.body).message).toContain(`promote requested for ${deploymentId}`);
    expect(requests()).toMatchObject([{ type: 'promote-requested', full: false, deploymentId }]);
    const full = await call(
      dash.port,
      'POST',
      '/api/action',
      { 'content-type': 'application/json', authorization: `Bearer ${dash.token}` },
      JSON.stringify({ group: 'hello/test', action: 'promote-full', deploymentId }),
    );
    expect(full.status).toBe(200);
    expect(requests().map((e) => e.type === 'promote-requested' && e.full)).toEqual([false, true]);
    const bad = await call(
      dash.port,
      'POST',
      '/api/action',
      { 'content-type': 'application/json', cookie: cookie() },
      JSON.stringify({ group: 'hello/test', action: 'explode' }),
    );
    expect(bad.status).toBe(400);
  });
});
