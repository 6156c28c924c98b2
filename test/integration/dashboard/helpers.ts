/**
 * For the dashboard's browser tests: Debian's chromium driven by playwright-core (the suites skip with a note when
 * it is missing), `conveyor dashboard` run in-process, and steady load on a group's router.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { runCli } from '../../../src/cli/run-cli.js';

export const CHROMIUM = process.env.CONVEYOR_CHROMIUM ?? '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(`dashboard browser tests skipped: no chromium at ${CHROMIUM} (apt-get install chromium)`);
}

export interface BrowserHandle {
  context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<BrowserHandle> {
  const profile = mkdtempSync(join(tmpdir(), 'conveyor-chromium-'));
  // A fresh profile each time (playwright passes it as --user-data-dir, and --headless itself).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    viewport: { width: 1360, height: 1000 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    headless: true,
    timeout: 20_000,
  });
  return {
    context,
    newPage: () => context.newPage(),
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * One browser for a describe block (call it there), and what its tests start, undone after the block in
 * reverse order, also when a test failed.
 */
export function browserSuite(): { readonly browser: BrowserHandle; cleanups: (() => Promise<unknown>)[] } {
  let browser: BrowserHandle | undefined;
  const cleanups: (() => Promise<unknown>)[] = [];
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    await browser?.close();
  });
  return {
    get browser() {
      if (!browser) throw new Error('browserSuite: the browser starts in beforeAll');
      return browser;
    },
    cleanups,
  };
}

export interface DashboardHandle {
  url: string;
  token: string;
  port: number;
  stderr(): string;
  stop(): Promise<number>;
}

/** `conveyor dashboard --port 0 --json` in-process in `cwd`; resolves once it printed its URL. */
export async function startDashboard(cwd: string, extra: string[] = []): Promise<DashboardHandle> {
  const controller = new AbortController();
  let stdout = '';
  let stderr = '';
  const done = runCli(['dashboard', '--port', '0', '--json', ...extra], {
    cwd,
    signal: controller.signal,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  const deadline = Date.now() + 20_000;
  while (!stdout.includes('\n')) {
    if (Date.now() > deadline) throw new Error(`dashboard did not start: ${stderr}`);
    const early = await Promise.race([done, new Promise((r) => setTimeout(() => r(undefined), 25))]);
    if (early !== undefined) throw new Error(`dashboard exited ${String(early)}: ${stderr}`);
  }
  const info = JSON.parse(stdout.split('\n')[0]!) as { url: string; token: string; port: number };
  return {
    ...info,
    stderr: () => stderr,
    async stop() {
      controller.abort();
      return done;
    },
  };
}

/** Sends requests to `url` about every `everyMs` until stopped (steady load for the router's signals). */
export function steadyLoad(url: () => string, everyMs = 20): { stop(): Promise<void>; sent(): number } {
  let running = true;
  let sent = 0;
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      try {
        const res = await fetch(url(), { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
      } catch {
        // a refused request still counts as load
      }
      sent += 1;
      const wait = everyMs - (Date.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  })();
  return {
    sent: () => sent,
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** Text of the element with data-testid `id`, or null. */
export async function testIdText(page: Page, id: string): Promise<string | null> {
  const el = page.getByTestId(id);
  return (await el.count()) ? el.first().textContent() : null;
}
