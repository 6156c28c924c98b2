import { describe, expect, it } from 'vitest';
import { BODY_CHUNKED, BODY_UNTIL_CLOSE, BodyEnd } from '../../../src/router/upgrade.js';

/** Feeds `pieces` one by one; returns the bytes taken as body and whether the end was found. */
function feed(framing: number, pieces: string[]): { body: string; complete: boolean } {
  const end = new BodyEnd(framing);
  let body = '';
  for (const p of pieces) {
    const buf = Buffer.from(p, 'latin1');
    body += buf.toString('latin1', 0, end.take(buf));
  }
  return { body, complete: end.complete };
}

describe('BodyEnd (end of a relayed non-101 answer)', () => {
  it('stops a content-length body at its length, leaving what follows', () => {
    expect(feed(5, ['he', 'llo', 'EXTRA'])).toEqual({ body: 'hello', complete: true });
    expect(feed(5, ['hel'])).toEqual({ body: 'hel', complete: false });
    expect(feed(0, ['x'])).toEqual({ body: '', complete: true });
  });

  it('finds the last chunk and the trailers wherever the pieces are cut', () => {
    const message = '5;ext=1\r\nhello\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: 1\r\n\r\n';
    for (let cut = 1; cut < message.length; cut++) {
      const r = feed(BODY_CHUNKED, [message.slice(0, cut), message.slice(cut), 'NEXT']);
      expect(r, `cut at ${cut}`).toEqual({ body: message, complete: true });
    }
    expect(feed(BODY_CHUNKED, ['5\r\nhello\r\n0\r\n'])).toEqual({
      body: '5\r\nhello\r\n0\r\n',
      complete: false,
    });
  });

  it('never completes a body that runs until the connection closes', () => {
    const end = new BodyEnd(BODY_UNTIL_CLOSE);
    expect(end.take(Buffer.from('abc'))).toBe(3);
    expect(end.complete).toBe(false);
    expect(end.untilClose).toBe(true);
  });
});
