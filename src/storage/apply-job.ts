// One layer extraction as the apply worker performs it: compressed bytes in,
// magic check, decompression, diff_id over the uncompressed tar, application.
import { PassThrough, Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';
import { DigestHasher } from '../image/digest.js';
import { layerCompression } from '../image/media-types.js';
import { diskUsage } from './disk-usage.js';
import { applyLayerTar, type ApplyLimits } from './layer-applier.js';
import { createLayerDecompressor, magicCheckStream } from './layer-decompress.js';

/** The job handed to the apply worker (JSON on its command line). */
export interface ApplyJob {
  /** Empty diff dir to fill (in the store's tmp/). */
  target: string;
  /** Diff dirs of the layers below, topmost first. */
  lowers: string[];
  /** The compressed blob's digest, for messages. */
  layerDigest: string;
  mediaType: string;
  /** Size of the compressed blob (for the ratio cap). */
  compressedSize?: number;
  /** Single-id mode: chown to unmapped ids is ignored. */
  ignoreChownErrors?: boolean;
  limits?: Partial<ApplyLimits>;
  /** `lowers` are still being applied: the parent writes one byte on fd 3 once they are complete. */
  lowersPending?: boolean;
}

/** What the worker prints on success. */
export interface ApplyJobResult {
  /** sha256 of the uncompressed tar, to compare with the config's rootfs.diff_ids. */
  diffId: string;
  /** Uncompressed bytes. */
  bytes: number;
  entries: number;
  warnings: string[];
  /** Disk space the applied diff takes (blocks, hardlinks once). */
  diskBytes: number;
}

function hashTap(hasher: DigestHasher): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      hasher.update(chunk);
      callback(null, chunk);
    },
  });
}

/** Runs a job on a compressed layer stream. */
export async function runApplyJob(job: ApplyJob, compressed: Readable, signal?: AbortSignal, awaitLowers?: () => void): Promise<ApplyJobResult> {
  const what = `layer ${job.layerDigest}`;
  const compression = layerCompression(job.mediaType, what);
  const hasher = new DigestHasher('sha256');
  const tap = hashTap(hasher);
  const decompressor = createLayerDecompressor(compression) ?? new PassThrough();
  let streamError: Error | undefined;
  pipeline(compressed, magicCheckStream(compression, what), decompressor, tap, (err) => {
    if (err) streamError = err;
  });
  const applied = await applyLayerTar({
    source: tap,
    target: job.target,
    lowers: job.lowers,
    ...(awaitLowers ? { awaitLowers } : {}),
    layerDigest: job.layerDigest,
    compressedSize: compression === 'none' ? undefined : job.compressedSize,
    ignoreChownErrors: job.ignoreChownErrors,
    limits: job.limits,
    signal,
  }).catch((err: unknown) => {
    // Nothing reads the stream any more: stop it instead of leaving it stalled on backpressure.
    compressed.destroy();
    tap.destroy();
    // The applier sees a stream error as a read failure; the magic check's own error is clearer.
    throw streamError && streamError.name === 'InvalidContentError' ? streamError : err;
  });
  return { diffId: hasher.digest(), bytes: hasher.bytes, entries: applied.entries, warnings: applied.warnings, diskBytes: diskUsage(job.target) };
}
