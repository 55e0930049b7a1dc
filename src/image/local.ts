// Reading and changing the images in local storage: the rows `hutch images`
// prints, the document `image inspect` prints, tagging and removal with
// podman's semantics.
import { HutchError, NotFoundError } from '../errors.js';
import type { ImageRecord, Store } from '../storage/store.js';
import { parseImageConfig, parseManifest, type ImageConfig, type ImageManifest } from './manifest.js';
import { requireImage } from './lookup.js';
import { parseReference, splitReference } from './reference.js';

/** A stored image with its parsed manifest and config. */
export interface LoadedImage {
  record: ImageRecord;
  manifest: ImageManifest;
  config: ImageConfig;
}

/** Reads a stored image's manifest and config (verified when they were stored; see Store.readStoredBlob). */
export function loadImage(store: Store, record: ImageRecord): LoadedImage {
  const what = `image ${record.id}`;
  const manifestBytes = store.readStoredBlob(record.manifestDigest);
  const configBytes = store.readStoredBlob(record.configDigest);
  if (!manifestBytes || !configBytes) {
    throw new HutchError('ESTORECORRUPT', `${what}: its manifest or config blob is missing from the store`, { hint: `remove it with \`hutch rmi -f ${record.id.slice(7, 19)}\` and pull it again` });
  }
  const manifest = parseManifest(manifestBytes, undefined, `${what} manifest`);
  if (manifest.kind !== 'manifest') throw new HutchError('ESTORECORRUPT', `${what}: stored manifest ${record.manifestDigest} is an index`);
  return { record, manifest, config: parseImageConfig(configBytes, manifest, `${what} config`) };
}

/** One row of `hutch images`: one per name, or one `<none>` row for an unnamed image. */
export interface ImageRow {
  ID: string;
  Id: string;
  Repository: string;
  Tag: string;
  Digest: string;
  Created: string;
  CreatedAt: string;
  Size: number;
  Names: string[];
  Dangling: boolean;
}

/** Splits a stored full name into repository and tag for listing. */
function splitName(name: string): { repository: string; tag: string } {
  const ref = parseReference(name);
  return { repository: ref.name, tag: ref.tag ?? '<none>' };
}

/** The rows `hutch images` lists, newest first. */
export function imageRows(store: Store): ImageRow[] {
  const rows: ImageRow[] = [];
  const images = store.listImages().sort((a, b) => b.created.localeCompare(a.created));
  for (const image of images) {
    const base = {
      ID: image.id.slice('sha256:'.length, 'sha256:'.length + 12),
      Id: image.id,
      Digest: image.manifestDigest,
      Created: image.created,
      CreatedAt: image.created,
      Size: image.size,
      Names: image.names,
      Dangling: image.names.length === 0,
    };
    if (image.names.length === 0) rows.push({ ...base, Repository: '<none>', Tag: '<none>' });
    for (const name of image.names) {
      const { repository, tag } = splitName(name);
      rows.push({ ...base, Repository: repository, Tag: tag });
    }
  }
  return rows;
}

/** The `image inspect` document, in podman's field names. */
export function inspectDocument(store: Store, loaded: LoadedImage): Record<string, unknown> {
  const { record, manifest, config } = loaded;
  const c = config.config;
  const repoDigests = [...new Set(record.names.map((n) => `${parseReference(n).name}@${record.manifestDigest}`))];
  return {
    Id: record.id.slice('sha256:'.length),
    Digest: record.manifestDigest,
    RepoTags: record.names,
    RepoDigests: repoDigests,
    Created: config.created ?? record.created,
    Config: {
      User: c.user ?? '',
      Env: c.env,
      Entrypoint: c.entrypoint ?? null,
      Cmd: c.cmd ?? null,
      WorkingDir: c.workingDir ?? '',
      Labels: c.labels,
      StopSignal: c.stopSignal ?? '',
      ExposedPorts: Object.fromEntries(c.exposedPorts.map((p) => [p, {}])),
      Volumes: Object.fromEntries(c.volumes.map((v) => [v, {}])),
    },
    Author: config.author ?? '',
    Architecture: config.architecture,
    Variant: config.variant ?? '',
    Os: config.os,
    Size: record.size,
    VirtualSize: record.size,
    GraphDriver: {
      Name: 'overlay',
      Data: {
        LowerDir: record.layers.slice(0, -1).reverse().map((id) => store.layerDiffPath(id)).join(':'),
        UpperDir: record.layers.length > 0 ? store.layerDiffPath(record.layers[record.layers.length - 1]!) : '',
      },
    },
    RootFS: { Type: 'layers', Layers: config.diffIds },
    Labels: c.labels,
    Annotations: manifest.annotations ?? {},
    ManifestType: manifest.mediaType,
    User: c.user ?? '',
    History: config.history.map((h) => ({
      ...(h.created ? { created: h.created } : {}),
      ...(h.createdBy ? { created_by: h.createdBy } : {}),
      ...(h.comment ? { comment: h.comment } : {}),
      ...(h.emptyLayer ? { empty_layer: true } : {}),
    })),
    NamesHistory: record.names,
  };
}

/** Normalises a user-given name for a local image: without a registry it goes under `localhost/`, as podman does. */
export function normaliseTagName(input: string): string {
  const ref = parseReference(splitReference(input).registry === undefined ? `localhost/${input}` : input);
  if (ref.digest !== undefined) throw new HutchError('EUSAGE', `cannot tag with a digest: ${input}`);
  return ref.toString();
}

/** Adds names to an image. */
export async function tagImage(store: Store, source: string, targets: string[]): Promise<void> {
  const { image } = requireImage(store, source);
  for (const target of targets) await store.tagImage(image.id, normaliseTagName(target));
}

/** What removing one image did, in podman's output words. */
export interface RemovalOutcome {
  untagged: string[];
  deleted: string[];
}

/**
 * Removes an image the way podman's rmi does: a name given for an image with
 * several names only untags it; an ID of an image with several names, or an
 * image in use by a container, needs --force.
 */
export async function removeImage(store: Store, input: string, options: { force: boolean; usedBy: (imageId: string) => string[] }): Promise<RemovalOutcome> {
  const { image, name } = requireImage(store, input);
  const users = options.usedBy(image.id);
  if (users.length > 0 && !options.force) {
    throw new HutchError('EIMAGEINUSE', `image ${image.id.slice(7, 19)} is in use by container${users.length > 1 ? 's' : ''} ${users.join(', ')}`, {
      hint: 'remove the containers first (`hutch rm`), or use `hutch rmi -f` to remove them too',
    });
  }
  if (name && image.names.length > 1) {
    await store.untagImage(name);
    return { untagged: [name], deleted: [] };
  }
  if (!name && image.names.length > 1 && !options.force) {
    throw new HutchError('EIMAGEMULTINAME', `image ${image.id.slice(7, 19)} has several names (${image.names.join(', ')})`, {
      hint: 'remove it by name, or use --force to remove it with all its names',
    });
  }
  await store.removeImage(image.id);
  return { untagged: image.names, deleted: [image.id.slice('sha256:'.length)] };
}

/** Removes images without names (or every image, with `all`) that no container uses. */
export async function pruneImages(store: Store, options: { all: boolean; usedBy: (imageId: string) => string[] }): Promise<string[]> {
  const removed: string[] = [];
  for (const image of store.listImages()) {
    if (!options.all && image.names.length > 0) continue;
    if (options.usedBy(image.id).length > 0) continue;
    try {
      await store.removeImage(image.id);
      removed.push(image.id.slice('sha256:'.length));
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
  await store.prune();
  return removed;
}
