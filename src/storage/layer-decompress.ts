// Decompression of a tarball in Node (`hutch import` hashes what it imports
// before the native applier extracts it): its compression is told by its magic
// bytes.
import type { Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { LayerCompression } from '../image/media-types.js';
import { createZstdDecompressStream } from '../native/zstd.js';

const GZIP = Buffer.from([0x1f, 0x8b]);
const ZSTD = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** The compression a blob's first bytes show (gzip, zstd, or none for anything else). */
export function detectCompression(head: Buffer): LayerCompression {
  if (head.subarray(0, 2).equals(GZIP)) return 'gzip';
  // RFC 8878 §3.1: a stream starts with a zstd frame or a skippable frame (magic 0x184D2A5?, little-endian).
  if (head.equals(ZSTD) || (head.length === 4 && (head[0]! & 0xf0) === 0x50 && head[1] === 0x2a && head[2] === 0x4d && head[3] === 0x18)) return 'zstd';
  return 'none';
}

/** The decompressing Transform for a compression, or null for an uncompressed tar. */
export function createLayerDecompressor(compression: LayerCompression): Transform | null {
  if (compression === 'gzip') return createGunzip();
  if (compression === 'zstd') return createZstdDecompressStream();
  return null;
}
