import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import type { CliContext } from '../../../src/cli/context.js';
import { FakeClock } from '../../../src/core/clock.js';
import { sdkCodeDeployPort } from '../../../src/providers/codedeploy/port.js';
import { CodeDeployProvider } from '../../../src/providers/codedeploy/provider.js';

/**
 * A CodeDeploy provider over the SDK port with a client in eu-west-1: what `mockClient(CodeDeployClient)` answers
 * in the CodeDeploy tests.
 */
export function mockedCodeDeployProvider(clock: FakeClock, pollMs?: number): CodeDeployProvider {
  return new CodeDeployProvider(sdkCodeDeployPort(new CodeDeployClient({ region: 'eu-west-1' })), {
    clock,
    ...(pollMs ? { pollMs } : {}),
  });
}

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
  const ctx: CliContext = {
    signal: new AbortController().signal,
    debug: false,
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

/**
 * Lets the work run and, whenever it sleeps on the fake clock, jumps time forward by `stepMs`.
 * Real I/O (module loading) is awaited in real time; a loop that never ends fails after `maxSteps` jumps.
 */
export async function settleInFakeTime<T>(
  promise: Promise<T>,
  clock: FakeClock,
  stepMs = 1000,
  maxSteps = 100_000,
) {
  let done = false;
  const tracked = promise.finally(() => {
    done = true;
  });
  let steps = 0;
  const deadline = Date.now() + 20_000;
  while (!done && steps < maxSteps && Date.now() < deadline) {
    if (clock.pending > 0) {
      await clock.advance(stepMs);
      steps++;
    } else {
      await new Promise((r) => setTimeout(r, 1));
    }
  }
  if (!done) throw new Error(`still running after ${steps} fake steps`);
  return tracked;
}
