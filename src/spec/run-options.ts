// The options of `hutch run`, parsed from podman's flag syntaxes into one
// typed object. Every malformed value is a UsageError naming the flag and the
// value. Semantics follow podman's pkg/specgenutil and pkg/env.
import { isAbsolute, posix, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { normalizeCapability } from './capabilities.js';
import { translateResources, type LinuxResources } from './resources.js';

/** A host directory or file bind-mounted into the container (-v, --mount type=bind). */
export interface BindMount {
  kind: 'bind';
  /** Absolute host path. */
  source: string;
  /** Absolute, cleaned container path. */
  destination: string;
  /** Validated options, SELinux relabel flags removed; defaults are added by mounts.ts. */
  options: string[];
}

/** A tmpfs (--tmpfs, --mount type=tmpfs). */
export interface TmpfsMount {
  kind: 'tmpfs';
  destination: string;
  options: string[];
}

/** A user-requested mount, in command-line order. */
export type UserMount = BindMount | TmpfsMount;

/** One --ulimit: soft/hard of -1 mean "unlimited" (clamped to the caller's hard limit). */
export interface Ulimit {
  /** RLIMIT_* name. */
  type: string;
  soft: number;
  hard: number;
}

/** --security-opt seccomp=...: the default profile, none, or a profile file. */
export type SeccompChoice = { kind: 'default' } | { kind: 'unconfined' } | { kind: 'file'; path: string };

/** Everything `hutch run` needs from its flags and trailing arguments. */
export interface RunOptions {
  /** Arguments after IMAGE (replace the image's Cmd). */
  command: string[];
  /** --entrypoint: undefined = the image's; `--entrypoint ""` gives [""], as podman. */
  entrypoint: string[] | undefined;
  /** --env-file then -e, later wins, in first-definition order. */
  env: Record<string, string>;
  user: string | undefined;
  workdir: string | undefined;
  hostname: string | undefined;
  name: string | undefined;
  mounts: UserMount[];
  ulimits: Ulimit[];
  capAdd: string[];
  capDrop: string[];
  noNewPrivileges: boolean;
  seccomp: SeccompChoice;
  readOnly: boolean;
  /** With --read-only, mount tmpfs on /tmp, /var/tmp and /run (podman --read-only-tmpfs, default true). */
  readOnlyTmpfs: boolean;
  network: 'none' | 'host';
  userns: 'default' | 'keep-id';
  init: boolean;
  annotations: Record<string, string>;
  tty: boolean;
  interactive: boolean;
  /** --memory, --memory-swap, --cpus, --pids-limit as `linux.resources`; undefined without limits. */
  resources: LinuxResources | undefined;
}

/** The raw flag values as yargs delivers them (repeatable flags as arrays). */
export interface RawRunFlags {
  env?: string[];
  envFile?: string[];
  volume?: string[];
  tmpfs?: string[];
  mount?: string[];
  ulimit?: string[];
  capAdd?: string[];
  capDrop?: string[];
  securityOpt?: string[];
  user?: string;
  workdir?: string;
  entrypoint?: string;
  hostname?: string;
  name?: string;
  readOnly?: boolean;
  readOnlyTmpfs?: boolean;
  network?: string;
  userns?: string;
  init?: boolean;
  annotation?: string[];
  tty?: boolean;
  interactive?: boolean;
  memory?: string;
  memorySwap?: string;
  cpus?: string;
  pidsLimit?: string;
}

/** What parsing needs from the outside world. */
export interface ParseContext {
  /** The caller's environment, for `-e NAME` and `--env-file` lines without a value. */
  hostEnv: Record<string, string | undefined>;
  /** Base for relative host paths (`-v ./dir:/x`, seccomp=profile.json, --env-file). */
  cwd: string;
  /** Reads an --env-file. */
  readTextFile: (path: string) => Promise<string>;
}

/** Annotation keys hutch itself sets; users may not set them. */
export const RESERVED_ANNOTATION_PREFIX = 'run.hutch.';

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const PROPAGATIONS = ['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared', 'unbindable', 'runbindable'];

/** go-units' ulimit names (podman): `as` is deliberately absent there too. */
const ULIMIT_NAMES = ['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack'];

function usage(flag: string, value: string, why: string, hint?: string): UsageError {
  return new UsageError(`${flag} ${JSON.stringify(value)}: ${why}`, hint === undefined ? {} : { hint });
}

/**
 * Applies one `-e` / env-file entry to `env`: `K=V` sets, `K` copies the
 * host's value (skipped when unset), `K*` copies every host variable with
 * that prefix (podman's pkg/env parseEnv).
 */
export function applyEnvEntry(env: Record<string, string>, entry: string, hostEnv: Record<string, string | undefined>, flag: string): void {
  const eq = entry.indexOf('=');
  const rawKey = eq === -1 ? entry : entry.slice(0, eq);
  const key = rawKey.replace(/^[ \t]+/, '');
  if (key === '') throw usage(flag, entry, 'a variable needs a name before `=`');
  if (eq !== -1) {
    env[key] = entry.slice(eq + 1);
    return;
  }
  if (key.endsWith('*')) {
    const prefix = key.slice(0, -1);
    for (const [k, v] of Object.entries(hostEnv)) if (v !== undefined && k.startsWith(prefix)) env[k] = v;
    return;
  }
  const value = hostEnv[key];
  if (value !== undefined) env[key] = value;
}

/** Parses an --env-file's text: `K=V` per line, `#` comments and blank lines skipped, leading blanks trimmed. */
export function parseEnvFile(text: string, hostEnv: Record<string, string | undefined>, path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^[ \t]+/, '');
    if (line === '' || line.startsWith('#')) continue;
    applyEnvEntry(env, line, hostEnv, `--env-file ${path}:`);
  }
  return env;
}

