// Parsing and validation of manifests, indexes and image configs
// (image-spec manifest.md, image-index.md, descriptor.md, config.md; Docker
// image manifest v2 schema 2). Everything here comes from the network: every
// field used later is type-checked, every digest validated, sizes capped.
import { InvalidContentError } from '../errors.js';
import { parseDigest } from './digest.js';
import {
  baseMediaType,
  DOCKER_MANIFEST_LIST,
  DOCKER_SCHEMA1,
  DOCKER_SCHEMA1_SIGNED,
  IMAGE_CONFIG_TYPES,
  IMAGE_MANIFEST_TYPES,
  INDEX_TYPES,
  isManifestMediaType,
  OCI_INDEX,
  OCI_MANIFEST,
} from './media-types.js';

/** Largest manifest or config hutch reads (containers/image's limit for both). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** A platform as written in an index entry or a config (image-index.md "platform"). */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

/** A validated content descriptor (descriptor.md). */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
}

/** An index entry; `skip` marks media types hutch does not understand (image-index.md: must be ignored, not fatal). */
export interface IndexEntry extends Descriptor {
  skip: boolean;
}

/** An OCI image index or Docker manifest list. */
export interface ImageIndex {
  kind: 'index';
  /** The effective media type (from the body or the response). */
  mediaType: string;
  manifests: IndexEntry[];
  annotations?: Record<string, string>;
}

/** An OCI image manifest or Docker schema 2 manifest. */
export interface ImageManifest {
  kind: 'manifest';
  /** The effective media type (from the body or the response). */
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
  artifactType?: string;
  subject?: Descriptor;
}

/** Either kind of manifest document. */
export type ManifestDocument = ImageIndex | ImageManifest;

/** The runtime defaults of an image (config.md "config"). */
export interface ContainerConfig {
  env: string[];
  entrypoint?: string[];
  cmd?: string[];
  user?: string;
  workingDir?: string;
  labels: Record<string, string>;
  stopSignal?: string;
  /** `port/proto` keys of ExposedPorts. */
  exposedPorts: string[];
  /** Paths of Volumes. */
  volumes: string[];
}

/** One history entry (config.md "history"). */
export interface HistoryEntry {
  created?: string;
  author?: string;
  createdBy?: string;
  comment?: string;
  emptyLayer: boolean;
}

/** A validated image config. */
export interface ImageConfig {
  os: string;
  architecture: string;
  variant?: string;
  created?: string;
  author?: string;
  config: ContainerConfig;
  /** rootfs.diff_ids, one per manifest layer. */
  diffIds: string[];
  history: HistoryEntry[];
}

type Json = Record<string, unknown>;

function fail(what: string, problem: string, hint = 'the registry or image is sending malformed content'): never {
  throw new InvalidContentError(`${what}: ${problem}`, { hint });
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function decodeJson(bytes: Uint8Array, what: string): Json {
  if (bytes.length > MAX_MANIFEST_BYTES) {
    fail(what, `${bytes.length} bytes is larger than the ${MAX_MANIFEST_BYTES}-byte limit`, 'such a large document is not a sane manifest or config');
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    fail(what, `not valid UTF-8 JSON (${(err as Error).message})`);
  }
  if (!isObject(value)) fail(what, 'the document is not a JSON object');
  return value;
}

function optionalString(obj: Json, key: string, what: string): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') fail(what, `"${key}" must be a string`);
  return value;
}

function stringArray(value: unknown, what: string, key: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) fail(what, `"${key}" must be an array of strings`);
  return value as string[];
}

function stringMap(value: unknown, what: string, key: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value) || !Object.values(value).every((v) => typeof v === 'string')) fail(what, `"${key}" must be an object of strings`);
  return { ...(value as Record<string, string>) };
}

function objectKeys(value: unknown, what: string, key: string): string[] {
  if (value === undefined || value === null) return [];
  if (!isObject(value)) fail(what, `"${key}" must be an object`);
  return Object.keys(value);
}

// RFC 6838 §4.2 restricted-name syntax, type/subtype; descriptor.md requires it.
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

