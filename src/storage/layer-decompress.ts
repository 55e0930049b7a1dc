// Decompression of a layer blob according to its media type, with the magic
// bytes checked first: a blob whose bytes contradict its declared type is
// refused rather than guessed at (media type confusion).
import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InvalidContentError } from '../errors.js';
import type { LayerCompression } from '../image/media-types.js';
import { createZstdDecompressStream } from '../native/zstd.js';

const GZIP = Buffer.from([0x1f, 0x8b]);
const ZSTD = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const HEAD = 4;

/** The compression a blob's first bytes show (gzip, zstd, or none for anything else). */
export function detectCompression(head: Buffer): LayerCompression {
  if (head.subarray(0, 2).equals(GZIP)) return 'gzip';
  // RFC 8878 §3.1: a stream starts with a zstd frame or a skippable frame (magic 0x184D2A5?, little-endian).
  if (head.equals(ZSTD) || (head.length === 4 && (head[0]! & 0xf0) === 0x50 && head[1] === 0x2a && head[2] === 0x4d && head[3] === 0x18)) return 'zstd';
  return 'none';
}

/** Throws unless the first bytes of a blob agree with the compression its media type declares. */
export function checkLayerMagic(expected: LayerCompression, head: Buffer, what: string): void {
  const actual = detectCompression(head.subarray(0, HEAD));
  if (actual === expected) return;
  throw new InvalidContentError(`${what}: its media type says ${expected === 'none' ? 'uncompressed tar' : expected}, but the data is ${actual === 'none' ? 'not ' + expected : actual}`, {
    hint: 'the manifest declares the wrong media type for this layer; the image is malformed',
  });
}

/** A pass-through that checks the magic bytes of the first chunk(s) before letting anything through. */
export function magicCheckStream(expected: LayerCompression, what: string): Transform {
  let head: Buffer | null = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      if (head === null) return callback(null, chunk);
      head = Buffer.concat([head, chunk]);
      if (head.length < HEAD) return callback();
      const all = head;
      head = null;
      try {
        checkLayerMagic(expected, all, what);
      } catch (err) {
        return callback(err as Error);
      }
      callback(null, all);
    },
    flush(callback: TransformCallback) {
      if (head === null) return callback();
      try {
        checkLayerMagic(expected, head, what);
      } catch (err) {
        return callback(err as Error);
      }
      callback(null, head);
    },
  });
}

/** The decompressing Transform for a compression, or null for an uncompressed tar. */
export function createLayerDecompressor(compression: LayerCompression): Transform | null {
  if (compression === 'gzip') return createGunzip();
  if (compression === 'zstd') return createZstdDecompressStream();
  return null;
}
