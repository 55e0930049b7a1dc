// registries.conf (containers-registries.conf(5), v2 format) with its
// registries.conf.d drop-ins and short-name-aliases.conf, read and merged as
// containers/image's sysregistriesv2 does; short-name resolution as its
// pkg/shortnames does, minus the interactive prompt.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { UsageError, fromNodeError } from '../errors.js';
import { ImageReference, isShortName, parseReference, splitReference } from './reference.js';
import { homeDirectory } from '../paths.js';

/** How ambiguous short names are handled; hutch never prompts, so all three try the candidates in order. */
export type ShortNameMode = 'enforcing' | 'permissive' | 'disabled';

/** Which references a mirror serves (`pull-from-mirror`). */
export type PullFromMirror = 'all' | 'digest-only' | 'tag-only';

/** A `[[registry.mirror]]` entry. */
export interface MirrorEntry {
  location: string;
  insecure: boolean;
  pullFromMirror: PullFromMirror;
}

/** A `[[registry]]` entry after validation (prefix defaulted to location). */
export interface RegistryEntry {
  prefix: string;
  /** Empty only for a `*.example.com` prefix that just sets flags. */
  location: string;
  insecure: boolean;
  blocked: boolean;
  mirrorByDigestOnly: boolean;
  mirrors: MirrorEntry[];
}

/** A short-name alias: the fully qualified name (no tag), or undefined when a later file reset it with "". */
export interface Alias {
  name: string | undefined;
  /** The file that defined it. */
  origin: string;
}

/** The merged configuration. */
export interface RegistriesConf {
  /** Sorted by prefix, one entry per prefix. */
  registries: RegistryEntry[];
  /** undefined when no file sets it (hutch then searches docker.io). */
  unqualifiedSearchRegistries: string[] | undefined;
  /** The file that set unqualifiedSearchRegistries. */
  unqualifiedSearchRegistriesOrigin: string | undefined;
  shortNameMode: ShortNameMode;
  /** Aliases from registries.conf and its drop-ins. */
  aliases: Map<string, Alias>;
  /** Aliases from short-name-aliases.conf, which take precedence. */
  userAliases: Map<string, Alias>;
  /** Files actually read, in order. */
  files: string[];
}

/** Where to read the configuration from. */
export interface RegistriesConfSources {
  configFile: string;
  /** Drop-in directories, read in order, `*.conf` files lexically within each. */
  dropInDirs: string[];
  /** short-name-aliases.conf, if any. */
  aliasesFile?: string;
}

/**
 * The default sources (containers/image newConfigWrapper): a per-user
 * registries.conf replaces the system file and the system drop-in directory;
 * without one, the system file plus both drop-in directories are read.
 */
export function defaultRegistriesConfSources(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): RegistriesConfSources {
  const home = homeDirectory(env);
  const configHome = env.XDG_CONFIG_HOME ? env.XDG_CONFIG_HOME : join(home, '.config');
  const userFile = join(configHome, 'containers', 'registries.conf');
  const userDir = join(configHome, 'containers', 'registries.conf.d');
  const cacheHome = env.XDG_CACHE_HOME ? env.XDG_CACHE_HOME : join(home, '.cache');
  const aliasesFile = uid === 0 ? '/var/cache/containers/short-name-aliases.conf' : join(cacheHome, 'containers', 'short-name-aliases.conf');
  if (existsSync(userFile)) return { configFile: userFile, dropInDirs: [userDir], aliasesFile };
  return { configFile: '/etc/containers/registries.conf', dropInDirs: ['/etc/containers/registries.conf.d', userDir], aliasesFile };
}

interface PartialConf {
  registries: RegistryEntry[];
  unqualifiedSearchRegistries: string[] | undefined;
  shortNameMode: ShortNameMode | undefined;
  aliases: Map<string, Alias>;
}

function configError(path: string, problem: string): UsageError {
  return new UsageError(`registries configuration \`${path}\`: ${problem}`, { hint: 'fix the file (see containers-registries.conf(5))' });
}

