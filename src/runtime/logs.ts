// Reading the k8s-file log the monitor writes (docs/runtime-native.md,
// "Log"): `TIMESTAMP STREAM F|P TEXT` per record, a `P` piece continued by
// the following records of the same stream. Rotation keeps one `FILE.1`.
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { UsageError } from '../errors.js';

/** One record of the log. */
export interface LogRecord {
  /** RFC 3339 with nanoseconds, UTC, as written. */
  time: string;
  stream: 'stdout' | 'stderr';
  /** A piece of a line that continues in the next record of the same stream. */
  partial: boolean;
  text: string;
}

/** A whole line of one stream, reassembled from its pieces. */
export interface LogLine {
  time: string;
  stream: 'stdout' | 'stderr';
  /** Without its newline. */
  text: string;
  /** False for the last piece of a stream that never ended its line. */
  complete: boolean;
}

const RECORD = /^(\S+) (stdout|stderr) ([FP]) (.*)$/s;

/** Parses one log line; null for anything that is not a record (a torn write after a crash). */
export function parseLogRecord(line: string): LogRecord | null {
  const match = RECORD.exec(line);
  if (!match) {
    // An empty text leaves no space after the flag.
    const bare = /^(\S+) (stdout|stderr) ([FP])$/.exec(line);
    if (!bare) return null;
    return { time: bare[1]!, stream: bare[2] as LogRecord['stream'], partial: bare[3] === 'P', text: '' };
  }
  return { time: match[1]!, stream: match[2] as LogRecord['stream'], partial: match[3] === 'P', text: match[4]! };
}

/** Joins records into lines per stream (each stream keeps its own pending piece). */
export class LineAssembler {
  private readonly pending = new Map<LogRecord['stream'], { time: string; text: string }>();

  /** Feeds one record; returns the line it completes, if any. */
  push(record: LogRecord): LogLine | null {
    const open = this.pending.get(record.stream);
    const time = open?.time ?? record.time;
    const text = (open?.text ?? '') + record.text;
    if (record.partial) {
      this.pending.set(record.stream, { time, text });
      return null;
    }
    this.pending.delete(record.stream);
    return { time, stream: record.stream, text, complete: true };
  }

  /** The unfinished lines at the end of the log. */
  flush(): LogLine[] {
    const lines = [...this.pending].map(([stream, { time, text }]) => ({ time, stream, text, complete: false }));
    this.pending.clear();
    return lines;
  }
}

/** Milliseconds since the epoch of a log timestamp (nanoseconds cut to milliseconds). */
export function logTimeMs(time: string): number {
  return Date.parse(time.replace(/(\.\d{3})\d*/, '$1'));
}

/**
 * Parses podman's --since/--until: an RFC 3339 time or date, a Unix
 * timestamp (seconds, optional fraction), or a Go duration before now (`10m`, `1h30m`, `45s`).
 */
export function parseSince(value: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const duration = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$/.exec(value);
  if (duration && value !== '') {
    const [, h, m, s, ms] = duration;
    return now - (Number(h ?? 0) * 3600_000 + Number(m ?? 0) * 60_000 + Number(s ?? 0) * 1000 + Number(ms ?? 0));
  }
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw new UsageError(`invalid --since value ${JSON.stringify(value)}`, { hint: 'use an RFC 3339 time, a Unix timestamp or a duration such as 10m' });
  return parsed;
}

/** Formats a line as podman logs prints it (`-t` puts the timestamp first). */
export function formatLine(line: LogLine, timestamps: boolean): string {
  return `${timestamps ? `${line.time} ` : ''}${line.text}${line.complete ? '\n' : ''}`;
}

const CHUNK = 1 << 20;

/** Appends without spreading: a 50 MB log has more lines than a call's arguments may hold. */
function appendAll<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}

/** Reads a log file incrementally from an offset, yielding whole text lines; survives rotation. */
export class LogFileReader {
  private fd: number | null = null;
  private ino = 0;
  private rest = '';

