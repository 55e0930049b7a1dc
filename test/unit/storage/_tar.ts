// Builds tar archives byte by byte for the storage tests, so that hostile
// input (absolute names, `..`, links anywhere, binary PAX xattrs) can be
// written exactly; node-tar's writer would normalise some of it away.

export interface TarEntry {
  name: string;
  /** Typeflag: 0 file, 1 hardlink, 2 symlink, 3 char, 4 block, 5 dir, 6 fifo; g: a PAX global header of `pax` records. */
  type?: '0' | '1' | '2' | '3' | '4' | '5' | '6' | 'g';
  data?: Buffer | string;
  mode?: number;
  uid?: number;
  gid?: number;
  /** Seconds since the epoch. */
  mtime?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** SCHILY.xattr.<name> PAX records (raw bytes). */
  xattrs?: Record<string, Buffer | string>;
  /** Forces a PAX `path` record (long names). */
  paxPath?: boolean;
  /** More PAX records, written as given (`path`, `size`, `uid`, `mtime`...). */
  pax?: Record<string, Buffer | string>;
  /** Long names and link names as GNU `L`/`K` entries instead of PAX records. */
  gnuLong?: boolean;
  /** Header fields written as GNU base-256 numbers instead of octal. */
  base256?: Array<'uid' | 'gid' | 'size' | 'mtime'>;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** GNU base-256: the high bit of the first byte set, the value big-endian in the rest. */
function base256(value: number, width: number): Buffer {
  const field = Buffer.alloc(width);
  let v = BigInt(value);
  for (let i = width - 1; i > 0; i--, v >>= 8n) field[i] = Number(v & 0xffn);
  field[0] = 0x80;
  return field;
}

type NumericField = 'uid' | 'gid' | 'size' | 'mtime';

function header(fields: { name: string; mode: number; uid: number; gid: number; size: number; mtime: number; type: string; linkname: string; devmajor: number; devminor: number; base256?: NumericField[] }): Buffer {
  const h = Buffer.alloc(512);
  h.write(fields.name, 0, 100, 'utf8');
  h.write(octal(fields.mode, 8), 100, 'latin1');
  const numeric: Array<[NumericField, number, number]> = [['uid', 108, 8], ['gid', 116, 8], ['size', 124, 12], ['mtime', 136, 12]];
  for (const [key, offset, width] of numeric) {
    if (fields.base256?.includes(key)) base256(fields[key], width).copy(h, offset);
    else h.write(octal(fields[key], width), offset, 'latin1');
  }
  h.write('        ', 148, 'latin1');
  h.write(fields.type, 156, 'latin1');
  h.write(fields.linkname, 157, 100, 'utf8');
  h.write('ustar\u000000', 257, 'latin1');
  h.write(octal(fields.devmajor, 8), 329, 'latin1');
  h.write(octal(fields.devminor, 8), 337, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

/** One PAX record, `<len> <key>=<value>\n` with the length counting itself. */
export function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

function pad(data: Buffer): Buffer {
  const rest = data.length % 512;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(512 - rest)]);
}

/** The bytes of a tar archive holding `entries`, with the end-of-archive blocks unless `end` is false. */
export function makeTar(entries: TarEntry[], { end = true } = {}): Buffer {
  const parts: Buffer[] = [];
  const meta = (name: string, type: string, body: Buffer) =>
    parts.push(header({ name, mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: 0, type, linkname: '', devmajor: 0, devminor: 0 }), pad(body));
  for (const e of entries) {
    const type = e.type ?? '0';
    const data = Buffer.from(e.data ?? '');
    const records: Buffer[] = [];
    for (const [name, value] of Object.entries(e.xattrs ?? {})) records.push(paxRecord(`SCHILY.xattr.${name}`, Buffer.from(value)));
    for (const [key, value] of Object.entries(e.pax ?? {})) records.push(paxRecord(key, Buffer.from(value)));
    if (type === 'g') {
      meta('pax_global_header', 'g', Buffer.concat(records));
      continue;
    }
    const long = e.paxPath || Buffer.byteLength(e.name) > 100;
    const longLink = Buffer.byteLength(e.linkname ?? '') > 100;
    if (e.gnuLong) {
      if (long) meta('././@LongLink', 'L', Buffer.from(`${e.name}\0`));
      if (longLink) meta('././@LongLink', 'K', Buffer.from(`${e.linkname}\0`));
    } else {
      if (long) records.push(paxRecord('path', Buffer.from(e.name)));
      if (longLink) records.push(paxRecord('linkpath', Buffer.from(e.linkname!)));
    }
    if (records.length > 0) {
      const body = Buffer.concat(records);
      meta('PaxHeader', 'x', body);
    }
    parts.push(
      header({
        name: long ? e.name.slice(0, 99) : e.name,
        mode: e.mode ?? (type === '5' ? 0o755 : 0o644),
        uid: e.uid ?? 0,
        gid: e.gid ?? 0,
        size: type === '0' ? data.length : 0,
        mtime: e.mtime ?? 1_600_000_000,
        type,
        linkname: longLink ? e.linkname!.slice(0, 99) : e.linkname ?? '',
        devmajor: e.devmajor ?? 0,
        devminor: e.devminor ?? 0,
        base256: e.base256,
      }),
    );
    if (type === '0' && data.length > 0) parts.push(pad(data));
  }
  if (end) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
