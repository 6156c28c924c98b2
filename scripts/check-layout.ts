/**
 * Layout checks run by `npm test`:
 * - no import cycle among src/ files, directly or through a chain (type-only imports count: they still say which
 *   module depends on which); each cycle is printed as a chain of paths;
 * - no src/ file over 600 lines unless its opening comment says why (a line starting `Long on purpose:`);
 * - folders depend downward only, in the order of LAYERS below (ARCHITECTURE.md explains it).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const srcDir = join(root, 'src');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

// Static `import … from`, `export … from`, side-effect `import '…'` and literal dynamic `import('…')`.
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;

function importsOf(file: string, known: Set<string>): string[] {
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  const found = new Set<string>();
  for (const match of text.matchAll(IMPORT)) {
    const target = resolve(dirname(file), match[1]!).replace(/\.js$/, '.ts');
    if (known.has(target)) found.add(target);
  }
  return [...found];
}

/**
 * Folders from the top down; a file may import from its own folder or from any folder in a later row. Folders in
 * one row do not import each other.
 */
const LAYERS: string[][] = [
  ['index.ts'],
  ['cli'],
  ['dashboard'],
  ['local-ci'],
  ['synth', 'deploy'],
  ['providers'],
  ['router', 'aws'],
  ['documents'],
  ['core'],
];
/**
 * The one allowed upward edge: providers implement the deploy core's port against its vocabulary, pure modules with
 * no I/O — strategy values, statuses and ledger event shapes (types only), CodeDeploy's lifecycle event order (data).
 */
const VOCABULARY_TYPES = new Set(['deploy/events.ts', 'deploy/strategies/strategy.ts']);
const VOCABULARY_DATA = new Set(['deploy/lifecycle-events.ts']);

function layerOf(file: string): number {
  const top = relative(srcDir, file).split('/')[0]!;
  return LAYERS.findIndex((row) => row.includes(top));
}

const files = sourceFiles(srcDir);
const known = new Set(files);
const graph = new Map(files.map((f) => [f, importsOf(f, known)]));

// Tarjan's strongly connected components: every component with more than one file is a cycle.
let index = 0;
const indexOf = new Map<string, number>();
const low = new Map<string, number>();
const stack: string[] = [];
const onStack = new Set<string>();
const components: string[][] = [];
function visit(v: string): void {
  indexOf.set(v, index);
  low.set(v, index);
  index++;
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!indexOf.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v)!, low.get(w)!));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indexOf.get(w)!));
  }
  if (low.get(v) === indexOf.get(v)) {
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)!.includes(v)) components.push(component);
  }
}
for (const f of files) if (!indexOf.has(f)) visit(f);

/** One concrete cycle inside a component, for the message. */
function cycleIn(component: string[]): string[] {
  const members = new Set(component);
  const start = component.sort()[0]!;
  const path = [start];
  const seen = new Set([start]);
  function walk(v: string): boolean {
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) return true;
      if (seen.has(w)) continue;
      seen.add(w);
      path.push(w);
      if (walk(w)) return true;
      path.pop();
    }
    return false;
  }
  walk(start);
  return [...path, start];
}

const upward: string[] = [];
const STATEMENT =
  /^\s*(import|export)\s+(type\s+)?[^;]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]/gm;
for (const file of files) {
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  const from = relative(srcDir, file);
  for (const m of text.matchAll(STATEMENT)) {
    const spec = m[3] ?? m[4]!;
    const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
    if (!known.has(target)) continue;
    const to = relative(srcDir, target);
    const [a, b] = [layerOf(file), layerOf(target)];
    if (from.split('/')[0] === to.split('/')[0] || a < b) continue;
    const typeOnly = m[1] === 'import' && m[2] !== undefined;
    if (from.startsWith('providers/') && ((VOCABULARY_TYPES.has(to) && typeOnly) || VOCABULARY_DATA.has(to)))
      continue;
    upward.push(`src/${from} imports src/${to}: ${to.split('/')[0]} is not below ${from.split('/')[0]}`);
  }
}
for (const line of upward) console.error(`layering: ${line}`);

const MAX_LINES = 600;
const tooLong = files.filter((f) => {
  const text = readFileSync(f, 'utf8');
  const lines = text.split('\n').length;
  return lines > MAX_LINES && !/^\s*\*?\s*Long on purpose:/m.test(text.slice(0, 2000));
});
for (const f of tooLong) {
  const lines = readFileSync(f, 'utf8').split('\n').length;
  console.error(
    `${relative(root, f)}: ${lines} lines (over ${MAX_LINES}): split it by responsibility, or say why in its opening comment ("Long on purpose: ...")`,
  );
}

if (components.length === 0) {
  console.log(`import cycles: none among ${files.length} files in src/`);
} else {
  for (const c of components) {
    const rel = (f: string) => relative(root, f);
    console.error(`import cycle (${c.length} files): ${cycleIn(c).map(rel).join(' -> ')}`);
  }
  console.error(
    `${components.length} import cycle(s) in src/: dependencies must point one way (see ARCHITECTURE.md)`,
  );
  process.exit(1);
}
if (tooLong.length > 0 || upward.length > 0) process.exit(1);
