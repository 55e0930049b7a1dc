// `hutch import`: a root filesystem tarball (uncompressed, gzip or zstd)
// becomes a one-layer image, as podman import does. The tarball goes through
// the same confined layer applier as any pulled layer.
import { createReadStream, openSync, readSync, closeSync, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { InvalidContentError, NotFoundError, fromNodeError } from '../errors.js';
import { createLayerDecompressor, detectCompression } from '../storage/layer-decompress.js';
import type { ImageRecord, Store } from '../storage/store.js';
import { DigestHasher, digestOf } from './digest.js';
import { applyChanges, type ImportedConfig } from './import-changes.js';
import { DEFAULT_PATH } from '../spec/env.js';
import { OCI_CONFIG, OCI_LAYER_GZIP, OCI_LAYER_TAR, OCI_LAYER_ZSTD, OCI_MANIFEST } from './media-types.js';
import { hostPlatform } from './platform.js';

/** What to import and how to describe it. */
export interface ImportRequest {
  /** Path of the tarball. */
  file: string;
  /** Full name to give the image, if any. */
  name: string | undefined;
  /** `--change` instructions. */
  changes: string[];
  /** `--message`: the history comment. */
  message: string | undefined;
  signal?: AbortSignal;
}

function readHead(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(4);
    const n = readSync(fd, head, 0, 4, 0);
    return head.subarray(0, n);
  } catch (err) {
    throw fromNodeError(err, file);
  } finally {
    closeSync(fd);
  }
}

/** Hashes the blob and its decompressed stream in one read: the layer digest and the diff_id. */
async function digests(file: string, compression: ReturnType<typeof detectCompression>): Promise<{ digest: string; diffId: string }> {
  const blob = new DigestHasher('sha256');
  const tar = new DigestHasher('sha256');
  const decompressor = createLayerDecompressor(compression);
  const source = createReadStream(file);
  source.on('data', (chunk) => blob.update(chunk as Buffer));
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      tar.update(chunk);
      callback();
    },
  });
  try {
    await (decompressor ? pipeline(source, decompressor, sink) : pipeline(source, sink));
  } catch (err) {
    throw new InvalidContentError(`\`${file}\` is not a readable ${compression === 'none' ? 'tar' : `${compression}-compressed tar`}: ${(err as Error).message}`, { cause: err });
  }
  return { digest: blob.digest(), diffId: tar.digest() };
}

/** Imports the tarball into the store and returns the new image. */
export async function importTarball(store: Store, request: ImportRequest): Promise<ImageRecord> {
  let size: number;
  try {
    size = statSync(request.file).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`\`${request.file}\` does not exist`);
    throw fromNodeError(err, request.file);
  }
  const compression = detectCompression(readHead(request.file));
  const mediaType = { none: OCI_LAYER_TAR, gzip: OCI_LAYER_GZIP, zstd: OCI_LAYER_ZSTD }[compression];
  const { digest, diffId } = await digests(request.file, compression);
  const outcome = await store.applyLayer({
    chainId: diffId,
    diffIdExpected: diffId,
    digest,
    mediaType,
    compressedSize: size,
    source: () => createReadStream(request.file),
    lowerChainIds: [],
    ...(request.signal ? { signal: request.signal } : {}),
  });
  const created = new Date().toISOString();
  const platform = hostPlatform();
  const runtimeConfig: ImportedConfig = applyChanges({ Env: [`PATH=${DEFAULT_PATH}`] }, request.changes);
  const config = Buffer.from(
    JSON.stringify({
      created,
      architecture: platform.architecture,
      ...(platform.variant ? { variant: platform.variant } : {}),
      os: 'linux',
      config: runtimeConfig,
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created, created_by: 'hutch import', ...(request.message ? { comment: request.message } : {}) }],
    }),
  );
  const configDigest = digestOf(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: configDigest, size: config.length },
      layers: [{ mediaType, digest, size }],
    }),
  );
  const manifestDigest = digestOf(manifest);
  const hold = store.holdLayers([diffId]);
  try {
    store.putBlob(configDigest, config);
    store.putBlob(manifestDigest, manifest);
    const image: ImageRecord = {
      id: configDigest,
      manifestDigest,
      configDigest,
      layers: [diffId],
      names: request.name ? [request.name] : [],
      created,
      platform: { os: 'linux', architecture: platform.architecture, ...(platform.variant ? { variant: platform.variant } : {}) },
      size: outcome.record.uncompressedSize,
    };
    await store.putImage(image);
    return store.getImage(configDigest) ?? image;
  } finally {
    hold.release();
  }
}
