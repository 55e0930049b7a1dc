// An ImageSource reading an OCI image layout directory (image-spec
// image-layout.md): `oci-layout`, `index.json` and `blobs/<alg>/<hex>`. This
// is how images built from this repository's examples reach the store
// without a registry (`hutch pull oci:DIR[:REF]`).
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream';
import { PassThrough, type Readable } from 'node:stream';
import { InvalidContentError, NotFoundError, UsageError, fromNodeError } from '../../errors.js';
import { digestOf, digestToRelativePath, isValidDigest, verifyBytes, verifyingStream } from '../../image/digest.js';
import { OCI_INDEX } from '../media-types.js';
import { MAX_MANIFEST_BYTES, parseManifest } from '../manifest.js';
import type { ImageSource, SourceBlob, SourceManifest } from './image-source.js';

/** The annotation image-layout.md uses to name a manifest in index.json. */
const REF_NAME = 'org.opencontainers.image.ref.name';
/** The pseudo-reference for "the layout's index.json itself". */
export const LAYOUT_INDEX = 'index.json';

/** Splits `DIR[:REF]` of the `oci:` transport (podman's syntax). */
export function parseOciLayoutInput(input: string): { dir: string; ref: string | undefined } {
  const body = input.slice('oci:'.length);
  if (body === '') throw new UsageError('`oci:` needs a directory, as in `oci:./image` or `oci:./image:tag`');
  const colon = body.lastIndexOf(':');
  if (colon > 0 && !body.slice(colon + 1).includes('/')) return { dir: resolve(body.slice(0, colon)), ref: body.slice(colon + 1) };
  return { dir: resolve(body), ref: undefined };
}

function readCapped(path: string, cap: number, what: string): Buffer {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`${what}: \`${path}\` does not exist`);
    throw fromNodeError(err, path);
  }
  if (size > cap) throw new InvalidContentError(`${what}: \`${path}\` is ${size} bytes, more than the ${cap} allowed`);
  return readFileSync(path);
}

/** Opens the layout in `dir`; references are ref names from index.json, digests, or LAYOUT_INDEX. */
export function ociLayoutSource(dir: string): ImageSource {
  const layout = readCapped(join(dir, 'oci-layout'), 4096, `OCI layout ${dir}`);
  let version: unknown;
  try {
    version = (JSON.parse(layout.toString('utf8')) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
  } catch (err) {
    throw new InvalidContentError(`OCI layout ${dir}: \`oci-layout\` is not JSON`, { cause: err });
  }
  if (typeof version !== 'string' || !version.startsWith('1.')) {
    throw new InvalidContentError(`OCI layout ${dir}: unsupported imageLayoutVersion ${JSON.stringify(version)}`);
  }
  const indexBytes = readCapped(join(dir, 'index.json'), MAX_MANIFEST_BYTES, `OCI layout ${dir}`);
  const index = parseManifest(indexBytes, OCI_INDEX, `${dir}/index.json`);
  if (index.kind !== 'index') throw new InvalidContentError(`OCI layout ${dir}: index.json is not an image index`);
  const blobPath = (digest: string) => join(dir, 'blobs', digestToRelativePath(digest));

  const findByName = (ref: string) => {
    const matches = index.manifests.filter((m) => m.annotations?.[REF_NAME] === ref);
    if (matches.length === 0) {
      const names = index.manifests.map((m) => m.annotations?.[REF_NAME]).filter((n): n is string => n !== undefined);
      throw new NotFoundError(`OCI layout ${dir} has no image named ${JSON.stringify(ref)}`, {
        hint: names.length > 0 ? `it has: ${names.join(', ')}` : 'it names no images; use `oci:DIR` without a reference',
      });
    }
    return matches[0]!;
  };

  return {
    description: `oci:${dir}`,
    async resolveDigest(reference) {
      if (reference === LAYOUT_INDEX) return digestOf(indexBytes);
      if (isValidDigest(reference)) return reference;
      return findByName(reference).digest;
    },
    async getManifest(reference): Promise<SourceManifest> {
      if (reference === LAYOUT_INDEX) return { bytes: indexBytes, mediaType: OCI_INDEX, digest: digestOf(indexBytes) };
      const descriptor = isValidDigest(reference)
        ? (index.manifests.find((m) => m.digest === reference) ?? { digest: reference, mediaType: undefined, size: undefined })
        : findByName(reference);
      const bytes = readCapped(blobPath(descriptor.digest), MAX_MANIFEST_BYTES, `manifest ${descriptor.digest} in ${dir}`);
      verifyBytes(bytes, { digest: descriptor.digest, ...(descriptor.size !== undefined ? { size: descriptor.size } : {}), what: `manifest ${descriptor.digest} in ${dir}` });
      return { bytes, mediaType: descriptor.mediaType, digest: descriptor.digest };
    },
    async getBlobBytes(blob: SourceBlob, cap) {
      const bytes = readCapped(blobPath(blob.digest), cap, `blob ${blob.digest} in ${dir}`);
      verifyBytes(bytes, { digest: blob.digest, size: blob.size, what: `blob ${blob.digest} in ${dir}` });
      return bytes;
    },
    getBlob(blob: SourceBlob, onProgress, signal): Readable {
      const file = createReadStream(blobPath(blob.digest), signal ? { signal } : {});
      const out = new PassThrough();
      let received = 0;
      file.on('data', (chunk: string | Buffer) => {
        received += chunk.length;
        onProgress(received);
      });
      pipeline(file, verifyingStream({ digest: blob.digest, size: blob.size, what: `layer ${blob.digest} in ${dir}` }), out, () => {});
      return out;
    },
    close() {},
  };
}
