/** Batch rules: one batch kind, unique build identifiers, and a build graph without unknown names or cycles. */
import type { KindContext } from '../kind.js';
import { isRecord } from '../report.js';

const BATCH_KINDS = ['build-list', 'build-matrix', 'build-graph', 'build-fanout'] as const;

export function checkBatch(ctx: KindContext, batch: Record<string, unknown>): void {
  const r = ctx.reporter;
  const present = BATCH_KINDS.filter((k) => batch[k] !== undefined);
  if (present.length > 1) {
    r.report(
      'buildspec/batch-kind',
      ['batch', present[1]!],
      `batch has ${present.join(', ')}; a batch takes exactly one of ${BATCH_KINDS.join(', ')}`,
      {
        part: 'key',
      },
    );
  }
  for (const listKey of ['build-list', 'build-graph'] as const) {
    const list = batch[listKey];
    if (!Array.isArray(list)) continue;
    const firstIndex = new Map<string, number>();
    list.forEach((item, i) => {
      if (!isRecord(item) || typeof item.identifier !== 'string') return;
      const prev = firstIndex.get(item.identifier);
      if (prev !== undefined) {
        r.report(
          'buildspec/batch-duplicate-identifier',
          ['batch', listKey, i, 'identifier'],
          `batch identifier \`${item.identifier}\` is already used by ${listKey}[${prev}]; identifiers must be unique`,
        );
      } else firstIndex.set(item.identifier, i);
    });
    if (listKey !== 'build-graph') continue;
    const deps = new Map<string, string[]>();
    list.forEach((item, i) => {
      if (!isRecord(item) || typeof item.identifier !== 'string') return;
      const dependOn = Array.isArray(item['depend-on']) ? item['depend-on'] : [];
      // Stryker disable next-line ArrayDeclaration: equivalent, a name in no build's list is a node without edges, on no cycle
      const known: string[] = [];
      dependOn.forEach((d, j) => {
        if (typeof d !== 'string') return;
        if (!firstIndex.has(d)) {
          r.report(
            'buildspec/batch-unknown-dependency',
            ['batch', 'build-graph', i, 'depend-on', j],
            `\`${item.identifier}\` depends on \`${d}\`, which is not an identifier in build-graph; known: ${[...firstIndex.keys()].join(', ')}`,
          );
        } else known.push(d);
      });
      if (!deps.has(item.identifier)) deps.set(item.identifier, known);
    });
    for (const cycle of findCycles(deps)) {
      const start = cycle[0]!;
      r.report(
        'buildspec/batch-cycle',
        ['batch', 'build-graph', firstIndex.get(start) ?? 0, 'depend-on'],
        `build-graph dependencies form a cycle: ${[...cycle, start].join(' -> ')}`,
      );
    }
  }
}

/**
 * Cycles found by a depth-first search from each build in name order, so the findings do not depend on the order
 * the builds are listed in: at least one cycle among builds that wait on each other, each named once from its
 * smallest member. Not every elementary cycle (a graph can hold exponentially many; one is enough to fix).
 */
function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const state = new Map<string, 'active' | 'done'>();
  for (const root of [...graph.keys()].sort()) {
    // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent, a search again from a finished root finds only cycles already seen
    if (state.get(root) === 'done') continue;
    // Stryker disable next-line ArrayDeclaration: equivalent, a cycle is cut from the path at the build it returns to, after any extra first entry
    const path: string[] = [];
    const stack: { node: string; next: number }[] = [{ node: root, next: 0 }];
    state.set(root, 'active');
    path.push(root);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      // Stryker disable next-line ArrayDeclaration: equivalent, every edge leads to a build of the graph (unknown names were left out)
      const edges = graph.get(top.node) ?? [];
      if (top.next < edges.length) {
        const to = edges[top.next++]!;
        const st = state.get(to);
        if (st === 'active') {
          const cycle = path.slice(path.indexOf(to));
          const min = [...cycle].sort()[0]!;
          const rotated = [...cycle.slice(cycle.indexOf(min)), ...cycle.slice(0, cycle.indexOf(min))];
          const key = rotated.join('\u0000');
          if (!seen.has(key)) {
            seen.add(key);
            cycles.push(rotated);
          }
        } else if (st === undefined) {
          state.set(to, 'active');
          path.push(to);
          stack.push({ node: to, next: 0 });
        }
      } else {
        // Stryker disable next-line StringLiteral: equivalent, a finished build marked "" is passed over as a "done" one is; only a finished root is searched again, finding cycles already seen
        state.set(top.node, 'done');
        path.pop();
        stack.pop();
      }
    }
  }
  return cycles;
}
