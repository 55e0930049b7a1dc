// Pushes built images to the registry fixture with the distribution API itself
// (distribution-spec "Pushing blobs" monolithic POST+PUT, "Pushing manifests"),
// deliberately independent of hutch's registry client.
import { blobsOf, type BuiltImage, type BuiltIndex } from './image-builder.js';
import type { TestRegistry } from './registry.js';

/** A manifest as the registry served it. */
export interface FetchedManifest {
  status: number;
  /** The response Content-Type. */
  mediaType: string | null;
  /** The Docker-Content-Digest header. */
  digest: string | null;
  bytes: Buffer;
}

/** Every manifest media type, as a client that accepts all of them sends in Accept. */
export const ACCEPT_ALL_MANIFESTS = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

/** Pushes an image or index (all blobs, child manifests by digest, then the top manifest as `ref`). */
export async function pushImage(registry: TestRegistry, name: string, ref: string, target: BuiltImage | BuiltIndex): Promise<void> {
  for (const [digest, bytes] of blobsOf(target)) await pushBlob(registry, name, digest, bytes);
  if (target.kind === 'index') await pushChildren(registry, name, target);
  await pushRaw(registry, name, ref, target.manifest, target.manifestMediaType);
}

async function pushChildren(registry: TestRegistry, name: string, index: BuiltIndex): Promise<void> {
  for (const child of index.children) {
    if (child.kind === 'index') await pushChildren(registry, name, child);
    await pushRaw(registry, name, child.manifestDigest, child.manifest, child.manifestMediaType);
  }
}

/** Uploads one blob with a monolithic POST + PUT ?digest=; the digest is not checked here (the registry does). */
export async function pushBlob(registry: TestRegistry, name: string, digest: string, bytes: Uint8Array): Promise<void> {
  const start = await request(registry, 'POST', `/v2/${name}/blobs/uploads/`, { body: new Uint8Array(), contentType: 'application/octet-stream' });
  expectStatus(start, 202, `start blob upload for ${name}`);
  const location = start.headers.get('location');
  if (location === null) throw new Error(`registry gave no Location for the upload of ${digest}`);
  const url = new URL(location, registry.url);
  url.searchParams.set('digest', digest);
  const done = await request(registry, 'PUT', url.pathname + url.search, { body: bytes, contentType: 'application/octet-stream' });
  expectStatus(done, 201, `upload blob ${digest} to ${name}`);
}

/** PUTs arbitrary bytes as a manifest with the given Content-Type; returns the registry's answer without judging it. */
export async function pushRaw(registry: TestRegistry, name: string, ref: string, bytes: Uint8Array, mediaType: string): Promise<{ status: number; body: string; digest: string | null }> {
  const response = await request(registry, 'PUT', `/v2/${name}/manifests/${ref}`, { body: bytes, contentType: mediaType });
  return { status: response.status, body: response.text, digest: response.headers.get('docker-content-digest') };
}

/** GETs a manifest back; `accept` defaults to all four manifest types. */
export async function fetchManifest(registry: TestRegistry, name: string, ref: string, options: { accept?: string; auth?: boolean } = {}): Promise<FetchedManifest> {
  const headers: Record<string, string> = { accept: options.accept ?? ACCEPT_ALL_MANIFESTS };
  if (options.auth !== false && registry.authorization !== undefined) headers.authorization = registry.authorization;
  const response = await fetch(`${registry.url}/v2/${name}/manifests/${ref}`, { headers });
  return {
    status: response.status,
    mediaType: response.headers.get('content-type'),
    digest: response.headers.get('docker-content-digest'),
    bytes: Buffer.from(await response.arrayBuffer()),
  };
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

async function request(registry: TestRegistry, method: string, path: string, options: { body: Uint8Array; contentType: string }): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': options.contentType };
  if (registry.authorization !== undefined) headers.authorization = registry.authorization;
  const response = await fetch(new URL(path, registry.url), { method, headers, body: options.body });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

function expectStatus(answer: Answer, status: number, what: string): void {
  if (answer.status !== status) throw new Error(`${what}: HTTP ${answer.status} (expected ${status}): ${answer.text.slice(0, 500)}`);
}
