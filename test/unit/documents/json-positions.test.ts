/**
 * JSON files are placed by their own index (src/documents/json-positions.ts) instead of the YAML tree of the same
 * text, which cost a large file far more than validating it: a 501-action pipeline, whose one finding needed a
 * position, took 0.2-0.9 s for the tree against ~20 ms to validate. Positions must not move: YAML reads JSON
 * text as a flow document, so the same text read as `.yml` is the reference for every path.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parseDocument } from 'yaml';
import { packageRoot } from '../../../src/core/paths.js';
import { formatDiagnostic } from '../../../src/documents/diagnostics.js';
import { type PathSegment, parseSource } from '../../../src/documents/source.js';
import { validateText } from '../../../src/documents/validate.js';

vi.mock('yaml', async (importOriginal) => {
  const yaml = await importOriginal<typeof import('yaml')>();
  return { ...yaml, parseDocument: vi.fn(yaml.parseDocument) };
});

/** Every path in `value`, and beside each map and array one path that does not exist in it. */
function paths(value: unknown, at: PathSegment[] = []): PathSegment[][] {
  const out: PathSegment[][] = [at];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...paths(v, [...at, i]));
    out.push([...at, value.length], [...at, 'x']);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(...paths(v, [...at, k]));
      // Keys match case-insensitively when the exact spelling is missing.
      out.push([...at, k.toUpperCase()]);
    }
    out.push([...at, 'absent'], [...at, 'absent', 0]);
  }
  return out;
}

/** What each reader says about every path: position of the value and of the key, scalar style, key. */
function view(text: string, file: string) {
  const s = parseSource(text, file);
  return paths(JSON.parse(text)).map((p) => ({
    path: p.join('.'),
    value: s.locate(p),
    key: s.locate(p, 'key'),
    style: s.scalarStyle(p),
    keyAt: s.keyAt(p),
  }));
}

const fixture = (name: string) =>
  readFileSync(join(packageRoot, 'test', 'fixtures', 'pipeline', 'ok', name), 'utf8');

describe('positions in JSON files', () => {
  it.each([
    ['a pipeline fixture, indented', fixture('v2-full.json')],
    ['the same on one line', JSON.stringify(JSON.parse(fixture('v2-full.json')))],
    [
      'tabs, CRLF line ends and spaces around colons',
      JSON.stringify(JSON.parse(fixture('implicit-v2.json')), null, '\t')
        .replace(/\n/g, '\r\n')
        .replace(/":/g, '" :'),
    ],
    [
      'escapes, non-ASCII, empty collections, numbers and literals',
      '{"na\\u006de": "a\\"b\\\\", "k\\\\ey": [1, -2.5e3, true, false, null],\n "ключ": "значение 🎉",\n' +
        '  "empty": {"m": {}, "s": [], "both": [[], {}, [[]]]}, "Case": {"Inner": 0}}',
    ],
    ['a repeated key (the first is located, as before)', '{"a": 1,\n "b": {"c": 2},\n "a": {"d": [3]}}'],
    ['an array at the top', '[\n{"a":\n1},\n  [2, {"b": "c"}]\n]'],
  ])('%s: every path is placed where the YAML reader of the same text places it', (_name, text) => {
    expect(view(text, 'doc.json')).toEqual(view(text, 'doc.yml'));
  });

  it('a lone CR is whitespace in JSON: the value is placed (YAML took it for a line break and lost the key)', () => {
    const s = parseSource('[\r{"a":\r1}]', 'doc.json');
    expect(s.locate([0, 'a'])).toEqual({ line: 1, col: 9, endLine: 1, endCol: 10 });
    expect(s.locate([0, 'a'], 'key')).toEqual({ line: 1, col: 4, endLine: 1, endCol: 7 });
  });

  it('a 501-action pipeline in JSON is reported once at `stages`, without building a YAML tree', () => {
    const action = (name: string, category: string, provider: string) => ({
      name,
      actionTypeId: { category, owner: 'AWS', provider, version: '1' },
      configuration: category === 'Source' ? { S3Bucket: 'b', S3ObjectKey: 'k' } : { ProjectName: 'p' },
      ...(category === 'Source'
        ? { outputArtifacts: [{ name: 'Src' }] }
        : { inputArtifacts: [{ name: 'Src' }] }),
    });
    const declaration = (actions: number) => {
      const stages = [{ name: 'Source', actions: [action('Repo', 'Source', 'S3')] }];
      for (let left = actions - 1, s = 1; left > 0; left -= 50, s++)
        stages.push({
          name: `Build${s}`,
          actions: Array.from({ length: Math.min(50, left) }, (_, i) =>
            action(`B${i}`, 'Build', 'CodeBuild'),
          ),
        });
      const pipeline = {
        name: 'app',
        roleArn: 'arn:aws:iam::123456789012:role/p',
        artifactStore: { type: 'S3', location: 'bucket' },
        stages,
      };
      return JSON.stringify({ pipeline }, null, 2);
    };
    vi.mocked(parseDocument).mockClear();
    const lines = (n: number) =>
      validateText(declaration(n), 'pipeline.json', { kind: 'pipeline' }).diagnostics.map(formatDiagnostic);
    expect(lines(501)).toEqual([
      'pipeline.json:9:5 error pipeline/action-limit the pipeline has 501 actions; at most 500 are allowed',
    ]);
    expect(lines(500)).toEqual([]);
    // Before, the one finding built the YAML tree of the whole 300 KB file to find line 9.
    expect(vi.mocked(parseDocument)).not.toHaveBeenCalled();
  });
});
