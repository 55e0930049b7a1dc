// The client side of the OCI distribution-spec for one registry endpoint:
// manifests (HEAD and GET, verified over their raw bytes) and blobs (verified,
// resumable streams), with authentication, retries and redirect rules applied
// to every request. It takes plain inputs (host, repository, credentials) so
// reference parsing and registries.conf stay outside it.
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { HutchError, InterruptedError, InvalidContentError, RegistryError, UsageError } from '../../errors.js';
import { log } from '../../log.js';
import { assertDigest, digestOf, parseDigest } from '../digest.js';
import { baseMediaType, MANIFEST_ACCEPT } from '../media-types.js';
import { verifiedBlobStream, type ResumePoint } from './blob-stream.js';
import { createAgents, send, type Agents, type TransportOptions } from './http-transport.js';
import { BodyTooLargeError, describeErrorBody, readCapped, readErrorBody } from './response-body.js';
import { backoffDelay, DEFAULT_RETRY_POLICY, isRetriableNetworkError, isRetriableStatus, parseRetryAfter, sleep, type RetryPolicy } from './retry-policy.js';
import { apiHostFor, selectScheme, type RegistryScheme } from './scheme.js';
import { Authenticator, pullScope, type CredentialSource, type TokenRequest } from './token-auth.js';
import { parseWwwAuthenticate } from './www-authenticate.js';

/** containers/image caps manifests and configs at 4 MiB: anything larger is hostile or broken. */
export const MANIFEST_SIZE_CAP = 4 * 1024 * 1024;
/** Cap of a token endpoint's response. */
const TOKEN_BODY_CAP = 1024 * 1024;

/** Construction options of a RegistryClient. */
export interface RegistryClientOptions {
  /** The registry as references name it (`docker.io`, `quay.io`, `localhost:5000`); used in messages and for scheme rules. */
  registry: string;
  /** The host serving the API when it differs from `registry` (a mirror's location); defaults to apiHostFor(registry). */
  host?: string;
  /** registries.conf `insecure = true`: plain HTTP. */
  insecure?: boolean;
  /** `--tls-verify=false`: plain HTTP. */
  tlsVerify?: boolean;
  credentials?: CredentialSource;
  retry?: Partial<RetryPolicy>;
  /** Parallel connections per host. */
  maxSockets?: number;
  /** A request fails (and is retried or resumed) after this long without data. */
  idleTimeoutMs?: number;
  maxRedirects?: number;
}

/** What HEAD says about a manifest. */
export interface ManifestHead {
  /** From Docker-Content-Digest (validated); undefined when the registry does not send it. */
  digest: string | undefined;
  mediaType: string | undefined;
  size: number | undefined;
}

/** A manifest as fetched: raw bytes (never re-serialised) and their verified digest. */
export interface FetchedManifest {
  bytes: Buffer;
  /** The Content-Type the registry gave, without parameters. */
  mediaType: string;
  /** The requested digest, or the sha256 of the bytes when fetched by tag. */
  digest: string;
}

/** The part of a descriptor a blob download needs. */
export interface BlobDescriptor {
  digest: string;
  size: number;
}

/** Options of a blob download. */
export interface BlobOptions {
  signal?: AbortSignal;
  /** Called with the bytes received so far and the total. */
  onProgress?: (received: number, total: number) => void;
  /** Continue after bytes the caller already holds, with the hash state of those bytes. */
  resumeFrom?: ResumePoint;
}

/** Per-call options. */
export interface CallOptions {
  signal?: AbortSignal;
}

interface RegistryRequest {
  method: 'GET' | 'HEAD';
  path: string;
  repository: string;
  what: string;
  headers?: Record<string, string>;
  signal: AbortSignal | undefined;
}

const NAME_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REPOSITORY_RE = new RegExp(`^${NAME_COMPONENT}(?:/${NAME_COMPONENT})*$`);
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** Throws UsageError unless `repository` matches the distribution-spec name grammar (it goes into URL paths). */
export function assertRepository(repository: string): void {
  if (repository.length >= 256 || !REPOSITORY_RE.test(repository)) {
    throw new UsageError(`invalid repository name ${JSON.stringify(repository.slice(0, 300))}`, {
      hint: 'repository names are lower-case components [a-z0-9] separated by ".", "_", "__", "-" and "/"',
    });
  }
}

