/** `conveyor status --watch` against a real deployment: a redrawn frame on a terminal, plain lines, NDJSON. */
import { EventEmitter } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/run-cli.js';
import { type GroupFixture, makeGroup, status, waitFor } from './helpers.js';

/** A terminal as the CLI sees process.stdout: isTTY, a width, resize events. */
class FakeTerminal extends EventEmitter {
  isTTY = true;
  text = '';
  constructor(public columns: number) {
    super();
  }
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  resize(columns: number): void {
    this.columns = columns;
    this.emit('resize');
  }
}

/** What the screen shows last: the text after the final cursor-up/clear. */
function lastFrame(text: string): string {
  const parts = text.split(/\x1b\[\d+A\x1b\[J/);
  return parts[parts.length - 1]!;
}

function watch(f: GroupFixture, id: string, stdout: { write(s: string): unknown }, signal?: AbortSignal) {
  let stderr = '';
  const code = runCli(['status', id, '--watch', '--config', f.config], {
    stdout,
    stderr: { write: (s: string) => (stderr += s) },
    cwd: f.dir,
    ...(signal ? { signal } : {}),
  });
  return code.then((c) => ({ code: c, stderr }));
}

const PAUSED_CANARY = 'strategy:\n  type: canary\n  steps:\n    - setWeight: 50\n    - pause: {}';

describe('status --watch', () => {
  const fixtures: GroupFixture[] = [];
  afterAll(async () => {
    for (const f of fixtures) await f.cleanup();
  });

  async function pausedDeployment(f: GroupFixture, rev: string): Promise<string> {
    const started = await f.cli(['deploy', '--revision', f.rev(rev), '--detach', '--json']);
    expect(started.code, started.stderr).toBe(0);
    const { deploymentId } = JSON.parse(started.stdout) as { deploymentId: string };
    await waitFor('Paused', async () =>
      (await status(f)).deployment.status === 'Paused' ? true : undefined,
    );
    return deploymentId;
  }

  it('redraws one frame on a terminal, plain lines when piped, NDJSON with --json; exits 0 once promoted to success', async () => {
    const f = makeGroup(PAUSED_CANARY);
    fixtures.push(f);
    expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
    const id = await pausedDeployment(f, 'v2');

    const tty = new FakeTerminal(72);
    let plain = '';
    let ndjson = '';
    const watchers = [
      watch(f, id, tty),
      watch(f, id, { write: (s: string) => (plain += s) }),
      runCli(['status', id, '--watch', '--json', '--config', f.config], {
        stdout: { write: (s: string) => (ndjson += s) },
        stderr: { write: () => {} },
        cwd: f.dir,
      }),
    ] as const;
    // The frame says what to do while Paused, and its clock moves while nothing else happens.
    const paused = await waitFor('the promote hint', async () =>
      lastFrame(tty.text).includes('conveyor promote') ? lastFrame(tty.text) : undefined,
    );
    expect(paused).toContain(`${id} Paused`);
    expect(paused).toMatch(/traffic stable 50% v1 \[a-1\] · new 50% v2 \[b-1\]/);
    // The router line names the revisions its upstreams run (#12).
    expect(paused).toMatch(/router {2}stable 50% v1 \[a-1\] · new 50% v2 \[b-1\]/);
    expect(paused).toContain('conveyor abort');
    const elapsed = (frame: string) => /\[(\d+)s\]/.exec(frame)?.[1];
    const before = elapsed(paused);
    await waitFor('the elapsed time to move', async () =>
      elapsed(lastFrame(tty.text)) !== before ? true : undefined,
    );
    // A narrower terminal: the frame is drawn again, cut to the new width.
    tty.resize(40);
    await new Promise((r) => setTimeout(r, 50));

    const promoted = await f.cli(['promote', id]);
    expect(promoted.code, promoted.stderr).toBe(0);
    const [onTty, piped, json] = await Promise.all(watchers);

    expect(onTty.code, onTty.stderr).toBe(0);
    expect(tty.text).toMatch(/\x1b\[\d+A\x1b\[J/);
    const final = lastFrame(tty.text);
    expect(final).toContain(`${id} Succeeded`);
    expect(final).not.toContain('next');
    const frameLines = final.trimEnd().split('\n');
    for (const line of frameLines) expect([...line].length).toBeLessThanOrEqual(40);
    expect(frameLines.some((l) => l.endsWith('…'))).toBe(true);
    // Frames drawn before the resize were cut to the wider terminal.
    const wide = tty.text.split(/\x1b\[\d+A\x1b\[J/).flatMap((p) => p.split('\n'));
    expect(Math.max(...wide.map((l) => [...l].length))).toBe(71);

    expect(piped.code, piped.stderr).toBe(0);
    expect(plain).not.toContain('\x1b[');
    expect(plain).toMatch(new RegExp(`^deployment ${id} {2}Paused`));
    expect(plain).toMatch(new RegExp(`\\d\\d:\\d\\d:\\d\\d\\.\\d{3} ${id} promoted at step \\d`));
    expect(plain.trimEnd().split('\n').pop()).toBe(`${id} Succeeded`);

    expect(json).toBe(0);
    const objects = ndjson
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { deployment: { status: string }; events: { type: string }[] });
    expect(objects.length).toBeGreaterThan(1);
    expect(objects[0]!.deployment.status).toBe('Paused');
    expect(objects.at(-1)!.deployment.status).toBe('Succeeded');
    // Each object carries only the events new since the one before: together, the whole ledger once.
    const all = JSON.parse((await f.cli(['status', id, '--json'])).stdout) as { events: unknown[] };
    expect(objects.flatMap((o) => o.events)).toEqual(all.events);
  }, 60_000);

  it('leaves the deployment alone on Ctrl-C; exits 1 when it ends aborted or its runner is gone', async () => {
    const f = makeGroup(PAUSED_CANARY);
    fixtures.push(f);
    expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
    const id = await pausedDeployment(f, 'v2');

    const interrupt = new AbortController();
    let shown = '';
    const interrupted = watch(f, id, { write: (s: string) => (shown += s) }, interrupt.signal);
    await waitFor('the first status', async () => (shown.includes('Paused') ? true : undefined));
    interrupt.abort(new Error('interrupted by SIGINT'));
    const stopped = await interrupted;
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain(`stopped watching: ${id} is Paused and was not touched`);
    expect((await status(f)).deployment.status).toBe('Paused');

    let plain = '';
    let ndjson = '';
    const watching = watch(f, id, { write: (s: string) => (plain += s) });
    const watchingJson = runCli(['status', id, '--watch', '--json', '--config', f.config], {
      stdout: { write: (s: string) => (ndjson += s) },
      stderr: { write: () => {} },
      cwd: f.dir,
    });
    await waitFor('the watchers', async () => (plain && ndjson ? true : undefined));
    expect((await f.cli(['abort', id])).code).toBe(0);
    const ended = await watching;
    const final = (await status(f)).deployment.status;
    expect(['RolledBack', 'Stopped']).toContain(final);
    expect(ended.code).toBe(1);
    expect(ended.stderr).toContain(`deployment ${id} ${final}`);
    expect(plain).toMatch(new RegExp(`${id} abort requested`));
    expect(await watchingJson).toBe(1);
    const last = JSON.parse(ndjson.trim().split('\n').pop()!) as { deployment: { status: string } };
    expect(last.deployment.status).toBe(final);

    // A runner killed while Paused: nobody will move the deployment on; the frame says how to go on, exit 1.
    const again = await f.cli(['deploy', '--revision', f.rev('v2'), '--detach', '--json']);
    const { deploymentId, pid } = JSON.parse(again.stdout) as { deploymentId: string; pid: number };
    await waitFor('Paused', async () =>
      (await status(f)).deployment.status === 'Paused' ? true : undefined,
    );
    process.kill(pid, 'SIGKILL');
    await waitFor('the runner to be gone', async () => ((await status(f)).runner.alive ? undefined : true));
    const tty = new FakeTerminal(100);
    const orphan = await watch(f, deploymentId, tty);
    expect(orphan.code).toBe(1);
    const frame = lastFrame(tty.text);
    expect(frame).toContain(`runner  NOT RUNNING (pid ${pid} is gone)`);
    expect(frame).toContain(`conveyor deploy --resume --config group.yml`);
  }, 60_000);
});
