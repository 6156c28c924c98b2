import { describe, expect, it } from 'vitest';
import { MASK, SecretMasker } from '../../../src/core/secret-mask.js';

/** Feeds `chunks` through a masking stream and returns what came out, chunk by chunk. */
function streamed(masker: SecretMasker, chunks: string[]): string[] {
  const out: string[] = [];
  const stream = masker.stream((t) => out.push(t));
  for (const c of chunks) stream.write(c);
  stream.flush();
  return out;
}

describe('SecretMasker', () => {
  const secret = 'fake-Pw-41c9e2';

  it('masks every occurrence, longest secret first', () => {
    const masker = new SecretMasker([secret, 'fake-Pw']);
    expect(masker.mask(`a ${secret} b ${secret}fake-Pw c`)).toBe(`a ${MASK} b ${MASK}${MASK} c`);
  });

  it('masks a secret split across chunks at every possible boundary, holding back only a possible prefix', () => {
    const masker = new SecretMasker([secret]);
    const text = `before ${secret} after\n`;
    for (let cut = 1; cut < text.length; cut++) {
      const out = streamed(masker, [text.slice(0, cut), text.slice(cut)]);
      expect(out.join('')).toBe(`before ${MASK} after\n`);
    }
    // One character per chunk: nothing of the secret ever leaves the stream in clear.
    const single = streamed(masker, [...text]);
    expect(single.join('')).toBe(`before ${MASK} after\n`);
    // Text that cannot start the secret is not held back.
    const held: string[] = [];
    const stream = masker.stream((t) => held.push(t));
    stream.write('no secret here\n');
    expect(held).toEqual(['no secret here\n']);
    stream.write('ends with fake-P');
    expect(held.join('')).toBe('no secret here\nends with ');
    stream.write('x');
    expect(held.join('')).toBe('no secret here\nends with fake-Px');
  });

  it('masks the lines of a multi-line secret and the string fields of a JSON secret', () => {
    const masker = new SecretMasker([
      'line-one-aa\nline-two-bb',
      '{"user":"fake-user-7","password":"fake-pass-8"}',
    ]);
    expect(masker.mask('line-one-aa line-two-bb')).toBe(`${MASK} ${MASK}`);
    expect(masker.mask('u=fake-user-7 p=fake-pass-8')).toBe(`u=${MASK} p=${MASK}`);
  });

  it('masks every string of a record, and leaves it as it is when there is nothing to mask', () => {
    const record = { id: 'r', exported: { PW: secret, URL: `https://u:${secret}@h` }, list: [secret, 3] };
    const masker = new SecretMasker([secret]);
    expect(masker.maskDeep(record)).toEqual({
      id: 'r',
      exported: { PW: MASK, URL: `https://u:${MASK}@h` },
      list: [MASK, 3],
    });
    expect(record.exported.PW).toBe(secret);
    // Ids, times and paths Conveyor reads back stay intact even when a (short) secret occurs in them.
    const short = new SecretMasker(['2026']);
    const run = {
      id: 'b-20261203-1',
      startedAt: '2026-12-03T09:00:00Z',
      logPath: '/p/2026/build.log',
      message: 'in 2026',
    };
    expect(short.maskDeep(run)).toEqual({ ...run, message: `in ${MASK}` });
    const none = new SecretMasker(['']);
    expect(none.maskDeep(record)).toBe(record);
    expect(streamed(none, ['a', 'b'])).toEqual(['a', 'b']);
  });

  it('with a minimum length, leaves shorter values, lines and JSON fields alone', () => {
    const json = JSON.stringify({ region: 'eu', key: 'k-1234567' });
    const masker = new SecretMasker(['true', `-----BEGIN-----\nab\nline-of-key\n`, json], { minLength: 6 });
    expect(masker.mask('true eu ab line-of-key k-1234567')).toBe(`true eu ab ${MASK} ${MASK}`);
  });
});
