// Registry authentication: the Docker token flow (distribution auth spec
// token.md: 401 + `WWW-Authenticate: Bearer realm,service,scope` → GET the realm
// → `token`/`access_token`, `expires_in` default 60 s, `issued_at`), the OAuth2
// refresh-token grant (oauth.md) for identity tokens, and plain Basic auth for
// htpasswd registries. Tokens are cached per scope until they expire.
import { RegistryError } from '../../errors.js';
import { log } from '../../log.js';
import type { AuthChallenge } from './www-authenticate.js';

/** Credentials for one registry, as read from auth.json / docker config.json or --creds. */
export type Credentials = { username: string; password: string } | { identityToken: string };

/** Static credentials, none, or a lookup called at most once, when a registry first asks for them. */
export type CredentialSource = Credentials | undefined | (() => Credentials | undefined | Promise<Credentials | undefined>);

/** A request to a token realm. */
export interface TokenRequest {
  method: 'GET' | 'POST';
  url: URL;
  authorization?: string;
  form?: Record<string, string>;
  signal?: AbortSignal;
}

/** What the authenticator needs from the HTTP layer to talk to a token realm. */
export type TokenFetcher = (request: TokenRequest) => Promise<{ status: number; body: string }>;

/** Construction parameters of an Authenticator. */
export interface AuthenticatorOptions {
  /** The registry as users name it (for messages). */
  registry: string;
  /** The scheme used to reach the registry: credentials go to a plain-HTTP realm only if the registry itself is plain HTTP. */
  registryScheme: 'http' | 'https';
  credentials: CredentialSource;
  fetchToken: TokenFetcher;
  now?: () => number;
}

/** Tokens expire this long before their stated lifetime, so a request never races the expiry. */
const EXPIRY_MARGIN_MS = 5_000;
/** token.md: "When omitted, this defaults to 60 seconds"; tokens shorter than that are treated as 60 s too. */
const MIN_TOKEN_SECONDS = 60;

interface CachedToken {
  authorization: string;
  expiresAt: number;
}

/** The pull scope for a repository (token.md "Requesting a Token"). */
export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

/** True when registry credentials may be sent to `realm`: always over HTTPS, over HTTP only if the registry itself is plain HTTP. */
export function mayCredentialsGoTo(realm: URL, registryScheme: 'http' | 'https'): boolean {
  return realm.protocol === 'https:' || registryScheme === 'http';
}

/** Produces Authorization headers for one registry and learns from its 401 challenges. */
export class Authenticator {
  private challenge: AuthChallenge | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<CachedToken>>();
  private credentials: Promise<Credentials | undefined> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: AuthenticatorOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The Authorization header to send for `scope` before any 401, when an earlier challenge tells us how (saves a round trip per repository). */
  async authorizationFor(scope: string, signal?: AbortSignal): Promise<string | undefined> {
    if (!this.challenge) return undefined;
    if (this.challenge.scheme === 'basic') return this.basicHeader(await this.resolveCredentials());
    const cached = this.tokens.get(scope);
    if (cached && cached.expiresAt > this.now()) return cached.authorization;
    return (await this.token(scope, signal)).authorization;
  }

  /**
   * Handles a 401: remembers the challenge, drops the token that was refused and returns the header to retry with.
   * `refused` is the Authorization that got the 401 (undefined when none was sent).
   */
  async onUnauthorized(challenges: AuthChallenge[], scope: string, refused: string | undefined, signal?: AbortSignal): Promise<string> {
    const challenge = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
    if (!challenge) {
      throw new RegistryError(`${this.options.registry}: 401 Unauthorized without a Bearer or Basic challenge`, { status: 401 });
    }
    this.challenge = challenge;
    if (challenge.scheme === 'basic') {
      const header = this.basicHeader(await this.resolveCredentials());
      if (header === undefined) {
        throw new RegistryError(`${this.options.registry} requires authentication and no credentials were found`, {
          status: 401,
          hint: `log in to ${this.options.registry} (auth.json or ~/.docker/config.json) or pass --creds`,
        });
      }
      if (header === refused) throw this.rejected();
      return header;
    }
    const cached = this.tokens.get(scope);
    if (cached && cached.authorization === refused) this.tokens.delete(scope);
    const fresh = await this.token(scope, signal);
    if (fresh.authorization === refused) throw this.rejected();
    return fresh.authorization;
  }

  private rejected(): RegistryError {
    return new RegistryError(`${this.options.registry} rejected the credentials`, {
      status: 401,
      hint: `check the username and password for ${this.options.registry}`,
    });
  }

