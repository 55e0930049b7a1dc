// Builds OCI / Docker schema 2 images in memory from a declarative description,
// so tests control every byte a registry will serve: layer entries (including
// whiteouts and hostile raw entries), compression, config, manifest and index.
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { writeTar, type TarRecord } from './tar-writer.js';

/** Layer compression; zstd goes through the `zstd` CLI (Node 20's zlib has none). */
export type Compression = 'gzip' | 'zstd' | 'none';
/** Which family of media types the manifest, config, layers and index use. */
export type ImageFormat = 'oci' | 'docker';

/** A well-formed layer entry; `path` is relative to the image root (a leading `/` or `./` is kept verbatim). */
export interface LayerEntry {
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'whiteout' | 'opaque' | 'fifo' | 'chardev' | 'blockdev';
  path: string;
  content?: string | Uint8Array;
  /** Symlink or hardlink target (hardlinks: relative to the archive root). */
  target?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  /** Seconds since the epoch or a Date. */
  mtime?: number | Date;
  xattrs?: Record<string, string | Uint8Array>;
  devmajor?: number;
  devminor?: number;
}

/** An escape hatch for attack tests: a tar record written exactly as given. */
export interface RawLayerEntry {
  type: 'raw';
  record: TarRecord;
}

/** One layer: entries in tar order, or ready-made uncompressed tar bytes. */
export interface LayerSpec {
  entries?: (LayerEntry | RawLayerEntry)[];
  /** Uncompressed layer bytes used as is (corrupt or truncated tar tests). */
  tar?: Uint8Array;
  compression?: Compression;
  /** Overrides the descriptor media type (media type confusion tests). */
  mediaType?: string;
  /** Omits the two zero blocks that end a tar stream. */
  noTrailer?: boolean;
  /** Replaces the compressed blob (the descriptor's digest and size describe the replacement): truncated or hand-made streams. */
  blob?: (compressed: Buffer) => Buffer;
}

/** The runtime part of an image config (image-spec config.md `config`). */
export interface ImageRuntimeConfig {
  Env?: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  User?: string;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
}

/** Everything needed to build one image. */
export interface ImageSpec {
  layers: LayerSpec[];
  config?: ImageRuntimeConfig;
  format?: ImageFormat;
  /** Defaults to the host's architecture in Go's naming (amd64, arm64...). */
  architecture?: string;
  os?: string;
  variant?: string;
  /** Merged over the top level of the config JSON (e.g. a wrong `rootfs`), for malformed-config tests. */
  configOverrides?: Record<string, unknown>;
  /** Merged over the top level of the manifest JSON. */
  manifestOverrides?: Record<string, unknown>;
  annotations?: Record<string, string>;
}

/** A content descriptor (image-spec descriptor.md). */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

/** An index entry's platform. */
export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

/** A built layer: `digest` covers `bytes` (compressed), `diffId` the uncompressed tar. */
export interface BuiltLayer {
  digest: string;
  diffId: string;
  mediaType: string;
  bytes: Buffer;
  tar: Buffer;
}

/** A built image with its raw manifest and config bytes. */
export interface BuiltImage {
  kind: 'image';
  manifest: Buffer;
  manifestDigest: string;
  manifestMediaType: string;
  config: Buffer;
  configDigest: string;
  layers: BuiltLayer[];
  platform: Platform;
}

/** A built index (manifest list) and everything it refers to. */
export interface BuiltIndex {
  kind: 'index';
  manifest: Buffer;
  manifestDigest: string;
  manifestMediaType: string;
  children: (BuiltImage | BuiltIndex)[];
}

