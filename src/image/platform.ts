// The platform to pull: the host's (os/architecture/variant in Go's GOOS/GOARCH
// vocabulary, which image indexes use), user overrides, and selection from an
// index with the variant fallbacks of containers/image's platform matcher.
import { readFileSync } from 'node:fs';
import { InvalidContentError, NotFoundError, UsageError } from '../errors.js';
import type { ImageIndex, IndexEntry, ManifestDocument, Platform } from './manifest.js';
import { INDEX_TYPES } from './media-types.js';

/** A requested platform: any field left out comes from the host. */
export interface PlatformChoice {
  os?: string;
  architecture?: string;
  variant?: string;
}

/** The user's platform flags as given on the command line. */
export interface PlatformFlags {
  platform?: string;
  os?: string;
  arch?: string;
  variant?: string;
}

const NODE_TO_GOARCH: Readonly<Record<string, string>> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  // Node reports little-endian POWER as ppc64 on Linux; images use ppc64le.
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
};

const KNOWN_OS = new Set(['aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'illumos', 'ios', 'js', 'linux', 'netbsd', 'openbsd', 'plan9', 'solaris', 'wasip1', 'windows', 'zos']);
const KNOWN_ARCH = new Set(['386', 'amd64', 'arm', 'arm64', 'loong64', 'mips', 'mipsle', 'mips64', 'mips64le', 'ppc64', 'ppc64le', 'riscv64', 's390x', 'wasm']);

// Spellings people type for GOARCH values, as containerd's platforms.Normalize accepts them.
const ARCH_ALIASES: Readonly<Record<string, { architecture: string; variant?: string }>> = {
  x86_64: { architecture: 'amd64' },
  'x86-64': { architecture: 'amd64' },
  aarch64: { architecture: 'arm64' },
  armhf: { architecture: 'arm', variant: 'v7' },
  armel: { architecture: 'arm', variant: 'v6' },
  i386: { architecture: '386' },
  i686: { architecture: '386' },
};

/**
 * Variants per architecture from most to least capable: an image built for a
 * lesser variant runs on a more capable CPU (containers/image
 * platform_matcher.go `compatibility`; amd64 levels as in containerd).
 */
const COMPATIBILITY: Readonly<Record<string, readonly string[]>> = {
  arm: ['v8', 'v7', 'v6', 'v5'],
  arm64: ['v8'],
  amd64: ['v4', 'v3', 'v2', 'v1'],
};

/**
 * Variants tried after the empty one when no variant is wanted. arm and
 * arm64 follow containers/image (the whole list); for amd64 only the v1
 * baseline, because nothing is known about the CPU's level and a v3 image
 * would crash on an older CPU.
 */
const WITHOUT_VARIANT: Readonly<Record<string, readonly string[]>> = {
  arm: ['v8', 'v7', 'v6', 'v5'],
  arm64: ['v8'],
  amd64: ['v1'],
};

/** `os/arch[/variant]`. */
export function formatPlatform(platform: Platform | PlatformChoice): string {
  const p = platform as PlatformChoice & Platform;
  const parts = [p.os ?? '?', p.architecture ?? '?'];
  if (p.variant) parts.push(p.variant);
  return parts.join('/');
}

/**
 * The arm variant from /proc/cpuinfo's "CPU architecture" line, mapped as
 * containers/image does (including the Raspberry Pi Zero quirk: the kernel
 * reports 7 for an ARMv6 core whose model name is "ARMv6-compatible").
 */
export function armVariantFromCpuinfo(cpuinfo: string): string | undefined {
  const field = (name: string): string | undefined => {
    for (const line of cpuinfo.split('\n')) {
      const colon = line.indexOf(':');
      if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === name) return line.slice(colon + 1).trim();
    }
    return undefined;
  };
  const architecture = field('cpu architecture')?.toLowerCase();
  switch (architecture) {
    case '8':
    case 'aarch64':
      return 'v8';
    case '7':
      return field('model name')?.toLowerCase().startsWith('armv6-compatible') ? 'v6' : 'v7';
    case '7m':
    case '?(12)':
    case '?(13)':
    case '?(14)':
    case '?(15)':
    case '?(16)':
    case '?(17)':
      return 'v7';
    case '6':
    case '6tej':
      return 'v6';
    case '5':
    case '5t':
    case '5te':
    case '5tej':
      return 'v5';
    default:
      return undefined;
  }
}

/** Sources for host detection; tests pass their own. */
export interface HostPlatformSources {
  /** Node's process.arch. */
  arch?: string;
  /** Contents of /proc/cpuinfo. */
  cpuinfo?: string;
  /** Node's build-time `arm_version` (process.config), a fallback when cpuinfo says nothing. */
  armVersion?: string;
}

function readCpuinfo(): string {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}

/** The platform of this machine in GOOS/GOARCH terms. */
export function hostPlatform(sources: HostPlatformSources = {}): Platform {
  const nodeArch = sources.arch ?? process.arch;
  const architecture = NODE_TO_GOARCH[nodeArch] ?? nodeArch;
  const platform: Platform = { os: 'linux', architecture };
  if (architecture === 'arm64') platform.variant = 'v8';
  if (architecture === 'arm') {
    const variables = process.config.variables as unknown as Record<string, unknown>;
    const armVersion = sources.armVersion ?? (variables.arm_version === undefined ? undefined : String(variables.arm_version));
    const variant = armVariantFromCpuinfo(sources.cpuinfo ?? readCpuinfo()) ?? (armVersion && /^[5-8]$/.test(armVersion) ? `v${armVersion}` : undefined);
    if (variant !== undefined) platform.variant = variant;
  }
  return platform;
}

function checkOs(os: string, flag: string): string {
  if (!KNOWN_OS.has(os)) throw new UsageError(`${flag}: unknown operating system ${JSON.stringify(os)}`, { hint: 'use a Go GOOS name such as linux' });
  return os;
}

function checkVariant(variant: string, flag: string): string {
  const normalised = /^[0-9]+$/.test(variant) ? `v${variant}` : variant;
  if (!/^[a-z0-9]+$/.test(normalised)) throw new UsageError(`${flag}: invalid variant ${JSON.stringify(variant)}`, { hint: 'variants look like v7 or v8' });
  return normalised;
}

function checkArch(arch: string, flag: string): { architecture: string; variant?: string } {
  const alias = ARCH_ALIASES[arch.toLowerCase()];
  if (alias) return alias;
  if (!KNOWN_ARCH.has(arch)) {
    throw new UsageError(`${flag}: unknown architecture ${JSON.stringify(arch)}`, { hint: `use a Go GOARCH name: ${[...KNOWN_ARCH].join(', ')}` });
  }
  return { architecture: arch };
}

/**
 * Validates `--platform os/arch[/variant]`, `--os`, `--arch` and `--variant`
 * (`--platform` excludes the others, as in podman).
 */
export function parsePlatformFlags(flags: PlatformFlags): PlatformChoice {
  const choice: PlatformChoice = {};
  if (flags.platform !== undefined && flags.platform !== '') {
    if (flags.os || flags.arch || flags.variant) throw new UsageError('--platform cannot be combined with --os, --arch or --variant');
    const parts = flags.platform.split('/');
    if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
      throw new UsageError(`--platform: invalid value ${JSON.stringify(flags.platform)}`, { hint: 'use os/arch[/variant], e.g. linux/arm64 or linux/arm/v7' });
    }
    choice.os = checkOs(parts[0]!, '--platform');
    const arch = checkArch(parts[1]!, '--platform');
    choice.architecture = arch.architecture;
    const variant = parts[2] !== undefined ? checkVariant(parts[2], '--platform') : arch.variant;
    if (variant !== undefined) choice.variant = variant;
    return choice;
  }
  if (flags.os) choice.os = checkOs(flags.os, '--os');
  if (flags.arch) {
    const arch = checkArch(flags.arch, '--arch');
    choice.architecture = arch.architecture;
    if (arch.variant !== undefined) choice.variant = arch.variant;
  }
  if (flags.variant) choice.variant = checkVariant(flags.variant, '--variant');
  return choice;
}