function parsePlatform(value: unknown, what: string): Platform {
  if (!isObject(value)) fail(what, '"platform" must be an object');
  const os = value.os;
  const architecture = value.architecture;
  if (typeof os !== 'string' || os === '') fail(what, '"platform.os" must be a non-empty string');
  if (typeof architecture !== 'string' || architecture === '') fail(what, '"platform.architecture" must be a non-empty string');
  const platform: Platform = { os, architecture };
  const variant = optionalString(value, 'variant', `${what} platform`);
  if (variant !== undefined && variant !== '') platform.variant = variant;
  const osVersion = optionalString(value, 'os.version', `${what} platform`);
  if (osVersion !== undefined) platform['os.version'] = osVersion;
  const osFeatures = stringArray(value['os.features'], `${what} platform`, 'os.features');
  if (osFeatures !== undefined) platform['os.features'] = osFeatures;
  return platform;
}

/** Validates one descriptor object; `what` names it in errors. */
export function parseDescriptor(value: unknown, what: string): Descriptor {
  if (!isObject(value)) fail(what, 'the descriptor is not an object');
  const { mediaType, size } = value;
  if (typeof mediaType !== 'string' || !MEDIA_TYPE.test(mediaType)) fail(what, `"mediaType" ${JSON.stringify(mediaType)} is not a valid media type`);
  const digest = parseDigest(value.digest, `digest of ${what}`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) fail(what, `"size" ${JSON.stringify(size)} must be a non-negative integer`);
  const descriptor: Descriptor = { mediaType, digest: `${digest.algorithm}:${digest.hex}`, size };
  const urls = stringArray(value.urls, what, 'urls');
  if (urls !== undefined) descriptor.urls = urls;
  const annotations = stringMap(value.annotations, what, 'annotations');
  if (annotations !== undefined) descriptor.annotations = annotations;
  if (value.platform !== undefined && value.platform !== null) descriptor.platform = parsePlatform(value.platform, what);
  const artifactType = optionalString(value, 'artifactType', what);
  if (artifactType !== undefined) descriptor.artifactType = artifactType;
  return descriptor;
}

// Content types some registries and static file servers send for manifests;
// with these the body alone decides the type, as containers/image's
// GuessMIMEType does.
const GENERIC_CONTENT_TYPES = new Set(['', 'application/json', 'text/plain', 'application/octet-stream']);

function structuralKind(doc: Json, what: string): 'index' | 'manifest' {
  const hasManifests = doc.manifests !== undefined;
  const hasImageParts = doc.config !== undefined || doc.layers !== undefined;
  if (hasManifests && hasImageParts) {
    fail(what, 'the document has both "manifests" and "config"/"layers": it is neither a valid index nor a valid manifest', 'refusing an ambiguous document (mediaType confusion)');
  }
  if (hasManifests) return 'index';
  if (hasImageParts) return 'manifest';
  return fail(what, 'the document has neither "manifests" nor "config"/"layers"');
}

function kindOf(mediaType: string): 'index' | 'manifest' {
  return INDEX_TYPES.includes(mediaType) ? 'index' : 'manifest';
}

/**
 * Parses manifest bytes fetched with `contentType` (the response header).
 * Rejects documents whose body `mediaType` contradicts the response, that
 * are both an index and a manifest, or whose schemaVersion is not 2. The
 * digest of the bytes must be checked by the caller (over the raw bytes).
 */
