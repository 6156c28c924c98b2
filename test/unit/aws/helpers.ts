import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliContext } from '../../../src/cli/context.js';
import { FakeClock } from '../../../src/core/clock.js';

export const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'aws');

export function capture(isTTY = false) {
  let text = '';
  return { stream: { write: (s: string) => (text += s), isTTY }, text: () => text };
}

/** A context for in-process CLI runs against mocked AWS clients: region set, no real endpoint. */
export function awsContext(extra: Partial<CliContext> = {}) {
  const out = capture();
  const err = capture();
  const home = mkdtempSync(join(tmpdir(), 'conveyor-aws-home-'));
  const ctx: Partial<CliContext> = {
    stdout: out.stream,
    stderr: err.stream,
    env: {
      AWS_REGION: 'eu-west-1',
      HOME: home,
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
    },
    cwd: FIXTURES,
    clock: new FakeClock(Date.UTC(2026, 10, 21, 12, 0, 0)),
    ...extra,
  };
  return { ctx, out, err, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}
