// Pulling an image into the store: resolve the name, fetch and verify the
// manifest (HEAD first, so a stored image costs no GET), pick the platform,
// fetch the config, then download and apply each layer, and record the image
// only when every part is stored. Nothing becomes visible before it is
// complete (see docs/storage.md for the store's invariants).
import { HutchError, InterruptedError, InvalidContentError, NotFoundError, RegistryError } from '../errors.js';
import { log } from '../log.js';
import type { Store, ImageRecord } from '../storage/store.js';
import { chainIds, isValidDigest } from './digest.js';
import { findCredentials, type Credentials } from './credentials.js';
import {
  MAX_MANIFEST_BYTES,
  parseImageConfig,
  parseManifest,
  requireImageManifest,
  type ImageConfig,
  type ImageManifest,
  type ManifestDocument,
} from './manifest.js';
import { formatPlatform, hostPlatform, resolvePlatformManifest, wantedPlatforms, type PlatformChoice } from './platform.js';
import type { PullReporter } from './pull-events.js';
import { isShortName, parseReference, type ImageReference } from './reference.js';
import { loadRegistriesConf, registryFor, resolveShortName, type RegistriesConf } from './registries-conf.js';
import { LAYOUT_INDEX, ociLayoutSource, parseOciLayoutInput } from './sources/oci-layout-source.js';
import { registrySource } from './sources/registry-source.js';
import type { ImageSource } from './sources/image-source.js';
import { limitConcurrency, DEFAULT_DOWNLOAD_CONCURRENCY } from './registry/concurrency.js';

/** What the user asked to pull, and how. */
export interface PullRequest {
  /** `debian`, `quay.io/x/y:1`, `localhost:5000/app@sha256:…`, or `oci:DIR[:REF]`. */
  input: string;
  platform?: PlatformChoice;
  /** `--tls-verify=false` allows plain HTTP for this pull. */
  tlsVerify?: boolean;
  /** `--creds user:pass`; otherwise auth.json / docker config are consulted. */
  credentials?: Credentials;
  reporter: PullReporter;
  signal?: AbortSignal;
  /** registries.conf, loaded from the usual places when omitted. */
  registriesConf?: RegistriesConf;
}

/** The stored image and the name it was pulled as. */
export interface PullResult {
  image: ImageRecord;
  name: string;
}

/** Pulls `request.input` into `store` and returns the stored image. */
export async function pullImage(store: Store, request: PullRequest): Promise<PullResult> {
  if (request.input.startsWith('oci:')) {
    const { dir, ref } = parseOciLayoutInput(request.input);
    const source = ociLayoutSource(dir);
    const name = ref ? ociLayoutName(ref) : undefined;
    try {
      const image = await pullFromSource(store, source, ref ?? LAYOUT_INDEX, name ? [name] : [], request);
      return { image, name: name ?? image.id };
    } finally {
      source.close();
    }
  }
  const conf = request.registriesConf ?? loadRegistriesConf();
  const candidates = isShortName(request.input) ? resolveShortName(request.input, conf).candidates : [parseReference(request.input)];
  const failures: string[] = [];
  let lastError: unknown;
  for (const candidate of candidates) {
    try {
      const image = await pullReference(store, candidate, conf, request);
      return { image, name: storedName(candidate) };
    } catch (err) {
      if (!(err instanceof NotFoundError) || candidates.length === 1) throw err;
      failures.push(`${candidate.toString()}: ${err.message}`);
      lastError = err;
    }
  }
  throw new NotFoundError(`image ${JSON.stringify(request.input)} was not found in any registry tried`, {
    cause: lastError,
    hint: `tried:\n  ${failures.join('\n  ')}`,
  });
}

/** A name for an image pulled from a layout by ref: a bare tag becomes `localhost/<tag>`-style only if it is a valid reference. */
function ociLayoutName(ref: string): string | undefined {
  try {
    return parseReference(ref.includes('/') || ref.includes(':') ? ref : `localhost/${ref}`).toString();
  } catch {
    return undefined;
  }
}

/**
 * The name an image pulled by `ref` is stored under, as podman names it: the
 * tag when there is one (a digest given beside it only pins what is pulled),
 * `repository@digest` when the image was asked for by digest alone.
 */
export function storedName(ref: ImageReference): string {
  return ref.tag !== undefined ? `${ref.name}:${ref.tag}` : ref.toString();
}