/** Media types by format (image-spec media-types.md; Docker's image manifest v2 schema 2). */
export const MEDIA_TYPES = {
  oci: {
    manifest: 'application/vnd.oci.image.manifest.v1+json',
    index: 'application/vnd.oci.image.index.v1+json',
    config: 'application/vnd.oci.image.config.v1+json',
    layer: { none: 'application/vnd.oci.image.layer.v1.tar', gzip: 'application/vnd.oci.image.layer.v1.tar+gzip', zstd: 'application/vnd.oci.image.layer.v1.tar+zstd' },
  },
  docker: {
    manifest: 'application/vnd.docker.distribution.manifest.v2+json',
    index: 'application/vnd.docker.distribution.manifest.list.v2+json',
    config: 'application/vnd.docker.container.image.v1+json',
    // Docker has no zstd type of its own; containerd's name is the one seen in the wild.
    layer: { none: 'application/vnd.docker.image.rootfs.diff.tar', gzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip', zstd: 'application/vnd.docker.image.rootfs.diff.tar.zstd' },
  },
} as const;

const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64' };
const FIXED_MTIME = 1_700_000_000;

/** `sha256:<hex>` of some bytes. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The host's platform in OCI naming. */
export function hostPlatform(): Platform {
  return { architecture: GO_ARCH[process.arch] ?? process.arch, os: 'linux' };
}

/** Builds the uncompressed tar of a layer from its entries. */
export function layerTar(layer: LayerSpec): Buffer {
  if (layer.tar !== undefined) return Buffer.from(layer.tar);
  return writeTar((layer.entries ?? []).map(toRecord), { trailer: layer.noTrailer !== true });
}

/** Compresses layer bytes the way a registry would serve them. */
export async function compress(bytes: Uint8Array, compression: Compression): Promise<Buffer> {
  if (compression === 'none') return Buffer.from(bytes);
  if (compression === 'gzip') return gzipSync(bytes);
  const { stdout } = await execa('zstd', ['-q', '-c', '-3'], { input: bytes, encoding: 'buffer', stripFinalNewline: false });
  return Buffer.from(stdout);
}

/** Builds a complete image: layers, config (with diff_ids) and manifest. */
export async function buildImage(spec: ImageSpec): Promise<BuiltImage> {
  const format = spec.format ?? 'oci';
  const types = MEDIA_TYPES[format];
  const layers: BuiltLayer[] = [];
  for (const layer of spec.layers) {
    const tar = layerTar(layer);
    const compression = layer.compression ?? 'gzip';
    const compressed = await compress(tar, compression);
    const bytes = layer.blob ? layer.blob(compressed) : compressed;
    layers.push({ digest: sha256Digest(bytes), diffId: sha256Digest(tar), mediaType: layer.mediaType ?? types.layer[compression], bytes, tar });
  }
  const platform: Platform = { ...hostPlatform(), ...pick(spec, ['architecture', 'os', 'variant']) };
  const configJson = {
    created: new Date(FIXED_MTIME * 1000).toISOString(),
    ...platform,
    config: spec.config ?? {},
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map(() => ({ created: new Date(FIXED_MTIME * 1000).toISOString(), created_by: 'hutch test image-builder' })),
    ...spec.configOverrides,
  };
  const config = Buffer.from(JSON.stringify(configJson));
  const configDigest = sha256Digest(config);
  const manifestJson = {
    schemaVersion: 2,
    mediaType: types.manifest,
    config: { mediaType: types.config, digest: configDigest, size: config.length },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.bytes.length })),
    ...(spec.annotations === undefined ? {} : { annotations: spec.annotations }),
    ...spec.manifestOverrides,
  };
  const manifest = Buffer.from(JSON.stringify(manifestJson));
  return { kind: 'image', manifest, manifestDigest: sha256Digest(manifest), manifestMediaType: types.manifest, config, configDigest, layers, platform };
}

/** Builds an index (manifest list) over images or nested indexes; `extra` adds raw descriptors (e.g. unknown media types). */
export function buildIndex(children: (BuiltImage | BuiltIndex)[], options: { format?: ImageFormat; extra?: Descriptor[] } = {}): BuiltIndex {
  const mediaType = MEDIA_TYPES[options.format ?? 'oci'].index;
  const indexJson = {
    schemaVersion: 2,
    mediaType,
    manifests: [...children.map(descriptorOf), ...(options.extra ?? [])],
  };
  const manifest = Buffer.from(JSON.stringify(indexJson));
  return { kind: 'index', manifest, manifestDigest: sha256Digest(manifest), manifestMediaType: mediaType, children };
}

