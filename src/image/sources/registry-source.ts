// An ImageSource backed by one registry endpoint (a mirror or the primary).
import type { Readable } from 'node:stream';
import { RegistryClient } from '../registry/client.js';
import type { Credentials } from '../credentials.js';
import type { ImageSource, SourceBlob, SourceManifest } from './image-source.js';

/** Options for a registry-backed source. */
export interface RegistrySourceOptions {
  /** The registry as the (rewritten) reference names it. */
  registry: string;
  repository: string;
  /** The endpoint's location when it is a mirror. */
  host?: string;
  insecure: boolean;
  tlsVerify?: boolean;
  credentials: () => Credentials | undefined;
  description: string;
}

/** Opens a source on one registry endpoint. */
export function registrySource(options: RegistrySourceOptions): ImageSource {
  const client = new RegistryClient({
    registry: options.registry,
    ...(options.host !== undefined && options.host !== options.registry ? { host: options.host } : {}),
    insecure: options.insecure,
    ...(options.tlsVerify !== undefined ? { tlsVerify: options.tlsVerify } : {}),
    credentials: options.credentials,
  });
  const repository = options.repository;
  return {
    description: options.description,
    async resolveDigest(reference, signal) {
      const head = await client.headManifest(repository, reference, { signal });
      return head?.digest ?? null;
    },
    async getManifest(reference, signal): Promise<SourceManifest> {
      const fetched = await client.getManifest(repository, reference, { signal });
      return { bytes: fetched.bytes, mediaType: fetched.mediaType, digest: fetched.digest };
    },
    getBlobBytes(blob: SourceBlob, cap, signal) {
      return client.getBlobBytes(repository, blob, cap, { signal });
    },
    getBlob(blob: SourceBlob, onProgress, signal): Readable {
      return client.getBlob(repository, blob, { onProgress: (received) => onProgress(received), ...(signal ? { signal } : {}) });
    },
    close() {
      client.close();
    },
  };
}