async function pullReference(store: Store, ref: ImageReference, conf: RegistriesConf, request: PullRequest): Promise<ImageRecord> {
  const target = registryFor(ref, conf);
  if (target.blocked) {
    throw new HutchError('EBLOCKED', `registry ${ref.registry} is blocked by registries.conf (prefix ${JSON.stringify(target.prefix)})`, {
      hint: 'remove `blocked = true` from its [[registry]] entry to pull from it',
    });
  }
  const name = storedName(ref);
  let lastError: unknown;
  for (const endpoint of target.endpoints) {
    const rewritten = endpoint.reference;
    const source = registrySource({
      registry: rewritten.registry,
      repository: rewritten.repository,
      host: endpoint.location.split('/')[0]!,
      insecure: endpoint.insecure,
      ...(request.tlsVerify !== undefined ? { tlsVerify: request.tlsVerify } : {}),
      credentials: () => request.credentials ?? findCredentials(rewritten.name) ?? findCredentials(rewritten.registry),
      description: rewritten.toString(),
    });
    try {
      request.reporter.note(`Trying to pull ${name}${endpoint.mirror ? ` from mirror ${endpoint.location}` : ''}...`);
      return await pullFromSource(store, source, ref.pullReference, [name], request);
    } catch (err) {
      if (!endpoint.mirror) throw err;
      log.warn(`pulling ${name} from mirror ${endpoint.location} failed: ${(err as Error).message}`);
      lastError = err;
    } finally {
      source.close();
    }
  }
  throw lastError ?? new RegistryError(`no endpoint to pull ${name} from`);
}

/** Fetches a manifest, reading it from the store when its digest is already there (no registry GET). */
async function fetchManifest(store: Store, source: ImageSource, reference: string, signal: AbortSignal | undefined): Promise<{ doc: ManifestDocument; bytes: Buffer; digest: string }> {
  // A HEAD that finds nothing still falls through to GET: some registries do not answer HEAD.
  const knownDigest = isValidDigest(reference) ? reference : await source.resolveDigest(reference, signal);
  const stored = knownDigest ? store.getBlob(knownDigest) : null;
  if (stored && knownDigest) {
    log.debug(`${source.description}: manifest ${knownDigest} already stored, not fetching it`);
    return { doc: parseManifest(stored, undefined, `manifest ${knownDigest} of ${source.description}`), bytes: stored, digest: knownDigest };
  }
  const fetched = await source.getManifest(reference, signal);
  const what = `manifest ${fetched.digest} of ${source.description}`;
  if (fetched.bytes.length > MAX_MANIFEST_BYTES) throw new InvalidContentError(`${what} is larger than ${MAX_MANIFEST_BYTES} bytes`);
  return { doc: parseManifest(fetched.bytes, fetched.mediaType, what), bytes: fetched.bytes, digest: fetched.digest };
}

async function pullFromSource(store: Store, source: ImageSource, reference: string, names: string[], request: PullRequest): Promise<ImageRecord> {
  const { signal, reporter } = request;
  const what = source.description;
  const top = await fetchManifest(store, source, reference, signal);
  const blobsToStore: [string, Buffer][] = [[top.digest, top.bytes]];
  let manifest: ImageManifest;
  let manifestDigest = top.digest;
  if (top.doc.kind === 'index') {
    const wanted = wantedPlatforms(request.platform ?? {}, hostPlatform());
    const entry = await resolvePlatformManifest(
      top.doc,
      wanted,
      async (nested) => {
        const fetched = await fetchManifest(store, source, nested.digest, signal);
        blobsToStore.push([fetched.digest, fetched.bytes]);
        return fetched.doc;
      },
      `index ${top.digest} of ${what}`,
    );
    const child = await fetchManifest(store, source, entry.digest, signal);
    if (child.doc.kind !== 'manifest') throw new InvalidContentError(`${what}: index entry ${entry.digest} is not an image manifest`);
    manifest = child.doc;
    manifestDigest = child.digest;
    blobsToStore.push([child.digest, child.bytes]);
  } else {
    manifest = top.doc;
  }
  const manifestWhat = `image ${what} (manifest ${manifestDigest})`;
  requireImageManifest(manifest, manifestWhat);
  const configBytes = store.getBlob(manifest.config.digest) ?? (await source.getBlobBytes(manifest.config, MAX_MANIFEST_BYTES, signal));
  const config = parseImageConfig(configBytes, manifest, manifestWhat);
  blobsToStore.push([manifest.config.digest, configBytes]);
  warnOnPlatformMismatch(config, request.platform, manifestWhat, top.doc.kind === 'index');

  const chain = chainIds(config.diffIds);
  reporter.resolved(what, manifestDigest, manifest.layers.map((l) => ({ digest: l.digest, size: l.size })));
  const hold = store.holdLayers(chain);
  try {
    await applyLayers(store, source, manifest, config, chain, request);
    for (const [digest, bytes] of blobsToStore) if (!store.hasBlob(digest)) store.putBlob(digest, bytes);
    const image: ImageRecord = {
      id: manifest.config.digest,
      manifestDigest,
      configDigest: manifest.config.digest,
      layers: chain,
      names,
      created: config.created ?? new Date().toISOString(),
      platform: { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) },
      size: chain.reduce((sum, id) => sum + (store.getLayer(id)?.uncompressedSize ?? 0), 0),
    };
    await store.putImage(image);
    reporter.done(image.id);
    return store.getImage(image.id) ?? image;
  } finally {
    hold.release();
  }
}