/** The descriptor pointing at a built image (with its platform) or index. */
export function descriptorOf(target: BuiltImage | BuiltIndex): Descriptor {
  const base = { mediaType: target.manifestMediaType, digest: target.manifestDigest, size: target.manifest.length };
  return target.kind === 'image' ? { ...base, platform: target.platform } : base;
}

/** Every blob of an image or index: layers, configs and child manifests (deduplicated, children first). */
export function blobsOf(target: BuiltImage | BuiltIndex): Map<string, Buffer> {
  const blobs = new Map<string, Buffer>();
  if (target.kind === 'image') {
    for (const layer of target.layers) blobs.set(layer.digest, layer.bytes);
    blobs.set(target.configDigest, target.config);
    return blobs;
  }
  for (const child of target.children) {
    for (const [digest, bytes] of blobsOf(child)) blobs.set(digest, bytes);
    blobs.set(child.manifestDigest, child.manifest);
  }
  return blobs;
}

/** Writes an OCI image layout (image-spec image-layout.md) with `target` under the given ref name. */
export async function writeOciLayout(dir: string, target: BuiltImage | BuiltIndex, refName = 'latest'): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  const blobs = blobsOf(target);
  blobs.set(target.manifestDigest, target.manifest);
  for (const [digest, bytes] of blobs) await writeFile(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), bytes);
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.oci.index,
    manifests: [{ ...descriptorOf(target), annotations: { 'org.opencontainers.image.ref.name': refName } }],
  };
  await writeFile(join(dir, 'index.json'), JSON.stringify(index));
}

const TYPEFLAGS: Record<LayerEntry['type'], string> = {
  file: '0', whiteout: '0', opaque: '0', hardlink: '1', symlink: '2', chardev: '3', blockdev: '4', dir: '5', fifo: '6',
};
const DEFAULT_MODES: Record<LayerEntry['type'], number> = {
  file: 0o644, whiteout: 0o644, opaque: 0o644, hardlink: 0o644, symlink: 0o777, chardev: 0o666, blockdev: 0o660, dir: 0o755, fifo: 0o644,
};

function toRecord(entry: LayerEntry | RawLayerEntry): TarRecord {
  if (entry.type === 'raw') return entry.record;
  const pax: Record<string, string | Uint8Array> = {};
  for (const [name, value] of Object.entries(entry.xattrs ?? {})) pax[`SCHILY.xattr.${name}`] = value;
  const mtime = entry.mtime instanceof Date ? entry.mtime.getTime() / 1000 : (entry.mtime ?? FIXED_MTIME);
  const content = entry.type === 'file' && entry.content !== undefined ? Buffer.from(entry.content) : undefined;
  return {
    name: entryName(entry),
    typeflag: TYPEFLAGS[entry.type],
    mode: entry.mode ?? DEFAULT_MODES[entry.type],
    uid: entry.uid ?? 0,
    gid: entry.gid ?? 0,
    mtime,
    ...(entry.target === undefined ? {} : { linkname: entry.target }),
    ...(content === undefined ? {} : { content }),
    devmajor: entry.devmajor ?? 0,
    devminor: entry.devminor ?? 0,
    pax,
  };
}

// Whiteout names per image-spec layer.md: `.wh.<name>` beside the removed path, `.wh..wh..opq` inside an opaque directory.
function entryName(entry: LayerEntry): string {
  const trimmed = entry.path.replace(/\/+$/, '');
  const slash = trimmed.lastIndexOf('/');
  const parent = slash === -1 ? '' : trimmed.slice(0, slash + 1);
  const base = trimmed.slice(slash + 1);
  switch (entry.type) {
    case 'whiteout':
      return `${parent}.wh.${base}`;
    case 'opaque':
      return trimmed === '' || trimmed === '.' ? '.wh..wh..opq' : `${trimmed}/.wh..wh..opq`;
    case 'dir':
      return `${trimmed}/`;
    default:
      return entry.path;
  }
}

function pick<T extends object, K extends keyof T>(source: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}
