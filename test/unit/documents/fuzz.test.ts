/**
 * Fuzz-style robustness: thousands of mutated documents (text-level and value-level mutations of the
 * golden fixtures) must never throw, never hit a rule crash, and each must finish quickly.
 * The generator is seeded, so a failure names a reproducible case.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DOCUMENT_KINDS, type DocumentKind } from '../../../src/documents/kind.js';
import { validateText } from '../../../src/documents/validate.js';
import { seededRandom } from '../../seeded-random.js';

const fixtures = join(import.meta.dirname, '../../fixtures');
const seeds = ['buildspec', 'appspec', 'pipeline'].flatMap((kind) =>
  ['ok', 'err'].flatMap((v) =>
    readdirSync(join(fixtures, kind, v))
      .filter((f) => /\.(ya?ml|json)$/.test(f))
      .map((f) => ({
        kind: kind as DocumentKind,
        file: f,
        text: readFileSync(join(fixtures, kind, v, f), 'utf8'),
      })),
  ),
);

// The real-world corpus, when present next to the repository, adds variety to the seeds.
const corpusDir = [
  join(import.meta.dirname, '../../../../shared/corpus'),
  join(import.meta.dirname, '../../../../../shared/corpus'),
].find((d) => existsSync(join(d, 'MANIFEST.tsv')));
if (corpusDir) {
  for (const sub of readdirSync(corpusDir, { withFileTypes: true }).filter((e) => e.isDirectory())) {
    for (const f of readdirSync(join(corpusDir, sub.name)).sort()) {
      const kind = (
        sub.name.startsWith('appspec') ? 'appspec' : sub.name === 'broken' ? undefined : sub.name
      ) as DocumentKind | undefined;
      if (kind) seeds.push({ kind, file: f, text: readFileSync(join(corpusDir, sub.name, f), 'utf8') });
    }
  }
}

const SNIPPETS = [
  ':',
  ': ',
  '- ',
  '-',
  '[',
  ']',
  '{',
  '}',
  '"',
  "'",
  '\t',
  '\n',
  '  ',
  '&a ',
  '*a',
  '!Ref ',
  '#',
  ',',
  '? ',
  '|',
  '>',
  '%',
  '\u0000',
  '\ufeff',
  '0644',
  'yes',
  '~',
  'null',
  '<<: *a',
  '---\n',
];

function mutateText(text: string, next: () => number): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
  let out = text;
  const n = 1 + Math.floor(next() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(next() * (out.length + 1));
    const op = next();
    if (op < 0.35) out = out.slice(0, at) + pick(SNIPPETS) + out.slice(at);
    else if (op < 0.6) out = out.slice(0, at) + out.slice(at + 1 + Math.floor(next() * 20));
    else if (op < 0.8) {
      const lines = out.split('\n');
      const l = Math.floor(next() * lines.length);
      lines.splice(l, 0, lines[Math.floor(next() * lines.length)] ?? '');
      out = lines.join('\n');
    } else {
      const lines = out.split('\n');
      const l = Math.floor(next() * lines.length);
      lines[l] = (next() < 0.5 ? ' ' : '') + (lines[l] ?? '').replace(/^ {1,2}/, '');
      out = lines.join('\n');
    }
  }
  return out;
}

const ODD_VALUES: unknown[] = [
  null,
  0,
  -1,
  4000,
  0.5,
  '',
  'x',
  '0.0',
  true,
  [],
  [null],
  {},
  { a: 1 },
  ['a', 1],
  'arn:aws:iam::123456789012:role/x',
];

function mutateValue(value: unknown, next: () => number): unknown {
  if (Array.isArray(value)) {
    return value.map((v) =>
      next() < 0.15 ? ODD_VALUES[Math.floor(next() * ODD_VALUES.length)] : mutateValue(v, next),
    );
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = next();
      if (r < 0.05) continue; // drop a key
      out[r < 0.08 ? `${k}x` : k] =
        r < 0.2 ? ODD_VALUES[Math.floor(next() * ODD_VALUES.length)] : mutateValue(v, next);
    }
    return out;
  }
  return value;
}

function check(text: string, file: string, kind?: DocumentKind) {
  const start = performance.now();
  const result = validateText(text, file, kind ? { kind } : {});
  const ms = performance.now() - start;
  return { result, ms };
}

describe('fuzz', () => {
  it('survives 1,500 text mutations without throwing or crashing a rule', () => {
    const next = seededRandom(20261122);
    let worst = 0;
    for (let i = 0; i < 1500; i++) {
      const seed = seeds[i % seeds.length]!;
      const text = mutateText(seed.text, next);
      const kind = next() < 0.5 ? seed.kind : undefined;
      const { result, ms } = check(text, seed.file, kind);
      worst = Math.max(worst, ms);
      const crashes = result.diagnostics.filter((d) => d.ruleId === 'internal/rule-crash');
      expect(crashes, `case ${i} (${seed.file}):\n${text}`).toEqual([]);
      for (const d of result.diagnostics) {
        expect(d.line).toBeGreaterThanOrEqual(1);
        expect(d.message.length).toBeGreaterThan(0);
      }
    }
    expect(worst).toBeLessThan(1000);
  });

  it('survives 500 value mutations under every kind', () => {
    const next = seededRandom(42);
    for (let i = 0; i < 500; i++) {
      const seed = seeds[i % seeds.length]!;
      const parsed = validateText(seed.text, seed.file, { kind: seed.kind }).value;
      if (parsed === undefined) continue;
      const mutated = mutateValue(parsed, next);
      const asJson = next() < 0.5;
      const text = asJson ? JSON.stringify(mutated, null, 2) : stringify(mutated);
      const kind = DOCUMENT_KINDS[Math.floor(next() * DOCUMENT_KINDS.length)]!;
      const { result } = check(text, asJson ? 'doc.json' : 'doc.yml', next() < 0.7 ? seed.kind : kind);
      expect(
        result.diagnostics.filter((d) => d.ruleId === 'internal/rule-crash'),
        `case ${i}:\n${text}`,
      ).toEqual([]);
    }
  });
});