type Table = Record<string, unknown>;

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function getString(table: Table, key: string, path: string, where: string): string | undefined {
  const value = table[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw configError(path, `${where}"${key}" must be a string`);
  return value;
}

function getBool(table: Table, key: string, path: string, where: string): boolean {
  const value = table[key];
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw configError(path, `${where}"${key}" must be true or false`);
  return value;
}

function getStrings(table: Table, key: string, path: string, where = ''): string[] | undefined {
  const value = table[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw configError(path, `${where}"${key}" must be an array of strings`);
  return value as string[];
}

// containers/image parseLocation: trailing slashes dropped, URL schemes refused.
function parseLocation(value: string, path: string, where: string): string {
  const trimmed = value.replace(/\/+$/, '');
  if (/^https?:\/\//.test(trimmed)) throw configError(path, `${where}location ${JSON.stringify(value)}: URI schemes are not supported, give host[:port][/path]`);
  return trimmed;
}

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST_PORT = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const PULL_FROM_MIRROR = new Set(['all', 'digest-only', 'tag-only']);
const SHORT_NAME_MODES = new Set(['enforcing', 'permissive', 'disabled']);

function parseMirror(value: unknown, registry: RegistryEntry, path: string, where: string): MirrorEntry {
  if (!isTable(value)) throw configError(path, `${where}each [[registry.mirror]] must be a table`);
  const location = parseLocation(getString(value, 'location', path, where) ?? '', path, where);
  if (location === '') throw configError(path, `${where}a mirror has no location`);
  const pull = getString(value, 'pull-from-mirror', path, where) ?? '';
  if (pull !== '' && !PULL_FROM_MIRROR.has(pull)) throw configError(path, `${where}unsupported pull-from-mirror ${JSON.stringify(pull)} (use all, digest-only or tag-only)`);
  if (pull !== '' && registry.mirrorByDigestOnly) {
    throw configError(path, `${where}mirror-by-digest-only on the registry and pull-from-mirror on mirror ${location} cannot be combined`);
  }
  return { location, insecure: getBool(value, 'insecure', path, where), pullFromMirror: (pull || 'all') as PullFromMirror };
}

function parseRegistry(value: unknown, index: number, path: string): RegistryEntry {
  const where = `[[registry]] #${index + 1}: `;
  if (!isTable(value)) throw configError(path, `${where}must be a table`);
  const location = parseLocation(getString(value, 'location', path, where) ?? '', path, where);
  const rawPrefix = getString(value, 'prefix', path, where) ?? '';
  let prefix: string;
  if (rawPrefix === '') {
    if (location === '') throw configError(path, `${where}both location and prefix are unset`);
    prefix = location;
  } else {
    prefix = parseLocation(rawPrefix, path, where);
    if (!prefix.startsWith('*.') && location === '') throw configError(path, `${where}location is unset and prefix ${JSON.stringify(prefix)} is not of the form *.example.com`);
  }
  // Wildcards match subdomains only: no port, namespace or digest after them.
  if (prefix.startsWith('*.') && /[/@:]/.test(prefix)) throw configError(path, `${where}wildcard prefix ${JSON.stringify(prefix)} must be of the form *.example.com`);
  if (getString(value, 'pull-from-mirror', path, where) !== undefined) throw configError(path, `${where}pull-from-mirror is only valid on a [[registry.mirror]]`);
  const entry: RegistryEntry = {
    prefix,
    location,
    insecure: getBool(value, 'insecure', path, where),
    blocked: getBool(value, 'blocked', path, where),
    mirrorByDigestOnly: getBool(value, 'mirror-by-digest-only', path, where),
    mirrors: [],
  };
  const mirrors = value.mirror;
  if (mirrors !== undefined) {
    if (!Array.isArray(mirrors)) throw configError(path, `${where}"mirror" must be an array of tables ([[registry.mirror]])`);
    entry.mirrors = mirrors.map((m) => parseMirror(m, entry, path, where));
  }
  return entry;
}

function parseAliases(value: unknown, path: string): Map<string, Alias> {
  const aliases = new Map<string, Alias>();
  if (value === undefined) return aliases;
  if (!isTable(value)) throw configError(path, '[aliases] must be a table');
  for (const [name, target] of Object.entries(value)) {
    if (typeof target !== 'string') throw configError(path, `alias ${JSON.stringify(name)} must be a string`);
    let short;
    try {
      short = splitReference(name);
    } catch (err) {
      throw configError(path, `alias name ${JSON.stringify(name)} is invalid: ${(err as Error).message}`);
    }
    if (short.registry !== undefined || short.tag !== undefined || short.digest !== undefined) {
      throw configError(path, `alias name ${JSON.stringify(name)} must be a short name without registry, tag or digest`);
    }
    // An empty value resets an alias from an earlier file (containers/image).
    if (target === '') {
      aliases.set(name, { name: undefined, origin: path });
      continue;
    }
    let split;
    try {
      split = splitReference(target);
    } catch (err) {
      throw configError(path, `alias ${JSON.stringify(name)}: ${(err as Error).message}`);
    }
    if (split.registry === undefined) throw configError(path, `alias ${JSON.stringify(name)} = ${JSON.stringify(target)} must name a registry and a repository`);
    if (split.tag !== undefined || split.digest !== undefined) throw configError(path, `alias ${JSON.stringify(name)} = ${JSON.stringify(target)} must not contain a tag or digest`);
    aliases.set(name, { name: parseReference(target).name, origin: path });
  }
  return aliases;
}

// registries.conf v1 ([registries.search], .insecure, .block), converted as containers/image ConvertToV2 does.
function convertV1(v1: Table, path: string): Pick<PartialConf, 'registries' | 'unqualifiedSearchRegistries'> {
  const list = (key: string): string[] => {
    const section = v1[key];
    if (section === undefined) return [];
    if (!isTable(section)) throw configError(path, `[registries.${key}] must be a table`);
    return getStrings(section, 'registries', path, `[registries.${key}] `) ?? [];
  };
  const byLocation = new Map<string, RegistryEntry>();
  const entry = (raw: string): RegistryEntry => {
    const location = parseLocation(raw, path, '[registries] ');
    let found = byLocation.get(location);
    if (!found) {
      found = { prefix: location, location, insecure: false, blocked: false, mirrorByDigestOnly: false, mirrors: [] };
      byLocation.set(location, found);
    }
    return found;
  };
  for (const r of list('block')) entry(r).blocked = true;
  for (const r of list('insecure')) entry(r).insecure = true;
  const search = v1.search === undefined ? undefined : list('search');
  return { registries: [...byLocation.values()], unqualifiedSearchRegistries: search };
}

/** Parses the text of one registries.conf file (`dropIn` forbids the v1 format, as containers/image does). */
export function parseRegistriesConfText(text: string, path: string, dropIn: boolean): PartialConf {
  let doc: Table;
  try {
    doc = parseToml(text) as Table;
  } catch (err) {
    const where = err instanceof TomlError ? ` at line ${err.line}, column ${err.column}` : '';
    throw configError(path, `invalid TOML${where}: ${(err as Error).message.split('\n', 1)[0]}`);
  }
  let registries: RegistryEntry[];
  let search: string[] | undefined;
  const v2Keys = ['registry', 'unqualified-search-registries', 'short-name-mode', 'aliases'];
  if (doc.registries !== undefined) {
    if (dropIn) throw configError(path, 'drop-in files must use the v2 format, not [registries.search]/[registries.insecure]/[registries.block]');
    if (v2Keys.some((k) => doc[k] !== undefined)) throw configError(path, 'mixing the v1 [registries] table with v2 settings is not supported');
    if (!isTable(doc.registries)) throw configError(path, '[registries] must be a table');
    ({ registries, unqualifiedSearchRegistries: search } = convertV1(doc.registries, path));
  } else {
    const list = doc.registry ?? [];
    if (!Array.isArray(list)) throw configError(path, '"registry" must be an array of tables ([[registry]])');
    registries = list.map((r, i) => parseRegistry(r, i, path));
    search = getStrings(doc, 'unqualified-search-registries', path);
  }
  if (search !== undefined) {
    search = search.map((r) => {
      const location = parseLocation(r, path, 'unqualified-search-registries: ');
      if (!HOST_PORT.test(location)) throw configError(path, `unqualified-search-registries entry ${JSON.stringify(r)} must be a host[:port]`);
      return location;
    });
  }
  // A location named twice must agree on insecure and blocked (containers/image postProcessRegistries).
  const byLocation = new Map<string, RegistryEntry>();
  for (const r of registries) {
    const key = r.location || r.prefix;
    const other = byLocation.get(key);
    if (other && other.insecure !== r.insecure) throw configError(path, `registry ${JSON.stringify(key)} is defined several times with conflicting "insecure" settings`);
    if (other && other.blocked !== r.blocked) throw configError(path, `registry ${JSON.stringify(key)} is defined several times with conflicting "blocked" settings`);
    byLocation.set(key, r);
  }
  // The first entry for a prefix wins within one file; later ones could never be chosen.
  const unique = new Map<string, RegistryEntry>();
  for (const r of registries) if (!unique.has(r.prefix)) unique.set(r.prefix, r);
  const mode = getString(doc, 'short-name-mode', path, '');
  if (mode !== undefined && mode !== '' && !SHORT_NAME_MODES.has(mode)) {
    throw configError(path, `short-name-mode ${JSON.stringify(mode)} is not one of enforcing, permissive, disabled`);
  }
  return {
    registries: [...unique.values()].sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0)),
    unqualifiedSearchRegistries: search,
    shortNameMode: mode ? (mode as ShortNameMode) : undefined,
    aliases: parseAliases(doc.aliases, path),
  };
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw fromNodeError(err, path);
  }
}

function dropInFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw fromNodeError(err, dir);
  }
  return entries
    .filter((e) => !e.isDirectory() && e.name.endsWith('.conf'))
    .map((e) => e.name)
    .sort()
    .map((name) => join(dir, name));
}

/**
 * Reads and merges the configuration: the main file, then each drop-in in
 * order. A later file replaces registries with the same prefix, replaces
 * unqualified-search-registries and short-name-mode when it sets them, and
 * adds or overrides aliases (containers/image updateWithConfigurationFrom).
 */
export function loadRegistriesConf(sources: RegistriesConfSources = defaultRegistriesConfSources()): RegistriesConf {
  const conf: RegistriesConf = {
    registries: [],
    unqualifiedSearchRegistries: undefined,
    unqualifiedSearchRegistriesOrigin: undefined,
    shortNameMode: 'permissive',
    aliases: new Map(),
    userAliases: new Map(),
    files: [],
  };
  const files = [{ path: sources.configFile, dropIn: false }, ...sources.dropInDirs.flatMap((d) => dropInFiles(d).map((path) => ({ path, dropIn: true })))];
  for (const { path, dropIn } of files) {
    const text = readOptional(path);
    if (text === undefined) continue;
    conf.files.push(path);
    const part = parseRegistriesConfText(text, path, dropIn);
    const byPrefix = new Map(conf.registries.map((r) => [r.prefix, r]));
    for (const r of part.registries) byPrefix.set(r.prefix, r);
    conf.registries = [...byPrefix.values()].sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
    if (part.unqualifiedSearchRegistries !== undefined) {
      conf.unqualifiedSearchRegistries = part.unqualifiedSearchRegistries;
      conf.unqualifiedSearchRegistriesOrigin = path;
    }
    if (part.shortNameMode !== undefined) conf.shortNameMode = part.shortNameMode;
    for (const [name, alias] of part.aliases) conf.aliases.set(name, alias);
  }
  if (sources.aliasesFile) {
    const text = readOptional(sources.aliasesFile);
    if (text !== undefined) {
      conf.files.push(sources.aliasesFile);
      let doc: Table;
      try {
        doc = parseToml(text) as Table;
      } catch (err) {
        throw configError(sources.aliasesFile, `invalid TOML: ${(err as Error).message.split('\n', 1)[0]}`);
      }
      conf.userAliases = parseAliases(doc.aliases, sources.aliasesFile);
    }
  }
  return conf;
}

