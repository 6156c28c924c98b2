import { describe, expect, it } from 'vitest';
import { decideRunAs, type IdentityPort } from '../../../src/providers/local/agent/runas.js';
import { parseScriptTimeout } from '../../../src/providers/local/agent/scripts.js';

function identity(uid: number, name: string, users: Record<string, number> = {}): IdentityPort {
  return {
    currentUid: () => uid,
    currentUserName: () => name,
    lookupUser: async (user) =>
      users[user] === undefined
        ? undefined
        : { uid: users[user]!, gid: users[user]!, home: `/home/${user}`, shell: '/bin/bash' },
  };
}

describe('parseScriptTimeout', () => {
  it('defaults to 3600 seconds', () => {
    expect(parseScriptTimeout(undefined)).toBe(3600);
    expect(parseScriptTimeout(null)).toBe(3600);
  });
  it('accepts numbers and numeric strings, as the agent does', () => {
    expect(parseScriptTimeout(300)).toBe(300);
    expect(parseScriptTimeout('300')).toBe(300);
    expect(parseScriptTimeout(' 2 ')).toBe(2);
  });
  it('rejects zero, negatives and words', () => {
    expect(parseScriptTimeout(0)).toBeUndefined();
    expect(parseScriptTimeout(-5)).toBeUndefined();
    expect(parseScriptTimeout('five')).toBeUndefined();
    expect(parseScriptTimeout('')).toBeUndefined();
  });
});

describe('decideRunAs', () => {
  it('needs nothing when runas is absent, blank or the current user', async () => {
    expect(await decideRunAs(undefined, identity(1000, 'alice'))).toEqual({ kind: 'current' });
    expect(await decideRunAs('  ', identity(1000, 'alice'))).toEqual({ kind: 'current' });
    expect(await decideRunAs(' alice ', identity(1000, 'alice'))).toEqual({ kind: 'current' });
  });
  it('goes through su, as the agent does, when root and the user exists', async () => {
    expect(await decideRunAs('web', identity(0, 'root', { web: 33 }))).toEqual({
      kind: 'su',
      user: 'web',
      shell: '/bin/bash',
    });
  });
  it('refuses another user when not root, instead of running as the wrong one', async () => {
    const decision = await decideRunAs('web', identity(1000, 'alice', { web: 33 }));
    expect(decision.kind).toBe('error');
    expect(decision.kind === 'error' && decision.message).toContain('runs as alice');
  });
  it('refuses a user that does not exist', async () => {
    expect(await decideRunAs('ghost', identity(0, 'root'))).toEqual({
      kind: 'error',
      message: 'runas: user ghost does not exist on this machine',
    });
  });
});
