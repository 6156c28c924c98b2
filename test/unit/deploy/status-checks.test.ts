/**
 * `status` shows each analysis check's latest verdict (name, values, condition) beside the router gate's,
 * in text and in --json, from the ledger alone; a deployment a check paused says what to type next.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/run-cli.js';
import { FakeClock } from '../../../src/core/clock.js';
import type { LedgerEvent } from '../../../src/deploy/events.js';
import { Ledger } from '../../../src/deploy/ledger.js';
import { acquireLock } from '../../../src/deploy/lock.js';
import { createDeployment } from '../../../src/deploy/runner.js';
import { planDeployment } from '../../../src/deploy/strategies/plan.js';
import { Strategies } from '../../../src/deploy/strategies/strategy.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function cli(args: string[], cwd: string) {
  let out = '';
  const code = await runCli(args, {
    cwd,
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: () => {} },
  });
  return { code, out };
}

type Verdict = Omit<Extract<LedgerEvent, { type: 'verdict' }>, 'type' | 'deploymentId' | 'at' | 'index'>;

/** A group whose ledger holds one deployment with these verdicts, in order. */
function groupWith(verdicts: Verdict[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-status-checks-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'group.yml'), 'application: hello\ndeploymentGroup: dev\n');
  const groupDir = join(dir, '.conveyor', 'groups', 'hello', 'dev');
  mkdirSync(groupDir, { recursive: true });
  const ledger = new Ledger(join(groupDir, 'ledger.ndjson'));
  const clock = new FakeClock(1_000_000);
  const id = createDeployment(ledger, clock, {
    id: 'd-1',
    revision: { label: 'v2', dir: '/revisions/v2' },
    plan: planDeployment(2, undefined, Strategies.canary(10, 60)),
    options: { creator: 'user', ignoreApplicationStopFailures: false, skipAnalysis: false },
  });
  for (const v of verdicts)
    ledger.append({ type: 'verdict', deploymentId: id, at: clock.now(), index: 1, ...v });
  return dir;
}

const router: Verdict = {
  result: 'pass',
  reasons: ['errorRate 0 <= 0.05'],
  measured: { errorRate: 0, requests: 40 },
  thresholds: { maxErrorRate: 0.05 },
};
const rate = (result: number, verdict: Verdict['result']): Verdict => ({
  result: verdict,
  reasons: [`error-rate: result < 0.05 ${verdict === 'pass' ? 'holds' : 'does not hold'} (result=${result})`],
  measured: { result },
  thresholds: { failureLimit: 2, measurementErrorLimit: 3 },
  check: 'error-rate',
  provider: 'prometheus',
  point: 'rollout',
  condition: 'result < 0.05',
});
const smoke: Verdict = {
  result: 'pass',
  reasons: ['smoke: exitCode == 0 holds (exitCode=0)'],
  measured: { exitCode: 0 },
  thresholds: { failureLimit: 1, measurementErrorLimit: 3 },
  check: 'smoke',
  provider: 'command',
  point: 'pre-rollout',
  condition: 'exitCode == 0',
};

