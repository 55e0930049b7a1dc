// Builds tar archives byte by byte for the storage tests, so that hostile
// input (absolute names, `..`, links anywhere, binary PAX xattrs) can be
// written exactly; node-tar's writer would normalise some of it away.

export interface TarEntry {
  name: string;
  /** Typeflag: 0 file, 1 hardlink, 2 symlink, 3 char, 4 block, 5 dir, 6 fifo. */
  type?: '0' | '1' | '2' | '3' | '4' | '5' | '6';
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
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(fields: { name: string; mode: number; uid: number; gid: number; size: number; mtime: number; type: string; linkname: string; devmajor: number; devminor: number }): Buffer {
  const h = Buffer.alloc(512);
  h.write(fields.name, 0, 100, 'utf8');
  h.write(octal(fields.mode, 8), 100, 'latin1');
  h.write(octal(fields.uid, 8), 108, 'latin1');
  h.write(octal(fields.gid, 8), 116, 'latin1');
  h.write(octal(fields.size, 12), 124, 'latin1');
  h.write(octal(fields.mtime, 12), 136, 'latin1');
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

function paxRecord(key: string, value: Buffer): Buffer {
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
  for (const e of entries) {
    const type = e.type ?? '0';
    const data = Buffer.from(e.data ?? '');
    const records: Buffer[] = [];
    for (const [name, value] of Object.entries(e.xattrs ?? {})) records.push(paxRecord(`SCHILY.xattr.${name}`, Buffer.from(value)));
    const long = e.paxPath || Buffer.byteLength(e.name) > 100;
    if (long) records.push(paxRecord('path', Buffer.from(e.name)));
    if (records.length > 0) {
      const body = Buffer.concat(records);
      parts.push(header({ name: 'PaxHeader', mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: 0, type: 'x', linkname: '', devmajor: 0, devminor: 0 }), pad(body));
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
        linkname: e.linkname ?? '',
        devmajor: e.devmajor ?? 0,
        devminor: e.devminor ?? 0,
      }),
    );
    if (type === '0' && data.length > 0) parts.push(pad(data));
  }
  if (end) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
