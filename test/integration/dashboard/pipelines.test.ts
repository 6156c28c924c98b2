/**
 * The dashboard in a real browser on local pipeline runs: a waiting manual approval approved from the page, the
 * stage/action graph, a build's phases and log; and the page reconnecting by itself after the dashboard restarts.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/run-cli.js';
import type { RunRecord } from '../../../src/local-ci/run-store.js';
import {
  type BrowserHandle,
  type DashboardHandle,
  haveChromium,
  launchBrowser,
  startDashboard,
  testIdText,
} from './helpers.js';

const SHOTS = process.env.DASHBOARD_SCREENSHOTS;
async function shot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

const action = (name: string, category: string, provider: string, extra: Record<string, unknown> = {}) => ({
  name,
  actionTypeId: { category, owner: 'AWS', provider, version: '1' },
  ...extra,
});

function pipelineRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-dash-pipe-'));
  mkdirSync(join(dir, 'pipelines'));
  writeFileSync(
    join(dir, 'buildspec.yml'),
    'version: 0.2\nphases:\n  build:\n    commands:\n      - echo building-the-app-now\n      - sleep 0.2\nartifacts:\n  files: [app.txt]\n',
  );
  writeFileSync(join(dir, 'app.txt'), 'app\n');
  const pipeline = {
    pipeline: {
      name: 'release',
      roleArn: 'arn:aws:iam::123456789012:role/r',
      stages: [
        {
          name: 'Source',
          actions: [
            action('Checkout', 'Source', 'CodeCommit', {
              configuration: { RepositoryName: 'app', BranchName: 'main' },
              outputArtifacts: [{ name: 'Src' }],
            }),
          ],
        },
        {
          name: 'Build',
          actions: [
            action('Compile', 'Build', 'CodeBuild', {
              configuration: { ProjectName: 'app-build' },
              inputArtifacts: [{ name: 'Src' }],
              outputArtifacts: [{ name: 'Built' }],
            }),
          ],
        },
        { name: 'Gate', actions: [action('Approve', 'Approval', 'Manual')] },
      ],
    },
  };
  writeFileSync(join(dir, 'pipelines', 'release.json'), JSON.stringify(pipeline, null, 2));
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: dir,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
      },
    });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'first');
  return dir;
}

describe.skipIf(!haveChromium)('dashboard in chromium: pipelines and builds', () => {
  let browser: BrowserHandle;
  let dir: string;
  let dash: DashboardHandle | undefined;

  beforeAll(async () => {
    browser = await launchBrowser();
    dir = pipelineRepo();
  });
  afterAll(async () => {
    await dash?.stop().catch(() => {});
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('approves a waiting approval from the page; shows stages, the build phases and its log', async () => {
    dash = await startDashboard(dir);
    const page = await browser.newPage();
    await page.goto(dash.url);
    await page.getByRole('link', { name: /Pipelines and builds/ }).click();

    let stdout = '';
    const running = runCli(['run', 'release', '--json'], {
      cwd: dir,
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: () => {} },
    });
    const approve = page.getByRole('button', { name: 'Approve', exact: true });
    await approve.waitFor({ timeout: 20_000 });
    expect(await page.locator('.approval').textContent()).toContain('release › Gate › Approve');
    await expect.poll(() => page.locator('[data-action="Gate/Approve"]').textContent()).toContain('Waiting');
    await shot(page, 'pipeline-approval');
    await approve.click();

    expect(await running).toBe(0);
    const record = (JSON.parse(stdout.trim().split('\n').pop()!) as { record: RunRecord }).record;
    expect(record.stages?.find((s) => s.name === 'Gate')?.actions[0]?.message).toBe(
      'Approved: from conveyor dashboard',
    );
    await expect
      .poll(() => page.locator('.run-detail h3').first().textContent(), { timeout: 5000 })
      .toContain('Succeeded');
    expect(await page.locator('.approval').count()).toBe(0);

    // The build the pipeline ran: its phases and its log.
    await page.locator('tr', { hasText: 'build app-build' }).click();
    await expect.poll(() => page.locator('.phase').count()).toBeGreaterThan(3);
    await expect
      .poll(() => page.getByLabel('log').textContent(), { timeout: 5000 })
      .toContain('building-the-app-now');
    await shot(page, 'build-log');

    // A restarted dashboard (same port, same kept token): the page reconnects by itself.
    const port = dash.port;
    await dash.stop();
    dash = undefined;
    await expect
      .poll(() => testIdText(page, 'connection'), { timeout: 5000 })
      .toMatch(/reconnecting|connecting/);
    dash = await startDashboard(dir, ['--port', String(port)]);
    await expect.poll(() => testIdText(page, 'connection'), { timeout: 8000 }).toBe('live');
    await page.close();
  }, 60_000);
});
