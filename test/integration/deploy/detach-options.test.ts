/**
 * `deploy --detach` hands the runner the options the command was given: a cloudwatch check run by the detached
 * runner calls AWS with the same `--region`, `--profile` and environment (endpoint, config files) as one run
 * in process. A loopback stand-in for CloudWatch reads the SigV4 credential scope of each call.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { status, useGroups, waitFor } from './helpers.js';

const group = useGroups();
let server: http.Server | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

/** A CloudWatch stand-in answering every DescribeAlarms with OK; returns the credential scope of each call. */
async function cloudwatchStandIn(): Promise<{ endpoint: string; scopes: string[] }> {
  const scopes: string[] = [];
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      scopes.push(/Credential=([^,]+)/.exec(String(req.headers.authorization))?.[1] ?? 'unsigned');
      res.setHeader('content-type', 'application/x-amz-json-1.0');
      res.end(JSON.stringify({ MetricAlarms: [{ AlarmName: 'web-5xx', StateValue: 'OK' }] }));
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, scopes };
}

describe('deploy --detach', () => {
  it('gives the detached runner the same --region, --profile and environment as an in-process run', async () => {
    const f = group('strategy: all-at-once');
    // A check after the last step, on every deployment of the group.
    writeFileSync(
      f.config,
      readFileSync(f.config, 'utf8').replace(
        '  noDataPolicy: pass\n',
        '  noDataPolicy: pass\n  checks:\n    - name: alarm\n      provider: cloudwatch\n' +
          '      alarmName: web-5xx\n      at: [post-rollout]\n      timeoutSeconds: 5\n',
      ),
    );
    const { endpoint, scopes } = await cloudwatchStandIn();
    // Credentials only in the profile `ci`, whose own region --region overrides.
    writeFileSync(join(f.dir, 'aws-config'), '[profile ci]\nregion = ap-south-1\n');
    writeFileSync(
      join(f.dir, 'aws-credentials'),
      '[ci]\naws_access_key_id = AKIDCI\naws_secret_access_key = s\n',
    );
    // The SDK reads the profile files from the process environment: set there, as a shell would.
    for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) vi.stubEnv(k, undefined);
    vi.stubEnv('AWS_ENDPOINT_URL', endpoint);
    vi.stubEnv('AWS_CONFIG_FILE', join(f.dir, 'aws-config'));
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(f.dir, 'aws-credentials'));
    vi.stubEnv('AWS_MAX_ATTEMPTS', '1');
    const env = process.env;
    const flags = ['--region', 'eu-west-3', '--profile', 'ci'];

    const inProcess = await f.cli(['deploy', '--revision', f.rev('v1'), ...flags], { env });
    expect(inProcess.code, inProcess.stderr).toBe(0);
    expect(scopes).toHaveLength(1);
    expect(scopes[0]).toMatch(/^AKIDCI\/\d{8}\/eu-west-3\/monitoring\/aws4_request$/);

    const started = await f.cli(['deploy', '--revision', f.rev('v2'), '--detach', ...flags], { env });
    expect(started.code, started.stderr).toBe(0);
    const done = await waitFor(
      'the detached deployment to finish',
      async () => {
        const s = await status(f);
        return ['Succeeded', 'Failed', 'RolledBack'].includes(s.deployment.status) ? s : undefined;
      },
      30_000,
    );
    expect(done.deployment.status, done.deployment.reason).toBe('Succeeded');
    expect(scopes).toHaveLength(2);
    expect(scopes[1]!.replace(/\/\d{8}\//, '/')).toBe(scopes[0]!.replace(/\/\d{8}\//, '/'));
  }, 60_000);
});
