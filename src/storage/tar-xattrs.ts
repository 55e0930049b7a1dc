// Recovers PAX `SCHILY.xattr.*` records byte-exactly. node-tar's Parser drops
// unknown PAX keys and decodes PAX bodies as UTF-8, which corrupts binary
// values such as `security.capability`, so this follows the same byte stream
// alongside the Parser, tracking only block boundaries, and hands out one
// record per file-system entry in archive order. The record's size lets the
// caller check that both readers agree on where each entry is.

/** The tar stream is malformed in a way this tracker detects. */
export class BadTar extends Error {}

/** What the tracker saw for one file-system entry. */
export interface TarEntryRecord {
  /** Body size in bytes, after PAX `size` overrides (0 for directories). */
  size: number;
  /** Extended attributes from `SCHILY.xattr.<name>` PAX records, raw bytes. */
  xattrs: Map<string, Buffer>;
}

const BLOCK = 512;
/** Same cap as node-tar's maxMetaEntrySize: larger meta entries are refused instead of silently skipped. */
const MAX_META_BYTES = 1024 * 1024;
const FS_TYPES = new Set(['0', '\0', '1', '2', '3', '4', '5', '6', '7', 'D']);
const PAX_TYPES = new Set(['x', 'X']);
const META_TYPES = new Set(['x', 'X', 'g', 'L', 'K', 'N']);
const XATTR_KEY = 'SCHILY.xattr.';

interface Pending {
  xattrs: Map<string, Buffer>;
  size?: number;
  path?: string;
}

/** Follows tar block structure and collects raw PAX xattrs per entry. */
export class TarXattrTracker {
  private readonly header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  /** Body bytes (with padding) still to pass before the next header. */
  private skip = 0;
  /** Body bytes of the meta entry being collected, without padding. */
  private metaRemain = 0;
  private metaType = '';
  private metaChunks: Buffer[] = [];
  private nullBlocks = 0;
  private done = false;
  /** Whether the end-of-archive marker (two zero blocks) was seen. */
  get ended(): boolean {
    return this.done;
  }
  private pending: Pending = { xattrs: new Map() };
  private readonly records: TarEntryRecord[] = [];

  /** Feeds the next bytes of the uncompressed tar stream. */
  write(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length && !this.done) {
      if (this.metaRemain > 0) {
        const n = Math.min(this.metaRemain, chunk.length - pos);
        this.metaChunks.push(chunk.subarray(pos, pos + n));
        this.metaRemain -= n;
        this.skip -= n;
        pos += n;
        if (this.metaRemain === 0) this.finishMeta();
      } else if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - pos);
        this.skip -= n;
        pos += n;
      } else {
        const n = Math.min(BLOCK - this.headerFill, chunk.length - pos);
        chunk.copy(this.header, this.headerFill, pos, pos + n);
        this.headerFill += n;
        pos += n;
        if (this.headerFill === BLOCK) {
          this.headerFill = 0;
          this.consumeHeader();
        }
      }
    }
  }

  /** Takes the record of the next file-system entry, in archive order. */
  shift(): TarEntryRecord | undefined {
    return this.records.shift();
  }

  private consumeHeader(): void {
    const h = this.header;
    if (h.every((b) => b === 0)) {
      // Two consecutive zero blocks end the archive; node-tar ignores what follows.
      this.nullBlocks += 1;
      if (this.nullBlocks === 2) this.done = true;
      return;
    }
    this.nullBlocks = 0;
    const type = String.fromCharCode(h[156] ?? 0);
    const fieldSize = parseSize(h.subarray(124, 136));
    if (META_TYPES.has(type)) {
      if (fieldSize > MAX_META_BYTES) throw new BadTar(`a tar metadata entry of ${fieldSize} bytes is larger than ${MAX_META_BYTES}`);
      this.skip = roundUp(fieldSize);
      this.metaRemain = fieldSize;
      this.metaType = type;
      this.metaChunks = [];
      if (fieldSize === 0) this.finishMeta();
      return;
    }
    if (!FS_TYPES.has(type)) throw new BadTar(`unsupported tar entry type \`${printable(type)}\``);
    const name = this.pending.path ?? cString(h.subarray(0, 100));
    let size = this.pending.size ?? fieldSize;
    // node-tar (like old tars) reads a regular file named `x/` as a directory, and directories never have a body.
    if (type === '5' || ((type === '0' || type === '\0') && name.endsWith('/'))) size = 0;
    this.records.push({ size, xattrs: this.pending.xattrs });
    this.pending = { xattrs: new Map() };
    this.skip = roundUp(size);
  }

  private finishMeta(): void {
    const body = Buffer.concat(this.metaChunks);
    this.metaChunks = [];
    if (PAX_TYPES.has(this.metaType)) parsePax(body, this.pending);
    else if (this.metaType === 'L' || this.metaType === 'N') this.pending.path = cString(body);
  }
}

/** Parses `<len> <key>=<value>\n` records (POSIX pax format) keeping values as bytes. */
function parsePax(body: Buffer, into: Pending): void {
  let pos = 0;
  while (pos < body.length) {
    if (body[pos] === 0) break;
    const space = body.indexOf(0x20, pos);
    const lenText = space < 0 ? '' : body.subarray(pos, space).toString('latin1');
    if (!/^[0-9]+$/.test(lenText)) throw new BadTar('malformed PAX record length');
    const end = pos + Number(lenText);
    if (end > body.length || end <= space + 1 || body[end - 1] !== 0x0a) throw new BadTar('malformed PAX record');
    const kv = body.subarray(space + 1, end - 1);
    const eq = kv.indexOf(0x3d);
    if (eq <= 0) throw new BadTar('malformed PAX record (no key)');
    const key = kv.subarray(0, eq).toString('utf8');
    const value = kv.subarray(eq + 1);
    if (key.startsWith(XATTR_KEY)) into.xattrs.set(key.slice(XATTR_KEY.length), Buffer.from(value));
    else if (key === 'size') {
      const text = value.toString('latin1');
      if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new BadTar('malformed PAX size');
      into.size = Number(text);
    } else if (key === 'path') into.path = value.toString('utf8');
    pos = end;
  }
}

/** Reads a numeric header field: octal text, or GNU base-256 when the high bit is set. */
function parseSize(field: Buffer): number {
  const first = field[0] ?? 0;
  if (first & 0x80) {
    if (first === 0xff) throw new BadTar('negative size in tar header');
    let value = first & 0x7f;
    for (const b of field.subarray(1)) value = value * 256 + b;
    if (!Number.isSafeInteger(value)) throw new BadTar('size in tar header is too large');
    return value;
  }
  const text = field.toString('latin1').replace(/^ +/, '').replace(/[\0 ].*$/s, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new BadTar('malformed size in tar header');
  return parseInt(text, 8);
}

function cString(buf: Buffer): string {
  const nul = buf.indexOf(0);
  return buf.subarray(0, nul < 0 ? buf.length : nul).toString('utf8');
}

function roundUp(n: number): number {
  return Math.ceil(n / BLOCK) * BLOCK;
}

function printable(type: string): string {
  return /^[\x20-\x7e]$/.test(type) ? type : `\\x${type.charCodeAt(0).toString(16).padStart(2, '0')}`;
}