/** Parses --entrypoint: a JSON array of strings, else the whole string as one argument (podman). */
export function parseEntrypoint(value: string): string[] {
  try {
    const parsed: unknown = JSON.parse(value);
    if (Array.isArray(parsed) && parsed.every((a) => typeof a === 'string')) return parsed;
  } catch {
    // Not JSON: podman takes the string verbatim as a single argument.
  }
  return [value];
}

/** Lexically cleans an absolute path: no `.`, `..` or trailing slash (Go's path.Clean). */
function clean(path: string): string {
  return posix.normalize(path).replace(/(.)\/+$/, '$1');
}

/** Validates a container path: absolute, cleaned (podman ValidateVolumeCtrDir). */
export function containerPath(flag: string, value: string, path: string): string {
  if (!path.startsWith('/')) throw usage(flag, value, `container path \`${path}\` must be absolute`);
  if (path.includes('\0')) throw usage(flag, value, 'container path contains a NUL byte');
  return clean(path);
}

/** Validates bind options shared by -v and --mount (podman ProcessOptions rules, minus what hutch lacks). */
function checkBindOptions(flag: string, value: string, options: string[]): string[] {
  const seen = new Set<string>();
  const group = (o: string): string => {
    if (o === 'ro' || o === 'rw') return 'rw';
    if (o === 'exec' || o === 'noexec') return 'exec';
    if (o === 'suid' || o === 'nosuid') return 'suid';
    if (o === 'dev' || o === 'nodev') return 'dev';
    if (o === 'bind' || o === 'rbind') return 'bind';
    if (o === 'z' || o === 'Z') return 'z';
    if (PROPAGATIONS.includes(o)) return 'propagation';
    return o;
  };
  const out: string[] = [];
  for (const o of options) {
    if (o === '') continue;
    if (o === 'U' || o === 'O' || o.startsWith('idmap') || o === 'copy' || o === 'nocopy' || o.startsWith('upperdir') || o.startsWith('workdir')) {
      throw usage(flag, value, `mount option \`${o}\` is not supported by hutch yet`);
    }
    const g = group(o);
    if (g === o && !['rw', 'exec', 'suid', 'dev', 'bind', 'z', 'propagation'].includes(g)) {
      throw usage(flag, value, `unknown mount option \`${o}\``, 'valid: ro, rw, z, Z, [r]private, [r]shared, [r]slave, [r]unbindable, bind, rbind, [no]exec, [no]suid, [no]dev');
    }
    if (seen.has(g)) throw usage(flag, value, `mount option \`${o}\` conflicts with an earlier one of the same kind`);
    seen.add(g);
    // z/Z ask for an SELinux relabel; hutch does not manage SELinux labels, so they are accepted and dropped.
    if (g !== 'z') out.push(o);
  }
  return out;
}

