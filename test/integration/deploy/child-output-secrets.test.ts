/**
 * Rollback hooks and notification commands run with the runner's environment, and the end of their output is
 * kept (a failed hook's last 4000 characters, a failed notification's last 500 of stderr) in the ledger,
 * `conveyor status` and the deploy's own output. A real deployment whose scripts print a token of the
 * environment and a URL with a password, each split across two writes with the cut falling inside the secret:
 * none of it, nor a 4-character piece of it, is kept anywhere.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectRolledBackToV1, SLOW, useGroups } from './helpers.js';

/** A credential in the runner's environment (its name says TOKEN). */
const TOKEN = 'Tq7Hq2vX9pL4mZ8wR3nB';
/** A password in a URL the script prints itself: no variable holds it, only its `user:password@` shape tells. */
const PASSWORD = 'Kd83jQmv27XaWp';

const group = useGroups();

const saved = new Map<string, string | undefined>();
beforeEach(() => {
  saved.set('CONVEYOR_LEAK_API_TOKEN', process.env.CONVEYOR_LEAK_API_TOKEN);
  process.env.CONVEYOR_LEAK_API_TOKEN = TOKEN;
});
afterEach(() => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  saved.clear();
});

/** Neither secret, nor any 4 characters in a row of one (what a cut through it would leave): all listed if any. */
function expectNoPieceOfASecret(text: string): void {
  const pieces = [TOKEN, PASSWORD].flatMap((secret) =>
    Array.from({ length: secret.length - 3 }, (_, i) => secret.slice(i, i + 4)),
  );
  expect(pieces.filter((piece) => text.includes(piece))).toEqual([]);
}

/** `n` times `char`, printed by the shell (to stderr with `>&2`). */
const fill = (n: number, char: string) => `head -c ${n} /dev/zero | tr '\\0' ${char}`;

/**
 * A failing script printing filler, then `before`, the secret (`secretFrom`: the shell word it is read from)
 * in two writes (a pause between, the split after its 8th character) and `after`, then as many x as put the
 * start of the last `keep` characters `cutAt` characters into the secret; all to stderr with `redirect`.
 * Returns the script and what should be kept of its output.
 */
function secretAtTheCut(
  opts: { before: string; secret: string; secretFrom: string; after: string; cutAt: number; keep: number },
  redirect = '',
): { script: string; expected: string } {
  const { before, secret, secretFrom, after, cutAt, keep } = opts;
  const tail = keep - (secret.length - cutAt) - after.length - 1;
  const script = [
    '#!/bin/sh',
    `SECRET=${secretFrom}`,
    `${fill(300, 'f')} ${redirect}`,
    `printf '\\n%s%.8s' '${before}' "$SECRET" ${redirect}`,
    'sleep 0.3',
    `printf '%s%s\\n' "\${SECRET#????????}" '${after}' ${redirect}`,
    `${fill(tail, 'x')} ${redirect}`,
    'exit 1',
    '',
  ].join('\n');
  const printed = `${'f'.repeat(300)}\n${before}${secret}${after}\n${'x'.repeat(tail)}`;
  return { script, expected: printed.replace(secret, '***').slice(-keep) };
}

/** The token, read from the environment; the cut 11 characters into it. */
const tokenPrinted = {
  before: 'token ',
  secret: TOKEN,
  secretFrom: '"$CONVEYOR_LEAK_API_TOKEN"',
  after: '',
  cutAt: 11,
};
/** `postgres://u:PASSWORD@db.internal/app`, the cut 5 characters into the password. */
const urlPrinted = {
  before: 'connecting to postgres://u:',
  secret: PASSWORD,
  secretFrom: `'${PASSWORD}'`,
  after: '@db.internal/app',
  cutAt: 5,
};

function writeScript(dir: string, name: string, text: string): void {
  writeFileSync(join(dir, name), text);
  chmodSync(join(dir, name), 0o755);
}

type LedgerLine = { type: string; event?: string; output?: string; message?: string; target?: string };

