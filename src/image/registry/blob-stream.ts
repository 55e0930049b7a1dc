// A blob download as a Readable that verifies as it goes: never more bytes than
// the descriptor's size, never fewer, and the digest checked before 'end' (an
// error instead of 'end' on mismatch). An interrupted body is resumed with
// `Range: bytes=<received>-` (distribution-spec "Fetch Blob Part", RFC 9110
// §14): a 206 must carry a Content-Range starting exactly at what we hold; a
// 200 means the server ignored the Range, so the body is re-read from zero and
// the prefix already emitted is skipped. The hash covers exactly the bytes
// emitted downstream, so the final digest check proves the stream the
// decompressor saw is the blob, whichever responses its pieces came from.
import { createHash, type Hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { HutchError, InterruptedError, InvalidContentError, RegistryError } from '../../errors.js';
import { parseDigest } from '../digest.js';
import { isRetriableNetworkError } from './retry-policy.js';

/** Bytes the caller already holds (e.g. a partial file) and the hash state of exactly those bytes. */
export interface ResumePoint {
  offset: number;
  hash: Hash;
}

/** Inputs of a verified blob stream. */
export interface BlobStreamOptions {
  digest: string;
  size: number;
  /** Names the blob in errors, e.g. "blob sha256:… of docker.io/library/debian". */
  what: string;
  /** Starts a GET at `offset` (with a Range header when > 0); resolves with a 200 or 206 response or throws. */
  open: (offset: number) => Promise<IncomingMessage>;
  /** Waits before resume number `failures` (1-based); rejects when interrupted. */
  pause: (failures: number) => Promise<void>;
  /** Consecutive resumes without progress before giving up. */
  maxFailures: number;
  resumeFrom?: ResumePoint;
  onProgress?: (received: number, total: number) => void;
  signal?: AbortSignal;
}

/** Parses `Content-Range: bytes <start>-<end>/<total|*>`; undefined when malformed. */
export function parseContentRange(value: string | undefined): { start: number; end: number; total: number | undefined } | undefined {
  const m = value === undefined ? null : /^bytes ([0-9]{1,15})-([0-9]{1,15})\/([0-9]{1,15}|\*)$/.exec(value.trim());
  if (!m) return undefined;
  const [start, end] = [Number(m[1]), Number(m[2])];
  if (end < start) return undefined;
  return { start, end, total: m[3] === '*' ? undefined : Number(m[3]) };
}

/** Returns a Readable of the blob's bytes that errors (before 'end') on any size or digest mismatch. */
export function verifiedBlobStream(options: BlobStreamOptions): Readable {
  return Readable.from(chunks(options), { objectMode: false });
}

async function* chunks(o: BlobStreamOptions): AsyncGenerator<Buffer> {
  const algorithm = parseDigest(o.digest).algorithm;
  const hash = o.resumeFrom?.hash ?? createHash(algorithm);
  let emitted = o.resumeFrom?.offset ?? 0;
  let failures = 0;
  let res: IncomingMessage | undefined;
  if (emitted > o.size) throw new InvalidContentError(`${o.what}: cannot resume at byte ${emitted} of a ${o.size}-byte blob`);
  try {
    for (;;) {
      res = await o.open(emitted);
      let skip = 0;
      let expected = o.size;
      if (res.statusCode === 206) {
        const range = parseContentRange(res.headers['content-range']);
        if (emitted === 0 || !range || range.start !== emitted || range.end !== o.size - 1 || (range.total !== undefined && range.total !== o.size)) {
          throw new InvalidContentError(
            `${o.what}: 206 response with Content-Range ${JSON.stringify(res.headers['content-range'] ?? '')} does not continue at byte ${emitted} of ${o.size}`,
          );
        }
        expected = o.size - emitted;
      } else {
        skip = emitted;
      }
      const declared = Number(res.headers['content-length']);
      if (res.headers['content-length'] !== undefined && Number.isFinite(declared) && declared !== expected) {
        throw new InvalidContentError(`${o.what}: the registry announces ${declared} bytes where ${expected} are expected (descriptor size ${o.size})`);
      }
      let progressed = false;
      try {
        for await (const chunk of res as AsyncIterable<Buffer>) {
          let piece = chunk;
          if (skip > 0) {
            if (piece.length <= skip) {
              skip -= piece.length;
              continue;
            }
            piece = piece.subarray(skip);
            skip = 0;
          }
          if (emitted + piece.length > o.size) {
            throw new InvalidContentError(`${o.what}: more data than the descriptor size of ${o.size} bytes`, { hint: 'the registry serves a different blob than the manifest describes' });
          }
          hash.update(piece);
          emitted += piece.length;
          progressed = true;
          o.onProgress?.(emitted, o.size);
          yield piece;
        }
      } catch (err) {
        if (err instanceof HutchError) throw err;
        if (o.signal?.aborted) throw new InterruptedError(`${o.what}: download interrupted`, { cause: err });
        if (!isRetriableNetworkError(err)) throw new RegistryError(`${o.what}: ${(err as Error).message}`, { cause: err });
        failures = progressed ? 1 : failures + 1;
        if (failures >= o.maxFailures) {
          throw new RegistryError(`${o.what}: download failed at byte ${emitted} of ${o.size} after ${failures} attempts: ${(err as Error).message}`, {
            cause: err,
            hint: 'check the network connection and retry the pull; it resumes where it stopped',
          });
        }
        res.destroy();
        await o.pause(failures);
        continue;
      }
      if (skip > 0 || emitted < o.size) {
        throw new InvalidContentError(`${o.what}: the registry's response ended at byte ${emitted} of ${o.size}`, { hint: 'the blob is truncated on the registry' });
      }
      const actual = `${algorithm}:${hash.digest('hex')}`;
      if (actual !== o.digest) {
        throw new InvalidContentError(`${o.what}: digest mismatch: expected ${o.digest}, got ${actual}`, { hint: 'the registry serves corrupt or tampered content' });
      }
      return;
    }
  } finally {
    res?.destroy();
  }
}
