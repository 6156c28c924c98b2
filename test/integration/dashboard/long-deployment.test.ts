/**
 * The dashboard in a real browser over a long deployment: a canary of many weight steps, each with a bake and gate
 * verdicts, hundreds of ledger events each rendered by the page. The tab must not grow with them: rows stay capped,
 * no DOM element outlives its render, the JS heap stays flat. The ledger is written here (the events the runner
 * writes) so the test takes seconds instead of the hour it stands for.
 */
import { join } from 'node:path';
import type { CDPSession, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { LedgerEvent } from '../../../src/deploy/events.js';
import { Ledger } from '../../../src/deploy/ledger.js';
import { makeGroup } from '../deploy/helpers.js';
import { browserSuite, haveChromium, startDashboard } from './helpers.js';

const id = 'd-long';

/** What the page holds after a full collection: DOM nodes alive (in the document or not) and the JS heap. */
async function pageMemory(cdp: CDPSession, page: Page) {
  await cdp.send('HeapProfiler.collectGarbage');
  const metrics = new Map((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const inDocument = await page.evaluate(() => {
    let n = 1;
    const walker = document.createTreeWalker(document, NodeFilter.SHOW_ALL);
    while (walker.nextNode()) n++;
    return n;
  });
  return {
    nodes: metrics.get('Nodes')!,
    inDocument,
    heapMb: metrics.get('JSHeapUsedSize')! / 2 ** 20,
    eventRows: await page.locator('section.events li').count(),
    stepRows: await page.locator('ol.timeline li.step:not(.more)').count(),
    verdictRows: await page.locator('tr.verdict').count(),
  };
}

describe.skipIf(!haveChromium)('dashboard in chromium: a long deployment', () => {
  const suite = browserSuite();
  const cleanups = suite.cleanups;

  it('keeps the page bounded over hundreds of ledger events: capped rows, no DOM left behind, a flat heap', async () => {
    const weights = 40;
    // The plan shown is the one in the ledger; the group file gives the gate's thresholds.
    const f = makeGroup('strategy:\n  type: canary\n  steps:\n    - setWeight: 20\n    - pause: {}');
    cleanups.push(() => f.cleanup());
    const ledger = new Ledger(join(f.groupDir, 'ledger.ndjson'));
    let at = Date.now();
    const write = (e: Record<string, unknown>) =>
      ledger.append({ ...e, at: at++, deploymentId: id } as LedgerEvent);
    write({
      type: 'created',
      revision: { label: 'v2', dir: f.rev('v2') },
      plan: {
        strategy: 'canary',
        replacement: true,
        targetSlot: 'b',
        steps: Array.from({ length: weights }, (_, i) => [
          { kind: 'setWeight', percent: (i % 19) * 5 + 5 },
          { kind: 'pause', seconds: 3 },
        ]).flat(),
      },
      options: { creator: 'test', ignoreApplicationStopFailures: false, skipAnalysis: false },
    });
    write({ type: 'started', pid: process.pid });
    const dash = await startDashboard(f.dir, ['--config', f.config]);
    cleanups.push(() => dash.stop());
    const page = await suite.browser.newPage();
    cleanups.push(() => page.close());
    await page.goto(dash.url);
    await page
      .getByTestId('deployment-status')
      .filter({ hasText: 'InProgress' })
      .waitFor({ timeout: 10_000 });
    const cdp = await suite.browser.context.newCDPSession(page);
    await cdp.send('Performance.enable');

    // One weight step at a time, as the runner writes it, each shown before the next: every event is a render.
    let verdicts = 0;
    let step = 0;
    const weightSteps = async (n: number) => {
      for (let i = 0; i < n; i++, step += 2) {
        const percent = ((step / 2) % 19) * 5 + 5;
        write({ type: 'step', index: step, phase: 'started', description: `setWeight ${percent}` });
        write({
          type: 'traffic',
          table: { stable: ['a-1'], canary: ['b-1'], canaryWeight: percent },
          revisions: { stable: 'v1', canary: 'v2' },
        });
        write({ type: 'step', index: step, phase: 'completed', description: `setWeight ${percent}` });
        write({ type: 'step', index: step + 1, phase: 'started', description: 'pause' });
        write({ type: 'bake', index: step + 1, until: at + 3000 });
        for (let v = 0; v < 3; v++) {
          verdicts += 1;
          write({
            type: 'verdict',
            index: step + 1,
            result: 'pass',
            reasons: [],
            measured: { requests: 40 + (verdicts % 7), errorRate: 0, p99LatencyMs: 3 },
            thresholds: { minRequests: 3, maxErrorRate: 0.05 },
          });
          await page.getByText(`(${verdicts} in all, newest first)`).waitFor({ timeout: 10_000 });
        }
        write({ type: 'step', index: step + 1, phase: 'completed', description: 'pause' });
      }
    };

    await weightSteps(10);
    const warm = await pageMemory(cdp, page);
    await weightSteps(weights - 10);
    const after = await pageMemory(cdp, page);

    // The lists a person reads stay a screenful: 30 verdict rows, the latest 40 events, 60 of the plan's 80 steps
    // (from a few before the current one; the page says which are not shown).
    expect(after.verdictRows).toBe(30);
    expect(after.eventRows).toBe(40);
    expect(after.stepRows).toBe(60);
    expect(await page.getByTestId('steps-before').textContent()).toBe('steps 1–20 not shown');
    // No element of an earlier render is kept alive outside the document (the page that leaked kept 2,874 here).
    expect(after.nodes - after.inDocument).toBeLessThan(100);
    // 30 more weight steps (240 events) leave nothing behind in the heap (the page that leaked grew 3.1 MB here).
    expect(after.heapMb - warm.heapMb).toBeLessThan(1);
  }, 120_000);
});