/** Why a name resolved to its candidates. */
export type ShortNameRationale = 'qualified' | 'alias' | 'search' | 'default';

/** The outcome of short-name resolution. */
export interface ShortNameResolution {
  /** References to try, in order; the first that exists wins. */
  candidates: ImageReference[];
  rationale: ShortNameRationale;
  /** The file the alias or search list came from. */
  origin?: string;
}

/**
 * Resolves user input to pull candidates: a fully qualified reference as is;
 * a short name through its alias (short-name-aliases.conf first), else each
 * unqualified-search registry in order, else docker.io when no file sets a
 * search list. Unlike podman, several candidates are never prompted for,
 * whatever the short-name-mode: they are tried in order.
 */
export function resolveShortName(input: string, conf: RegistriesConf): ShortNameResolution {
  if (!isShortName(input)) return { candidates: [parseReference(input)], rationale: 'qualified' };
  const split = splitReference(input);
  const alias = conf.userAliases.get(split.path) ?? conf.aliases.get(split.path);
  if (alias?.name !== undefined) {
    const target = parseReference(alias.name);
    const tag = split.tag ?? (split.digest === undefined ? target.tag : undefined);
    return { candidates: [new ImageReference(target.registry, target.repository, tag, split.digest)], rationale: 'alias', origin: alias.origin };
  }
  const search = conf.unqualifiedSearchRegistries;
  if (search === undefined) return { candidates: [parseReference(input)], rationale: 'default' };
  if (search.length === 0) {
    throw new UsageError(`short name ${JSON.stringify(input)} did not resolve to an alias and no unqualified-search registries are defined in \`${conf.unqualifiedSearchRegistriesOrigin}\``, {
      hint: 'use a fully qualified name such as docker.io/library/debian, or add unqualified-search-registries',
    });
  }
  return { candidates: search.map((registry) => parseReference(`${registry}/${input}`)), rationale: 'search', origin: conf.unqualifiedSearchRegistriesOrigin };
}

