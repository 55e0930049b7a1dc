// Packs a host path as a POSIX tar (ustar headers, pax records for long
// names) for `hutch cp` into a container. node-tar is kept to parsing; the
// format written here is the small subset hutch-runtime cp reads. Symlinks are
// stored as symlinks, never followed below the source.
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';

const BLOCK = 512;

/** What one header describes. */
export interface TarHeader {
  name: string;
  type: '0' | '2' | '5';
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname?: string;
}

function octal(block: Buffer, offset: number, length: number, value: number): boolean {
  const text = value.toString(8).padStart(length - 1, '0');
  if (text.length > length - 1) return false;
  block.write(`${text}\0`, offset, 'ascii');
  return true;
}

// "LEN key=value\n" where LEN counts its own digits.
function paxRecord(key: string, value: string): string {
  const base = Buffer.byteLength(`${key}=${value}\n`) + 1;
  let length = base + String(base).length;
  if (base + String(length).length !== length) length = base + String(length).length;
  return `${length} ${key}=${value}\n`;
}

function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

function rawHeader(h: TarHeader): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(h.name.slice(0, 100), 0, 100, 'utf8');
  octal(block, 100, 8, h.mode & 0o7777);
  octal(block, 108, 8, h.uid);
  octal(block, 116, 8, h.gid);
  octal(block, 124, 12, h.size);
  octal(block, 136, 12, Math.max(0, Math.floor(h.mtime)));
  block.write(h.type, 156, 1, 'ascii');
  if (h.linkname) block.write(h.linkname.slice(0, 100), 157, 100, 'utf8');
  block.write('ustar\0', 257, 'ascii');
  block.write('00', 263, 'ascii');
  block.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}

/** The header blocks for one member: a pax header first when a field does not fit ustar. */
export function tarHeader(h: TarHeader): Buffer {
  let pax = '';
  if (Buffer.byteLength(h.name) > 100) pax += paxRecord('path', h.name);
  if (h.linkname !== undefined && Buffer.byteLength(h.linkname) > 100) pax += paxRecord('linkpath', h.linkname);
  const probe = Buffer.alloc(BLOCK);
  if (!octal(probe, 108, 8, h.uid)) pax += paxRecord('uid', String(h.uid));
  if (!octal(probe, 116, 8, h.gid)) pax += paxRecord('gid', String(h.gid));
  if (!octal(probe, 124, 12, h.size)) pax += paxRecord('size', String(h.size));
  const main = rawHeader({ ...h, uid: h.uid > 0o7777777 ? 0 : h.uid, gid: h.gid > 0o7777777 ? 0 : h.gid, size: h.size > 0o77777777777 ? 0 : h.size });
  if (pax === '') return main;
  const data = Buffer.from(pax);
  const paxHeader = rawHeader({ name: `PaxHeaders/${h.name.slice(0, 80)}`, type: 'x' as TarHeader['type'], mode: 0o644, uid: 0, gid: 0, size: data.length, mtime: h.mtime });
  return Buffer.concat([paxHeader, data, padding(data.length), main]);
}

async function* member(hostPath: string, name: string): AsyncGenerator<Buffer> {
  const st = await lstat(hostPath);
  const common = { mode: st.mode, uid: st.uid, gid: st.gid, mtime: st.mtimeMs / 1000 };
  if (st.isDirectory()) {
    yield tarHeader({ ...common, name: `${name}/`, type: '5', size: 0 });
    for (const child of (await readdir(hostPath)).sort()) yield* member(join(hostPath, child), `${name}/${child}`);
  } else if (st.isSymbolicLink()) {
    yield tarHeader({ ...common, name, type: '2', size: 0, linkname: await readlink(hostPath) });
  } else if (st.isFile()) {
    const handle = await open(hostPath, 'r');
    try {
      const size = (await handle.stat()).size;
      yield tarHeader({ ...common, name, type: '0', size });
      let done = 0;
      const buf = Buffer.alloc(64 * 1024);
      while (done < size) {
        const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, size - done), done);
        if (bytesRead === 0) break;
        done += bytesRead;
        yield Buffer.from(buf.subarray(0, bytesRead));
      }
      // A file that shrank while being read is padded, so the archive stays well-formed.
      if (done < size) yield Buffer.alloc(size - done);
      yield padding(size);
    } finally {
      await handle.close();
    }
  }
  // Sockets, FIFOs and devices of the host are not copied into containers.
}

/** A tar stream of `hostPath`, its top member named `name`. */
export function packHostPath(hostPath: string, name: string): Readable {
  return Readable.from(
    (async function* () {
      yield* member(hostPath, name);
      yield Buffer.alloc(2 * BLOCK);
    })(),
    { objectMode: false },
  );
}