describe('status with analysis checks', () => {
  it('shows each check’s latest verdict with its values and threshold, and the router gate apart', async () => {
    const dir = groupWith([smoke, rate(0.01, 'pass'), router, rate(0.2, 'inconclusive')]);
    const { code, out } = await cli(['status', '--config', 'group.yml'], dir);
    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines.filter((l) => /^ {2}(last gate|check) /.test(l))).toEqual([
      '  last gate  pass: errorRate=0 requests=40 (errorRate 0 <= 0.05)',
      '  check      smoke at pre-rollout pass: exitCode=0 (threshold: exitCode == 0)',
      '  check      error-rate inconclusive: result=0.2 (threshold: result < 0.05)',
    ]);
  });

  it('--json carries the same verdicts under deployment.checks', async () => {
    const dir = groupWith([rate(0.01, 'pass'), router, rate(0.2, 'inconclusive')]);
    const { out } = await cli(['status', '--config', 'group.yml', '--json'], dir);
    const s = JSON.parse(out) as {
      deployment: { checks: unknown[]; lastVerdict: { result: string }; verdicts: number };
    };
    expect(s.deployment.lastVerdict).toMatchObject({ result: 'pass', measured: { errorRate: 0 } });
    // The gate's reading count ("gate pass: … (N readings)") is the router gate's alone.
    expect(s.deployment.verdicts).toBe(1);
    expect(s.deployment.checks).toEqual([
      {
        check: 'error-rate',
        provider: 'prometheus',
        point: 'rollout',
        condition: 'result < 0.05',
        result: 'inconclusive',
        reasons: ['error-rate: result < 0.05 does not hold (result=0.2)'],
        measured: { result: 0.2 },
        thresholds: { failureLimit: 2, measurementErrorLimit: 3 },
        at: 1_000_000,
      },
    ]);
  });

  it('a check that measured nothing shows why', async () => {
    const dir = groupWith([
      {
        ...rate(0, 'inconclusive'),
        measured: {},
        reasons: ['error-rate: no data: the query returned no series'],
      },
    ]);
    const { out } = await cli(['status', '--config', 'group.yml'], dir);
    expect(out).toContain(
      '  check      error-rate inconclusive: no data: the query returned no series (threshold: result < 0.05)\n',
    );
  });
});

describe('status of a deployment a check paused', () => {
  /** Paused by the smoke check, then `readings` more verdicts of the check and the router gate, as a pause records. */
  function pausedWith(readings: number): { dir: string; groupDir: string } {
    const dir = groupWith([]);
    const groupDir = join(dir, '.conveyor', 'groups', 'hello', 'dev');
    const ledger = new Ledger(join(groupDir, 'ledger.ndjson'));
    const reason = 'smoke: measurement failed: killed by SIGKILL';
    const noData: Verdict = {
      ...smoke,
      result: 'inconclusive',
      reasons: [reason],
      measured: {},
      point: 'rollout',
    };
    const at = 1_000_000;
    ledger.append({ type: 'verdict', deploymentId: 'd-1', at, index: 1, ...noData });
    ledger.append({
      type: 'paused',
      deploymentId: 'd-1',
      at,
      index: 1,
      reason: `check smoke inconclusive: ${reason}`,
    });
    for (let i = 0; i < readings; i++) {
      ledger.append({ type: 'verdict', deploymentId: 'd-1', at: at + i, index: 1, ...router });
      ledger.append({ type: 'verdict', deploymentId: 'd-1', at: at + i, index: 1, ...noData });
    }
    return { dir, groupDir };
  }

  it('names promote and abort while its runner runs, also once the paused event is out of the recent events', async () => {
    const { dir, groupDir } = pausedWith(6);
    expect(acquireLock(groupDir, { pid: process.pid, deploymentId: 'd-1', since: 1_000_000 }).ok).toBe(true);
    const { code, out } = await cli(['status', '--config', 'group.yml'], dir);
    expect(code).toBe(0);
    expect(out).toContain(
      '  paused     check smoke inconclusive: smoke: measurement failed: killed by SIGKILL\n',
    );
    expect(out).not.toMatch(/ paused: check smoke/);
    expect(out).toContain(
      [
        `  runner     running (pid ${process.pid})`,
        '  next       conveyor promote d-1 --config group.yml  (--full: to the end)',
        '             conveyor abort d-1 --config group.yml  (roll back)',
        '  events     (last 10 of ',
      ].join('\n'),
    );
  });

  it('leaves what to do to the runner line when its runner is gone', async () => {
    const { dir } = pausedWith(0);
    const { out } = await cli(['status', '--config', 'group.yml'], dir);
    expect(out).toContain(
      "  runner     NOT RUNNING: traffic stays as the router has it; resume with 'conveyor deploy --resume --config group.yml' or undo with 'conveyor rollback --config group.yml'\n",
    );
    expect(out).not.toMatch(/^ {2}next /m);
  });
});
