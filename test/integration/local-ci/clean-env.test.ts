import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLEAN_ENV_KEEPS } from '../../../src/local-ci/build-environment.js';
import { cli, gitInit, releasePipeline, tempDir, write } from './helpers.js';

// Made-up credentials standing for what a developer's shell holds.
const HOST_ENV = {
  AWS_SECRET_ACCESS_KEY: 'fake/host+secret/key0000000000000000000',
  GITHUB_TOKEN: 'ghp_FAKEhosttoken000000000000',
};

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

/** The environment the commands saw, from `env -0` written to `file`. */
function envSeen(file: string): Record<string, string> {
  const entries = readFileSync(file, 'utf8').split('\0').filter(Boolean);
  return Object.fromEntries(entries.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

const buildspec = `version: 0.2
env:
  variables:
    FROM_BUILDSPEC: yes-1
phases:
  build:
    commands:
      - env -0 > "$CODEBUILD_SRC_DIR/../env-seen"
`;

describe('conveyor build --clean-env', () => {
  it('passes only the buildspec, --env, CodeBuild variables and the documented minimum; the whole environment without it', async () => {
    const t = tempDir('conveyor-clean-env-');
    cleanups.push(t.cleanup);
    const dir = join(t.dir, 'src');
    mkdirSync(dir);
    write(dir, 'buildspec.yml', buildspec);
    const env = { ...process.env, ...HOST_ENV, LANG: 'C.UTF-8', TERM: 'xterm' };

    const clean = await cli(['build', '--clean-env', '--env', 'GIVEN=yes-2'], dir, env);
    expect(clean.code).toBe(0);
    const seen = envSeen(join(t.dir, 'env-seen'));
    expect(seen).not.toHaveProperty('AWS_SECRET_ACCESS_KEY');
    expect(seen).not.toHaveProperty('GITHUB_TOKEN');
    expect(seen).toMatchObject({
      FROM_BUILDSPEC: 'yes-1',
      GIVEN: 'yes-2',
      PATH: process.env.PATH,
      LANG: 'C.UTF-8',
      TERM: 'xterm',
      CODEBUILD_SRC_DIR: dir,
    });
    // Nothing else of the host's environment: every name is set by the build or on the documented list.
    const allowed = /^(CODEBUILD_|CONVEYOR_BUILD_|AWS_REGION$|AWS_DEFAULT_REGION$|FROM_BUILDSPEC$|GIVEN$)/;
    // The shell adds a few of its own (PWD, SHLVL, _, OLDPWD).
    const shell = ['PWD', 'SHLVL', '_', 'OLDPWD'];
    expect(
      Object.keys(seen).filter(
        (k) => !allowed.test(k) && !(CLEAN_ENV_KEEPS as readonly string[]).includes(k) && !shell.includes(k),
      ),
    ).toEqual([]);

    // Without the flag, the host's environment is inherited, as documented.
    const inherited = await cli(['build'], dir, env);
    expect(inherited.code).toBe(0);
    expect(envSeen(join(t.dir, 'env-seen'))).toMatchObject(HOST_ENV);
  });
});

describe('conveyor run --clean-env', () => {
  it("keeps the host's environment out of the pipeline's build actions", async () => {
    const t = tempDir('conveyor-clean-env-run-');
    cleanups.push(t.cleanup);
    const pipeline = releasePipeline([
      {
        name: 'Build',
        actions: [
          {
            name: 'Dump',
            actionTypeId: { category: 'Compute', owner: 'AWS', provider: 'Commands', version: '1' },
            commands: [`env -0 > ${join(t.dir, 'env-seen')}`],
            inputArtifacts: [{ name: 'Src' }],
          },
        ],
      },
    ]);
    const dir = join(t.dir, 'repo');
    mkdirSync(join(dir, 'pipelines'), { recursive: true });
    write(join(dir, 'pipelines'), 'release.json', pipeline);
    gitInit(dir);
    const env = { ...process.env, ...HOST_ENV };
    const r = await cli(['run', 'release', '--clean-env'], dir, env);
    expect(r.code).toBe(0);
    const seen = envSeen(join(t.dir, 'env-seen'));
    expect(seen).not.toHaveProperty('AWS_SECRET_ACCESS_KEY');
    expect(seen).not.toHaveProperty('GITHUB_TOKEN');
    expect(seen.PATH).toBe(process.env.PATH);
  });
});