/**
 * The platforms acceptable for `choice`, best first. A host-detected variant
 * is used only when the architecture was not overridden (as in
 * containers/image: the host's variant says nothing about another
 * architecture).
 */
export function wantedPlatforms(choice: PlatformChoice = {}, host: Platform = hostPlatform()): Platform[] {
  const os = choice.os ?? host.os;
  const architecture = choice.architecture ?? host.architecture;
  const variant = choice.variant ?? (choice.architecture === undefined ? host.variant : undefined);
  let variants: string[];
  if (variant) {
    const order = COMPATIBILITY[architecture];
    const at = order ? order.indexOf(variant) : -1;
    variants = at >= 0 ? [...order!.slice(at), ''] : [variant, ''];
  } else {
    variants = ['', ...(WITHOUT_VARIANT[architecture] ?? [])];
  }
  return variants.map((v) => (v === '' ? { os, architecture } : { os, architecture, variant: v }));
}

/** Whether a platform (from an index entry or a config) equals one of `wanted`. */
export function platformMatches(platform: Platform, wanted: readonly Platform[]): boolean {
  return wanted.some((w) => w.os === platform.os && w.architecture === platform.architecture && (w.variant ?? '') === (platform.variant ?? ''));
}

/** The first index entry matching the best wanted platform (first match wins), or undefined. */
export function selectManifest(index: ImageIndex, wanted: readonly Platform[]): IndexEntry | undefined {
  for (const w of wanted) {
    const match = index.manifests.find((entry) => !entry.skip && entry.platform !== undefined && platformMatches(entry.platform, [w]));
    if (match) return match;
  }
  return undefined;
}

