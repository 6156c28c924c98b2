/**
 * `synth --check --diff`: what would change in the output folder, as a unified diff (`git diff` style, three
 * lines of context), so a CI log shows the change itself and not only the file names.
 *
 * Hand-written rather than a dependency: Myers' line diff and hunk grouping are under a hundred lines, the
 * files are small (emitted YAML/JSON), and the bundle stays free of another package.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OutputComparison } from './output.js';
import type { SynthPlan } from './synth.js';

type Op = { kind: ' ' | '-' | '+'; line: string };

/** Past this many edits the shortest script is not worth its memory: show the file as replaced. */
const MAX_EDITS = 4000;

function lines(text: string): string[] {
  if (text === '') return [];
  const all = text.split('\n');
  if (all[all.length - 1] === '') all.pop();
  return all;
}

/** Myers' O(ND) shortest edit script between two line lists. */
function diffLines(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const offset = n + m + 1;
  const v = new Int32Array(2 * offset + 1);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= Math.min(n + m, MAX_EDITS); d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && (v[offset + k - 1] ?? 0) < (v[offset + k + 1] ?? 0))
          ? (v[offset + k + 1] ?? 0)
          : (v[offset + k - 1] ?? 0) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, a, b, offset);
    }
  }
  return [
    ...a.map((line) => ({ kind: '-' as const, line })),
    ...b.map((line) => ({ kind: '+' as const, line })),
  ];
}

function backtrack(trace: Int32Array[], a: string[], b: string[], offset: number): Op[] {
  const ops: Op[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = trace.length - 1; d >= 0; d--) {
    const v = trace[d] as Int32Array;
    const k = x - y;
    const prevK =
      k === -d || (k !== d && (v[offset + k - 1] ?? 0) < (v[offset + k + 1] ?? 0)) ? k + 1 : k - 1;
    const prevX = v[offset + prevK] ?? 0;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      ops.push({ kind: ' ', line: a[x] as string });
    }
    if (d > 0) {
      if (x === prevX) ops.push({ kind: '+', line: b[--y] as string });
      else ops.push({ kind: '-', line: a[--x] as string });
    }
  }
  return ops.reverse();
}

/** A unified diff of two texts ('' when they are equal), with `context` unchanged lines around each change. */
export function unifiedDiff(before: string, after: string, from: string, to: string, context = 3): string {
  if (before === after) return '';
  const ops = diffLines(lines(before), lines(after));
  const changed = ops.flatMap((op, i) => (op.kind === ' ' ? [] : [i]));
  const hunks: [number, number][] = [];
  for (const i of changed) {
    const last = hunks[hunks.length - 1];
    if (last && i - last[1] <= 2 * context) last[1] = i;
    else hunks.push([i, i]);
  }
  let out = `--- ${from}\n+++ ${to}\n`;
  for (const [first, lastChange] of hunks) {
    const start = Math.max(0, first - context);
    const end = Math.min(ops.length - 1, lastChange + context);
    const before = ops.slice(0, start);
    const body = ops.slice(start, end + 1);
    const oldStart = before.filter((op) => op.kind !== '+').length;
    const newStart = before.filter((op) => op.kind !== '-').length;
    const oldLen = body.filter((op) => op.kind !== '+').length;
    const newLen = body.filter((op) => op.kind !== '-').length;
    out += `@@ -${oldLen ? oldStart + 1 : oldStart},${oldLen} +${newLen ? newStart + 1 : newStart},${newLen} @@\n`;
    for (const op of body) out += `${op.kind}${op.line}\n`;
  }
  return out;
}

/** The diff of every file that would change, be added or be removed, paths shown as `<outLabel>/<path>`. */
export async function diffOutput(
  plan: SynthPlan,
  outDir: string,
  comparison: OutputComparison,
  outLabel: string,
): Promise<string> {
  const planned = new Map(plan.files.map((f) => [f.path, f.text]));
  const current = (path: string) => readFile(join(outDir, ...path.split('/')), 'utf8');
  const label = (side: 'a' | 'b', path: string) => `${side}/${outLabel}/${path}`;
  const parts: string[] = [];
  const paths = [...comparison.changed, ...comparison.added, ...comparison.removed].sort();
  for (const path of paths) {
    const old = comparison.added.includes(path) ? '' : await current(path);
    const next = planned.get(path) ?? '';
    const from = comparison.added.includes(path) ? '/dev/null' : label('a', path);
    const to = comparison.removed.includes(path) ? '/dev/null' : label('b', path);
    parts.push(unifiedDiff(old, next, from, to));
  }
  return parts.join('');
}
