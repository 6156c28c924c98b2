/**
 * The dashboard in a real browser, on real deployments: a paused canary under steady load (split and signals
 * shown and updated live, Promote from the page), a failing canary (the gate breach and the rollback), and a
 * canary judged by analysis checks (each check's row, its readings over time, the one that failed).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { LedgerEvent } from '../../../src/deploy/events.js';
import { Ledger } from '../../../src/deploy/ledger.js';
import { type GroupFixture, makeGroup, status, waitFor } from '../deploy/helpers.js';
import {
  browserSuite,
  type DashboardHandle,
  haveChromium,
  startDashboard,
  steadyLoad,
  testIdText,
} from './helpers.js';

const SHOTS = process.env.DASHBOARD_SCREENSHOTS;

async function shot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

function ledgerEvents(f: GroupFixture): LedgerEvent[] {
  return new Ledger(join(f.groupDir, 'ledger.ndjson')).read().events;
}

describe.skipIf(!haveChromium)('dashboard in chromium: deployments', () => {
  const suite = browserSuite();
  const cleanups = suite.cleanups;

  it('shows a paused canary live under load, and Promote from the page continues it', async () => {
    const f = makeGroup(
      'strategy:\n  type: canary\n  steps:\n    - setWeight: 20\n    - pause: {}\n    - setWeight: 60\n    - pause: {seconds: 1}',
      '',
      { instances: 2 },
    );
    cleanups.push(() => f.cleanup());
    expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
    const load = steadyLoad(() => `http://127.0.0.1:${f.routerPort()}/`);
    cleanups.push(() => load.stop());
    const v2 = await f.cli(['deploy', '--revision', f.rev('v2'), '--detach', '--json']);
    expect(v2.code, v2.stderr).toBe(0);
    await waitFor('the canary to pause', async () =>
      (await status(f)).deployment.status === 'Paused' ? true : undefined,
    );

    const dash: DashboardHandle = await startDashboard(f.dir);
    cleanups.push(() => dash.stop());
    const page = await suite.browser.newPage();
    await page.goto(`${dash.url}`);
    // The token left the address bar for a cookie.
    expect(page.url()).toBe(`http://127.0.0.1:${dash.port}/`);

    await expect.poll(() => testIdText(page, 'canary-weight'), { timeout: 5000 }).toBe('20%');
    expect(await testIdText(page, 'deployment-status')).toBe('Paused');
    await expect.poll(() => page.getByText('waiting for a human').count()).toBe(1);
    // Signals appear and move: the canary's request rate is sampled once a second.
    await expect
      .poll(() => testIdText(page, 'signals-now'), { timeout: 5000 })
      .toMatch(/canary [1-9][\d.]* req\/s/);
    const first = await testIdText(page, 'signals-now');
    await expect.poll(() => testIdText(page, 'signals-now'), { timeout: 5000 }).not.toBe(first);
    expect(await page.locator('[data-testid="rps-chart"] canvas').count()).toBe(1);
    await shot(page, 'deployment-paused');

    // Every button's accessible name is its label.
    for (const label of ['Promote', 'Promote fully', 'Abort', 'Rollback']) {
      expect(await page.getByRole('button', { name: label, exact: true }).count()).toBe(1);
    }
    await page.getByRole('button', { name: 'Promote', exact: true }).click();
    // Nothing is written before the confirmation.
    await page.getByRole('dialog').waitFor();
    expect(ledgerEvents(f).some((e) => e.type === 'promote-requested')).toBe(false);
    await page.getByRole('button', { name: 'Confirm' }).click();

    // The runner acts on the request; the page shows the new weight within a second of the ledger event.
    const shownAt = await page
      .waitForFunction(
        () => document.querySelector('[data-testid="canary-weight"]')?.textContent === '60%',
        null,
        {
          timeout: 10_000,
          polling: 'raf',
        },
      )
      .then(() => Date.now());
    const event = ledgerEvents(f).find((e) => e.type === 'traffic' && e.table.canaryWeight === 60);
    expect(event).toBeDefined();
    expect(shownAt - event!.at).toBeLessThan(1000);
    expect(ledgerEvents(f).find((e) => e.type === 'promote-requested')).toMatchObject({ full: false });

    await expect.poll(() => testIdText(page, 'deployment-status'), { timeout: 15_000 }).toBe('Succeeded');
    await expect.poll(() => testIdText(page, 'canary-weight')).toBe('0%');
    await shot(page, 'deployment-succeeded');
    await page.close();
  }, 60_000);

  it('shows a failing canary: the gate breach with its numbers, and the rollback', async () => {
    const f = makeGroup(
      'strategy:\n  type: canary\n  steps:\n    - setWeight: 50\n    - pause: {seconds: 8}',
    );
    cleanups.push(() => f.cleanup());
    expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
    const load = steadyLoad(() => `http://127.0.0.1:${f.routerPort()}/`);
    cleanups.push(() => load.stop());
    const dash = await startDashboard(f.dir);
    cleanups.push(() => dash.stop());
    const page = await suite.browser.newPage();
    await page.goto(dash.url);
    await expect.poll(() => testIdText(page, 'deployment-status'), { timeout: 5000 }).toBe('Succeeded');

    const v3 = await f.cli(['deploy', '--revision', f.rev('v3'), '--detach', '--json']);
    expect(v3.code, v3.stderr).toBe(0);
    await expect.poll(() => testIdText(page, 'deployment-status'), { timeout: 20_000 }).toBe('RolledBack');
    const rollback = await testIdText(page, 'rollback');
    expect(rollback).toMatch(/Reason: .*error rate/i);
    expect(rollback).toContain('trigger: gate');
    const failed = page.locator('tr.verdict.fail').first();
    expect(await failed.textContent()).toMatch(/fail.*errorRate \d+\.\d\d%.*maxErrorRate 5\.00%/);
    expect(await testIdText(page, 'canary-weight')).toBe('0%');
    expect(await page.locator('.step.stopped').textContent()).toContain('bake for 8s');
    await shot(page, 'deployment-rolled-back');
    await page.close();
  }, 60_000);

  it('shows each analysis check: its condition, latest reading and verdict, and its readings over time', async () => {
    // A business endpoint the http check reads: within budget until the test says otherwise.
    let rate = 0.01;
    const budget = http.createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ rate }));
    });
    await new Promise<void>((r) => budget.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      budget.closeAllConnections();
      await new Promise((r) => budget.close(r));
    });
    const budgetUrl = `http://127.0.0.1:${(budget.address() as AddressInfo).port}/budget`;
    const f = makeGroup(
      'strategy:\n  type: canary\n  steps:\n    - setWeight: 50\n    - pause: {seconds: 30}',
    );
    cleanups.push(() => f.cleanup());
    expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
    // The checks are added for the canary only (the first deployment has no canary to judge).
    const checks = [
      '  checks:',
      '    - name: smoke',
      '      provider: command',
      '      command: echo smoke ok',
      '    - name: error-budget',
      '      provider: http',
      `      url: ${budgetUrl}`,
      '      condition: body.rate < 0.05',
      '',
    ].join('\n');
    writeFileSync(
      f.config,
      readFileSync(f.config, 'utf8').replace('  noDataPolicy: pass\n', `  noDataPolicy: pass\n${checks}`),
    );
    const load = steadyLoad(() => `http://127.0.0.1:${f.routerPort()}/`);
    cleanups.push(() => load.stop());
    const dash = await startDashboard(f.dir);
    cleanups.push(() => dash.stop());
    const page = await suite.browser.newPage();
    await page.goto(dash.url);
    const v2 = await f.cli(['deploy', '--revision', f.rev('v2'), '--detach', '--json']);
    expect(v2.code, v2.stderr).toBe(0);

    const row = (name: string) => page.locator(`tr.check[data-check="${name}"]`);
    const points = (name: string) => row(name).locator('svg.spark circle').count();
    // Both checks measure every interval while the canary bakes: rows with their conditions and a growing chart.
    await expect.poll(() => points('error-budget'), { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    await expect.poll(() => points('smoke'), { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    expect(await row('smoke').textContent()).toMatch(/smoke.*command.*exitCode == 0.*exitCode 0.*pass/);
    expect(await row('smoke').locator('details pre').textContent()).toContain('smoke ok');
    expect(await row('error-budget').textContent()).toMatch(
      /error-budget.*http.*body\.rate < 0\.05.*status 200.*pass/,
    );
    expect(await testIdText(page, 'deployment-status')).toBe('InProgress');
    await shot(page, 'deployment-checks-passing');

    rate = 0.2;
    await expect.poll(() => testIdText(page, 'deployment-status'), { timeout: 20_000 }).toBe('RolledBack');
    await expect.poll(() => row('error-budget').getAttribute('class')).toBe('check fail');
    expect(await row('error-budget').locator('.badge').textContent()).toBe('fail');
    expect(await row('error-budget').textContent()).toContain('body.rate < 0.05 does not hold');
    // The chart ends on the failing reading, after the passing ones.
    expect(await row('error-budget').locator('svg.spark circle.bad').count()).toBeGreaterThanOrEqual(1);
    expect(await row('error-budget').locator('svg.spark circle.ok').count()).toBeGreaterThanOrEqual(2);
    expect(await row('smoke').locator('.badge').textContent()).toBe('pass');
    expect(await testIdText(page, 'rollback')).toContain('error-budget');
    await shot(page, 'deployment-check-failed');
    await page.close();
  }, 60_000);
});
