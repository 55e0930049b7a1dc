// The images `bench:pull` pulls: one of realistic shape (about 200 MB and 7000
// files uncompressed in five gzip layers, about half of it compressible text,
// dirs listed before their contents as docker writes them, symlinks, hardlinks
// within a layer and one into a lower layer), and a second image that shares
// its three base layers and adds one of its own.
import { randomBytes } from 'node:crypto';
import { buildImage, type BuiltImage, type LayerEntry, type LayerSpec } from '../test/helpers/image-builder.js';

/** Files and uncompressed megabytes per layer of the main image, bottom first. */
const LAYERS: readonly { files: number; mb: number }[] = [
  { files: 3000, mb: 90 },
  { files: 2000, mb: 50 },
  { files: 1000, mb: 30 },
  { files: 700, mb: 20 },
  { files: 300, mb: 10 },
];
/** The second image's own layer. */
const EXTRA = { files: 200, mb: 8 };
/** Share of each file that is random (incompressible) bytes; the rest is text. */
const RANDOM_SHARE = 0.4;
const WORDS = 'static const int return if else for while struct void char unsigned include define error value result buffer length index config path file data size'.split(' ');

/** A megabyte of source-code-like text to slice file contents from. */
function textPool(): Buffer {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < 1024 * 1024; i++) {
    const n = 4 + (i % 9);
    const line = `${' '.repeat((i % 4) * 2)}${Array.from({ length: n }, (_, k) => WORDS[(i * 7 + k * 13 + (i >> 3)) % WORDS.length]).join(' ')} = ${(i * 2654435761) % 100000};\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join(''));
}

/** File sizes with a long tail (many small files, a few large ones) summing to `total`. */
function fileSizes(count: number, total: number): number[] {
  const weights = Array.from({ length: count }, () => (-Math.log(1 - Math.random())) ** 2);
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => Math.max(1, Math.round((w / sum) * total)));
}

function content(size: number, pool: Buffer): Buffer {
  const random = Math.floor(size * RANDOM_SHARE);
  const text = size - random;
  const start = Math.floor(Math.random() * Math.max(1, pool.length - text));
  const parts: Buffer[] = [randomBytes(random)];
  for (let left = text, at = start; left > 0; ) {
    const piece = pool.subarray(at, Math.min(pool.length, at + left));
    parts.push(piece);
    left -= piece.length;
    at = 0;
  }
  return Buffer.concat(parts);
}

/** One layer's entries under `prefix`: directories of 50 files, a symlink and a hardlink per directory. */
function layerEntries(prefix: string, files: number, mb: number, pool: Buffer): LayerEntry[] {
  const entries: LayerEntry[] = [];
  const parents = prefix.split('/');
  for (let i = 1; i <= parents.length; i++) entries.push({ type: 'dir', path: parents.slice(0, i).join('/'), mode: 0o755 });
  const sizes = fileSizes(files, mb * 1024 * 1024);
  let dir = '';
  for (let i = 0; i < files; i++) {
    if (i % 50 === 0) {
      dir = `${prefix}/pkg${i / 50}`;
      entries.push({ type: 'dir', path: dir, mode: 0o755 });
    }
    entries.push({ type: 'file', path: `${dir}/f${i}.so`, content: content(sizes[i]!, pool), mode: i % 10 === 0 ? 0o755 : 0o644, uid: i % 3 === 0 ? 1000 : 0, gid: 0 });
    if (i % 50 === 49) {
      entries.push({ type: 'symlink', path: `${dir}/current`, target: `f${i}.so` });
      entries.push({ type: 'hardlink', path: `${dir}/f${i}.link`, target: `${dir}/f${i}.so` });
    }
  }
  return entries;
}

/** The two benchmark images (gzip, OCI media types). */
export interface BenchImages {
  main: BuiltImage;
  second: BuiltImage;
}

/** Generates both images in memory; gzip is deterministic, so the shared layers get identical digests. */
export async function buildBenchImages(): Promise<BenchImages> {
  const pool = textPool();
  const specs: LayerSpec[] = LAYERS.map(({ files, mb }, n) => ({ compression: 'gzip', entries: layerEntries(`usr/lib/layer${n}`, files, mb, pool) }));
  // A cross-layer hardlink (the target lives in the base layer): the applier must look below.
  specs[3]!.entries!.push({ type: 'dir', path: 'usr/lib/layer0' }, { type: 'dir', path: 'usr/lib/layer0/pkg0' }, { type: 'hardlink', path: 'usr/lib/layer0/pkg0/f49.again', target: 'usr/lib/layer0/pkg0/f49.so' });
  const config = { Cmd: ['/bin/sh'], Env: ['PATH=/usr/local/bin:/usr/bin:/bin'] };
  const main = await buildImage({ layers: specs, config });
  const second = await buildImage({ layers: [...specs.slice(0, 3), { compression: 'gzip', entries: layerEntries('opt/app', EXTRA.files, EXTRA.mb, pool) }], config });
  return { main, second };
}