function mediaTypeOf(res: IncomingMessage): string | undefined {
  return baseMediaType(header(res, 'content-type')) || undefined;
}

function header(res: IncomingMessage, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A distribution-spec client for one registry endpoint. */
export class RegistryClient {
  /** The registry name used in messages. */
  readonly registry: string;
  /** The scheme chosen once for this endpoint (no fallback). */
  readonly scheme: RegistryScheme;
  /** `<scheme>://<host>`, the API base URL. */
  readonly baseUrl: string;
  private readonly agents: Agents;
  private readonly transport: TransportOptions;
  private readonly policy: RetryPolicy;
  private readonly auth: Authenticator;
  private readonly insecure: boolean;

  constructor(options: RegistryClientOptions) {
    this.registry = options.registry;
    const host = options.host ?? apiHostFor(options.registry);
    this.scheme = selectScheme(options.host ?? options.registry, options);
    this.insecure = options.insecure === true || options.tlsVerify === false;
    this.baseUrl = `${this.scheme}://${host}`;
    this.agents = createAgents(options.maxSockets);
    this.transport = { agents: this.agents, idleTimeoutMs: options.idleTimeoutMs ?? 60_000, maxRedirects: options.maxRedirects ?? 10 };
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.auth = new Authenticator({
      registry: options.registry,
      registryScheme: this.scheme,
      credentials: options.credentials,
      fetchToken: (request) => this.fetchToken(request),
    });
  }

  /** HEADs a manifest: its digest, media type and size, or null when the registry does not know it (404). */
  async headManifest(repository: string, reference: string, options: CallOptions = {}): Promise<ManifestHead | null> {
    const what = this.manifestName(repository, reference);
    return this.guard(what, options.signal, async () => {
      const res = await this.request({ method: 'HEAD', path: this.manifestPath(repository, reference), repository, what, headers: { accept: MANIFEST_ACCEPT }, signal: options.signal });
      res.resume();
      if (res.statusCode === 404) return null;
      if (res.statusCode !== 200) throw await this.statusError(res, what);
      const digest = header(res, 'docker-content-digest');
      if (digest !== undefined) {
        assertDigest(digest, `Docker-Content-Digest of ${what}`);
        if (reference.includes(':') && parseDigest(reference).algorithm === parseDigest(digest).algorithm && digest !== reference) {
          throw new InvalidContentError(`${what}: the registry reports digest ${digest} for it`);
        }
      }
      const size = Number(res.headers['content-length']);
      return { digest, mediaType: mediaTypeOf(res), size: Number.isSafeInteger(size) ? size : undefined };
    });
  }

  /** GETs a manifest (at most 4 MiB), verified against the requested digest and against Docker-Content-Digest. */
  async getManifest(repository: string, reference: string, options: CallOptions = {}): Promise<FetchedManifest> {
    const what = this.manifestName(repository, reference);
    const byDigest = reference.includes(':');
    return this.guard(what, options.signal, async () => {
      const path = this.manifestPath(repository, reference);
      for (let attempt = 0; ; attempt++) {
        const res = await this.request({ method: 'GET', path, repository, what, headers: { accept: MANIFEST_ACCEPT }, signal: options.signal });
        if (res.statusCode !== 200) throw await this.statusError(res, what);
        let bytes: Buffer;
        try {
          bytes = await readCapped(res, MANIFEST_SIZE_CAP);
        } catch (err) {
          if (err instanceof BodyTooLargeError) {
            throw new InvalidContentError(`${what}: manifest larger than ${MANIFEST_SIZE_CAP} bytes`, { hint: 'the registry serves an oversized or hostile manifest' });
          }
          if (isRetriableNetworkError(err) && attempt + 1 < this.policy.tries && !options.signal?.aborted) {
            await this.backoff(attempt, what, err, options.signal);
            continue;
          }
          throw err;
        }
        const mediaType = mediaTypeOf(res);
        if (!mediaType) throw new InvalidContentError(`${what}: the registry sent no Content-Type for the manifest`);
        if (byDigest) {
          const actual = digestOf(bytes, parseDigest(reference).algorithm);
          if (actual !== reference) throw new InvalidContentError(`${what}: digest mismatch: expected ${reference}, got ${actual}`, { hint: 'the registry serves corrupt or tampered content' });
        }
        const reported = header(res, 'docker-content-digest');
        if (reported !== undefined) {
          assertDigest(reported, `Docker-Content-Digest of ${what}`);
          const actual = digestOf(bytes, parseDigest(reported).algorithm);
          if (actual !== reported) {
            throw new InvalidContentError(`${what}: digest mismatch: Docker-Content-Digest says ${reported}, the bytes hash to ${actual}`, { hint: 'the registry serves corrupt or tampered content' });
          }
        }
        return { bytes, mediaType, digest: byDigest ? reference : digestOf(bytes) };
      }
    });
  }

  /** Streams a blob, verifying size and digest as it goes and resuming interrupted transfers; transfer errors arrive on the stream, bad arguments throw. */
  getBlob(repository: string, descriptor: BlobDescriptor, options: BlobOptions = {}): Readable {
    assertRepository(repository);
    assertDigest(descriptor.digest, `blob digest for ${this.registry}/${repository}`);
    if (!Number.isSafeInteger(descriptor.size) || descriptor.size < 0) {
      throw new InvalidContentError(`blob ${descriptor.digest}: invalid size ${descriptor.size}`);
    }
    const what = `blob ${descriptor.digest} of ${this.registry}/${repository}`;
    const path = `/v2/${repository}/blobs/${descriptor.digest}`;
    const signal = options.signal;
    return verifiedBlobStream({
      digest: descriptor.digest,
      size: descriptor.size,
      what,
      signal,
      maxFailures: this.policy.tries,
      resumeFrom: options.resumeFrom,
      onProgress: options.onProgress,
      pause: (failures) => this.backoff(failures - 1, what, undefined, signal),
      open: (offset) =>
        this.guard(what, signal, async () => {
          const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
          const res = await this.request({ method: 'GET', path, repository, what, headers, signal });
          if (res.statusCode === 200 || (res.statusCode === 206 && offset > 0)) return res;
          throw await this.statusError(res, what);
        }),
    });
  }

  /** Reads a small blob (an image config) into memory: verified, and refused beyond `cap` bytes. */
  async getBlobBytes(repository: string, descriptor: BlobDescriptor, cap: number = MANIFEST_SIZE_CAP, options: CallOptions = {}): Promise<Buffer> {
    if (descriptor.size > cap) {
      throw new InvalidContentError(`blob ${descriptor.digest} of ${this.registry}/${repository}: ${descriptor.size} bytes exceeds the ${cap}-byte limit`);
    }
    const chunks: Buffer[] = [];
    for await (const chunk of this.getBlob(repository, descriptor, { signal: options.signal })) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /** Closes idle keep-alive connections; in-flight requests are ended by their AbortSignal. */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private manifestName(repository: string, reference: string): string {
    return `manifest ${this.registry}/${repository}${reference.includes(':') ? '@' : ':'}${reference}`;
  }

  private manifestPath(repository: string, reference: string): string {
    assertRepository(repository);
    if (reference.includes(':')) assertDigest(reference, `manifest digest for ${this.registry}/${repository}`);
    else if (!TAG_RE.test(reference)) throw new UsageError(`invalid tag ${JSON.stringify(reference.slice(0, 200))} for ${this.registry}/${repository}`);
    return `/v2/${repository}/manifests/${reference}`;
  }

  /** Runs `body`, turning an abort into InterruptedError and a bare transport error into a RegistryError naming `what`. */
  private async guard<T>(what: string, signal: AbortSignal | undefined, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (err) {
      if (signal?.aborted) throw err instanceof InterruptedError ? err : new InterruptedError(`${what}: interrupted`, { cause: err });
      if (err instanceof HutchError) throw err;
      const e = err as NodeJS.ErrnoException;
      throw new RegistryError(`${what}: cannot reach ${this.baseUrl}: ${e.code ? `${e.code} ` : ''}${e.message}`, {
        cause: err,
        hint: this.scheme === 'https' ? 'check the network and that the registry serves HTTPS (mark it insecure only if it does not)' : 'check the network and that the registry is running',
      });
    }
  }

  /** One authenticated request: retries transport failures, 5xx and 429, and answers one 401 challenge. */
  private async request(req: RegistryRequest): Promise<IncomingMessage> {
    const scope = pullScope(req.repository);
    let authorization = await this.auth.authorizationFor(scope, req.signal);
    for (let challenged = false; ; challenged = true) {
      const res = await this.withRetries(req, authorization);
      if (res.statusCode !== 401) return res;
      if (challenged) throw await this.statusError(res, req.what);
      res.resume();
      authorization = await this.auth.onUnauthorized(parseWwwAuthenticate(res.headers['www-authenticate']), scope, authorization, req.signal);
    }
  }

  private async withRetries(req: RegistryRequest, authorization: string | undefined): Promise<IncomingMessage> {
    const url = new URL(req.path, this.baseUrl);
    for (let attempt = 0; ; attempt++) {
      const last = attempt + 1 >= this.policy.tries;
      let res: IncomingMessage;
      try {
        ({ res } = await send({ method: req.method, url, headers: req.headers, authorization, signal: req.signal, allowDowngrade: this.insecure }, this.transport));
      } catch (err) {
        if (last || !isRetriableNetworkError(err) || req.signal?.aborted) throw err;
        await this.backoff(attempt, req.what, err, req.signal);
        continue;
      }
      const status = res.statusCode ?? 0;
      if (last || !isRetriableStatus(status)) return res;
      res.resume();
      const retryAfter = parseRetryAfter(header(res, 'retry-after'), this.policy.maxRetryAfterMs);
      log.debug(`${req.what}: ${status} from ${url.host}, retry ${attempt + 1} of ${this.policy.tries - 1}`);
      await sleep(retryAfter ?? backoffDelay(attempt, this.policy), req.signal);
    }
  }

  private async backoff(attempt: number, what: string, err: unknown, signal: AbortSignal | undefined): Promise<void> {
    if (err) log.debug(`${what}: ${(err as Error).message}; retrying`);
    await sleep(backoffDelay(attempt, this.policy), signal);
  }

  private async statusError(res: IncomingMessage, what: string): Promise<RegistryError> {
    const status = res.statusCode ?? 0;
    const body = describeErrorBody(await readErrorBody(res));
    const hints: Record<number, string> = {
      401: `log in to ${this.registry} or pass --creds; the repository may also not exist`,
      403: `your account has no pull access to this repository on ${this.registry}`,
      404: 'check the image name, tag and digest',
      429: `${this.registry} rate-limits pulls: wait, or log in to raise the limit`,
    };
    return new RegistryError(`${what}: ${status} ${res.statusMessage ?? ''}${body ? `: ${body}` : ''}`.replace(/ +:/, ':'), {
      status,
      ...(hints[status] ? { hint: hints[status] } : {}),
    });
  }

  private async fetchToken(request: TokenRequest): Promise<{ status: number; body: string }> {
    const what = `token from ${request.url.origin}`;
    const body = request.form ? new URLSearchParams(request.form).toString() : undefined;
    const headers: Record<string, string> = body ? { 'content-type': 'application/x-www-form-urlencoded' } : {};
    for (let attempt = 0; ; attempt++) {
      const last = attempt + 1 >= this.policy.tries;
      try {
        const { res } = await send({ method: request.method, url: request.url, headers, authorization: request.authorization, body, signal: request.signal, allowDowngrade: this.insecure }, this.transport);
        const status = res.statusCode ?? 0;
        if (!last && isRetriableStatus(status)) {
          res.resume();
          await sleep(parseRetryAfter(header(res, 'retry-after'), this.policy.maxRetryAfterMs) ?? backoffDelay(attempt, this.policy), request.signal);
          continue;
        }
        if (status !== 200) return { status, body: await readErrorBody(res) };
        return { status, body: (await readCapped(res, TOKEN_BODY_CAP)).toString('utf8') };
      } catch (err) {
        if (err instanceof BodyTooLargeError) throw new RegistryError(`${what}: response larger than ${TOKEN_BODY_CAP} bytes`);
        if (last || !isRetriableNetworkError(err) || request.signal?.aborted) throw err;
        await this.backoff(attempt, what, err, request.signal);
      }
    }
  }
}
