// A zstd decompression Transform through the system libzstd (the addon), the
// same decoder the native layer applier uses. node:zlib's own zstd (Node >=
// 22.15) is not used: it stops after the first frame of a multi-frame stream
// (nodejs/node#64741), so `hutch import` would hash a zstd:chunked or pzstd
// layer's first frame only and record a wrong DiffID.
import { Transform, type TransformCallback, type TransformOptions } from 'node:stream';
import { HostError } from '../errors.js';
import type { ZstdDecompressor } from './addon-types.js';
import { loadNative } from './index.js';

// 2^27 = 128 MiB, libzstd's default limit: frames needing a larger window
// (zstd --long=28 and up) are refused so a layer cannot demand unbounded memory.
const WINDOW_LOG_MAX = 27;
const EMPTY = Buffer.alloc(0);

// Waits for the reader before asking the decoder for more, so memory stays
// bounded by the readable highWaterMark plus one ~1 MiB push() result even
// when a few compressed bytes expand to gigabytes.
class AddonZstdDecompress extends Transform {
  readonly #decoder: ZstdDecompressor;
  #wake: (() => void) | undefined;

  constructor(decoder: ZstdDecompressor, options?: TransformOptions) {
    super(options);
    this.#decoder = decoder;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#drain(chunk).then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    this.#drain(EMPTY)
      .then(() => this.#decoder.end())
      .then(() => callback(), callback);
  }

  override _read(size: number): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
    super._read(size);
  }

  async #drain(chunk: Buffer): Promise<void> {
    let input = chunk;
    for (;;) {
      const output = this.#decoder.push(input);
      if (output.length === 0) return;
      input = EMPTY;
      let room = true;
      for (const buffer of output) room = this.push(buffer);
      if (!room) await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }
}

/** A Transform that decompresses a zstd stream (concatenated frames allowed), refusing windows above 128 MiB. */
export function createZstdDecompressStream(): Transform {
  const native = loadNative();
  if (!native.zstdAvailable()) {
    throw new HostError('ENOZSTD', 'cannot decompress zstd layers: libzstd.so.1 is not installed', {
      hint: 'install libzstd1 (apt-get install libzstd1 / dnf install libzstd)',
    });
  }
  return new AddonZstdDecompress(native.createZstdDecompressor({ windowLogMax: WINDOW_LOG_MAX }));
}
