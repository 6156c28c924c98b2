/**
 * The conditions of checks: a small expression language parsed here (never `eval`).
 *
 *   result < 0.01            status == 200 && body.ok == true          exitCode == 0 || !(result > 5)
 *
 * Values are numbers, strings ('…' or "…"), true/false/null and names with dots (`body.data.rate`)
 * looked up in the variables a provider measured. Comparisons of a missing name are false.
 */

export type Value = number | string | boolean | null | undefined;
type Node =
  | { k: 'lit'; v: Value }
  | { k: 'var'; path: string[] }
  | { k: 'not'; e: Node }
  | { k: 'bin'; op: string; l: Node; r: Node };

const TOKEN =
  /\s*(?:(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)|(<=|>=|==|!=|&&|\|\||[<>!()]))/y;

/** A parsed condition; `parseCondition` returns a message instead of throwing for bad input. */
export interface Condition {
  source: string;
  test(vars: Record<string, unknown>): boolean;
}

export function parseCondition(source: string): Condition | { error: string } {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < source.length) {
    if (/^\s*$/.test(source.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(source);
    if (!m) {
      const col = pos + (source.slice(pos).length - source.slice(pos).trimStart().length) + 1;
      return { error: `condition '${source}': unexpected '${source[col - 1]}' at column ${col}` };
    }
    tokens.push(m[1] ?? m[2] ?? m[3] ?? m[4]!);
    pos = TOKEN.lastIndex;
  }
  let i = 0;
  const peek = () => tokens[i];
  const fail = (msg: string): never => {
    throw new SyntaxError(msg);
  };
  const primary = (): Node => {
    const t = tokens[i++];
    if (t === undefined) return fail('the condition ends too early');
    if (t === '(') {
      const e = or();
      if (tokens[i++] !== ')') fail("missing ')'");
      return e;
    }
    if (t === '!') return { k: 'not', e: primary() };
    if (/^\d/.test(t)) return { k: 'lit', v: Number(t) };
    if (t[0] === "'" || t[0] === '"') return { k: 'lit', v: t.slice(1, -1).replace(/\\(.)/g, '$1') };
    if (t === 'true' || t === 'false') return { k: 'lit', v: t === 'true' };
    if (t === 'null') return { k: 'lit', v: null };
    if (/^[A-Za-z_]/.test(t)) return { k: 'var', path: t.split('.') };
    return fail(`unexpected '${t}'`);
  };
  const cmp = (): Node => {
    const l = primary();
    const op = peek();
    if (op && ['<', '<=', '>', '>=', '==', '!='].includes(op)) {
      i++;
      return { k: 'bin', op, l, r: primary() };
    }
    return l;
  };
  const and = (): Node => {
    let l = cmp();
    while (peek() === '&&') {
      i++;
      l = { k: 'bin', op: '&&', l, r: cmp() };
    }
    return l;
  };
  const or = (): Node => {
    let l = and();
    while (peek() === '||') {
      i++;
      l = { k: 'bin', op: '||', l, r: and() };
    }
    return l;
  };
  let root: Node;
  try {
    root = or();
    if (i < tokens.length) fail(`unexpected '${tokens[i]}'`);
  } catch (err) {
    return { error: `condition '${source}': ${(err as Error).message}` };
  }
  return { source, test: (vars) => truthy(evaluate(root, vars)) };
}

function lookup(vars: Record<string, unknown>, path: string[]): Value {
  let v: unknown = vars;
  for (const p of path) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, p)) return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  return typeof v === 'object' && v !== null ? undefined : (v as Value);
}

function truthy(v: Value): boolean {
  return v !== undefined && v !== null && v !== false && v !== 0 && v !== '' && !Number.isNaN(v);
}

function evaluate(n: Node, vars: Record<string, unknown>): Value {
  switch (n.k) {
    case 'lit':
      return n.v;
    case 'var':
      return lookup(vars, n.path);
    case 'not':
      return !truthy(evaluate(n.e, vars));
    case 'bin': {
      if (n.op === '&&') return truthy(evaluate(n.l, vars)) && truthy(evaluate(n.r, vars));
      if (n.op === '||') return truthy(evaluate(n.l, vars)) || truthy(evaluate(n.r, vars));
      const l = evaluate(n.l, vars);
      const r = evaluate(n.r, vars);
      if (l === undefined || r === undefined) return false;
      if (n.op === '==') return l === r;
      if (n.op === '!=') return l !== r;
      if (typeof l !== typeof r || (typeof l !== 'number' && typeof l !== 'string')) return false;
      const a = l as number | string;
      const b = r as number | string;
      if (n.op === '<') return a < b;
      if (n.op === '<=') return a <= b;
      if (n.op === '>') return a > b;
      return a >= b;
    }
  }
}