async function expectNothingLeaked(f: ReturnType<typeof group>, deployOutput: string): Promise<LedgerLine[]> {
  const onDisk = readFileSync(join(f.groupDir, 'ledger.ndjson'), 'utf8');
  expectNoPieceOfASecret(onDisk);
  expectNoPieceOfASecret(deployOutput);
  const json = await f.cli(['status', '--json']);
  expectNoPieceOfASecret(json.stdout + json.stderr);
  const text = await f.cli(['status']);
  expectNoPieceOfASecret(text.stdout + text.stderr);
  return (JSON.parse(json.stdout) as { events: LedgerLine[] }).events;
}

describe('the output a deployment keeps of its own scripts holds no secret', () => {
  it(
    'failing rollback hooks printing a token of the environment and a URL password, the 4000-character cut inside each',
    async () => {
      const f = group(
        'strategy: all-at-once',
        'rollback:\n  hooks:\n    beforeRollback: before.sh\n    afterRollback: after.sh\n',
      );
      const keep = 4000;
      const token = secretAtTheCut({ ...tokenPrinted, keep });
      writeScript(f.dir, 'before.sh', token.script);
      const url = secretAtTheCut({ ...urlPrinted, keep });
      writeScript(f.dir, 'after.sh', url.script);
      // The script files themselves hold the password; what is searched is what Conveyor keeps.
      expect(readFileSync(join(f.dir, 'after.sh'), 'utf8')).toContain(PASSWORD);

      expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
      f.script('v2', 'validate.sh', 'exit 1');
      const r = await f.cli(['deploy', '--revision', f.rev('v2')]);
      await expectRolledBackToV1(f, r);

      const events = await expectNothingLeaked(f, r.stdout + r.stderr);
      const failed = (event: string) =>
        events.find((e) => e.type === 'hook' && e.event === event && e.output !== undefined)?.output;
      // Kept where the cut fell: its secret masked first.
      expect(failed('beforeRollback')).toBe(token.expected);
      expect(failed('afterRollback')).toBe(url.expected);
    },
    SLOW,
  );

  it('failing notification commands writing them to stderr, the 500-character cut inside each', async () => {
    const f = group(
      'strategy: all-at-once',
      'notifications:\n  - command: [./notify-token.sh]\n    events: [succeeded]\n  - command: [./notify-url.sh]\n    events: [succeeded]\n',
    );
    const keep = 500;
    const token = secretAtTheCut({ ...tokenPrinted, keep }, '>&2');
    writeScript(f.dir, 'notify-token.sh', token.script);
    const url = secretAtTheCut({ ...urlPrinted, keep }, '>&2');
    writeScript(f.dir, 'notify-url.sh', url.script);

    const r = await f.cli(['deploy', '--revision', f.rev('v1')]);
    expect(r.code, r.stderr).toBe(0);

    const events = await expectNothingLeaked(f, r.stdout + r.stderr);
    const failure = (target: string) =>
      events.find((e) => e.type === 'notification-failed' && e.target === target)?.message;
    expect(failure('./notify-token.sh')).toBe(`exited 1: ${token.expected.trim()}`);
    expect(failure('./notify-url.sh')).toBe(`exited 1: ${url.expected.trim()}`);
  });

  it('a failing webhook, whose URL carries its credential in the path and the query (as chat webhooks do)', async () => {
    // Nothing listens on port 1: the delivery fails, and the ledger names the webhook.
    const webhook = `http://127.0.0.1:1/services/T0001/B0002/${TOKEN}?key=${PASSWORD}`;
    const f = group(
      'strategy: all-at-once',
      `notifications:\n  - webhook: '${webhook}'\n    events: [succeeded]\n`,
    );
    const r = await f.cli(['deploy', '--revision', f.rev('v1')]);
    expect(r.code, r.stderr).toBe(0);
    const events = await expectNothingLeaked(f, r.stdout + r.stderr);
    // Still says which webhook failed: by its host.
    expect(events.filter((e) => e.type === 'notification-failed').map((e) => e.target)).toEqual([
      'http://127.0.0.1:1/***',
    ]);
  });
});