/** Nested indexes deeper than this are refused: a loop of indexes would otherwise never end. */
export const MAX_INDEX_DEPTH = 4;

/**
 * Picks the image manifest for `wanted` from an index, descending into nested
 * indexes (a matching entry that is itself an index, then index entries
 * without a platform) through `fetchIndex`. Throws NotFoundError listing every
 * platform seen when nothing matches.
 */
export async function resolvePlatformManifest(
  index: ImageIndex,
  wanted: readonly Platform[],
  fetchIndex: (entry: IndexEntry) => Promise<ManifestDocument>,
  what: string,
): Promise<IndexEntry> {
  const available = new Set<string>();
  const nested = async (entry: IndexEntry, depth: number): Promise<IndexEntry | undefined> => {
    if (depth >= MAX_INDEX_DEPTH) throw new InvalidContentError(`${what}: indexes nested more than ${MAX_INDEX_DEPTH} levels deep`);
    const doc = await fetchIndex(entry);
    if (doc.kind !== 'index') throw new InvalidContentError(`${what}: entry ${entry.digest} is declared as ${entry.mediaType} but is not an index`);
    return search(doc, depth + 1);
  };
  const search = async (current: ImageIndex, depth: number): Promise<IndexEntry | undefined> => {
    for (const entry of current.manifests) if (!entry.skip && entry.platform) available.add(formatPlatform(entry.platform));
    const match = selectManifest(current, wanted);
    if (match && !INDEX_TYPES.includes(match.mediaType)) return match;
    if (match) {
      const found = await nested(match, depth);
      if (found) return found;
    }
    for (const entry of current.manifests) {
      if (entry.skip || entry.platform !== undefined || !INDEX_TYPES.includes(entry.mediaType)) continue;
      const found = await nested(entry, depth);
      if (found) return found;
    }
    return undefined;
  };
  const found = await search(index, 0);
  if (found) return found;
  const list = available.size > 0 ? [...available].join(', ') : 'none';
  throw new NotFoundError(`${what}: no image for platform ${formatPlatform(wanted[0] ?? {})}; available platforms: ${list}`, {
    hint: 'choose one of the available platforms with --platform os/arch[/variant]',
  });
}
