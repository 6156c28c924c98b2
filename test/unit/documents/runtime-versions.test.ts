/**
 * runtime-versions against CodeBuild's images: names no current image knows are errors; versions are
 * warnings without an image and errors against a known one (`--image`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/run-cli.js';
import { validateText } from '../../../src/documents/validate.js';

const BUILDSPEC = (versions: string) =>
  `version: 0.2\nphases:\n  install:\n    runtime-versions:\n${versions}  build:\n    commands:\n      - make\n`;

const findings = (text: string, image?: string) =>
  validateText(text, 'buildspec.yml', {
    kind: 'buildspec',
    ...(image ? { codebuildImage: image } : {}),
  }).diagnostics.map((d) => `${d.line}:${d.col} ${d.severity} ${d.ruleId}`);

describe('runtime-versions', () => {
  it('accepts what a current image has, N.x, latest and $VARIABLES', () => {
    const text = BUILDSPEC(
      '      nodejs: 22\n      java: corretto21.x\n      python: latest\n      golang: $GO\n',
    );
    expect(findings(text)).toEqual([]);
    expect(findings(text, 'aws/codebuild/standard:8.0')).toEqual([]);
  });

  it('turns a version the given image lacks into an error, naming its versions', () => {
    const text = BUILDSPEC('      nodejs: 18\n');
    expect(findings(text)).toEqual([]);
    const r = validateText(text, 'buildspec.yml', {
      kind: 'buildspec',
      codebuildImage: 'aws/codebuild/standard:8.0',
    });
    expect(r.diagnostics.map((d) => [d.severity, d.ruleId, d.message])).toEqual([
      [
        'error',
        'buildspec/runtime-version-image',
        'CodeBuild fails the build with "Unknown runtime version named 18 of nodejs": image aws/codebuild/standard:8.0 has 22, 24 (or N.x, latest)',
      ],
    ]);
  });

  it('checks names against the given image only', () => {
    // rust is on standard:8.0 but not on standard:7.0
    const text = BUILDSPEC('      rust: latest\n');
    expect(findings(text, 'aws/codebuild/standard:8.0')).toEqual([]);
    expect(findings(text, 'aws/codebuild/standard:7.0')).toEqual(['5:7 error buildspec/unknown-runtime']);
  });

  it('refuses an image it has no list for (exit 2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conveyor-image-'));
    try {
      writeFileSync(join(dir, 'buildspec.yml'), BUILDSPEC('      nodejs: 22\n'));
      let stderr = '';
      const code = await runCli(['validate', '--image', 'my/custom:1', 'buildspec.yml'], {
        cwd: dir,
        stdout: { write: () => undefined },
        stderr: { write: (s: string) => (stderr += s) },
      });
      expect(code).toBe(2);
      expect(stderr).toContain("unknown CodeBuild image 'my/custom:1'");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