  /** `offset`: where the first read starts in the current file (its size before a start, for `start -a`). */
  constructor(private readonly path: string, private offset = 0) {}

  /** The lines appended since the last call (complete ones only). */
  readNew(): string[] {
    const lines = this.drain();
    // Whatever the old file still held was drained above, before switching.
    if (this.reopenIfRotated()) appendAll(lines, this.drain());
    return lines;
  }

  private drain(): string[] {
    if (this.fd === null) return [];
    const lines: string[] = [];
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const n = readSync(this.fd, buffer, 0, CHUNK, this.offset);
      if (n === 0) break;
      this.offset += n;
      const parts = (this.rest + buffer.toString('latin1', 0, n)).split('\n');
      this.rest = parts.pop()!;
      for (const part of parts) lines.push(Buffer.from(part, 'latin1').toString('utf8'));
    }
    return lines;
  }

  private reopenIfRotated(): boolean {
    let ino: number;
    try {
      ino = statSync(this.path).ino;
    } catch {
      return false;
    }
    if (this.fd !== null && ino === this.ino && fstatSync(this.fd).size >= this.offset) return false;
    // Rotated (a new inode) or truncated: start the new file from its beginning.
    const first = this.fd === null && this.ino === 0;
    if (this.fd !== null) closeSync(this.fd);
    try {
      this.fd = openSync(this.path, 'r');
    } catch {
      this.fd = null;
      return false;
    }
    const st = fstatSync(this.fd);
    this.ino = st.ino;
    if (!first || this.offset > st.size) this.offset = 0;
    this.rest = '';
    return true;
  }

  /** Closes the file. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** What `hutch logs` asks for. */
export interface LogQuery {
  tail?: number;
  sinceMs?: number;
  untilMs?: number;
  timestamps: boolean;
  /** Keep reading until `done()` says the container ended. */
  follow: boolean;
  /** Start at this byte of the current file and skip the rotated one (output of one start only). */
  fromOffset?: number;
}

/** Where lines go: each stream to its own writer (which applies backpressure). */
export type LineSink = (stream: LogLine['stream'], text: string) => Promise<void>;

function wanted(line: LogLine, query: LogQuery): boolean {
  if (query.sinceMs === undefined && query.untilMs === undefined) return true;
  const ms = logTimeMs(line.time);
  return (query.sinceMs === undefined || ms >= query.sinceMs) && (query.untilMs === undefined || ms <= query.untilMs);
}

/**
 * Prints a container's log: the rotated file first, then the current one;
 * with `follow`, polls for new records (and rotations) until `done()` is
 * true and nothing more was written.
 */
export async function printLogs(path: string, query: LogQuery, sink: LineSink, done: () => boolean): Promise<void> {
  const assembler = new LineAssembler();
  const collect = (raw: string[], out: LogLine[]) => {
    for (const text of raw) {
      const record = parseLogRecord(text);
      const line = record && assembler.push(record);
      if (line && wanted(line, query)) out.push(line);
    }
  };
  const initial: LogLine[] = [];
  if (query.fromOffset === undefined) {
    const rotated = new LogFileReader(`${path}.1`);
    collect(rotated.readNew(), initial);
    rotated.close();
  }
  const reader = new LogFileReader(path, query.fromOffset ?? 0);
  collect(reader.readNew(), initial);
  const first = query.tail !== undefined ? initial.slice(Math.max(0, initial.length - query.tail)) : initial;
  for (const line of first) await sink(line.stream, formatLine(line, query.timestamps));
  try {
    while (query.follow) {
      const finished = done();
      const more: LogLine[] = [];
      collect(reader.readNew(), more);
      for (const line of more) await sink(line.stream, formatLine(line, query.timestamps));
      if (finished) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    reader.close();
  }
  for (const line of assembler.flush()) if (wanted(line, query)) await sink(line.stream, formatLine(line, query.timestamps));
}
