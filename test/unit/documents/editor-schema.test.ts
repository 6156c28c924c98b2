/**
 * `conveyor schema KIND` for editors: the YAML language server, given the exported schema, reports the
 * schema-level problems `conveyor validate` reports (missing, unknown, mistyped and out-of-range keys) on
 * the same lines, and shows the keys' docs on hover. AppSpec is one schema for EC2, ECS and Lambda.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { getLanguageService } from 'yaml-language-server';
import { runCli } from '../../../src/cli/run-cli.js';
import { type EditorSchemaKind, editorSchema } from '../../../src/documents/editor-schema.js';
import { validateText } from '../../../src/documents/validate.js';

const SCHEMA_RULE = /\/(missing-key|unknown-key|invalid-type|invalid-value)$/;

function languageService(kind: EditorSchemaKind) {
  const schema = editorSchema(kind);
  const ls = getLanguageService({
    schemaRequestService: async () => JSON.stringify(schema),
    workspaceContext: { resolveRelativePath: (rel: string, res: string) => new URL(rel, res).href },
  } as Parameters<typeof getLanguageService>[0]);
  ls.configure({
    validate: true,
    hover: true,
    schemas: [{ uri: `file:///schemas/${kind}.json`, fileMatch: ['*'] }],
  });
  return ls;
}

/** The language server caches parsed documents by URI and version: every text gets its own. */
let opened = 0;

async function editorLines(kind: EditorSchemaKind, file: string, text: string): Promise<number[]> {
  opened += 1;
  const doc = TextDocument.create(`file:///work/${opened}/${file}`, 'yaml', opened, text);
  const found = await languageService(kind).doValidation(doc, false);
  return [...new Set(found.map((d) => d.range.start.line + 1))].sort((a, b) => a - b);
}

function conveyorLines(file: string, text: string): number[] {
  const { diagnostics } = validateText(text, file);
  return [...new Set(diagnostics.filter((d) => SCHEMA_RULE.test(d.ruleId)).map((d) => d.line))].sort(
    (a, b) => a - b,
  );
}

const SAMPLES: [EditorSchemaKind, string, string][] = [
  [
    'buildspec',
    'buildspec.yml',
    'version: 0.2\nphases:\n  build:\n    commands:\n      - make\n      - a: b\n  post_build:\n    commands: [make]\n    on-failure: STOP\nartifact:\n  files: x\n',
  ],
  [
    'appspec',
    'appspec.yml',
    'version: 0.0\nos: macos\nfiles:\n  - source: /\n    destination: /srv/app\n    mode: 644\nfile_exists_behavior: KEEP\nhooks:\n  AfterInstall:\n    - location: scripts/a.sh\n      timeout: [1]\n',
  ],
  [
    'appspec',
    'appspec.yaml',
    'version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: arn:x\n        LoadBalancerInfo:\n          ContainerName: web\n          ContainerPort: [80]\n        Colour: blue\n',
  ],
  [
    'appspec',
    'appspec.yaml',
    'version: 0.0\nResources:\n  - fn:\n      Type: AWS::Lambda::Function\n      Properties:\n        Name: fn\n        Alias: live\n        CurrentVersion: 1\n        TargetVersion: [2]\n        Memory: 128\n',
  ],
  [
    'pipeline',
    'pipeline.yml',
    'pipeline:\n  name: app\n  roleArn: arn:aws:iam::123456789012:role/p\n  artifactStore: { type: S3, location: b }\n  pipelineType: V3\n  stages:\n    - name: Source\n      actions:\n        - name: Src\n          actionTypeId: { category: Source, owner: AWS, provider: S3, version: "1" }\n          runOrder: first\n          configuration: { S3Bucket: b, S3ObjectKey: k }\n          outputArtifacts: [{ name: Src }]\n',
  ],
  [
    'deployment-group',
    'group.deploy.yml',
    'application: hello\ndeploymentGroup: dev\nprovider: aws\nlocal:\n  instances: 0\n  routerPort: 18080\n  colour: red\n',
  ],
];

describe('the exported schemas in the YAML language server', () => {
  it.each(SAMPLES)('%s (%s): the same lines as conveyor validate', async (kind, file, text) => {
    const expected = conveyorLines(file, text);
    expect(expected.length).toBeGreaterThan(1);
    expect(await editorLines(kind, file, text)).toEqual(expected);
  });

  it('a valid document of each platform gets no schema finding from the one appspec schema', async () => {
    const ec2 = 'version: 0.0\nos: linux\nfiles:\n  - source: /\n    destination: /srv/app\n';
    const ecs =
      'version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: arn:x\n        LoadBalancerInfo: { ContainerName: web, ContainerPort: 80 }\n';
    const lambda =
      'version: 0.0\nResources:\n  - fn:\n      Type: AWS::Lambda::Function\n      Properties: { Name: fn, Alias: live, CurrentVersion: 1, TargetVersion: 2 }\n';
    for (const text of [ec2, ecs, lambda])
      expect(await editorLines('appspec', 'appspec.yml', text)).toEqual([]);
  });

  it('shows the markdown description of a key on hover', async () => {
    const text = 'version: 0.2\nphases:\n  build:\n    on-failure: ABORT\n    commands: [make]\n';
    const doc = TextDocument.create('file:///work/buildspec.yml', 'yaml', 1, text);
    const hover = await languageService('buildspec').doHover(doc, { line: 3, character: 6 });
    const contents = JSON.stringify(hover?.contents);
    expect(contents).toContain('What to do when the phase fails');
  });
});

describe('conveyor schema', () => {
  it('writes the schema with --out, and prints it without', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conveyor-schema-'));
    try {
      let stdout = '';
      let stderr = '';
      const io = {
        cwd: dir,
        stdout: { write: (s: string) => (stdout += s) },
        stderr: { write: (s: string) => (stderr += s) },
      };
      expect(await runCli(['schema', 'appspec', '--out', 'appspec.json'], io)).toBe(0);
      const written = JSON.parse(readFileSync(join(dir, 'appspec.json'), 'utf8'));
      expect(written.$schema).toBe('http://json-schema.org/draft-07/schema#');
      expect(written.else.properties.file_exists_behavior).toMatchObject({
        enum: ['DISALLOW', 'OVERWRITE', 'RETAIN'],
        default: 'DISALLOW',
      });
      expect(await runCli(['schema', 'buildspec'], io)).toBe(0);
      expect(JSON.parse(stdout).properties.phases.markdownDescription).toContain('`install`');
      expect(await runCli(['schema', 'bildspec'], io)).toBe(2);
      expect(stderr).toContain("unknown kind 'bildspec'");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
