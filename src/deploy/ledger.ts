/**
 * The per-group ledger: append-only NDJSON, one event per line, each line prefixed by its CRC-32
 * (`<8 hex> <json>`), written with one write call and fsync'd. Several processes append to it
 * (runner, promote, abort); O_APPEND keeps small single writes whole. A torn or altered line is
 * detected by its checksum and reported as a problem, never used.
 */
import {
  closeSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import { STATE_HINT, storageFailure } from '../core/errors.js';
import type { LedgerEvent } from './events.js';
import { LedgerFold } from './ledger-fold.js';

export interface LedgerProblem {
  /** 1-based line number in the ledger file. */
  line: number;
  reason: string;
}

export interface LedgerContents {
  events: LedgerEvent[];
  problems: LedgerProblem[];
}

function checksum(json: string): string {
  return crc32(Buffer.from(json, 'utf8')).toString(16).padStart(8, '0');
}

export function encodeLine(event: LedgerEvent): string {
  const json = JSON.stringify(event);
  return `${checksum(json)} ${json}\n`;
}

const HEX = /^[0-9a-f]{8}$/;

/**
 * One line, `buf[start, end)` without its newline → an event, or the reason it cannot be used. Works on the
 * bytes: the checksum is taken over them as they are, and only the JSON becomes a string.
 */
function decodeLine(buf: Buffer, start: number, end: number): LedgerEvent | string {
  if (end === start) return 'empty line';
  const sum = end - start > 9 && buf[start + 8] === 0x20 ? buf.toString('latin1', start, start + 8) : '';
  if (!HEX.test(sum)) return 'no checksum prefix';
  if (crc32(buf.subarray(start + 9, end)) !== Number.parseInt(sum, 16)) {
    return 'checksum mismatch (line altered or torn)';
  }
  try {
    const parsed = JSON.parse(buf.toString('utf8', start + 9, end)) as LedgerEvent;
    if (typeof parsed !== 'object' || parsed === null || typeof parsed.type !== 'string') {
      return 'not an event object';
    }
    return parsed;
  } catch {
    return 'invalid JSON behind a valid checksum';
  }
}

export interface LedgerLimits {
  /** Deployments kept with all their events when the ledger is read or compacted. */
  keepDeployments: number;
  /** `compact` rewrites the file once it is larger than this. */
  compactAboveBytes: number;
}

/**
 * Fifty deployments in full (history, status and rollback need no more); a group that deploys every few minutes
 * still has a ledger of a few MB at most.
 */
export const DEFAULT_LEDGER_LIMITS: LedgerLimits = {
  keepDeployments: 50,
  compactAboveBytes: 4 * 1024 * 1024,
};

/** Read in pieces of this size: a ledger is never held whole as one string (V8 caps strings near 512 MB). */
const CHUNK = 1024 * 1024;
/** Problems listed at most; the rest are counted in the last one. */
const MAX_PROBLEMS = 100;

interface ReadState {
  ino: number;
  /** The file's first bytes when reading began: a compacted file renamed into place may reuse the inode number. */
  head: Buffer;
  offset: number;
  nextLine: number;
  fold: LedgerFold;
  /** Set by `readNew`: decoded events go here instead of the fold, and are not kept. */
  sink?: LedgerEvent[];
  problems: LedgerProblem[];
  moreProblems: number;
}

export class Ledger {
  /** Lines already decoded: the file only grows, so each read decodes just what was appended since. */
  private cache: ReadState;

  constructor(
    readonly file: string,
    readonly limits: LedgerLimits = DEFAULT_LEDGER_LIMITS,
  ) {
    this.cache = this.fresh(0);
  }

  private fresh(ino: number): ReadState {
    return {
      ino,
      head: Buffer.alloc(0),
      offset: 0,
      nextLine: 1,
      fold: new LedgerFold(this.limits.keepDeployments),
      problems: [],
      moreProblems: 0,
    };
  }

  read(): LedgerContents {
    const { tail, gone } = this.readAppended();
    if (gone) return { events: [], problems: [] };
    return { events: this.cache.fold.contents(), problems: this.problemsOf(tail) };
  }

  /**
   * The events appended since the last call, without keeping any (for a follower that folds them itself, like the
   * dashboard: its memory then does not grow with the ledger). `restarted`: the file was replaced (compacted),
   * shortened or removed, so `events` start again from the top of the file. Do not mix with `read()` on one Ledger.
   */
  readNew(): LedgerContents & { restarted: boolean } {
    const sink: LedgerEvent[] = [];
    const before = this.cache;
    this.cache.sink = sink;
    const { tail, gone } = this.readAppended(sink);
    const restarted = this.cache !== before || gone;
    return { events: gone ? [] : sink, problems: gone ? [] : this.problemsOf(tail), restarted };
  }

  private readAppended(sink?: LedgerEvent[]): { tail: boolean; gone: boolean } {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      this.cache = this.fresh(0);
      return { tail: false, gone: true };
    }
    let tail = false;
    try {
      const { size, ino } = fstatSync(fd);
      // Another file (compacted and renamed into place) or a shorter one: start over.
      if (ino !== this.cache.ino || size < this.cache.offset || !sameHead(fd, this.cache.head)) {
        this.cache = this.fresh(ino);
        if (sink) this.cache.sink = sink;
      }
      if (this.cache.offset === 0) this.cache.head = readHead(fd, Math.min(HEAD_BYTES, size));
      tail = this.readFrom(fd, size);
    } finally {
      closeSync(fd);
      this.cache.sink = undefined;
    }
    return { tail, gone: false };
  }

  private problemsOf(tail: boolean): LedgerProblem[] {
    const c = this.cache;
    const problems = [...c.problems];
    if (c.moreProblems > 0) {
      problems.push({ line: c.nextLine, reason: `and ${c.moreProblems} more damaged lines before this one` });
    }
    // An unfinished last line (a crash mid-write, or a write in progress) is reported, never used.
    if (tail) problems.push({ line: c.nextLine, reason: 'torn write (incomplete last line)' });
    return problems;
  }

  /** Decodes whole lines from the cached offset up to `size`, a chunk at a time; true if a partial line is left. */
  private readFrom(fd: number, size: number): boolean {
    const c = this.cache;
    let carry = Buffer.alloc(0);
    let position = c.offset;
    const chunk = Buffer.alloc(Math.min(CHUNK, Math.max(1, size - position)));
    while (position < size) {
      const n = readSync(fd, chunk, 0, Math.min(chunk.length, size - position), position);
      if (n === 0) break;
      position += n;
      let data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      let start = 0;
      for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
        const decoded = decodeLine(data, start, nl);
        if (typeof decoded !== 'string') {
          if (c.sink) c.sink.push(decoded);
          else c.fold.add(decoded);
        } else if (c.problems.length < MAX_PROBLEMS) c.problems.push({ line: c.nextLine, reason: decoded });
        else c.moreProblems++;
        c.nextLine++;
        c.offset += nl + 1 - start;
        start = nl + 1;
      }
      data = data.subarray(start);
      carry = Buffer.from(data);
    }
    return carry.length > 0;
  }

  /**
   * Rewrites the ledger as one `compacted` line and the events of the most recent deployments, once it is larger
   * than the limit. Call it only under the group lock with no deployment running (engine.createUnderLock): the new
   * file is written beside the ledger, fsync'd and renamed over it, so a reader sees the old or the new file whole.
   * Returns the sizes before and after, or undefined when the file was small enough.
   */
  compact(): { before: number; after: number } | undefined {
    try {
      return this.compactNow();
    } catch (err) {
      rmSync(this.tmpFile(), { force: true });
      throw storageFailure(err, dirname(this.file), STATE_HINT);
    }
  }

  private tmpFile(): string {
    return `${this.file}.compact-${process.pid}`;
  }

  private compactNow(): { before: number; after: number } | undefined {
    const before = statSync(this.file, { throwIfNoEntry: false })?.size ?? 0;
    if (before <= this.limits.compactAboveBytes) return undefined;
    const { problems } = this.read();
    // Damaged lines would be lost by rewriting: leave such a ledger for a person to look at.
    if (problems.length > 0) return undefined;
    this.cache.fold.foldTo(this.limits.keepDeployments);
    const events = this.cache.fold.contents();
    const tmp = this.tmpFile();
    const fd = openSync(tmp, 'w');
    try {
      let batch = '';
      for (const e of events) {
        batch += encodeLine(e);
        if (batch.length >= CHUNK) {
          writeSync(fd, batch);
          batch = '';
        }
      }
      writeSync(fd, batch);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    const after = statSync(this.file).size;
    this.cache = this.fresh(0);
    return { before, after };
  }

  /** Appends one event durably (write + fsync). A torn last line left by a crash is closed off first. */
  append(event: LedgerEvent): void {
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const fd = openSync(this.file, 'a+');
      try {
        const tail = readTail(fd);
        const prefix = tail !== '' && tail !== '\n' ? '\n' : '';
        writeSync(fd, prefix + encodeLine(event));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      // A line cut short by a full disk is a torn line: readers ignore it, the next append closes it off.
      throw storageFailure(err, dirname(this.file), STATE_HINT);
    }
  }
}

const HEAD_BYTES = 256;

function readHead(fd: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = length > 0 ? readSync(fd, buf, 0, length, 0) : 0;
  return buf.subarray(0, n);
}

function sameHead(fd: number, head: Buffer): boolean {
  return head.length === 0 || readHead(fd, head.length).equals(head);
}

/** The last byte of the file, to tell whether a crash left the last line without its newline. */
function readTail(fd: number): string {
  const { size } = fstatSync(fd);
  if (size === 0) return '';
  const buf = Buffer.alloc(1);
  readSync(fd, buf, 0, 1, size - 1);
  return buf.toString('utf8');
}