/** Validates tmpfs options (podman ProcessOptions with isTmpfs). */
function checkTmpfsOptions(flag: string, value: string, options: string[]): string[] {
  const seen = new Set<string>();
  for (const o of options) {
    const key = o.split('=')[0]!;
    let g: string;
    if (key === 'ro' || key === 'rw') g = 'rw';
    else if (key === 'exec' || key === 'noexec') g = 'exec';
    else if (key === 'suid' || key === 'nosuid') g = 'suid';
    else if (key === 'dev' || key === 'nodev') g = 'dev';
    else if (key === 'tmpcopyup' || key === 'notmpcopyup') g = 'copyup';
    else if (PROPAGATIONS.includes(key)) g = 'propagation';
    else if (key === 'size') {
      if (!/^size=\d+[kKmMgG%]?$/.test(o)) throw usage(flag, value, `bad tmpfs size \`${o}\``, 'use size=N with an optional k, m, g or % suffix');
      g = 'size';
    } else if (key === 'mode') {
      if (!/^mode=[0-7]{1,4}$/.test(o)) throw usage(flag, value, `bad tmpfs mode \`${o}\``, 'use an octal mode such as mode=1777');
      g = 'mode';
    } else if (key === 'noatime') g = 'noatime';
    else throw usage(flag, value, `unknown tmpfs option \`${o}\``);
    if (seen.has(g)) throw usage(flag, value, `tmpfs option \`${o}\` conflicts with an earlier one of the same kind`);
    seen.add(g);
  }
  return options.filter((o) => o !== '');
}

/**
 * Parses `-v host:container[:opts]`. A host path is absolute or starts with
 * `.` (resolved against cwd, as podman); anything else names a volume, which
 * hutch does not support yet.
 */
export function parseVolume(value: string, cwd: string): BindMount {
  const flag = '--volume';
  const parts = value.split(':');
  if (parts.length > 3) throw usage(flag, value, 'expected host-dir:container-dir[:options]');
  if (parts.length === 1) throw usage(flag, value, 'anonymous volumes are not supported yet', 'give a host directory: -v /host/dir:/container/dir');
  const [src, dst, opts] = parts as [string, string, string | undefined];
  if (src === '') throw usage(flag, value, 'host directory cannot be empty');
  if (!src.startsWith('/') && !src.startsWith('.')) {
    throw usage(flag, value, `\`${src}\` is a named volume; named volumes are not supported yet`, 'use an absolute host path (or one starting with ./)');
  }
  const source = isAbsolute(src) ? clean(src) : resolve(cwd, src);
  const destination = containerPath(flag, value, dst);
  const options = checkBindOptions(flag, value, opts === undefined ? [] : opts.split(','));
  return { kind: 'bind', source, destination, options };
}

/** Parses `--tmpfs path[:opt,opt...]`. */
export function parseTmpfs(value: string): TmpfsMount {
  const flag = '--tmpfs';
  const colon = value.indexOf(':');
  const path = colon === -1 ? value : value.slice(0, colon);
  const destination = containerPath(flag, value, path);
  const options = colon === -1 ? [] : checkTmpfsOptions(flag, value, value.slice(colon + 1).split(',').filter((o) => o !== ''));
  return { kind: 'tmpfs', destination, options };
}

/** Splits a --mount value on commas, honouring double quotes (podman reads it as one CSV record). */
function splitCsv(value: string): string[] {
  const fields: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      fields.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (quoted) throw usage('--mount', value, 'unterminated quote');
  fields.push(cur);
  return fields;
}

