// Registry credentials from the files podman and docker write
// (containers-auth.json(5), docker's config.json), looked up as
// containers/image's pkg/docker/config does. Secrets never reach a log line
// or an error message.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError, fromNodeError } from '../errors.js';
import { log } from '../log.js';
import { homeDirectory } from '../paths.js';

/** Credentials for one registry: a user and password, or an OAuth2 refresh (identity) token. */
export type Credentials = { username: string; password: string } | { identityToken: string; username?: string };

/** The auth files to read, in order (the first that has an entry wins). */
export function defaultAuthFiles(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): string[] {
  // An explicit $REGISTRY_AUTH_FILE is the only file read, as podman's --authfile.
  if (env.REGISTRY_AUTH_FILE) return [env.REGISTRY_AUTH_FILE];
  const home = homeDirectory(env);
  const configHome = env.XDG_CONFIG_HOME ? env.XDG_CONFIG_HOME : join(home, '.config');
  const dockerDir = env.DOCKER_CONFIG ? env.DOCKER_CONFIG : join(home, '.docker');
  return [
    // Without $XDG_RUNTIME_DIR podman uses the per-uid file under /run.
    env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json') : `/run/containers/${uid}/auth.json`,
    join(configHome, 'containers', 'auth.json'),
    join(dockerDir, 'config.json'),
  ];
}

interface AuthEntry {
  auth?: unknown;
  identitytoken?: unknown;
}

interface AuthFile {
  auths: Record<string, AuthEntry>;
  credHelpers: Record<string, unknown>;
}

function readAuthFile(path: string): AuthFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw fromNodeError(err, path);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // The parser's message may quote file content, which may be a secret.
    throw new UsageError(`credentials file \`${path}\` is not valid JSON`, { hint: 'fix or remove the file, or log in again' });
  }
  const obj = (typeof doc === 'object' && doc !== null ? doc : {}) as Record<string, unknown>;
  const auths = typeof obj.auths === 'object' && obj.auths !== null ? (obj.auths as Record<string, AuthEntry>) : {};
  const credHelpers = typeof obj.credHelpers === 'object' && obj.credHelpers !== null ? (obj.credHelpers as Record<string, unknown>) : {};
  return { auths, credHelpers };
}

// docker.io credentials live under several spellings (containers/image normalizeRegistry).
function normalizeRegistry(registry: string): string {
  return registry === 'docker.io' || registry === 'registry-1.docker.io' ? 'index.docker.io' : registry;
}

// `https://index.docker.io/v1/` style keys, written by `docker login` for years.
function normalizeKey(key: string): string {
  const stripped = key.replace(/^https?:\/\//, '');
  return normalizeRegistry(stripped === key ? stripped : stripped.split('/', 1)[0]!);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decodeEntry(entry: AuthEntry, key: string, path: string): Credentials | undefined {
  const identityToken = typeof entry.identitytoken === 'string' && entry.identitytoken !== '' ? entry.identitytoken : undefined;
  const auth = typeof entry.auth === 'string' ? entry.auth : '';
  if (auth !== '' && !BASE64.test(auth)) {
    throw new UsageError(`credentials file \`${path}\`: the "auth" value for ${key} is not valid base64`, { hint: 'log in again to rewrite it' });
  }
  const decoded = Buffer.from(auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (identityToken !== undefined) {
    const username = colon > 0 ? decoded.slice(0, colon) : undefined;
    return username === undefined ? { identityToken } : { identityToken, username };
  }
  if (colon < 0) {
    // docker writes `{}` entries for hosts served by a credential helper.
    if (decoded !== '') log.warn(`credentials file \`${path}\`: the "auth" value for ${key} has no ":" between user and password; ignoring it`);
    return undefined;
  }
  // Trailing NULs appear in some old docker configs (containers/image strips them too).
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1).replace(/^\0+|\0+$/g, '') };
}

function findInFile(key: string, registry: string, file: AuthFile, path: string): Credentials | undefined {
  if (Object.hasOwn(file.credHelpers, registry)) {
    log.warnOnce(`credhelper:${path}:${registry}`, `credentials file \`${path}\` names a credential helper for ${registry}; hutch does not run credential helpers, looking for plain entries instead`);
  }
  // Most specific first: host/ns/repo, host/ns, host (namespaced keys are a containers-auth.json extension).
  for (let candidate = key; ; candidate = candidate.slice(0, candidate.lastIndexOf('/'))) {
    if (Object.hasOwn(file.auths, candidate)) return decodeEntry(file.auths[candidate]!, candidate, path);
    if (!candidate.includes('/')) break;
  }
  const normalized = normalizeRegistry(registry);
  for (const [k, entry] of Object.entries(file.auths)) {
    if (normalizeKey(k) === normalized) return decodeEntry(entry, k, path);
  }
  return undefined;
}

/**
 * Credentials for `key`, a registry host or `host/repository` path (e.g.
 * `docker.io/library/debian`), from the first auth file with a matching
 * entry; undefined when none has one.
 */
export function findCredentials(key: string, authFiles: readonly string[] = defaultAuthFiles()): Credentials | undefined {
  if (/^https?:\/\//.test(key) || key.includes('@')) throw new UsageError(`invalid credentials key ${JSON.stringify(key)}: use host[:port][/repository]`);
  const registry = key.split('/', 1)[0]!;
  for (const path of authFiles) {
    const file = readAuthFile(path);
    if (!file) continue;
    const found = findInFile(key, registry, file, path);
    if (found) {
      log.debug(`using credentials for ${key} from ${path}`);
      return found;
    }
  }
  log.debug(`no credentials for ${key}`);
  return undefined;
}

/** Parses `--creds USERNAME:PASSWORD` (the password may contain ":"). */
export function parseCredsFlag(value: string): { username: string; password: string } {
  const colon = value.indexOf(':');
  if (colon < 0) throw new UsageError('--creds: missing password', { hint: 'use --creds USERNAME:PASSWORD (hutch does not prompt)' });
  const username = value.slice(0, colon);
  const password = value.slice(colon + 1);
  if (username === '') throw new UsageError('--creds: the username is empty', { hint: 'use --creds USERNAME:PASSWORD' });
  if (password === '') throw new UsageError('--creds: the password is empty', { hint: 'use --creds USERNAME:PASSWORD (hutch does not prompt)' });
  return { username, password };
}
