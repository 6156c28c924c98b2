/**
 * Masking of secret values (a build's `parameter-store` and `secrets-manager` values; a deployment check's
 * credentials), as CodeBuild masks them in its logs: every occurrence in command output, build.log, events,
 * records, pipeline logs and check verdicts becomes `***`.
 *
 * Output arrives in chunks, and a secret may be split across two of them: a `MaskStream` holds back the end of a
 * chunk while it could still be the start of a secret, and lets it go with the next chunk (or at `flush`).
 */

/** What a secret's value is replaced with, as in CodeBuild's logs. */
export const MASK = '***';

/**
 * Fields of records and events that Conveyor makes and reads back (ids, times, paths, statuses, names from the
 * definition), never command output: left as they are, so a short secret that happens to occur in a run id or
 * a timestamp cannot break the record. Variable names (object keys) are never masked either.
 */
const STRUCTURAL_FIELDS = new Set([
  'type',
  'kind',
  'status',
  'phase',
  'name',
  'provider',
  'category',
  'id',
  'runId',
  'buildRunId',
  'parentRunId',
  'executionId',
  'executionMode',
  'buildId',
  'buildNumber',
  'pid',
  'startedAt',
  'endedAt',
  'logPath',
  'folder',
  'zip',
  'pipeline',
  'project',
  'identifier',
  'group',
  'fileFormat',
  'commit',
]);

/** What a `MaskStream` masks with: a text's secrets, and how much of a text's end could still become one. */
export interface StreamMasking {
  mask(text: string): string;
  partialTail(text: string): number;
  /** Nothing to mask: the stream passes text on as it comes. */
  readonly empty: boolean;
}

export class SecretMasker implements StreamMasking {
  /** Longest first, so a secret containing another one is masked whole. */
  private values: string[] = [];
  private firstChars = new Set<string>();
  private longest = 0;

  /**
   * `minLength`: values (and lines, JSON fields of values) shorter than this are not masked, for values taken by
   * a rule rather than named as secrets (a deployment check's environment), where "eu" or "true" would be
   * masked everywhere.
   */
  constructor(
    values: Iterable<string> = [],
    private readonly options: { minLength?: number } = {},
  ) {
    this.add(values);
  }

  /** Masks `values` from now on; also each line of a multi-line value and the string fields of a JSON object. */
  add(values: Iterable<string>): void {
    const known = new Set(this.values);
    const min = this.options.minLength ?? 1;
    for (const value of values) for (const v of variants(value)) if (v.length >= min) known.add(v);
    this.values = [...known].sort((a, b) => b.length - a.length);
    this.firstChars = new Set(this.values.map((v) => v[0] as string));
    this.longest = this.values[0]?.length ?? 0;
  }

  /** The values masked (to hand on to whoever records what this masker's output fed). */
  get secrets(): readonly string[] {
    return this.values;
  }

  mask(text: string): string {
    let out = text;
    for (const value of this.values) if (out.includes(value)) out = out.split(value).join(MASK);
    return out;
  }

  /**
   * A copy of `value` (a record, an event) with its strings masked, except the fields Conveyor itself makes and
   * reads back (STRUCTURAL_FIELDS); `value` itself when there is nothing to mask.
   */
  maskDeep<T>(value: T): T {
    if (this.values.length === 0) return value;
    return this.deep(value) as T;
  }

  private deep(value: unknown): unknown {
    if (typeof value === 'string') return this.mask(value);
    if (Array.isArray(value)) return value.map((v) => this.deep(v));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = STRUCTURAL_FIELDS.has(k) ? v : this.deep(v);
      return out;
    }
    return value;
  }

  /** A masking stream in front of `write`. */
  stream(write: (text: string) => void): MaskStream {
    return new MaskStream(this, write);
  }

  /** How many characters at the end of `text` could be the start of a secret (held back until more arrives). */
  partialTail(text: string): number {
    for (let i = Math.max(0, text.length - this.longest + 1); i < text.length; i++) {
      if (!this.firstChars.has(text[i] as string)) continue;
      const tail = text.slice(i);
      if (this.values.some((v) => v.length > tail.length && v.startsWith(tail))) return text.length - i;
    }
    return 0;
  }

  get empty(): boolean {
    return this.values.length === 0;
  }
}

export class MaskStream {
  private held = '';

  constructor(
    private readonly masker: StreamMasking,
    private readonly out: (text: string) => void,
  ) {}

  write(text: string): void {
    if (this.masker.empty) {
      if (text) this.out(text);
      return;
    }
    const masked = this.masker.mask(this.held + text);
    const keep = this.masker.partialTail(masked);
    this.held = masked.slice(masked.length - keep);
    const ready = masked.slice(0, masked.length - keep);
    if (ready) this.out(ready);
  }

  /** Lets go of a held-back tail (the stream ended, or a runner line follows). */
  flush(): void {
    const rest = this.held;
    this.held = '';
    if (rest) this.out(rest);
  }
}

/** The strings a secret value is masked as: itself, its lines when it has several, a JSON object's string fields. */
function variants(value: string): string[] {
  if (!value) return [];
  const out = [value];
  if (value.includes('\n')) {
    for (const line of value.split(/\r?\n/)) if (line.trim()) out.push(line.trim());
  }
  if (value.startsWith('{')) {
    try {
      collectStrings(JSON.parse(value), out);
    } catch {
      // Not JSON: the value itself is enough.
    }
  }
  return out;
}

function collectStrings(value: unknown, out: string[]): void {
  if (typeof value === 'string') {
    if (value) out.push(value);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) collectStrings(v, out);
  }
}
