// Where an image's manifests and blobs come from: a registry or an OCI
// layout directory. The pull pipeline verifies everything a source returns.
import type { Readable } from 'node:stream';

/** A manifest as a source returns it: raw bytes, their media type and digest. */
export interface SourceManifest {
  bytes: Buffer;
  mediaType: string | undefined;
  /** The digest the bytes must hash to (requested, or reported by the source and verified). */
  digest: string;
}

/** A blob to read, as its descriptor names it. */
export interface SourceBlob {
  digest: string;
  size: number;
}

/** Read access to one image repository. */
export interface ImageSource {
  /** Human-readable origin for messages, e.g. `docker.io/library/debian:latest`. */
  readonly description: string;
  /** The digest `reference` (tag or digest) currently points to without downloading it, or null if unknown. */
  resolveDigest(reference: string, signal?: AbortSignal): Promise<string | null>;
  /** The manifest or index at `reference` (tag or digest); verified against `reference` when it is a digest. */
  getManifest(reference: string, signal?: AbortSignal): Promise<SourceManifest>;
  /** A small blob (config) read whole, verified, capped. */
  getBlobBytes(blob: SourceBlob, cap: number, signal?: AbortSignal): Promise<Buffer>;
  /** A layer blob as a stream that errors on a digest or size mismatch before it ends. */
  getBlob(blob: SourceBlob, onProgress: (received: number) => void, signal?: AbortSignal): Readable;
  close(): void;
}
