import { describe, expect, it } from 'vitest';
import { parseBuildspec, parseOnFailure } from '../../../src/local-ci/buildspec.js';
import { resolveConfiguration } from '../../../src/local-ci/pipeline/variables.js';
import { resolveSecrets } from '../../../src/local-ci/secrets.js';

describe('buildspec normalization', () => {
  it('accepts single strings where lists are expected and yes/no or booleans', async () => {
    const { plan, diagnostics } = await parseBuildspec(
      `version: 0.2
env:
  exported-variables: ONE
phases:
  build:
    commands: make
    finally: echo done
artifacts:
  files: '**/*'
  discard-paths: yes
  enable-symlinks: true
`,
      'buildspec.yml',
    );
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(plan?.exportedVariables).toEqual(['ONE']);
    expect(plan?.phases[0]).toMatchObject({ name: 'build', commands: ['make'], finally: ['echo done'] });
    expect(plan?.artifacts).toMatchObject({ files: ['**/*'], discardPaths: true, enableSymlinks: true });
  });

  it('runs the list without empty command items, as CodeBuild does', async () => {
    const { plan, diagnostics } = await parseBuildspec(
      'version: 0.2\nphases:\n  build:\n    commands:\n      - make\n      -\n      - make test\n',
      'buildspec.yml',
    );
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(plan?.phases[0]?.commands).toEqual(['make', 'make test']);
  });

  it('refuses an unknown phase and a build phase without commands, as validate does', async () => {
    const { diagnostics } = await parseBuildspec(
      'version: 0.2\nphases:\n  test:\n    commands:\n      - make test\n  build:\n    commands:\n',
      'buildspec.yml',
    );
    const errors = diagnostics.filter((d) => d.severity === 'error').map((d) => d.ruleId);
    expect(errors).toEqual(expect.arrayContaining(['buildspec/unknown-phase', 'buildspec/phase-commands']));
  });

  it('reports YAML errors with line and column', async () => {
    const { plan, diagnostics } = await parseBuildspec('version: 0.2\nphases:\n\tbuild: {}\n', 'b.yml');
    expect(plan).toBeUndefined();
    expect(diagnostics[0]).toMatchObject({ file: 'b.yml', line: 3 });
  });

  it('parses every on-failure form', () => {
    expect(parseOnFailure('ABORT')).toEqual({ kind: 'ABORT' });
    expect(parseOnFailure('CONTINUE')).toEqual({ kind: 'CONTINUE' });
    expect(parseOnFailure('RETRY')).toEqual({ kind: 'RETRY', count: 3 });
    expect(parseOnFailure('RETRY-5')).toEqual({ kind: 'RETRY', count: 5 });
    expect(parseOnFailure('RETRY-.*timeout.*')).toEqual({ kind: 'RETRY', count: 3, pattern: '.*timeout.*' });
    expect(parseOnFailure('RETRY-2-flaky')).toEqual({ kind: 'RETRY', count: 2, pattern: 'flaky' });
    expect(parseOnFailure('RETRY-101')).toBeUndefined();
    expect(parseOnFailure('SOMETIMES')).toBeUndefined();
  });
});

describe('secrets and variables', () => {
  it('resolves ARN secret ids with JSON keys, and names the missing parameter', () => {
    const source = {
      parameterStore: { '/a': '1' },
      secretsManager: { 'arn:aws:secretsmanager:us-east-1:1:secret:db-AbC': '{"password":"pw"}' },
    };
    expect(
      resolveSecrets(
        { A: '/a' },
        { P: 'arn:aws:secretsmanager:us-east-1:1:secret:db-AbC:password::' },
        source,
        {},
      ),
    ).toEqual({ ok: true, values: { A: '1', P: 'pw' } });
    const missing = resolveSecrets({ B: '/b' }, {}, source, {});
    expect(missing.ok).toBe(false);
    expect(!missing.ok && missing.message).toContain('parameter does not exist: /b');
    expect(resolveSecrets({ B: '/b' }, {}, source, { B: 'from-env' })).toEqual({
      ok: true,
      values: { B: 'from-env' },
    });
  });

  it('resolves #{ns.var} references and lists the missing ones', () => {
    const scope = new Map<string, Record<string, string>>([
      ['variables', { Env: 'prod' }],
      ['Build', { Version: '1.2' }],
    ]);
    expect(
      resolveConfiguration({ Key: '#{Build.Version}-#{variables.Env}', Other: '#{Nope.X}' }, scope),
    ).toEqual({
      configuration: { Key: '1.2-prod', Other: '#{Nope.X}' },
      missing: ['#{Nope.X}'],
    });
  });
});
