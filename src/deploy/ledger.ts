/**
 * The per-group ledger: append-only NDJSON, one event per line, each line prefixed by its CRC-32
 * (`<8 hex> <json>`), written with one write call and fsync'd. Several processes append to it
 * (runner, promote, abort); O_APPEND keeps small single writes whole. A torn or altered line is
 * detected by its checksum and reported as a problem, never used.
 */
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import type { LedgerEvent } from './events.js';

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

/** Parses ledger text; damaged lines become problems (with their line numbers), not events. */
export function decodeLedger(text: string, firstLine = 1): LedgerContents {
  const events: LedgerEvent[] = [];
  const problems: LedgerProblem[] = [];
  const lines = text.split('\n');
  const endsClean = text.endsWith('\n') || text.length === 0;
  lines.forEach((line, i) => {
    const isLast = i === lines.length - 1;
    if (isLast && line === '') return;
    if (line === '') {
      problems.push({ line: i + firstLine, reason: 'empty line' });
      return;
    }
    const match = /^([0-9a-f]{8}) (.*)$/s.exec(line);
    if (!match) {
      problems.push({
        line: i + firstLine,
        reason: isLast && !endsClean ? 'torn write (incomplete last line)' : 'no checksum prefix',
      });
      return;
    }
    const [, sum, json] = match as unknown as [string, string, string];
    if (checksum(json) !== sum) {
      problems.push({
        line: i + firstLine,
        reason:
          isLast && !endsClean
            ? 'torn write (incomplete last line)'
            : 'checksum mismatch (line altered or torn)',
      });
      return;
    }
    try {
      const parsed = JSON.parse(json) as LedgerEvent;
      if (typeof parsed !== 'object' || parsed === null || typeof parsed.type !== 'string') {
        problems.push({ line: i + firstLine, reason: 'not an event object' });
        return;
      }
      events.push(parsed);
    } catch {
      problems.push({ line: i + firstLine, reason: 'invalid JSON behind a valid checksum' });
    }
  });
  return { events, problems };
}

export class Ledger {
  constructor(readonly file: string) {}

  /** Lines already decoded: the file only grows, so each read decodes just what was appended since. */
  private cache = { offset: 0, nextLine: 1, events: [] as LedgerEvent[], problems: [] as LedgerProblem[] };

  read(): LedgerContents {
    let size: number;
    try {
      size = statSync(this.file).size;
    } catch {
      this.cache = { offset: 0, nextLine: 1, events: [], problems: [] };
      return { events: [], problems: [] };
    }
    // Shorter than what we decoded: the file was replaced; start over.
    if (size < this.cache.offset) this.cache = { offset: 0, nextLine: 1, events: [], problems: [] };
    let tail = '';
    if (size > this.cache.offset) {
      const buf = Buffer.alloc(size - this.cache.offset);
      const fd = openSync(this.file, 'r');
      try {
        readSync(fd, buf, 0, buf.length, this.cache.offset);
      } finally {
        closeSync(fd);
      }
      const text = buf.toString('utf8');
      const end = text.lastIndexOf('\n') + 1;
      const complete = text.slice(0, end);
      tail = text.slice(end);
      const decoded = decodeLedger(complete, this.cache.nextLine);
      this.cache.events.push(...decoded.events);
      this.cache.problems.push(...decoded.problems);
      this.cache.offset += Buffer.byteLength(complete, 'utf8');
      for (let i = 0; i < complete.length; i++) if (complete.charCodeAt(i) === 10) this.cache.nextLine++;
    }
    // An unfinished last line (a crash mid-write, or a write in progress) is reported, never used.
    const torn = tail ? [{ line: this.cache.nextLine, reason: 'torn write (incomplete last line)' }] : [];
    return { events: [...this.cache.events], problems: [...this.cache.problems, ...torn] };
  }

  /** Appends one event durably (write + fsync). A torn last line left by a crash is closed off first. */
  append(event: LedgerEvent): void {
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
  }
}

/** The last byte of the file, to tell whether a crash left the last line without its newline. */
function readTail(fd: number): string {
  const { size } = fstatSync(fd);
  if (size === 0) return '';
  const buf = Buffer.alloc(1);
  readSync(fd, buf, 0, 1, size - 1);
  return buf.toString('utf8');
}