export function parseManifest(bytes: Uint8Array, contentType: string | undefined, what: string): ManifestDocument {
  const doc = decodeJson(bytes, what);
  if (doc.schemaVersion !== 2) {
    const schema1 = doc.schemaVersion === 1 ? ' (Docker schema 1 is obsolete and not supported)' : '';
    fail(what, `schemaVersion is ${JSON.stringify(doc.schemaVersion)}, expected 2${schema1}`, 'push the image again with a current tool, which writes schema 2 or OCI');
  }
  const header = baseMediaType(contentType);
  const bodyType = doc.mediaType === undefined ? undefined : doc.mediaType;
  if (bodyType !== undefined && typeof bodyType !== 'string') fail(what, '"mediaType" must be a string');
  if (header === DOCKER_SCHEMA1 || header === DOCKER_SCHEMA1_SIGNED) {
    fail(what, 'the registry returned a Docker schema 1 manifest, which is not supported');
  }
  if (!GENERIC_CONTENT_TYPES.has(header) && !isManifestMediaType(header)) {
    fail(what, `the response Content-Type ${JSON.stringify(header)} is not a manifest type`, 'refusing content that is not declared as a manifest (mediaType confusion)');
  }
  if (bodyType !== undefined && !isManifestMediaType(bodyType)) {
    fail(what, `the body's mediaType ${JSON.stringify(bodyType)} is not a manifest type`, 'refusing content that is not declared as a manifest (mediaType confusion)');
  }
  if (bodyType !== undefined && isManifestMediaType(header) && bodyType !== header) {
    fail(what, `the body's mediaType ${bodyType} contradicts the response Content-Type ${header}`, 'refusing an ambiguous document (mediaType confusion)');
  }
  const structure = structuralKind(doc, what);
  const mediaType = bodyType ?? (isManifestMediaType(header) ? header : structure === 'index' ? OCI_INDEX : OCI_MANIFEST);
  if (kindOf(mediaType) !== structure) {
    fail(what, `declared as ${mediaType} but its content is ${structure === 'index' ? 'an index' : 'an image manifest'}`, 'refusing an ambiguous document (mediaType confusion)');
  }
  const annotations = stringMap(doc.annotations, what, 'annotations');
  return structure === 'index' ? parseIndexBody(doc, mediaType, annotations, what) : parseManifestBody(doc, mediaType, annotations, what);
}

function parseIndexBody(doc: Json, mediaType: string, annotations: Record<string, string> | undefined, what: string): ImageIndex {
  if (!Array.isArray(doc.manifests)) fail(what, '"manifests" must be an array');
  const manifests = doc.manifests.map((entry, i): IndexEntry => {
    const descriptor = parseDescriptor(entry, `${what} entry #${i + 1}`);
    // Docker's manifest list requires a platform on every entry.
    if (mediaType === DOCKER_MANIFEST_LIST && descriptor.platform === undefined) fail(what, `entry #${i + 1} has no "platform", which a Docker manifest list requires`);
    return { ...descriptor, skip: !isManifestMediaType(descriptor.mediaType) };
  });
  const index: ImageIndex = { kind: 'index', mediaType, manifests };
  if (annotations !== undefined) index.annotations = annotations;
  return index;
}

function parseManifestBody(doc: Json, mediaType: string, annotations: Record<string, string> | undefined, what: string): ImageManifest {
  if (!Array.isArray(doc.layers)) fail(what, '"layers" must be an array');
  const config = parseDescriptor(doc.config, `config of ${what}`);
  const layers = doc.layers.map((layer, i) => parseDescriptor(layer, `layer #${i + 1} of ${what}`));
  const manifest: ImageManifest = { kind: 'manifest', mediaType, config, layers };
  if (annotations !== undefined) manifest.annotations = annotations;
  const artifactType = optionalString(doc, 'artifactType', what);
  if (artifactType !== undefined) manifest.artifactType = artifactType;
  if (doc.subject !== undefined && doc.subject !== null) manifest.subject = parseDescriptor(doc.subject, `subject of ${what}`);
  return manifest;
}

/** Throws unless the manifest describes a container image (its config is an image config), not an artifact. */
export function requireImageManifest(manifest: ImageManifest, what: string): void {
  if (!IMAGE_CONFIG_TYPES.includes(manifest.config.mediaType)) {
    fail(what, `it is an artifact (config media type ${manifest.config.mediaType}), not a container image`, 'only container images can be pulled and run');
  }
  if (!IMAGE_MANIFEST_TYPES.includes(manifest.mediaType)) fail(what, `unexpected manifest type ${manifest.mediaType}`);
}