function parseBoolValue(flag: string, value: string, raw: string): boolean {
  const v = raw.toLowerCase();
  if (['1', 't', 'true'].includes(v)) return true;
  if (['0', 'f', 'false'].includes(v)) return false;
  throw usage(flag, value, `\`${raw}\` is not a boolean`, 'use true or false');
}

/** Parses `--mount type=bind|tmpfs,source=,target=,...` in podman's syntax. */
export function parseMount(value: string, cwd: string): UserMount {
  const flag = '--mount';
  const fields = splitCsv(value).filter((f) => f !== '');
  let type: string | undefined;
  let source: string | undefined;
  let target: string | undefined;
  const options: string[] = [];
  let setRw = false;
  const typeField = fields.find((f) => f.startsWith('type='));
  type = typeField?.slice(5);
  if (type === undefined) throw usage(flag, value, 'missing type=', 'hutch supports type=bind and type=tmpfs');
  if (type !== 'bind' && type !== 'tmpfs') throw usage(flag, value, `mount type \`${type}\` is not supported`, 'hutch supports type=bind and type=tmpfs');
  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = eq === -1 ? field : field.slice(0, eq);
    const val = eq === -1 ? undefined : field.slice(eq + 1);
    const need = (): string => {
      if (val === undefined || val === '') throw usage(flag, value, `\`${key}\` needs a value`);
      return val;
    };
    const only = (t: string): void => {
      if (type !== t) throw usage(flag, value, `\`${key}\` is not valid for type=${type}`);
    };
    switch (key) {
      case 'type':
        break;
      case 'source':
      case 'src':
        only('bind');
        if (source !== undefined) throw usage(flag, value, 'source given more than once');
        source = need();
        break;
      case 'target':
      case 'dst':
      case 'dest':
      case 'destination':
        if (target !== undefined) throw usage(flag, value, 'destination given more than once');
        target = containerPath(flag, value, need());
        break;
      case 'readonly':
      case 'ro':
      case 'rw': {
        if (setRw) throw usage(flag, value, "'readonly', 'ro' or 'rw' given more than once");
        setRw = true;
        const name = key === 'readonly' ? 'ro' : key;
        if (val === undefined) options.push(name);
        else if (parseBoolValue(flag, value, val)) options.push(name);
        else if (name === 'rw') options.push('ro');
        break;
      }
      case 'bind-propagation':
        only('bind');
        if (!PROPAGATIONS.includes(need())) throw usage(flag, value, `invalid bind-propagation \`${val}\``, `one of ${PROPAGATIONS.join(', ')}`);
        options.push(val!);
        break;
      case 'bind-nonrecursive':
        only('bind');
        options.push('bind');
        break;
      case 'relabel':
        only('bind');
        if (val !== 'private' && val !== 'shared') throw usage(flag, value, 'relabel must be private or shared');
        break;
      case 'consistency':
        // Docker ignores it on Linux; so does podman.
        break;
      case 'tmpfs-size':
        only('tmpfs');
        options.push(`size=${need()}`);
        break;
      case 'tmpfs-mode':
        only('tmpfs');
        options.push(`mode=${need()}`);
        break;
      case 'tmpcopyup':
      case 'notmpcopyup':
        only('tmpfs');
        options.push(key);
        break;
      case 'nosuid':
      case 'suid':
      case 'nodev':
      case 'dev':
      case 'noexec':
      case 'exec':
      case 'z':
      case 'Z':
        options.push(key);
        break;
      default:
        if (PROPAGATIONS.includes(key)) {
          options.push(key);
          break;
        }
        throw usage(flag, value, `unknown option \`${key}\``);
    }
  }
  if (target === undefined) throw usage(flag, value, 'missing target= (the container path)');
  if (type === 'tmpfs') return { kind: 'tmpfs', destination: target, options: checkTmpfsOptions(flag, value, options) };
  // podman: a bind mount without source= binds the same path from the host.
  const src = source ?? target;
  if (!src.startsWith('/') && !src.startsWith('.')) throw usage(flag, value, `source \`${src}\` must be a host path`);
  return { kind: 'bind', source: isAbsolute(src) ? clean(src) : resolve(cwd, src), destination: target, options: checkBindOptions(flag, value, options) };
}

