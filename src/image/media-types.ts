// Media types of the OCI image-spec (media-types.md) and of Docker's image
// manifest v2 schema 2, and what each layer type means for decompression.
import { InvalidContentError } from '../errors.js';

/** OCI image index. */
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
/** OCI image manifest. */
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
/** OCI image config. */
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
/** OCI empty descriptor content (artifact manifests). */
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
/** OCI uncompressed layer. */
export const OCI_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
/** OCI gzip layer. */
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
/** OCI zstd layer. */
export const OCI_LAYER_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
/** OCI non-distributable uncompressed layer (deprecated in image-spec 1.1, still readable). */
export const OCI_LAYER_NONDIST_TAR = 'application/vnd.oci.image.layer.nondistributable.v1.tar';
/** OCI non-distributable gzip layer (deprecated). */
export const OCI_LAYER_NONDIST_GZIP = 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip';
/** OCI non-distributable zstd layer (deprecated). */
export const OCI_LAYER_NONDIST_ZSTD = 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd';

/** Docker manifest list (schema 2). */
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
/** Docker image manifest (schema 2). */
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
/** Docker image config. */
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
/** Docker gzip layer. */
export const DOCKER_LAYER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
/** Docker uncompressed layer (seen in the wild, e.g. from `docker save` round-trips). */
export const DOCKER_LAYER_TAR = 'application/vnd.docker.image.rootfs.diff.tar';
/** Docker foreign (Windows base) gzip layer, fetched from its `urls`. */
export const DOCKER_FOREIGN_LAYER_GZIP = 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip';
/** Docker zstd layer (moby's extension, used by buildx `compression=zstd`). */
export const DOCKER_LAYER_ZSTD = 'application/vnd.docker.image.rootfs.diff.tar.zstd';
/** Docker schema 1 manifest (unsupported: no content-addressed config). */
export const DOCKER_SCHEMA1 = 'application/vnd.docker.distribution.manifest.v1+json';
/** Docker signed schema 1 manifest (unsupported). */
export const DOCKER_SCHEMA1_SIGNED = 'application/vnd.docker.distribution.manifest.v1+prettyjws';

/** Manifest types that describe one image. */
export const IMAGE_MANIFEST_TYPES: readonly string[] = [OCI_MANIFEST, DOCKER_MANIFEST];
/** Manifest types that list other manifests. */
export const INDEX_TYPES: readonly string[] = [OCI_INDEX, DOCKER_MANIFEST_LIST];
/** Config types that make a manifest a runnable container image. */
export const IMAGE_CONFIG_TYPES: readonly string[] = [OCI_CONFIG, DOCKER_CONFIG];

/**
 * The Accept header for manifest requests. All four types are listed because
 * registries negotiate on it: docker-registry 2.8 answers MANIFEST_UNKNOWN for
 * an OCI manifest when only Docker types are accepted.
 */
export const MANIFEST_ACCEPT = [OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_MANIFEST].join(', ');

/** Compression of a layer blob. */
export type LayerCompression = 'none' | 'gzip' | 'zstd';

const LAYER_COMPRESSION: ReadonlyMap<string, LayerCompression> = new Map([
  [OCI_LAYER_TAR, 'none'],
  [OCI_LAYER_GZIP, 'gzip'],
  [OCI_LAYER_ZSTD, 'zstd'],
  [OCI_LAYER_NONDIST_TAR, 'none'],
  [OCI_LAYER_NONDIST_GZIP, 'gzip'],
  [OCI_LAYER_NONDIST_ZSTD, 'zstd'],
  [DOCKER_LAYER_TAR, 'none'],
  [DOCKER_LAYER_GZIP, 'gzip'],
  [DOCKER_LAYER_ZSTD, 'zstd'],
  [DOCKER_FOREIGN_LAYER_GZIP, 'gzip'],
]);

/** Whether `mediaType` is a layer type hutch can unpack. */
export function isLayerMediaType(mediaType: string): boolean {
  return LAYER_COMPRESSION.has(mediaType);
}

/** The compression a layer media type implies; InvalidContentError for anything that is not a known layer type. */
export function layerCompression(mediaType: string, what = 'layer'): LayerCompression {
  const compression = LAYER_COMPRESSION.get(mediaType);
  if (compression === undefined) {
    throw new InvalidContentError(`${what} has media type ${JSON.stringify(mediaType)}, which is not a known layer type`, {
      hint: 'hutch unpacks OCI and Docker tar layers (uncompressed, gzip, zstd); this is probably an artifact, not a container image',
    });
  }
  return compression;
}

/** Whether a layer must be fetched from its descriptor `urls` rather than the registry (image-spec: nondistributable; Docker: foreign). */
export function isForeignLayer(mediaType: string): boolean {
  return mediaType === DOCKER_FOREIGN_LAYER_GZIP || mediaType === OCI_LAYER_NONDIST_TAR || mediaType === OCI_LAYER_NONDIST_GZIP || mediaType === OCI_LAYER_NONDIST_ZSTD;
}

/** Whether `mediaType` is one of the four manifest types hutch understands. */
export function isManifestMediaType(mediaType: string): boolean {
  return IMAGE_MANIFEST_TYPES.includes(mediaType) || INDEX_TYPES.includes(mediaType);
}

/** The media type part of a Content-Type header: parameters dropped, lowercased (RFC 9110 §8.3.1: case-insensitive). */
export function baseMediaType(contentType: string | undefined | null): string {
  if (!contentType) return '';
  return contentType.split(';', 1)[0]!.trim().toLowerCase();
}
