import { describe, expect, it } from 'vitest';
import { MAX_SOURCE_BYTES, parseSource } from '../../../src/documents/source.js';
import { validateText } from '../../../src/documents/validate.js';

const buildspec = 'version: 0.2\nphases:\n  build:\n    commands:\n      - make\n';

describe('parseSource', () => {
  it('reads a byte-order mark, CRLF line ends and a missing final newline without complaint', () => {
    const text = `\ufeff${buildspec.replace(/\n/g, '\r\n').trimEnd()}`;
    const parsed = parseSource(text, 'buildspec.yml');
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.value).toEqual({ version: 0.2, phases: { build: { commands: ['make'] } } });
    expect(parsed.locate(['phases', 'build', 'commands', 0])).toMatchObject({ line: 5, col: 9 });
  });

  it('locates values, keys, and the parent map of a missing key', () => {
    const parsed = parseSource(buildspec, 'buildspec.yml');
    expect(parsed.locate(['version'])).toMatchObject({ line: 1, col: 10 });
    expect(parsed.locate(['phases', 'build'], 'key')).toMatchObject({ line: 3, col: 3 });
    // `finally` does not exist: the position is its parent, the `build:` key
    expect(parsed.locate(['phases', 'build', 'finally'])).toMatchObject({ line: 3, col: 3 });
  });

  it('tells how a scalar was written', () => {
    const parsed = parseSource('version: "0.0"\nmode: 0644\n', 'appspec.yml');
    expect(parsed.scalarStyle(['version'])).toEqual({ type: 'QUOTE_DOUBLE', text: '"0.0"' });
    expect(parsed.scalarStyle(['mode'])).toEqual({ type: 'PLAIN', text: '0644' });
  });

  it('reports tab indentation once, at the first tab', () => {
    const parsed = parseSource('version: 0.2\nphases:\n\tbuild:\n\t\tcommands: [make]\n', 'buildspec.yml');
    expect(parsed.diagnostics.map((d) => [d.ruleId, d.line, d.col])).toEqual([['source/tab-indent', 3, 1]]);
  });

  it('reports a duplicate key by name at the second occurrence', () => {
    const parsed = parseSource('phases:\n  build: {}\n  build: {}\n', 'buildspec.yml');
    expect(parsed.diagnostics).toHaveLength(1);
    expect(parsed.diagnostics[0]).toMatchObject({ ruleId: 'source/duplicate-key', line: 3, col: 3 });
    expect(parsed.diagnostics[0]!.message).toContain('`build`');
  });

  it('caps alias expansion instead of building a billion strings', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const start = performance.now();
    const parsed = parseSource(levels.join('\n'), 'bomb.yml');
    expect(performance.now() - start).toBeLessThan(2000);
    expect(parsed.value).toBeUndefined();
    expect(parsed.diagnostics.map((d) => d.ruleId)).toEqual(['source/alias-limit']);
  });

  it('refuses deeply nested input quickly with one diagnostic', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const parsed = parseSource(deep, 'deep.yml');
    expect(parsed.diagnostics.map((d) => d.ruleId)).toEqual(['source/too-deep']);
    const compact = `${'- '.repeat(20_000)}x\n`;
    const start = performance.now();
    expect(parseSource(compact, 'deep2.yml').diagnostics.map((d) => d.ruleId)).toEqual(['source/too-deep']);
    expect(performance.now() - start).toBeLessThan(1000);
  });

  it('regression: a commented-out file with one stray line is checked in linear time (no regex backtracking)', () => {
    const text = `${'#  commented: out\n   \n'.repeat(40)}:   # stray\n${'    #- more\n'.repeat(40)}`;
    const start = performance.now();
    parseSource(text, 'buildspec.yml');
    expect(performance.now() - start).toBeLessThan(500);
  });

  it('refuses deeply nested JSON after parsing it (JSON.parse does not recurse)', () => {
    const parsed = parseSource(`{"pipeline": ${'['.repeat(50_000)}${']'.repeat(50_000)}}`, 'p.json');
    expect(parsed.diagnostics.map((d) => d.ruleId)).toEqual(['source/too-deep']);
  });

  it('refuses binary, empty and oversized files with one diagnostic each', () => {
    expect(parseSource('version: 0.2\u0000\u0001', 'b.yml').diagnostics.map((d) => d.ruleId)).toEqual([
      'source/binary',
    ]);
    expect(parseSource('', 'e.yml').diagnostics.map((d) => d.ruleId)).toEqual(['source/empty']);
    expect(parseSource('# only a comment\n\n   \n', 'e.yml').diagnostics.map((d) => d.ruleId)).toEqual([
      'source/empty',
    ]);
    const big = `version: 0.2\n${'# padding\n'.repeat(MAX_SOURCE_BYTES / 10 + 10)}`;
    expect(parseSource(big, 'big.yml').diagnostics.map((d) => d.ruleId)).toEqual(['source/too-large']);
  });

  it('reports JSON syntax errors a YAML parser would forgive, with a position', () => {
    const trailing = parseSource('{\n  "a": 1,\n}\n', 'pipeline.json');
    expect(trailing.diagnostics).toMatchObject([{ ruleId: 'source/json-syntax', line: 2, col: 9 }]);
    expect(trailing.diagnostics[0]!.hint).toContain('trailing comma');
    const braces = parseSource('  "pipeline": {\n    "name": "x"\n  }\n', 'pipeline.json');
    expect(braces.diagnostics).toMatchObject([{ ruleId: 'source/json-syntax', line: 1, col: 13 }]);
    expect(braces.diagnostics[0]!.hint).toContain('outer braces');
  });

  it('warns about a repeated key in JSON, which JSON readers resolve by keeping the last', () => {
    const parsed = parseSource('{\n  "a": 1,\n  "b": {"x": 1, "x": 2}\n}\n', 'pipeline.json');
    expect(parsed.value).toEqual({ a: 1, b: { x: 2 } });
    expect(parsed.diagnostics).toMatchObject([
      { ruleId: 'source/duplicate-key', severity: 'warning', line: 3, col: 17 },
    ]);
    expect(parsed.diagnostics[0]!.message).toContain('`x`');
  });

  it('flags YAML tags such as !Ref that AWS does not resolve', () => {
    const parsed = parseSource('name: !Ref Fn\n', 'appspec.yml');
    expect(parsed.diagnostics).toMatchObject([{ ruleId: 'source/unknown-tag', line: 1, col: 7 }]);
  });
});

describe('validateText on hostile input', () => {
  it('handles a several-MB file quickly', () => {
    const start = performance.now();
    const r = validateText(`version: 0.2\nphases:\n${'  # x\n'.repeat(600_000)}`, 'buildspec.yml');
    expect(performance.now() - start).toBeLessThan(3000);
    expect(r.diagnostics.map((d) => d.ruleId)).toEqual(['source/too-large']);
  });

  it('validates a large but legitimate file', () => {
    const commands = Array.from({ length: 5000 }, (_, i) => `      - echo step ${i}`).join('\n');
    const r = validateText(`version: 0.2\nphases:\n  build:\n    commands:\n${commands}\n`, 'buildspec.yml');
    expect(r.diagnostics).toEqual([]);
  });
});