/** One place to pull from: a mirror or the primary location. */
export interface RegistryEndpoint {
  /** The configured location (host[:port][/path]). */
  location: string;
  /** The reference rewritten for this endpoint: connect to its registry, ask for its repository. */
  reference: ImageReference;
  insecure: boolean;
  mirror: boolean;
}

/** Where and how to pull a reference. */
export interface RegistryTarget {
  /** The matching [[registry]] prefix, if any. */
  prefix: string | undefined;
  blocked: boolean;
  /** Whether the primary location is insecure (plain HTTP / no TLS verification allowed). */
  insecure: boolean;
  /** Mirrors in order, then the primary. */
  endpoints: RegistryEndpoint[];
}

// containers/image refMatchingPrefix / refMatchingSubdomainPrefix: the length
// of `name` consumed by `prefix`, or -1. A prefix ends at a component boundary.
function matchPrefix(name: string, prefix: string): number {
  if (prefix.startsWith('*.')) {
    const suffix = prefix.slice(1);
    const at = name.indexOf(suffix);
    if (at < 0 || name.slice(0, at).includes('/')) return -1;
    const end = at + suffix.length;
    return end === name.length || ':/@'.includes(name[end]!) ? end : -1;
  }
  if (name === prefix) return prefix.length;
  if (name.length > prefix.length && name.startsWith(prefix) && ':/@'.includes(name[prefix.length]!)) return prefix.length;
  return -1;
}

function rewrite(ref: ImageReference, location: string, consumed: number, entry: RegistryEntry): ImageReference {
  if (location === '') return ref;
  let target: ImageReference;
  try {
    target = parseReference(location + ref.name.slice(consumed));
  } catch (err) {
    throw new UsageError(`registries configuration: rewriting ${ref.name} with prefix ${JSON.stringify(entry.prefix)} to location ${JSON.stringify(location)} gives an invalid name`, {
      cause: err,
      hint: 'fix the location in registries.conf',
    });
  }
  return ref.withName(target.registry, target.repository);
}

/** The registry entry for `ref` (longest prefix wins) and the endpoints to try, mirrors first. */
export function registryFor(ref: ImageReference, conf: RegistriesConf): RegistryTarget {
  let best: RegistryEntry | undefined;
  let consumed = -1;
  for (const entry of conf.registries) {
    const length = matchPrefix(ref.name, entry.prefix);
    if (length >= 0 && (best === undefined || entry.prefix.length > best.prefix.length)) {
      best = entry;
      consumed = length;
    }
  }
  if (!best) {
    return { prefix: undefined, blocked: false, insecure: false, endpoints: [{ location: ref.registry, reference: ref, insecure: false, mirror: false }] };
  }
  const digested = ref.digest !== undefined;
  const mirrors = best.mirrors.filter((m) => {
    if (best.mirrorByDigestOnly) return digested;
    return m.pullFromMirror === 'all' || (m.pullFromMirror === 'digest-only') === digested;
  });
  const endpoints: RegistryEndpoint[] = mirrors.map((m) => ({ location: m.location, reference: rewrite(ref, m.location, consumed, best), insecure: m.insecure, mirror: true }));
  endpoints.push({ location: best.location || ref.registry, reference: rewrite(ref, best.location, consumed, best), insecure: best.insecure, mirror: false });
  return { prefix: best.prefix, blocked: best.blocked, insecure: best.insecure, endpoints };
}