  private basicHeader(credentials: Credentials | undefined): string | undefined {
    if (!credentials || !('username' in credentials)) return undefined;
    return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  }

  private resolveCredentials(): Promise<Credentials | undefined> {
    if (!this.credentials) {
      const source = this.options.credentials;
      this.credentials = Promise.resolve(typeof source === 'function' ? source() : source);
    }
    return this.credentials;
  }

  private token(scope: string, signal: AbortSignal | undefined): Promise<CachedToken> {
    let pending = this.pending.get(scope);
    if (!pending) {
      pending = this.requestToken(scope, signal).finally(() => this.pending.delete(scope));
      this.pending.set(scope, pending);
    }
    return pending;
  }

  private async requestToken(scope: string, signal: AbortSignal | undefined): Promise<CachedToken> {
    const challenge = this.challenge!;
    const registry = this.options.registry;
    const realmText = challenge.params.realm;
    let realm: URL;
    try {
      realm = new URL(realmText ?? '');
    } catch {
      throw new RegistryError(`${registry}: Bearer challenge with an invalid realm ${JSON.stringify(realmText ?? '')}`, { status: 401 });
    }
    if (realm.protocol !== 'https:' && realm.protocol !== 'http:') {
      throw new RegistryError(`${registry}: Bearer realm ${realm.href} is not an HTTP(S) URL`, { status: 401 });
    }
    let credentials = await this.resolveCredentials();
    if (credentials && !mayCredentialsGoTo(realm, this.options.registryScheme)) {
      log.warnOnce(`plain-realm:${realm.origin}`, `not sending credentials for ${registry} to the plain-HTTP token realm ${realm.origin}; requesting an anonymous token`);
      credentials = undefined;
    }
    const service = challenge.params.service;
    const scopes = [scope];
    if (challenge.params.scope && challenge.params.scope !== scope) scopes.push(challenge.params.scope);

    let response: { status: number; body: string };
    if (credentials && 'identityToken' in credentials) {
      const form: Record<string, string> = { grant_type: 'refresh_token', refresh_token: credentials.identityToken, client_id: 'hutch', scope: scopes.join(' ') };
      if (service !== undefined) form.service = service;
      response = await this.options.fetchToken({ method: 'POST', url: realm, form, signal });
    } else {
      const url = new URL(realm.href);
      if (service !== undefined) url.searchParams.set('service', service);
      for (const s of scopes) url.searchParams.append('scope', s);
      if (credentials) url.searchParams.set('account', credentials.username);
      response = await this.options.fetchToken({ method: 'GET', url, authorization: this.basicHeader(credentials), signal });
    }

    if (response.status === 401 || response.status === 403) {
      throw new RegistryError(
        `${registry}: the token service ${realm.origin} refused ${credentials ? 'the credentials' : 'an anonymous token'} for ${scope} (${response.status})`,
        {
          status: response.status,
          hint: credentials ? `check the credentials for ${registry}` : `the repository may be private: log in to ${registry} or pass --creds`,
        },
      );
    }
    if (response.status !== 200) {
      throw new RegistryError(`${registry}: the token service ${realm.origin} answered ${response.status} for ${scope}`, { status: response.status });
    }
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
    try {
      parsed = JSON.parse(response.body);
    } catch (cause) {
      throw new RegistryError(`${registry}: the token service ${realm.origin} returned invalid JSON`, { cause });
    }
    const token = typeof parsed.token === 'string' && parsed.token !== '' ? parsed.token : parsed.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new RegistryError(`${registry}: the token service ${realm.origin} returned no token`);
    }
    const seconds = typeof parsed.expires_in === 'number' && parsed.expires_in > MIN_TOKEN_SECONDS ? parsed.expires_in : MIN_TOKEN_SECONDS;
    // issued_at comes from the server's clock: use it only when it is plausible here (within the token's lifetime
    // before now), so a skewed clock can neither extend a token nor make every token look expired on arrival.
    const now = this.now();
    const issuedAt = typeof parsed.issued_at === 'string' ? Date.parse(parsed.issued_at) : NaN;
    const start = issuedAt <= now && issuedAt > now - seconds * 1000 ? issuedAt : now;
    const cached = { authorization: `Bearer ${token}`, expiresAt: start + seconds * 1000 - EXPIRY_MARGIN_MS };
    this.tokens.set(scope, cached);
    return cached;
  }
}
