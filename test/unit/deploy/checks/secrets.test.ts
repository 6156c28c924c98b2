/**
 * Which values a check's evidence never keeps: the rule for credential-like environment variables, URL
 * passwords and tokens, a check's own headers, and what is left alone (short values, names that only look alike).
 */
import { describe, expect, it } from 'vitest';
import {
  checkMasker,
  checkSecrets,
  envSecrets,
  headerSecrets,
  isCredentialName,
  maskReading,
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
