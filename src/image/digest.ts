// Content digests (image-spec descriptor.md "Digests"): strict parsing, hashing
// and chain IDs. A digest string comes from the network and ends up in file
// names, so it is validated against a closed grammar before anything else sees it.
import type { Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { builtinModule } from '../builtin-module.js';
import { InvalidContentError } from '../errors.js';

/** The digest algorithms hutch accepts (image-spec registered algorithms it can compute). */
export type DigestAlgorithm = 'sha256' | 'sha512';

/** A validated digest split into its parts. */
export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  /** Lowercase hex of the exact length the algorithm produces. */
  hex: string;
}

// Only lowercase hex of the exact length: descriptor.md requires the encoded
// part of sha256/sha512 to match /[a-f0-9]{64}/ and /[a-f0-9]{128}/, and an
// exact grammar is what makes the hex safe to use as a file name.
const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
const DIGEST_PATTERN = /^(sha256|sha512):([a-f0-9]+)$/;

function describe(value: unknown): string {
  if (typeof value !== 'string') return `a ${value === null ? 'null' : typeof value}`;
  const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return JSON.stringify(shown);
}

function explain(value: string): string {
  const colon = value.indexOf(':');
  if (colon < 0) return 'it has no `algorithm:` prefix';
  const algorithm = value.slice(0, colon);
  const hex = value.slice(colon + 1);
  if (algorithm !== 'sha256' && algorithm !== 'sha512') return `algorithm "${algorithm.slice(0, 20)}" is not supported (only sha256 and sha512)`;
  if (/[A-F]/.test(hex) && /^[a-fA-F0-9]+$/.test(hex)) return 'the hex part must be lowercase';
  if (!/^[a-f0-9]*$/.test(hex)) return 'the hex part contains characters other than 0-9a-f';
  return `a ${algorithm} digest has exactly ${HEX_LENGTH[algorithm]} hex characters, this one has ${hex.length}`;
}

/** Parses `algorithm:hex`, throwing InvalidContentError naming `what` and the rule broken. */
export function parseDigest(value: unknown, what = 'digest'): ParsedDigest {
  if (typeof value === 'string') {
    const m = DIGEST_PATTERN.exec(value);
    if (m) {
      const algorithm = m[1] as DigestAlgorithm;
      if (m[2]!.length === HEX_LENGTH[algorithm]) return { algorithm, hex: m[2]! };
    }
  }
  const reason = typeof value === 'string' ? explain(value) : 'it is not a string';
  throw new InvalidContentError(`invalid ${what} ${describe(value)}: ${reason}`, {
    hint: 'the registry or image is sending malformed content; check the image reference',
  });
}

/** Whether `value` is a valid digest string (no throw). */
export function isValidDigest(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = DIGEST_PATTERN.exec(value);
  return m !== null && m[2]!.length === HEX_LENGTH[m[1] as DigestAlgorithm];
}

/** Returns `value` unchanged after validating it as a digest. */
export function assertDigest(value: unknown, what = 'digest'): string {
  parseDigest(value, what);
  return value as string;
}

/** The single path component (the hex) for a digest, validated first so it can never traverse. */
export function digestToPathComponent(digest: string): string {
  return parseDigest(digest, 'digest used as a path').hex;
}

/** `algorithm/hex` relative path for a digest (blobs/<algorithm>/<hex>), validated first. */
export function digestToRelativePath(digest: string): string {
  const { algorithm, hex } = parseDigest(digest, 'digest used as a path');
  return `${algorithm}/${hex}`;
}

// node:crypto loads on first use: the run path imports this module to parse
// digests only, and loading crypto costs about 4 ms on Node 20.
function createHash(algorithm: DigestAlgorithm): Hash {
  return builtinModule('node:crypto').createHash(algorithm);
}

/** The digest of a byte string (raw bytes, never re-serialised JSON). */
export function digestOf(data: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/** Incremental hasher that also counts bytes. */
export class DigestHasher {
  readonly algorithm: DigestAlgorithm;
  private readonly hash: Hash;
  private count = 0;

  constructor(algorithm: DigestAlgorithm = 'sha256') {
    this.algorithm = algorithm;
    this.hash = createHash(algorithm);
  }

  /** Feeds more bytes. */
  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.count += chunk.length;
  }

  /** Number of bytes fed so far. */
  get bytes(): number {
    return this.count;
  }

  /** The final `algorithm:hex` (call once). */
  digest(): string {
    return `${this.algorithm}:${this.hash.digest('hex')}`;
  }
}

/** What a verifying stream checks the bytes against. */
export interface ExpectedContent {
  digest: string;
  /** Exact size in bytes; the stream fails as soon as more arrive. */
  size?: number;
  /** Names the content in error messages, e.g. "layer sha256:… of docker.io/library/debian:12". */
  what: string;
}

/**
 * A pass-through stream that fails with InvalidContentError when more than
 * `size` bytes arrive (at once, so a hostile server cannot make us read an
 * endless body) or when the final size or digest differs.
 */
export function verifyingStream(expected: ExpectedContent): Transform {
  const { algorithm } = parseDigest(expected.digest, `digest of ${expected.what}`);
  const hasher = new DigestHasher(algorithm);
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      hasher.update(chunk);
      if (expected.size !== undefined && hasher.bytes > expected.size) {
        callback(new InvalidContentError(`${expected.what}: more than the ${expected.size} bytes its descriptor declares`, {
          hint: 'the registry sent different content than the manifest describes',
        }));
        return;
      }
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      if (expected.size !== undefined && hasher.bytes !== expected.size) {
        callback(new InvalidContentError(`${expected.what}: got ${hasher.bytes} bytes, its descriptor declares ${expected.size}`, {
          hint: 'the download was truncated or the registry sent different content',
        }));
        return;
      }
      const actual = hasher.digest();
      if (actual !== expected.digest) {
        callback(new InvalidContentError(`${expected.what}: digest mismatch, expected ${expected.digest}, got ${actual}`, {
          hint: 'the content was corrupted or tampered with; retry the pull',
        }));
        return;
      }
      callback();
    },
  });
}

/** Checks complete in-memory content (a manifest or config) against a digest and optional size. */
export function verifyBytes(data: Uint8Array, expected: ExpectedContent): void {
  const { algorithm } = parseDigest(expected.digest, `digest of ${expected.what}`);
  if (expected.size !== undefined && data.length !== expected.size) {
    throw new InvalidContentError(`${expected.what}: got ${data.length} bytes, its descriptor declares ${expected.size}`, {
      hint: 'the registry sent different content than the manifest describes',
    });
  }
  const actual = digestOf(data, algorithm);
  if (actual !== expected.digest) {
    throw new InvalidContentError(`${expected.what}: digest mismatch, expected ${expected.digest}, got ${actual}`, {
      hint: 'the content was corrupted or tampered with; retry the pull',
    });
  }
}

/**
 * Chain IDs for a stack of DiffIDs (image-spec config.md "Layer ChainID"):
 * ChainID(1) = DiffID(1); ChainID(n) = sha256(ChainID(n-1) + " " + DiffID(n)).
 */
export function chainIds(diffIds: readonly string[]): string[] {
  const result: string[] = [];
  for (const [i, diffId] of diffIds.entries()) {
    assertDigest(diffId, `diff_id #${i + 1}`);
    result.push(i === 0 ? diffId : digestOf(`${result[i - 1]} ${diffId}`));
  }
  return result;
}

/** The chain ID of the top layer of a stack (undefined for an empty stack). */
export function chainIdOf(diffIds: readonly string[]): string | undefined {
  return chainIds(diffIds).at(-1);
}