/**
 * Downloads and applies the layers. Layers already stored are skipped without
 * a request. Up to DEFAULT_DOWNLOAD_CONCURRENCY layers are in flight at once,
 * each streaming download → digest → decompress → diff_id → apply into its own
 * staging dir. The only thing a layer needs from the layers below is their
 * finished content (a hardlink into them, an implicit directory's attributes):
 * it blocks on them just for that, and is committed only after them, so layers
 * become visible strictly bottom-up. The first failure cancels every other
 * layer, and nothing half-done becomes visible.
 */
async function applyLayers(store: Store, source: ImageSource, manifest: ImageManifest, config: ImageConfig, chain: string[], request: PullRequest): Promise<void> {
  const { reporter } = request;
  const cancel = new AbortController();
  const onUserAbort = () => cancel.abort(request.signal?.reason);
  if (request.signal?.aborted) onUserAbort();
  request.signal?.addEventListener('abort', onUserAbort, { once: true });
  const signal = cancel.signal;
  const limit = limitConcurrency(DEFAULT_DOWNLOAD_CONCURRENCY);
  let firstError: unknown;
  const stored: Promise<void>[] = [];
  manifest.layers.forEach((layer, i) => {
    const chainId = chain[i]!;
    const update = (state: Parameters<PullReporter['layer']>[0]['state'], bytes: number) => reporter.layer({ digest: layer.digest, state, bytes, total: layer.size });
    if (store.hasLayer(chainId)) {
      update('exists', layer.size);
      stored.push(Promise.resolve());
      return;
    }
    const lowersReady = i === 0 ? undefined : Promise.all(stored.slice(0, i)).then(() => undefined);
    // Not every path awaits it (a layer found stored, a cancelled task); its rejection is reported by the lower layer itself.
    lowersReady?.catch(() => undefined);
    const task = limit(async () => {
      if (signal.aborted) throw new InterruptedError(`pulling layer ${layer.digest} of ${source.description} was cancelled`);
      const outcome = await store.applyLayer({
        chainId,
        diffIdExpected: config.diffIds[i]!,
        digest: layer.digest,
        mediaType: layer.mediaType,
        compressedSize: layer.size,
        lowerChainIds: chain.slice(0, i).reverse(),
        ...(lowersReady ? { lowersReady } : {}),
        signal,
        source: () => {
          update('downloading', 0);
          return source.getBlob(layer, (received) => update(received >= layer.size ? 'extracting' : 'downloading', received), signal);
        },
      });
      for (const warning of outcome.warnings) log.warn(warning);
      update(outcome.status === 'exists' ? 'exists' : 'done', layer.size);
    });
    stored.push(
      task.catch((err: unknown) => {
        // The first failure is the cause; what fails after the cancel is its consequence.
        firstError ??= err;
        cancel.abort(err);
        throw err;
      }),
    );
  });
  try {
    const results = await Promise.allSettled(stored);
    if (results.some((r) => r.status === 'rejected')) {
      throw request.signal?.aborted && !(firstError instanceof InterruptedError) ? new InterruptedError(`pulling ${source.description} interrupted`) : firstError;
    }
  } finally {
    request.signal?.removeEventListener('abort', onUserAbort);
  }
}

function warnOnPlatformMismatch(config: ImageConfig, choice: PlatformChoice | undefined, what: string, fromIndex: boolean): void {
  if (fromIndex) return;
  const wanted = wantedPlatforms(choice ?? {}, hostPlatform());
  const matches = wanted.some((p) => p.os === config.os && p.architecture === config.architecture);
  if (!matches) {
    const message = `${what} is for ${formatPlatform({ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) })}, not ${formatPlatform(wanted[0]!)}`;
    if (choice && (choice.architecture || choice.os)) throw new NotFoundError(message, { hint: 'pull a name that has your platform, or drop --platform/--arch' });
    log.warn(message);
  }
}

