/**
 * A pipeline's CodeDeploy action keeps the last line of `conveyor deploy`'s output (from its last 2000
 * characters) as the action's message, and its whole output as deploy.log: the run's secrets are masked in both
 * as the output arrives, so a cut through a secret cannot leave its end in the run's record.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretMasker } from '../../../src/core/secret-mask.js';
import { cliDeployer } from '../../../src/local-ci/pipeline/deployer.js';
import { tempDir } from './helpers.js';

const SECRET = 'dep-Secret-9Kq2Lw7Z';
const MESSAGE_END = '/group.yml does not exist\n';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('the message and log of a deploy action', () => {
  it('keep no part of a run secret the cut to 2000 characters goes through', async () => {
    const t = tempDir('conveyor-deploy-output-');
    cleanups.push(t.cleanup);
    // `conveyor deploy` names the missing group file in its last line: the secret in its path, then as many
    // folders as put the 2000-character cut 9 characters before the secret's end.
    const folders = Array.from({ length: 2000 - 9 - MESSAGE_END.length - 1 }, (_, i) =>
      i % 191 === 190 ? '/' : 'b',
    ).join('');
    const configFile = join(t.dir, SECRET, folders, 'group.yml');
    const masker = new SecretMasker([SECRET]);
    const logPath = join(t.dir, 'deploy.log');
    const result = await cliDeployer.deploy({
      configFile,
      revisionDir: t.dir,
      cwd: t.dir,
      logPath,
      env: process.env,
      masker,
    });
    // The run's record masks the message again: what a cut left of the secret would survive that.
    const recorded = masker.mask(result.message);
    const log = readFileSync(logPath, 'utf8');
    for (const text of [recorded, log])
      for (let i = 0; i + 4 <= SECRET.length; i++) expect(text).not.toContain(SECRET.slice(i, i + 4));
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/\*\*\*\/b+\/.*\/group\.yml does not exist$/);
    expect(log).toContain(`${t.dir}/***/bbb`);
  });
});
