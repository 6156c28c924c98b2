import { describe, expect, it } from 'vitest';
import { detectKind, kindFromName } from '../../../src/documents/detect.js';
import { parseSource } from '../../../src/documents/source.js';

const detect = (file: string, text: string) => detectKind(file, parseSource(text, file).value);

describe('detectKind', () => {
  it('recognises each kind from content alone, whatever the file is called', () => {
    expect(detect('ci/main.yml', 'version: 0.2\nphases:\n  build:\n    commands: [make]\n')).toBe(
      'buildspec',
    );
    expect(detect('deploy/spec.yml', 'version: 0.0\nos: linux\nfiles: []\n')).toBe('appspec');
    expect(
      detect('x.json', '{"version": 0.0, "Resources": [{"TargetService": {"Type": "AWS::ECS::Service"}}]}'),
    ).toBe('appspec');
    expect(detect('x.yml', 'resources:\n  - fn:\n      type: AWS::Lambda::Function\n')).toBe('appspec');
    expect(detect('x.json', '{"pipeline": {"name": "p", "stages": []}}')).toBe('pipeline');
    expect(detect('x.yml', 'application: a\ndeploymentGroup: dev\nprovider: local\n')).toBe(
      'deployment-group',
    );
  });

  it('takes custom buildspec names from content (.codebuild/*.yml, buildspec_*.yml, batch-only files)', () => {
    expect(
      detect('.codebuild/pr_workflow.yml', 'version: 0.2\nbatch:\n  build-graph:\n    - identifier: a\n'),
    ).toBe('buildspec');
    expect(
      detect('pipeline/buildspec_deploy.yml', 'version: 0.2\nphases:\n  build:\n    commands: [x]\n'),
    ).toBe('buildspec');
  });

  it('does not claim appspec.json or pipeline.json files of other tools', () => {
    expect(
      detect('appspec.json', '{"name": "my-app", "entry": "src/index.js", "routes": []}'),
    ).toBeUndefined();
    expect(detect('pipeline.json', '{"steps": [{"run": "npm test"}], "trigger": "push"}')).toBeUndefined();
    expect(detect('config.yml', 'server:\n  port: 8080\n')).toBeUndefined();
  });

  it('trusts an unambiguous YAML name when the content says nothing (empty or unreadable files)', () => {
    expect(detectKind('buildspec.yml', undefined)).toBe('buildspec');
    expect(detect('buildspec.yml', 'just: text\n')).toBe('buildspec');
    expect(detect('appspec.yml', '[]\n')).toBe('appspec');
    expect(kindFromName('appspec.json')).toEqual({ kind: 'appspec', certain: false });
    expect(kindFromName('src/index.ts')).toBeUndefined();
  });
});
