/**
 * Which values a check's evidence never keeps: the rule for credential-like environment variables, URL
 * passwords and tokens, a check's own headers, and what is left alone (short values, names that only look alike).
 */
import { describe, expect, it } from 'vitest';
import {
  checkMasker,
  checkOutputStream,
  checkSecrets,
  envSecrets,
  headerSecrets,
  isCredentialName,
  maskReading,
  maskText,
  urlCredentialTail,
  urlSecrets,
} from '../../../../src/deploy/checks/secrets.js';
import type { CheckSpec } from '../../../../src/documents/deployment-group/checks-schema.js';

describe('credential-like variable names', () => {
  it.each([
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_ACCESS_KEY_ID',
    'GITHUB_TOKEN',
    'NPM_TOKEN',
    'DB_PASSWORD',
    'MYSQL_PWD_PASSWD',
    'GPG_PASSPHRASE',
    'GOOGLE_APPLICATION_CREDENTIALS',
    'SSH_PRIVATE_KEY',
    'STRIPE_API_KEY',
    'DATADOG_APIKEY',
    'BASIC_AUTH',
    'HTTP_AUTHORIZATION',
    'session_cookie',
  ])('%s is one', (name) => expect(isCredentialName(name)).toBe(true));

  it.each(['HOME', 'PATH', 'AWS_REGION', 'GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'CONVEYOR_CANARY_REVISION'])(
    '%s is not',
    (name) => expect(isCredentialName(name)).toBe(false),
  );
});

describe('envSecrets', () => {
  it('takes credential values and URL passwords, whatever the URL variable is called', () => {
    expect(
      envSecrets({
        GITHUB_TOKEN: 'ghp_abcdef123456',
        HOME: '/home/ci',
        DATABASE_URL: 'postgres://app:s3cr%40t-pw@db/app',
        UNSET_TOKEN: undefined,
        EMPTY_TOKEN: '',
      }).sort(),
    ).toEqual(['ghp_abcdef123456', 's3cr%40t-pw', 's3cr@t-pw'].sort());
  });
});

describe('urlSecrets', () => {
  it('a password, a token as user, credential-like query values', () => {
    expect(urlSecrets('https://deployer:hunter22@example.com/')).toEqual(['hunter22', 'hunter22']);
    expect(urlSecrets('https://ghp_tokenvalue@github.com/o/r.git')).toEqual([
      'ghp_tokenvalue',
      'ghp_tokenvalue',
    ]);
    expect(urlSecrets('https://example.com/h?access_token=abc%2Fdef&verbose=1&key=k-123456')).toEqual([
      'abc/def',
      'abc%2Fdef',
      'k-123456',
      'k-123456',
    ]);
    expect(urlSecrets('https://example.com/health?verbose=1')).toEqual([]);
    expect(urlSecrets('not a url')).toEqual([]);
  });
});

describe('headerSecrets', () => {
  it('every value, the credential after its scheme, a Basic credential decoded', () => {
    const basic = Buffer.from('deployer:pa55word').toString('base64');
    expect(headerSecrets({ Authorization: 'Bearer tok-123456', 'X-Api-Key': 'k-abcdef' })).toEqual([
      'Bearer tok-123456',
      'tok-123456',
      'k-abcdef',
    ]);
    expect(headerSecrets({ Authorization: `Basic ${basic}` })).toEqual([
      `Basic ${basic}`,
      basic,
      'deployer:pa55word',
      'pa55word',
    ]);
  });
});

describe('checkSecrets and the masking of a reading', () => {
  const http = {
    name: 'api',
    provider: 'http',
    url: 'https://reader:url-pw-1@api.example.com/health',
    headers: { Authorization: 'Bearer tok/with"quote' },
  } as CheckSpec;

  it('skips values shorter than 6 characters; adds the JSON- and URL-escaped forms', () => {
    const secrets = checkSecrets(http, { BASIC_AUTH: 'true', AUTH_PIN: '12345', API_TOKEN: 'abcdef' });
    expect(secrets).not.toContain('true');
    expect(secrets).not.toContain('12345');
    expect(secrets).toContain('abcdef');
    expect(secrets).toContain('url-pw-1');
    expect(secrets).toContain('tok/with"quote');
    expect(secrets).toContain('tok/with\\"quote');
    expect(secrets).toContain('tok%2Fwith%22quote');
  });

  it('masks output, error and no-data reason; hides any URL password, known or not', () => {
    const masker = checkMasker(http, { API_TOKEN: 'abcdef' });
    expect(
      maskReading(
        { error: 'abcdef rejected at https://x:other-pw@host/ and {"t":"tok/with\\"quote"}' },
        masker,
      ),
    ).toEqual({ error: '*** rejected at https://x:***@host/ and {"t":"***"}' });
    expect(maskReading({ noData: 'no series for abcdef' }, masker)).toEqual({ noData: 'no series for ***' });
    expect(
      maskReading({ vars: { text: 'abcdef' }, measured: { status: 200 }, output: 'url-pw-1' }, masker),
    ).toEqual({ vars: { text: 'abcdef' }, measured: { status: 200 }, output: '***' });
  });

  it('a command check has no spec secrets: only the environment’s', () => {
    const cmd = { name: 'job', provider: 'command', command: 'echo hi' } as CheckSpec;
    expect(checkSecrets(cmd, { HOME: '/home/ci', NPM_TOKEN: 'npm_123456' })).toEqual(['npm_123456']);
  });
});

describe('URL passwords in a check output as it streams in', () => {
  const cmd = { name: 'job', provider: 'command', command: 'true' } as CheckSpec;
  const masker = checkMasker(cmd, { NPM_TOKEN: 'npm_123456' });
  const streamed = (chunks: string[]): string[] => {
    const out: string[] = [];
    const stream = checkOutputStream(masker, (t) => out.push(t));
    for (const c of chunks) stream.write(c);
    stream.flush();
    return out;
  };
  const text =
    'to postgres://app:hunter2-secret@db.example.com/app, npm_123456 and http://host:8080/health\n';
  const masked = 'to postgres://app:***@db.example.com/app, *** and http://host:8080/health\n';

  it('masks a URL password split at every possible boundary, and one character at a time', () => {
    expect(maskText(masker, text)).toBe(masked);
    for (let cut = 1; cut < text.length; cut++) {
      expect(streamed([text.slice(0, cut), text.slice(cut)]).join('')).toBe(masked);
    }
    expect(streamed([...text]).join('')).toBe(masked);
  });

  it('holds back only what could still become scheme://user:password@', () => {
    expect(urlCredentialTail('connecting to postgres')).toBe('postgres'.length);
    expect(urlCredentialTail('connecting to postgres:/')).toBe('postgres:/'.length);
    expect(urlCredentialTail('connecting to postgres://app')).toBe('postgres://app'.length);
    expect(urlCredentialTail('connecting to postgres://app:hunt')).toBe('postgres://app:hunt'.length);
    expect(urlCredentialTail('GET http://host:8080/')).toBe(0);
    expect(urlCredentialTail('done.\n')).toBe(0);
    expect(urlCredentialTail('a://b:c@')).toBe(0);
    // A cut's or a prefix's scheme: the last 32 characters that can be one.
    expect(urlCredentialTail(`_${'s'.repeat(40)}://app:pw`)).toBe(32 + '://app:pw'.length);
    expect(urlCredentialTail('://app:12')).toBe(0);
    // Longer than any credential: let go.
    expect(urlCredentialTail(`x://app:${'1'.repeat(20_000)}`)).toBe(0);
  });

  it('masks the password after a scheme glued to a word or cut short', () => {
    expect(maskText(masker, 'url_postgres://app:pw-123@db and gres://app:pw-456@db')).toBe(
      'url_postgres://app:***@db and gres://app:***@db',
    );
  });
});
