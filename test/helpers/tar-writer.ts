// A minimal ustar + PAX tar writer for test images. It is written from the
// POSIX pax/ustar format description (IEEE Std 1003.1, "pax" utility) and shares
// no code with the native layer parser (addon/layer-tar.cc), so the parser under test is never checked
// against its own writer. It writes exactly what it is told: no name
// normalisation, so attack tests can emit `../x`, `/abs` or NUL-free garbage.

const BLOCK = 512;

/** One tar record as it goes on the wire; every field is written verbatim. */
export interface TarRecord {
  /** Entry name exactly as stored (split into prefix/name or moved to a PAX `path` when long). */
  name: string;
  /** ustar typeflag: '0' file, '1' hardlink, '2' symlink, '3' chardev, '4' blockdev, '5' dir, '6' fifo, or anything else. */
  typeflag: string;
  mode?: number;
  uid?: number;
  gid?: number;
  /** Seconds since the epoch; fractions go to a PAX `mtime` record. */
  mtime?: number;
  linkname?: string;
  uname?: string;
  gname?: string;
  devmajor?: number;
  devminor?: number;
  content?: Uint8Array;
  /** Size written in the header when it must lie about the content (truncation tests). */
  declaredSize?: number;
  /** Extra PAX records (e.g. `SCHILY.xattr.user.x`); values may be binary. */
  pax?: Record<string, string | Uint8Array>;
}

const USTAR_MAX_OCTAL = { 8: 0o7777777, 12: 0o77777777777 } as const;

/** Serialises records into a complete tar stream ending with two zero blocks (unless `trailer` is false). */
export function writeTar(records: readonly TarRecord[], options: { trailer?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const record of records) parts.push(...encodeRecord(record));
  if (options.trailer !== false) parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

function encodeRecord(record: TarRecord): Buffer[] {
  const content = Buffer.from(record.content ?? new Uint8Array());
  const size = record.declaredSize ?? content.length;
  const pax: Record<string, string | Uint8Array> = {};
  const mtime = record.mtime ?? 0;

  const split = splitName(record.name);
  if (split === null) pax.path = record.name;
  const linkname = record.linkname ?? '';
  if (!fitsAscii(linkname, 100)) pax.linkpath = linkname;
  for (const [key, value, width] of [['uid', record.uid ?? 0, 8], ['gid', record.gid ?? 0, 8], ['size', size, 12]] as const) {
    if (value > USTAR_MAX_OCTAL[width]) pax[key] = String(value);
  }
  if (!Number.isInteger(mtime) || mtime < 0 || mtime > USTAR_MAX_OCTAL[12]) pax.mtime = String(mtime);
  Object.assign(pax, record.pax);

  const out: Buffer[] = [];
  if (Object.keys(pax).length > 0) {
    const body = encodePax(pax);
    const paxName = `PaxHeaders/${basename(record.name)}`.slice(0, 100);
    out.push(header({ name: paxName, prefix: '', typeflag: 'x', mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: 0, linkname: '' }), pad(body));
  }
  out.push(header({
    name: split?.name ?? record.name,
    prefix: split?.prefix ?? '',
    typeflag: record.typeflag,
    mode: record.mode ?? 0o644,
    uid: clampOctal(record.uid ?? 0, 8),
    gid: clampOctal(record.gid ?? 0, 8),
    size: clampOctal(size, 12),
    mtime: clampOctal(Math.max(0, Math.floor(mtime)), 12),
    linkname,
    uname: record.uname ?? '',
    gname: record.gname ?? '',
    devmajor: record.devmajor ?? 0,
    devminor: record.devminor ?? 0,
  }));
  if (content.length > 0) out.push(pad(content));
  return out;
}

interface HeaderFields {
  name: string;
  prefix: string;
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
  uname?: string;
  gname?: string;
  devmajor?: number;
  devminor?: number;
}

// Field offsets and widths from the ustar header layout (POSIX pax, "ustar Interchange Format").
function header(f: HeaderFields): Buffer {
  const block = Buffer.alloc(BLOCK);
  putBytes(block, 0, 100, f.name);
  writeOctal(block, 100, 8, f.mode & 0o7777777);
  writeOctal(block, 108, 8, f.uid);
  writeOctal(block, 116, 8, f.gid);
  writeOctal(block, 124, 12, f.size);
  writeOctal(block, 136, 12, f.mtime);
  block.write(f.typeflag.slice(0, 1), 156, 1, 'latin1');
  putBytes(block, 157, 100, f.linkname);
  block.write('ustar\u0000', 257, 6, 'latin1');
  block.write('00', 263, 2, 'latin1');
  putBytes(block, 265, 32, f.uname ?? '');
  putBytes(block, 297, 32, f.gname ?? '');
  writeOctal(block, 329, 8, f.devmajor ?? 0);
  writeOctal(block, 337, 8, f.devminor ?? 0);
  putBytes(block, 345, 155, f.prefix);
  // The checksum is computed with its own field read as eight spaces.
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(sum.toString(8).padStart(6, '0') + '\u0000 ', 148, 8, 'latin1');
  return block;
}

// Over-long values are cut at the field width; the full value is then in a PAX record.
function putBytes(block: Buffer, offset: number, width: number, value: string): void {
  block.set(Buffer.from(value, 'utf8').subarray(0, width), offset);
}

function writeOctal(block: Buffer, offset: number, width: number, value: number): void {
  block.write(value.toString(8).padStart(width - 1, '0') + '\u0000', offset, width, 'latin1');
}

function clampOctal(value: number, width: 8 | 12): number {
  return value > USTAR_MAX_OCTAL[width] ? 0 : value;
}

// A PAX record is "<len> <key>=<value>\n" where <len> counts the whole record, its own digits included.
function encodePax(records: Record<string, string | Uint8Array>): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of Object.entries(records)) {
    const payload = Buffer.concat([Buffer.from(` ${key}=`), Buffer.from(value), Buffer.from('\n')]);
    let length = payload.length + 1;
    while (String(length).length + payload.length !== length) length = String(length).length + payload.length;
    parts.push(Buffer.from(String(length)), payload);
  }
  return Buffer.concat(parts);
}

// ustar stores names up to 255 bytes as prefix "/" name when a slash splits them into 155 + 100.
function splitName(name: string): { prefix: string; name: string } | null {
  if (fitsAscii(name, 100)) return { prefix: '', name };
  if (!fitsAscii(name, 256)) return null;
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (prefix.length <= 155 && rest.length > 0 && rest.length <= 100) return { prefix, name: rest };
  }
  return null;
}

function fitsAscii(value: string, max: number): boolean {
  return value.length <= max && /^[\x01-\x7f]*$/.test(value);
}

function basename(name: string): string {
  const parts = name.split('/').filter((p) => p !== '');
  return parts.at(-1) ?? 'entry';
}

function pad(data: Buffer): Buffer {
  const rest = data.length % BLOCK;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - rest)]);
}