/** Parses `--ulimit name=soft[:hard]` (go-units ParseUlimit rules; -1 is unlimited). */
export function parseUlimit(value: string): Ulimit {
  const flag = '--ulimit';
  const eq = value.indexOf('=');
  if (eq === -1) throw usage(flag, value, 'expected name=soft[:hard]');
  const name = value.slice(0, eq);
  if (!ULIMIT_NAMES.includes(name)) throw usage(flag, value, `unknown ulimit \`${name}\``, `one of ${ULIMIT_NAMES.join(', ')}`);
  const parts = value.slice(eq + 1).split(':');
  if (parts.length > 2) throw usage(flag, value, 'too many values: use soft[:hard]');
  const num = (s: string): number => {
    if (!/^-?\d+$/.test(s)) throw usage(flag, value, `\`${s}\` is not an integer`);
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n < -1) throw usage(flag, value, `\`${s}\` is out of range`);
    return n;
  };
  const soft = num(parts[0]!);
  const hard = parts.length === 2 ? num(parts[1]!) : soft;
  if (hard !== -1) {
    if (soft === -1) throw usage(flag, value, 'the soft limit cannot be unlimited (-1) when the hard limit is not');
    if (soft > hard) throw usage(flag, value, `soft limit ${soft} is greater than hard limit ${hard}`);
  }
  return { type: `RLIMIT_${name.toUpperCase()}`, soft, hard };
}

/** Parses `--annotation K=V`. */
export function parseAnnotation(value: string): [string, string] {
  const eq = value.indexOf('=');
  if (eq <= 0) throw usage('--annotation', value, 'expected KEY=VALUE');
  const key = value.slice(0, eq);
  if (key.startsWith(RESERVED_ANNOTATION_PREFIX)) {
    throw usage('--annotation', value, `the \`${RESERVED_ANNOTATION_PREFIX}\` prefix is reserved for hutch's own annotations`);
  }
  return [key, value.slice(eq + 1)];
}

/** The effect of one --security-opt value. */
export type SecurityOpt = { noNewPrivileges: boolean } | { seccomp: SeccompChoice };

/** Parses `--security-opt no-new-privileges[=bool]|seccomp=unconfined|seccomp=PATH` (`:` works as separator, as in Docker). */
export function parseSecurityOpt(value: string, cwd: string): SecurityOpt {
  const flag = '--security-opt';
  const m = /^([^=:]+)[=:]?(.*)$/s.exec(value);
  const key = m?.[1] ?? '';
  const hasVal = value.length > key.length;
  const val = m?.[2] ?? '';
  if (key === 'no-new-privileges') return { noNewPrivileges: hasVal ? parseBoolValue(flag, value, val) : true };
  if (key === 'seccomp') {
    if (val === '') throw usage(flag, value, 'seccomp needs a value', 'seccomp=unconfined or seccomp=/path/to/profile.json');
    if (val === 'unconfined') return { seccomp: { kind: 'unconfined' } };
    return { seccomp: { kind: 'file', path: resolve(cwd, val) } };
  }
  throw usage(flag, value, `unsupported security option \`${key}\``, 'hutch supports no-new-privileges[=true|false], seccomp=unconfined and seccomp=PATH');
}

/** Validates --name (podman's `[a-zA-Z0-9][a-zA-Z0-9_.-]*`). */
export function validateName(value: string): string {
  if (!NAME_RE.test(value)) throw usage('--name', value, 'names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*');
  return value;
}

/** Validates --hostname: what sethostname(2) accepts (1..64 bytes) without blanks or control characters. */
export function validateHostname(value: string): string {
  if (value === '' || Buffer.byteLength(value) > 64 || /[\s\x00-\x1f\x7f/]/.test(value)) {
    throw usage('--hostname', value, 'a hostname has 1 to 64 characters, without spaces, slashes or control characters');
  }
  return value;
}

