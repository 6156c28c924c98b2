/**
 * `#{Namespace.Variable}` references in TS definition sources: synth refuses a reference to a
 * variable the producing action never emits, and says where in the source's document it is.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/run-cli.js';
import { builders, listFiles, synth, useTempProjects } from './helpers.js';

const project = useTempProjects();

const release = (reference: string) => `
import { Action, definePipeline, stage } from ${builders};
export default definePipeline({
  name: 'release',
  roleArn: 'arn:aws:iam::123456789012:role/p',
  artifactStore: { bucket: 'artifacts-bucket' },
  stages: [
    stage('Source', [Action.s3Source({ name: 'Source', bucket: 'src-bucket', key: 'app.zip', output: 'Src', namespace: 'SrcVars' })]),
    stage('Build', [
      Action.codeBuild({
        name: 'Build',
        project: 'p',
        inputs: ['Src'],
        environmentVariables: [{ name: 'VERSION', value: '${reference}' }],
      }),
    ]),
  ],
});
`;

describe('variable references in TS sources', () => {
  it('synth maps an unknown output variable back to the source, with the suggestion, and writes nothing', async () => {
    const root = project({ 'pipelines/release.ts': release('#{SrcVars.VersionID}') });
    const r = await synth(root);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'pipelines/release.ts › default › stages[1].actions[0].configuration.EnvironmentVariables error pipeline/unknown-output-variable #{SrcVars.VersionID} in Build/Build reads `VersionID`, but Source/Source (AWS/Source/S3) emits only ETag, VersionId (did you mean `VersionId`?)',
    );
    expect(listFiles(root)).toEqual(['pipelines/release.ts']);
  });

  it('the same source with a variable S3 emits synthesizes', async () => {
    const root = project({ 'pipelines/release.ts': release('#{SrcVars.VersionId}') });
    const r = await synth(root);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('validate over the TS source reports it at the same logical path', async () => {
    const root = project({ 'pipelines/release.ts': release('#{SrcVars.ETAG}') });
    let stdout = '';
    const code = await runCli(['validate', '--json'], {
      cwd: root,
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: () => {} },
    });
    expect(code).toBe(1);
    expect(JSON.parse(stdout).diagnostics).toEqual([
      expect.objectContaining({
        file: 'pipelines/release.ts',
        where: 'default › stages[1].actions[0].configuration.EnvironmentVariables',
        ruleId: 'pipeline/unknown-output-variable',
        severity: 'error',
        hint: 'did you mean `ETag`?',
      }),
    ]);
  });

  it('a CodeBuild variable is checked against the buildspec the same source defines', async () => {
    const root = project({
      'pipelines/web.ts': `import { Action, defineBuildspec, definePipeline, stage } from ${builders};
export const buildspec = defineBuildspec({ name: 'web', env: { 'exported-variables': ['IMAGE_TAG'] }, phases: { build: { commands: ['make'] } }, artifacts: { files: ['dist/**/*'] } });
export const pipeline = definePipeline({
  name: 'web',
  roleArn: 'arn:aws:iam::123456789012:role/p',
  artifactStore: { bucket: 'artifacts-bucket' },
  stages: [
    stage('Source', [Action.s3Source({ name: 'Source', bucket: 'src-bucket', key: 'app.zip', output: 'Src' })]),
    stage('Build', [Action.codeBuild({ name: 'Build', project: 'web', inputs: ['Src'], outputs: ['Out'], namespace: 'BuildVars' })]),
    stage('Test', [Action.codeBuild({ name: 'Smoke', project: 'smoke', inputs: ['Out'], environmentVariables: [{ name: 'TAG', value: '#{BuildVars.IMAGE_TAGS}' }] })]),
  ],
});
`,
    });
    const r = await synth(root);
    // A warning: synth writes the files and says where the reference is.
    expect(r.stderr).toMatch(
      /pipelines\/web\.ts › pipeline › stages\[2\]\.actions\[0\]\.configuration\.EnvironmentVariables warning cross\/exported-variable #\{BuildVars\.IMAGE_TAGS\} in Test\/Smoke reads `IMAGE_TAGS`/,
    );
    expect(r.code).toBe(0);
  });
});
