/** `conveyor rollback` with no deployment in progress: which revision it redeploys, read from the group's ledger. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { planRedeployPrevious } from '../../../src/deploy/engine.js';
import type { DeploymentStatus } from '../../../src/deploy/events.js';
import { openGroup } from '../../../src/deploy/group.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A local group of two instances whose ledger holds these deployments, each run to the end given. */
function groupWithHistory(...runs: [string, DeploymentStatus][]) {
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-rollback-'));
  dirs.push(dir);
  writeFileSync(
    join(dir, 'group.yml'),
    'application: hello\ndeploymentGroup: dev\nprovider: local\nlocal:\n  instances: 2\nstrategy: all-at-once\n',
  );
  const ctx = openGroup('group.yml', { cwd: dir });
  const plan = { strategy: 'all-at-once', steps: [], targetSlot: 'a' as const, replacement: false };
  const options = { creator: 'user' as const, ignoreApplicationStopFailures: false, skipAnalysis: false };
  let at = 0;
  runs.forEach(([label, status], i) => {
    const deploymentId = `d-${i + 1}`;
    const revision = { label, dir: join(dir, 'revisions', deploymentId) };
    ctx.ledger.append({ type: 'created', revision, plan, options, at: ++at, deploymentId });
    if (status === 'Succeeded') {
      ctx.ledger.append({
        type: 'fleet',
        slot: 'a',
        revision,
        instances: ['a-1', 'a-2'],
        at: ++at,
        deploymentId,
      });
    }
    ctx.ledger.append({ type: 'finished', status, at: ++at, deploymentId });
  });
  return ctx;
}

describe('conveyor rollback with nothing in progress', () => {
  it('redeploys the newest good revision before the serving one, not an older one', () => {
    const { target, of, planned } = planRedeployPrevious(
      groupWithHistory(['v1', 'Succeeded'], ['v2', 'Succeeded'], ['v3', 'Succeeded'], ['v4', 'Succeeded']),
    );
    expect(of.revision.label).toBe('v4');
    expect(target.label).toBe('v3');
    expect(planned.revision.label).toBe('v3');
  });

  it('passes over failed deployments and earlier deployments of the serving revision', () => {
    const { target, of } = planRedeployPrevious(
      groupWithHistory(
        ['v1', 'Succeeded'],
        ['v2', 'Succeeded'],
        ['v5', 'Failed'],
        ['v3', 'Succeeded'],
        ['v3', 'Succeeded'],
      ),
    );
    expect(of.revision.label).toBe('v3');
    expect(target.label).toBe('v2');
  });

  it('refuses when only one revision was ever good', () => {
    const ctx = groupWithHistory(['v1', 'Succeeded'], ['v1', 'Succeeded'], ['v2', 'Failed']);
    expect(() => planRedeployPrevious(ctx)).toThrow(/no earlier successful revision to roll back to/);
  });
});