function parseNetwork(value: string | undefined): 'none' | 'host' {
  if (value === undefined || value === 'none') return 'none';
  if (value === 'host') return 'host';
  throw usage('--network', value, 'only `none` (loopback only) and `host` are supported yet');
}

function parseUserns(value: string | undefined): 'default' | 'keep-id' {
  if (value === undefined || value === '') return 'default';
  if (value === 'keep-id') return 'keep-id';
  throw usage('--userns', value, 'only `keep-id` is supported (the default maps container root to you)');
}

/** Parses every `hutch run` flag plus the trailing command into RunOptions. */
export async function parseRunOptions(flags: RawRunFlags, command: string[], ctx: ParseContext): Promise<RunOptions> {
  const env: Record<string, string> = {};
  for (const file of flags.envFile ?? []) {
    const path = resolve(ctx.cwd, file);
    Object.assign(env, parseEnvFile(await ctx.readTextFile(path), ctx.hostEnv, path));
  }
  for (const entry of flags.env ?? []) applyEnvEntry(env, entry, ctx.hostEnv, '--env');

  const mounts: UserMount[] = [
    ...(flags.mount ?? []).map((m) => parseMount(m, ctx.cwd)),
    ...(flags.volume ?? []).map((v) => parseVolume(v, ctx.cwd)),
    ...(flags.tmpfs ?? []).map(parseTmpfs),
  ];
  const seen = new Set<string>();
  for (const m of mounts) {
    if (seen.has(m.destination)) throw new UsageError(`duplicate mount destination \`${m.destination}\``, { hint: 'each container path can be the target of only one -v, --mount or --tmpfs' });
    seen.add(m.destination);
  }

  const ulimits = new Map<string, Ulimit>();
  for (const u of (flags.ulimit ?? []).map(parseUlimit)) ulimits.set(u.type, u);

  let noNewPrivileges = true;
  let seccomp: SeccompChoice = { kind: 'default' };
  for (const opt of flags.securityOpt ?? []) {
    const parsed = parseSecurityOpt(opt, ctx.cwd);
    if ('noNewPrivileges' in parsed) noNewPrivileges = parsed.noNewPrivileges;
    else seccomp = parsed.seccomp;
  }

  const annotations: Record<string, string> = {};
  for (const a of flags.annotation ?? []) {
    const [k, v] = parseAnnotation(a);
    annotations[k] = v;
  }

  if (flags.workdir !== undefined && !flags.workdir.startsWith('/')) {
    throw usage('--workdir', flags.workdir, 'the working directory must be an absolute path');
  }
  if (flags.user !== undefined && (flags.user === '' || flags.user.split(':').length > 2)) {
    throw usage('--user', flags.user, 'expected user[:group] (names or numeric ids)');
  }

  return {
    command,
    entrypoint: flags.entrypoint === undefined ? undefined : parseEntrypoint(flags.entrypoint),
    env,
    user: flags.user,
    workdir: flags.workdir === undefined ? undefined : clean(flags.workdir),
    hostname: flags.hostname === undefined ? undefined : validateHostname(flags.hostname),
    name: flags.name === undefined ? undefined : validateName(flags.name),
    mounts,
    ulimits: [...ulimits.values()],
    capAdd: (flags.capAdd ?? []).map((c) => normalizeCapability(c, '--cap-add')),
    capDrop: (flags.capDrop ?? []).map((c) => normalizeCapability(c, '--cap-drop')),
    noNewPrivileges,
    seccomp,
    readOnly: flags.readOnly ?? false,
    readOnlyTmpfs: flags.readOnlyTmpfs ?? true,
    network: parseNetwork(flags.network),
    userns: parseUserns(flags.userns),
    init: flags.init ?? false,
    annotations,
    tty: flags.tty ?? false,
    interactive: flags.interactive ?? false,
    resources: translateResources({ memory: flags.memory, memorySwap: flags.memorySwap, cpus: flags.cpus, pidsLimit: flags.pidsLimit }),
  };
}
