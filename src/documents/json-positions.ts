/**
 * Where each value of a JSON file is written, found without the YAML parser. JSON is read with JSON.parse; its
 * positions were the YAML node tree of the same text, built the first time a diagnostic needed one, and for a
 * large file that tree cost far more than validating it (a 285 KB, 501-action pipeline: ~20 ms to validate,
 * 200-900 ms to build the tree for its one `pipeline/action-limit` finding). This index gives the same ranges
 * the YAML parser gives JSON text — `[start, end)` of each scalar token and of each bracket pair — in one pass.
 * Only called on text JSON.parse accepted, whose nesting the caller has already capped.
 */

export type JsonRange = readonly [number, number];

export type JsonNode =
  | { kind: 'map'; range: JsonRange; pairs: JsonPair[] }
  | { kind: 'seq'; range: JsonRange; items: JsonNode[] }
  | { kind: 'scalar'; range: JsonRange; quoted: boolean };

export interface JsonPair {
  /** The key as JSON.parse reads it (escapes decoded). */
  key: string;
  keyRange: JsonRange;
  value: JsonNode;
}

interface Open {
  node: { kind: 'map'; start: number; pairs: JsonPair[] } | { kind: 'seq'; start: number; items: JsonNode[] };
  /** In a map: the key read, waiting for its value. */
  key?: { key: string; keyRange: JsonRange };
}

const isScalarEnd = (c: number) =>
  c === 44 || c === 93 || c === 125 || c === 58 || c === 32 || c === 9 || c === 10 || c === 13;

/** The node tree of a JSON text (valid JSON only). */
export function indexJson(text: string): JsonNode {
  const n = text.length;
  const stack: Open[] = [];
  let root: JsonNode | undefined;
  const attach = (node: JsonNode) => {
    const top = stack[stack.length - 1];
    if (!top) root = node;
    else if (top.node.kind === 'seq') top.node.items.push(node);
    else {
      const { key, keyRange } = top.key!;
      top.node.pairs.push({ key, keyRange, value: node });
      top.key = undefined;
    }
  };
  let i = 0;
  while (i < n && root === undefined) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 44 || c === 58) {
      i++;
    } else if (c === 123) {
      stack.push({ node: { kind: 'map', start: i, pairs: [] } });
      i++;
    } else if (c === 91) {
      stack.push({ node: { kind: 'seq', start: i, items: [] } });
      i++;
    } else if (c === 125 || c === 93) {
      const { node } = stack.pop()!;
      i++;
      attach(
        node.kind === 'map'
          ? { kind: 'map', range: [node.start, i], pairs: node.pairs }
          : { kind: 'seq', range: [node.start, i], items: node.items },
      );
    } else {
      const start = i;
      if (c === 34) {
        i++;
        for (;;) {
          const d = text.charCodeAt(i);
          if (d === 34) break;
          i += d === 92 ? 2 : 1;
        }
        i++;
      } else {
        while (i < n && !isScalarEnd(text.charCodeAt(i))) i++;
      }
      const top = stack[stack.length - 1];
      if (top?.node.kind === 'map' && top.key === undefined) {
        const raw = text.slice(start + 1, i - 1);
        const key = raw.includes('\\') ? (JSON.parse(text.slice(start, i)) as string) : raw;
        top.key = { key, keyRange: [start, i] };
      } else attach({ kind: 'scalar', range: [start, i], quoted: c === 34 });
    }
  }
  return root!;
}

/** Offsets where lines start (0, then after each `\n`), as the YAML parser's LineCounter records them. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

export interface JsonWalked {
  node: JsonNode | undefined;
  pair: JsonPair | undefined;
  complete: boolean;
}

/**
 * Follows `path` through maps and arrays as the YAML walk does: keys match exactly first, then
 * case-insensitively; a path that does not exist stops at its deepest existing node (`complete: false`).
 */
export function walkJson(root: JsonNode, path: readonly (string | number)[]): JsonWalked {
  let node: JsonNode = root;
  let pair: JsonPair | undefined;
  for (const seg of path) {
    if (node.kind === 'map') {
      const key = String(seg);
      let found = node.pairs.find((p) => p.key === key);
      if (!found) {
        const lower = key.toLowerCase();
        found = node.pairs.find((p) => p.key.toLowerCase() === lower);
      }
      if (!found) return { node, pair, complete: false };
      pair = found;
      node = found.value;
    } else if (node.kind === 'seq' && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) return { node, pair, complete: false };
      node = item;
      pair = undefined;
    } else {
      return { node, pair, complete: false };
    }
  }
  return { node, pair, complete: true };
}
