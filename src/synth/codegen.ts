/** Prints JS values as TS source: object literals with unquoted identifier keys, helper calls, Durations. */
import { Duration } from './duration.js';

/** A helper call, printed at the indentation of the place it ends up in. */
export class Code {
  constructor(
    readonly fn: string,
    readonly args: readonly unknown[],
  ) {}

  render(level: number): string {
    return `${this.fn}(${this.args.map((a) => print(a, level)).join(', ')})`;
  }

  /** The call on one line, for tests and notes. */
  get text(): string {
    return this.render(0);
  }
}

export function call(fn: string, ...args: unknown[]): Code {
  return new Code(fn, args);
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function key(k: string): string {
  return IDENT.test(k) ? k : `'${k.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function str(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;
}

function durationCode(d: Duration): string {
  const seconds = d.toSeconds();
  if (seconds > 0 && seconds % 86_400 === 0) return `Duration.days(${seconds / 86_400})`;
  if (seconds > 0 && seconds % 3600 === 0) return `Duration.hours(${seconds / 3600})`;
  if (seconds > 0 && seconds % 60 === 0) return `Duration.minutes(${seconds / 60})`;
  return `Duration.seconds(${seconds})`;
}

/** Pretty-prints `value` at indent level `level` (two spaces each); short literals stay on one line. */
export function print(value: unknown, level: number): string {
  if (value instanceof Code) return value.render(level);
  if (value instanceof Duration) return durationCode(value);
  if (value === null) return 'null';
  if (typeof value === 'string') return str(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const pad = '  '.repeat(level + 1);
  const end = '  '.repeat(level);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((v) => print(v, level + 1));
    const flat = `[${items.join(', ')}]`;
    if (flat.length <= 90 && !flat.includes('\n')) return flat;
    return `[\n${items.map((i) => `${pad}${i},`).join('\n')}\n${end}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    const items = entries.map(([k, v]) => `${key(k)}: ${print(v, level + 1)}`);
    const flat = `{ ${items.join(', ')} }`;
    if (flat.length <= 90 && !flat.includes('\n')) return flat;
    return `{\n${items.map((i) => `${pad}${i},`).join('\n')}\n${end}}`;
  }
  return 'undefined';
}