function parseContainerConfig(value: unknown, what: string): ContainerConfig {
  if (value === undefined || value === null) return { env: [], labels: {}, exposedPorts: [], volumes: [] };
  if (!isObject(value)) fail(what, '"config" must be an object');
  const result: ContainerConfig = {
    env: stringArray(value.Env, what, 'config.Env') ?? [],
    labels: stringMap(value.Labels, what, 'config.Labels') ?? {},
    exposedPorts: objectKeys(value.ExposedPorts, what, 'config.ExposedPorts'),
    volumes: objectKeys(value.Volumes, what, 'config.Volumes'),
  };
  const entrypoint = stringArray(value.Entrypoint, what, 'config.Entrypoint');
  if (entrypoint !== undefined) result.entrypoint = entrypoint;
  const cmd = stringArray(value.Cmd, what, 'config.Cmd');
  if (cmd !== undefined) result.cmd = cmd;
  const scalars = [
    ['User', 'user'],
    ['WorkingDir', 'workingDir'],
    ['StopSignal', 'stopSignal'],
  ] as const;
  for (const [key, field] of scalars) {
    const v = optionalString(value, key, `${what} config`);
    if (v !== undefined && v !== '') result[field] = v;
  }
  return result;
}

function parseHistory(value: unknown, what: string): HistoryEntry[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(what, '"history" must be an array');
  return value.map((item, i) => {
    const where = `${what} history #${i + 1}`;
    if (!isObject(item)) fail(where, 'not an object');
    if (item.empty_layer !== undefined && item.empty_layer !== null && typeof item.empty_layer !== 'boolean') fail(where, '"empty_layer" must be a boolean');
    const entry: HistoryEntry = { emptyLayer: item.empty_layer === true };
    const created = optionalString(item, 'created', where);
    if (created !== undefined) entry.created = created;
    const author = optionalString(item, 'author', where);
    if (author !== undefined) entry.author = author;
    const createdBy = optionalString(item, 'created_by', where);
    if (createdBy !== undefined) entry.createdBy = createdBy;
    const comment = optionalString(item, 'comment', where);
    if (comment !== undefined) entry.comment = comment;
    return entry;
  });
}

/**
 * Parses an image config for `manifest`. rootfs.type must be "layers" and
 * there must be exactly one diff_id per manifest layer: layers whose history
 * entry says `empty_layer` are in neither list (config.md), so the two
 * counts always agree for a well-formed image. History itself is
 * informational (OPTIONAL in config.md) and is not used to reject an image.
 */
export function parseImageConfig(bytes: Uint8Array, manifest: ImageManifest, what: string): ImageConfig {
  const doc = decodeJson(bytes, what);
  const rootfs = doc.rootfs;
  if (!isObject(rootfs)) fail(what, '"rootfs" is missing');
  if (rootfs.type !== 'layers') fail(what, `rootfs.type is ${JSON.stringify(rootfs.type)}, it must be "layers"`);
  if (!Array.isArray(rootfs.diff_ids)) fail(what, '"rootfs.diff_ids" must be an array');
  const diffIds = rootfs.diff_ids.map((d, i) => {
    const parsed = parseDigest(d, `diff_id #${i + 1} of ${what}`);
    return `${parsed.algorithm}:${parsed.hex}`;
  });
  if (diffIds.length !== manifest.layers.length) {
    fail(what, `it lists ${diffIds.length} diff_ids but the manifest has ${manifest.layers.length} layers`);
  }
  const os = doc.os;
  const architecture = doc.architecture;
  if (typeof os !== 'string' || os === '') fail(what, '"os" must be a non-empty string');
  if (typeof architecture !== 'string' || architecture === '') fail(what, '"architecture" must be a non-empty string');
  const config: ImageConfig = {
    os,
    architecture,
    config: parseContainerConfig(doc.config, what),
    diffIds,
    history: parseHistory(doc.history, what),
  };
  const variant = optionalString(doc, 'variant', what);
  if (variant !== undefined && variant !== '') config.variant = variant;
  const created = optionalString(doc, 'created', what);
  if (created !== undefined) config.created = created;
  const author = optionalString(doc, 'author', what);
  if (author !== undefined) config.author = author;
  return config;
}
