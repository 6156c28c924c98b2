/**
 * synth checks the pipelines it renders by path (validateRenderedJson) instead of through the
 * positioned parse `conveyor validate` uses. Both must find the same problems: every pipeline fixture
 * (valid and broken) is checked both ways and the rule ids, messages and locations must agree.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSource } from '../../../src/documents/source.js';
import { validateRenderedJson, validateText } from '../../../src/documents/validate.js';
import { pathAt } from '../../../src/synth/paths.js';

const fixtures = join(import.meta.dirname, '../../fixtures/pipeline');
const cases = ['ok', 'err'].flatMap((verdict) =>
  readdirSync(join(fixtures, verdict))
    .filter((f) => f.endsWith('.json'))
    .map((f) => join(fixtures, verdict, f)),
);
// Real-world pipelines, when the shared corpus sits next to the repository (as in CI).
const corpus = join(import.meta.dirname, '../../../../shared/corpus/pipeline');
if (existsSync(corpus)) {
  for (const f of readdirSync(corpus).sort()) if (f.endsWith('.json')) cases.push(join(corpus, f));
}
let compared = 0;

describe('validateRenderedJson agrees with validateText on rendered pipelines', () => {
  it('has broken cases to compare', () => {
    expect(cases.filter((f) => f.includes('/err/')).length).toBeGreaterThan(3);
  });

  it.each(cases)('%s', (file) => {
    const parsed = parseSource(readFileSync(file, 'utf8'), 'pipeline.json');
    if (parsed.value === undefined || parsed.diagnostics.length > 0) return; // unreadable text: not something synth renders
    const rendered = `${JSON.stringify(parsed.value, null, 2)}\n`;
    const byText = validateText(rendered, 'pipeline.json', { kind: 'pipeline' }).diagnostics.map((d) => ({
      ruleId: d.ruleId,
      message: d.message,
      at: d.line > 0 ? pathAt(rendered, d.line, d.col).join('/') : '',
    }));
    const byPath = validateRenderedJson(rendered, 'pipeline.json', 'pipeline').map(
      ({ diagnostic, path }) => ({
        ruleId: diagnostic.ruleId,
        message: diagnostic.message,
        at: path.join('/'),
      }),
    );
    const key = (d: { ruleId: string; message: string; at: string }) => `${d.ruleId}\0${d.message}`;
    expect(byPath.map(key).sort()).toEqual(byText.map(key).sort());
    compared += 1;
    // Where the text position names a node, the reported path leads to the same place.
    for (const d of byText) {
      const same = byPath.find((p) => key(p) === key(d));
      expect(same && (same.at.startsWith(d.at) || d.at.startsWith(same.at))).toBe(true);
    }
  });
});

describe('the comparison above', () => {
  it('compared most cases (only unreadable texts are skipped)', () => {
    expect(compared).toBeGreaterThanOrEqual(cases.length - 3);
  });
});
